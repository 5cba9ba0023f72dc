#!/usr/bin/env bash
# Builds et-run for a device and writes what goes there into DIR.
#
#   scripts/cross-build.sh TARGET DIR [--models A.pte [B.pte ...]]
#
#   aarch64-static   DIR/et-run: one static ARM64 executable (any ARM64 Linux board)
#   android-arm64    the same binary, with a README on adb push (no NDK needed)
#   armv7-static     DIR/et-run: one static 32-bit ARM executable (ARMv7-A, NEON, hard float)
#   x86_64-static    DIR/et-run: one static x86-64 executable (benchmarks/PERF.md times it)
#   aarch64          ARM64 Linux bundle: bin/et-run, lib/ (ExecuTorch, libstdc++, glibc
#                    and its loader, from the executorch aarch64 wheel), et-run launcher
#   x86_64           the same kind of bundle of the host build
#   android-ndk      Android arm64-v8a with an NDK ($ANDROID_NDK; see docs/android.md)
#
# --models (static targets): a selective build, holding only the operators those
# programs use. DIR also gets runner.json (target, architecture, linkage) and
# README.txt. The build logic is CMake's (CMakePresets.json, cmake/): the static
# targets build ExecuTorch from source once into ~/.cache/etkit (10-20 minutes on
# two cores), cmake/EtkitExecutorchBuild.cmake says from where. This script
# installs missing Debian packages, picks the preset and publishes DIR only when
# everything succeeded (built beside it, then moved; an existing DIR is replaced).
set -euo pipefail

EXECUTORCH_VERSION=1.5.1  # the aarch64 bundle's SDK: the same pin as the host's (scripts/setup.sh)
SDK_LAYOUT=3              # what is unpacked from the wheel; 2: the bundled-program schema, 3: the .ptd schema too

die() { echo "cross-build: error: $*" >&2; exit 1; }
usage() {
  echo "usage: scripts/cross-build.sh TARGET DIR [--models A.pte ...]" >&2
  echo "  TARGET: aarch64-static, android-arm64, armv7-static, x86_64-static, aarch64, x86_64, android-ndk" >&2
  exit 2
}

[ $# -ge 2 ] || usage
target=$1
out=$2
shift 2
models=()
if [ $# -gt 0 ]; then
  [ "$1" = --models ] && [ $# -ge 2 ] || usage
  shift
  models=("$@")
fi
case "$target" in
  aarch64-static | android-arm64) preset=aarch64-static ;;
  armv7-static) preset=armv7-static ;;
  x86_64-static) preset=x86_64-static ;;
  aarch64 | aarch64-linux) target=aarch64; preset=aarch64-linux ;;
  x86_64 | x86_64-linux) target=x86_64; preset=x86_64-linux ;;
  android-ndk | android-arm64-v8a) target=android-ndk; preset=android-arm64-v8a ;;
  *) echo "cross-build: error: unknown target '$target'" >&2; usage ;;
