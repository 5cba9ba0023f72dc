#!/usr/bin/env bash
# Builds etkit's wheel, the runtime install (`pip install etkit`: Runner,
# inspect, et-run; numpy only), into dist/:
#
#   scripts/build-wheel.sh                    for this machine (x86_64 here)
#   scripts/build-wheel.sh --target aarch64   for 64-bit ARM Linux, cross-built
#
# The build itself is pyproject.toml's (scikit-build-core; the aarch64
# override) and CMake's (the runtime libraries go into etkit/lib). This script
# gathers the cross build's inputs, then tags the wheel manylinux with the
# policy `auditwheel show` finds its binaries consistent with, and refuses a
# wheel that needs a library outside it and outside that policy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
die() { echo "build-wheel: error: $*" >&2; exit 1; }

target=host
while [ $# -gt 0 ]; do
  case "$1" in
    --target) [ $# -ge 2 ] || die "--target needs a value (aarch64)"; target=$2; shift 2 ;;
    --target=*) target=${1#--target=}; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "usage: scripts/build-wheel.sh [--target aarch64]" >&2; exit 2 ;;
  esac
done

py="$root/.venv/bin/python"
[ -x "$py" ] || die "no .venv: run scripts/setup.sh first (the build needs its executorch SDK, cmake and pybind11)"
"$py" -c "import auditwheel, wheel" 2>/dev/null || "$py" -m pip install -q auditwheel wheel
export PATH="$root/.venv/bin:$PATH"  # cmake and ninja from PyPI

case "$target" in
  host) arch=$(uname -m) ;;
  aarch64|aarch64-linux)
    arch=aarch64
    sdk="$root/third_party/executorch-aarch64/executorch"
    if ! compgen -G "$root/third_party/executorch-aarch64/.complete-*-3" >/dev/null ||
       ! command -v aarch64-linux-gnu-g++ >/dev/null; then
      # The ARM bundle's script is what downloads the aarch64 runtime (third_party/README.md)
      # and installs the cross toolchain (and qemu-user, which runs the result here).
      tmp_bundle="$(mktemp -d)"
      bash "$root/scripts/cross-build.sh" aarch64 "$tmp_bundle/bundle" || die "fetching the aarch64 runtime failed"
      rm -rf "$tmp_bundle"
    fi
    pyroot="${ETKIT_CACHE:-$HOME/.cache/etkit}/arm64-python-dev"
    bash "$root/scripts/arm64-python.sh" --dev "$pyroot"
    # Read by pyproject.toml's aarch64 override.
    export ETKIT_WHEEL_TARGET=aarch64 ETKIT_EXECUTORCH_ROOT="$sdk"
    export ETKIT_TARGET_PYTHON_INCLUDE="$pyroot/usr/include/python3.11"
    export _PYTHON_HOST_PLATFORM=linux-aarch64  # the wheel's platform tag, before auditwheel's
    ;;
  *) die "unknown target '$target' (known: aarch64)" ;;
esac

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$py" -m pip wheel -q --no-build-isolation --no-deps -w "$out/raw" "$root" || die "building the wheel failed"
raw=("$out/raw"/etkit-*.whl)

ldpaths=()  # the target's glibc and libstdc++, for a cross build (Debian's cross toolchain has them)
[ "$target" = host ] || ldpaths=(--ldpaths "/usr/$arch-linux-gnu/lib")
report="$("$py" -m auditwheel show "${ldpaths[@]}" "${raw[0]}" 2>&1 | tr '\n' ' ')" || die "auditwheel show failed: $report"
plat="$(printf '%s\n' "$report" | sed -n 's/.*consistent with the following platform tag: "\([^"]*\)".*/\1/p')"
case "$plat" in
  manylinux_*_"$arch") ;;
  *) die "the wheel is not manylinux-compatible for $arch: $report" ;;
esac
if printf '%s\n' "$report" | grep -q "external shared libraries"; then  # auditwheel's words for them
  die "the wheel needs libraries it does not carry: $report"
fi
"$py" -m wheel tags --remove --platform-tag "$plat" "${raw[0]}" >/dev/null
mkdir -p "$root/dist"
for w in "$out/raw"/etkit-*"$plat".whl; do
  rm -f "$root/dist/$(basename "$w")"
  mv "$w" "$root/dist/"
  echo "$root/dist/$(basename "$w")"
done
