#!/usr/bin/env bash
# Writes a single-layer docker-archive (what `docker save` writes and
# `ctr images import` / `docker load` / `skopeo copy docker-archive:` read)
# from a root filesystem, without a registry or a container engine.
#
#   docker-archive.sh ROOTFS OUT TAG CONFIG [ARCH]
#
# CONFIG is the image's runtime config as a JSON object (Env, Cmd,
# Entrypoint, User, StopSignal, Labels, …); ARCH defaults to amd64.
# Reproducible: given the same ROOTFS contents and SOURCE_DATE_EPOCH (default
# 0), the archive is byte for byte the same (sorted entries, fixed mtimes,
# numeric owners, no timestamps of this run).
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: docker-archive.sh ROOTFS OUT TAG CONFIG [ARCH]" >&2; exit 2; }
rootfs=$1 out=$2 tag=$3 config=$4 arch=${5:-amd64}
epoch=${SOURCE_DATE_EPOCH:-0}
[ -d "$rootfs" ] || { echo "docker-archive.sh: $rootfs is not a directory" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repro=(--sort=name --format=gnu --numeric-owner --mtime="@$epoch")

tar -C "$rootfs" "${repro[@]}" -cf "$work/layer.tar" .
layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir "$work/$layer"
mv "$work/layer.tar" "$work/$layer/layer.tar"

created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
printf '{"architecture":"%s","os":"linux","created":"%s","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"images/docker-archive.sh"}]}' \
  "$arch" "$created" "$config" "$layer" "$created" >"$work/config.json"
cfg=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/$cfg.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$cfg" "$tag" "$layer" >"$work/manifest.json"

tar -C "$work" "${repro[@]}" --owner=0 --group=0 -cf "$out" manifest.json "$cfg.json" "$layer"