esac
[ -n "$out" ] || usage
case "$preset" in *-static) static=1 ;; *) static=0 ;; esac
[ ${#models[@]} -eq 0 ] || [ $static = 1 ] ||
  die "--models needs a static target (aarch64-static, android-arm64, armv7-static, x86_64-static): selective builds compile ExecuTorch's kernels from source"

root="$(cd "$(dirname "$0")/.." && pwd)"
# Absolute before any cd; the parent must exist so that DIR can be moved into place.
out_parent="$(cd "$(dirname -- "$out")" 2>/dev/null && pwd)" ||
  die "the folder that should hold $out does not exist"
out="$out_parent/$(basename -- "$out")"
# DIR is replaced whole: only when it is new, empty or an earlier runner (it has et-run).
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ] && [ ! -e "$out/et-run" ]; then
  die "$out exists and is not a runner folder (no et-run in it): refusing to replace it"
fi
case "$root/" in "$out"/*) die "refusing to replace $out, which holds this checkout" ;; esac
models_abs=()
for m in ${models[@]+"${models[@]}"}; do
  [ -f "$m" ] || die "no program at $m"
  m="$(cd "$(dirname -- "$m")" && pwd)/$(basename -- "$m")"
  case "$m" in
    *[\;\"\\]*) die "a program's path can't hold ';', '\"' or '\\' (CMake reads it): $m" ;;
    "$out"/*) die "$m is inside $out, which is replaced" ;;
  esac
  models_abs+=("$m")
done
# The ExecuTorch source for the static targets, absolute before the cd below.
if [ -n "${ETKIT_EXECUTORCH_SOURCE:-}" ]; then
  case "$ETKIT_EXECUTORCH_SOURCE" in /*) ;; *) ETKIT_EXECUTORCH_SOURCE="$PWD/$ETKIT_EXECUTORCH_SOURCE" ;; esac
  export ETKIT_EXECUTORCH_SOURCE
fi

# cmake >= 3.28 (executorch's imported targets need it): the venv's from PyPI, else PATH.
cmake_bin() {
  local c v
  for c in "$root/.venv/bin/cmake" "$(command -v cmake || true)"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    v="$("$c" --version 2>/dev/null | sed -n '1s/^cmake version //p')"
    if [ -n "$v" ] && [ "$(printf '3.28\n%s\n' "$v" | sort -V | head -n1)" = 3.28 ]; then
      echo "$c"
      return 0
    fi
  done
  die "no cmake 3.28 or newer: run scripts/setup.sh (it installs cmake from PyPI into .venv)"
}

apt_install() {
  echo "cross-build: installing $* (apt)"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  command -v apt-get >/dev/null || die "$* missing and no apt-get here: install them by hand"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"; } \
    >/dev/null || die "apt-get could not install $*"
}

# What each target's build needs from Debian; qemu-user runs ARM binaries here.
need=()
need_cmd() { command -v "$1" >/dev/null || need+=("$2"); }
case "$preset" in
  aarch64-static | aarch64-linux) need_cmd aarch64-linux-gnu-g++ g++-aarch64-linux-gnu; need_cmd qemu-aarch64 qemu-user ;;
  armv7-static) need_cmd arm-linux-gnueabihf-g++ g++-arm-linux-gnueabihf; need_cmd qemu-arm qemu-user ;;
  x86_64-static) need_cmd qemu-x86_64 qemu-user ;;  # CMake's try_run goes through the emulator
esac
need_cmd flatc flatbuffers-compiler
[ -f /usr/include/flatbuffers/flatbuffers.h ] || need+=(libflatbuffers-dev)
[ -f /usr/include/CLI/CLI.hpp ] || need+=(libcli11-dev)
[ -f /usr/include/nlohmann/json.hpp ] || need+=(nlohmann-json3-dev)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# Temporary DIR beside the real one (same file system, so the final move is a
# rename). Whatever is half-made when the script stops goes: the stage, a download.
stage=""
download=""
cleanup() { rm -rf ${stage:+"$stage"} ${download:+"$download"}; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The executorch wheel for manylinux aarch64 carries the runtime built for
# ARM64 (lib/), its headers and CMake package: the aarch64 bundle's SDK.
fetch_aarch64_sdk() {
  local dest="$root/third_party/executorch-aarch64"
  [ -f "$dest/.complete-$EXECUTORCH_VERSION-$SDK_LAYOUT" ] && return 0
  local py="$root/.venv/bin/python"
  [ -x "$py" ] || py="$(command -v python3 || true)"
  [ -n "$py" ] && "$py" -m pip --version >/dev/null 2>&1 ||
    die "pip is needed to download the ARM64 ExecuTorch wheel: run scripts/setup.sh first"
  echo "cross-build: downloading executorch $EXECUTORCH_VERSION for manylinux_2_28_aarch64 into third_party/executorch-aarch64/"
  download="$(mktemp -d "$root/third_party/.executorch-aarch64.XXXXXX")"
  "$py" -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_28_aarch64 \
      --python-version 3.11 --implementation cp "executorch==$EXECUTORCH_VERSION" -d "$download/wheel" >&2 ||
    die "could not download executorch==$EXECUTORCH_VERSION (manylinux_2_28_aarch64, cp311) from PyPI"
  # Only what a C++ consumer needs: libraries, headers, CMake package, schemas, licences.
  "$py" - "$download" <<'EOF' || die "the downloaded wheel could not be unpacked"
import glob, sys, zipfile
tmp = sys.argv[1]
wheel, = glob.glob(tmp + "/wheel/executorch-*.whl")
keep = ("executorch/lib/", "executorch/include/", "executorch/share/", "executorch/schema/",
        "executorch/backends/xnnpack/serialization/runtime_schema.fbs",
        "executorch/devtools/bundled_program/schema/", "executorch/extension/flat_tensor/serialize/")
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(keep) or (".dist-info/licenses/" in n)]
    z.extractall(tmp + "/sdk", names)
EOF
  touch "$download/sdk/.complete-$EXECUTORCH_VERSION-$SDK_LAYOUT"
  rm -rf "$dest"
  mv "$download/sdk" "$dest"
  rm -rf "$download"
  download=""
}

case "$preset" in
  aarch64-linux) fetch_aarch64_sdk ;;
  android-arm64-v8a)
    [ -n "${ANDROID_NDK:-}" ] || die "ANDROID_NDK is not set: android-ndk builds with an Android NDK (r27 or newer),
  see docs/android.md. Without one, 'scripts/cross-build.sh android-arm64 DIR' builds a static binary that Android runs."
    [ -f "$ANDROID_NDK/build/cmake/android.toolchain.cmake" ] ||
      die "ANDROID_NDK=$ANDROID_NDK has no build/cmake/android.toolchain.cmake: point it at an Android NDK folder" ;;
esac

cmake="$(cmake_bin)"
export PATH="$(dirname "$cmake"):$PATH"  # ninja from the venv too
build="$root/build/$preset"
config=(--preset "$preset" "-DETKIT_DEVICE_TARGET=$target")
if [ ${#models_abs[@]} -gt 0 ]; then
  # One build folder for every selection: a new one rebuilds only the registration.
  build="$root/build/$preset-selected"
  list=""
  for m in "${models_abs[@]}"; do list="$list${list:+;}$m"; done
  config+=(-B "$build" "-DETKIT_SELECT_OPS_MODELS=$list")
elif [ $static = 1 ]; then
  config+=(-DETKIT_SELECT_OPS_MODELS=)
fi
# One run at a time per build folder (several runners may be asked for at once).
mkdir -p "$root/build"
exec 9>"$build.lock"
flock 9 || die "cannot lock $build.lock"
echo "cross-build: configuring $target (preset $preset, $build)"
(cd "$root" && "$cmake" "${config[@]}") || die "configuring the $preset preset failed"
echo "cross-build: building et-run"
"$cmake" --build "$build" || die "building et-run for $target failed"

stage="$(mktemp -d "$out_parent/.$(basename -- "$out").partial.XXXXXX")"
chmod 0755 "$stage"  # mktemp makes it private; DIR is not
"$cmake" --install "$build" --prefix "$stage" --strip >/dev/null || die "installing et-run for $target failed"
if [ -e "$out" ]; then
  old="$(mktemp -d "$out_parent/.$(basename -- "$out").old.XXXXXX")"
  mv "$out" "$old/"
  rm -rf "$old"
fi
mv "$stage" "$out"
stage=""
echo "cross-build: wrote $out ($(du -sh "$out" | cut -f1); run it with $out/et-run)"
