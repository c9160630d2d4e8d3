# Sourced by the build scripts: one cached artifact per name, under
# ${XDG_CACHE_HOME:-~/.cache}/kubectl-svcgw/<name>/<hash>/, built once per
# hash of its inputs. A lock per name keeps two processes (two test runs,
# two engineers) from building the same thing at once; the loser of the race
# waits and then finds the winner's artifact.

# input_hash FILE… — 16 hex digits over the files' names and contents.
input_hash() {
  local f
  for f in "$@"; do
    printf '%s\0' "${f##*/}"
    cat "$f"
  done | sha256sum | cut -c1-16
}

# cached NAME HASH FILE BUILD… — prints the artifact's path; runs BUILD (with
# $OUT set to a temporary path in the hash's directory) only when the artifact
# is absent. BUILD's output goes to stderr. Hashes of NAME unused for a day
# are removed (a hit marks its directory used).
cached() {
  local name=$1 hash=$2 file=$3
  shift 3
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-svcgw/$name"
  local out="$dir/$hash/$file"
  if [ -e "$out" ]; then
    touch "$dir/$hash"
    echo "$out"
    return 0
  fi
  mkdir -p "$dir/$hash"
  local lock
  exec {lock}>"$dir/.lock"
  flock "$lock"
  if [ ! -e "$out" ]; then
    local started=$SECONDS
    echo "build: $name → $dir/$hash" >&2
    rm -rf "$out.tmp"
    # In a subshell of its own, not in an `if`: there errexit would be off.
    local status=0
    set +e
    (
      set -e
      OUT="$out.tmp" "$@" >&2
    )
    status=$?
    set -e
    if [ "$status" != 0 ]; then
      rm -rf "$out.tmp"
      exec {lock}>&-
      echo "build: $name failed" >&2
      return 1
    fi
    mv "$out.tmp" "$out"
    echo "build: $name built in $((SECONDS - started))s" >&2
    # Builds unused for a day are dead weight. Younger ones may belong to
    # another checkout of the project on this machine (same cache, other inputs).
    find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name "$hash" -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
  fi
  exec {lock}>&-
  echo "$out"
}
