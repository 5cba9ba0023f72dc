#!/usr/bin/env bash
# Unpacks Debian's arm64 CPython 3.11 into a folder, for cross-building the
# aarch64 wheel (headers) and for testing it under qemu-aarch64 (interpreter):
#
#   scripts/arm64-python.sh ROOT          interpreter, stdlib and the libraries they load
#   scripts/arm64-python.sh --dev ROOT    the headers (libpython3.11-dev) as well
#
# Then: qemu-aarch64 -L ROOT ROOT/usr/bin/python3.11. The .debs are fetched
# with `apt-get download` (after `dpkg --add-architecture arm64`, once) into
# ${ETKIT_CACHE:-~/.cache/etkit}/debs-arm64 and reused; ROOT is made anew
# from them only when it lacks the stamp of this package list.
set -euo pipefail

dev=0
if [ "${1:-}" = --dev ]; then dev=1; shift; fi
[ $# -eq 1 ] || { echo "usage: scripts/arm64-python.sh [--dev] ROOT" >&2; exit 2; }
root=$1
die() { echo "arm64-python: error: $*" >&2; exit 1; }

packages=(python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libc6 libexpat1 zlib1g libffi8 libssl3
          libbz2-1.0 liblzma5 libsqlite3-0 libncursesw6 libtinfo6 libuuid1 libgcc-s1 libstdc++6 libcrypt1)
[ $dev = 0 ] || packages+=(libpython3.11-dev)
stamp="$root/.etkit-arm64-python-$(printf '%s\n' "${packages[@]}" | md5sum | cut -c1-12)"
[ -f "$stamp" ] && exit 0

cache="${ETKIT_CACHE:-$HOME/.cache/etkit}/debs-arm64"
mkdir -p "$cache"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
missing=()
for p in "${packages[@]}"; do
  compgen -G "$cache/${p}_*_arm64.deb" >/dev/null || missing+=("$p:arm64")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "arm64-python: adding the arm64 architecture to dpkg (apt-get download needs its package lists)" >&2
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -qq || die "apt-get update failed"
  fi
  echo "arm64-python: downloading ${missing[*]} into $cache" >&2
  if ! (cd "$cache" && apt-get download -qq "${missing[@]}" >/dev/null); then
    # Lists older than the arm64 architecture, or stale: refresh once and retry.
    $sudo apt-get update -qq || die "apt-get update failed"
    (cd "$cache" && apt-get download -qq "${missing[@]}" >/dev/null) || die "apt-get download ${missing[*]} failed"
  fi
fi

tmp="$(mktemp -d "${root%/}.partial.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
for p in "${packages[@]}"; do
  debs=("$cache/${p}_"*_arm64.deb)
  dpkg -x "${debs[-1]}" "$tmp"  # the newest if several versions were cached (glob order)
done
touch "$tmp/$(basename "$stamp")"
rm -rf "$root"
mv "$tmp" "$root"
trap - EXIT
