#!/usr/bin/env bash
# Release archives: for each platform, everything `kubectl svcgw` needs without a Node.js install
# (the bundled CLI, manifests/, LICENSE, a Node.js runtime from the npm registry, launchers), and
# the krew manifest for them (plugins/svcgw.yaml). Archives are reproducible (sorted entries,
# fixed times and owners), so the same inputs give the same sha256.
#
#   bash release/build.sh [--platforms linux-amd64,darwin-arm64,…] [--out DIR] [--base-url URL]
#
# Runtimes and archives are cached under ${XDG_CACHE_HOME:-~/.cache}/kubectl-svcgw/ (test/lib/cache.sh);
# DIR (default: that cache's release-out/vVERSION) receives links to the archives and plugins/svcgw.yaml.
# Prints `archive PLATFORM PATH` lines and `manifest PATH`. SVCGW_RELEASE_NO_BUILD=1 uses dist/ as built.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
. "$root/test/lib/cache.sh"

platforms=linux-amd64,linux-arm64,darwin-amd64,darwin-arm64,windows-amd64
version=$(node -p "require('$root/package.json').version")
out="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-svcgw/release-out/v$version"
base_url="https://github.com/kubectl-svcgw/kubectl-svcgw/releases/download/v$version"
while [ $# -gt 0 ]; do
  case $1 in
    --platforms) platforms=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --base-url) base_url=$2; shift 2 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

[ -n "${SVCGW_RELEASE_NO_BUILD:-}" ] || (cd "$root" && npm run build >&2)

# runtime PLATFORM — prints the directory of the unpacked npm package of that platform's Node.js.
runtime() {
  local platform=$1 pkg integrity rt_version
  rt_version=$(node -p "require('$here/runtimes.json').version")
  pkg=$(node -p "require('$here/runtimes.json').platforms['$platform'].package")
  integrity=$(node -p "require('$here/runtimes.json').platforms['$platform'].integrity")
  fetch() {
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack "$pkg@$rt_version" --silent >/dev/null)
    local got="sha512-$(openssl dgst -sha512 -binary "$tmp"/*.tgz | base64 -w0)"
    [ "$got" = "$integrity" ] || { echo "build.sh: $pkg@$rt_version is $got, runtimes.json pins $integrity" >&2; return 1; }
    mkdir -p "$OUT"
    tar -xzf "$tmp"/*.tgz -C "$OUT" --strip-components=1
    rm -rf "$tmp"
  }
  cached "node-runtime-$platform" "$(printf '%s' "$pkg@$rt_version $integrity" | sha256sum | cut -c1-16)" package fetch
}

# stage PLATFORM DIR — lays out the archive's content in DIR.
stage() {
  local platform=$1 dir=$2 rt
  rt=$(runtime "$platform")
  mkdir -p "$dir/bin" "$dir/node"
  cp -r "$root/dist" "$root/manifests" "$root/oclif.manifest.json" "$root/LICENSE" "$dir/"
  cp "$root/bin/run.js" "$root/bin/complete.js" "$dir/bin/"
  # oclif reads the package root's package.json: its identity and oclif section, nothing to install.
  node -e "const p=require('$root/package.json'); const keep={}; for (const k of ['name','version','description','type','license','engines','oclif']) keep[k]=p[k]; process.stdout.write(JSON.stringify(keep, null, 2) + '\n')" >"$dir/package.json"
  # Node's licence; the Windows package leaves it out, and it is the same file for every platform of a release.
  local licence="$rt/LICENSE"
  [ -f "$licence" ] || licence="$(runtime linux-amd64)/LICENSE"
  cp "$licence" "$dir/node/LICENSE"
  case $platform in
    windows-*)
      cp "$here/launchers/sea-boot.cjs" "$dir/bin/sea-boot.cjs"
      cp "$here/launchers/kubectl_complete-svcgw.cmd" "$dir/"
      sea_exe "$rt/bin/node.exe" "$dir/kubectl-svcgw.exe"
      ;;
    *)
      mkdir -p "$dir/node/bin"
      cp "$rt/bin/node" "$dir/node/bin/node"
      sed -e 's/@NAME@/kubectl-svcgw/' -e 's|@SCRIPT@|bin/run.js|' "$here/launchers/unix.sh" >"$dir/kubectl-svcgw"
      sed -e 's/@NAME@/kubectl_complete-svcgw/' -e 's|@SCRIPT@|bin/complete.js|' "$here/launchers/unix.sh" >"$dir/kubectl_complete-svcgw"
      chmod 755 "$dir/kubectl-svcgw" "$dir/kubectl_complete-svcgw" "$dir/node/bin/node"
      ;;
  esac
}

# sea_exe NODE_EXE OUT — node.exe with launchers/sea-main.cjs injected. The blob is made by the
# same Node version on this machine (linux-amd64 runtime): without a code cache it suits any platform.
sea_exe() {
  local exe=$1 dest=$2 tmp linux
  linux=$(runtime linux-amd64)
  tmp=$(mktemp -d)
  printf '{"main":"%s","output":"%s","disableExperimentalSEAWarning":true,"useCodeCache":false,"useSnapshot":false}\n' \
    "$here/launchers/sea-main.cjs" "$tmp/blob" >"$tmp/sea.json"
  "$linux/bin/node" --experimental-sea-config "$tmp/sea.json" >&2
  cp "$exe" "$dest"
  (cd "$root" && npx --no-install postject "$dest" NODE_SEA_BLOB "$tmp/blob" --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 >&2)
  rm -rf "$tmp"
}

# tree_hash DIR — 16 hex digits over every file's path, mode and content.
tree_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
    printf '%s %s\0' "$f" "$(stat -c %a "$f")"
    sha256sum <"$f"
  done) | sha256sum | cut -c1-16
}

mkdir -p "$out/plugins"
manifest_args=()
for platform in ${platforms//,/ }; do
  os=${platform%-*}
  arch=${platform#*-}
  ext=tar.gz
  [ "$os" = windows ] && ext=zip
  name="kubectl-svcgw_v${version}_${os}_${arch}.$ext"
  staging=$(mktemp -d)
  stage "$platform" "$staging"
  pack() {
    if [ "$ext" = zip ]; then
      (cd "$staging" && find . -exec touch -h -d '1980-01-01T00:00:00Z' {} + && LC_ALL=C TZ=UTC zip -X -q -9 -r "$OUT" $(ls | LC_ALL=C sort))
    else
      (cd "$staging" && LC_ALL=C tar --sort=name --mtime='@0' --owner=0 --group=0 --numeric-owner -cf - $(ls | LC_ALL=C sort) | gzip -9n >"$OUT")
    fi
  }
  archive=$(cached "release-$platform" "$(tree_hash "$staging")" "$name" pack)
  rm -rf "$staging"
  ln -sf "$archive" "$out/$name"
  echo "archive $platform $archive"
  manifest_args+=("$platform=$archive")
done

node "$here/krew-manifest.mjs" --version "$version" --base-url "$base_url" --out "$out/plugins/svcgw.yaml" "${manifest_args[@]}"
echo "manifest $out/plugins/svcgw.yaml"
