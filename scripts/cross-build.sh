#!/usr/bin/env bash
# Cross-compiles et-run and writes a self-contained bundle for a device.
#
#   scripts/cross-build.sh aarch64 DIR        ARM64 Linux (Raspberry Pi-class boards)
#   scripts/cross-build.sh android-arm64 DIR  Android arm64-v8a (needs an NDK: docs/android.md)
#
# aarch64: installs what is missing (Debian's g++-aarch64-linux-gnu, qemu-user,
# patchelf, the header-only CLI11 and nlohmann-json), downloads the ARM64
# ExecuTorch SDK from the executorch wheel into third_party/executorch-aarch64/
# (once), builds the aarch64-linux CMake preset and writes
#   DIR/bin/et-run   the ARM64 binary (RUNPATH $ORIGIN/../lib)
#   DIR/lib/         the ExecuTorch libraries it needs, libstdc++, libgcc_s,
#                    the glibc pieces and ld-linux-aarch64.so.1
#   DIR/et-run       a POSIX sh launcher that starts bin/et-run through the
#                    bundled loader, so the board needs nothing but its kernel
# DIR is written only when everything succeeded (built beside it, then moved);
# an existing DIR is replaced.
set -euo pipefail

EXECUTORCH_VERSION=1.5.1  # the same pin as the host's executorch (scripts/setup.sh)

die() { echo "cross-build: error: $*" >&2; exit 1; }
usage() {
  echo "usage: scripts/cross-build.sh TARGET DIR   (TARGET: aarch64 or android-arm64)" >&2
  exit 2
}

[ $# -eq 2 ] || usage
target=$1
out=$2
case "$target" in
  aarch64|aarch64-linux) target=aarch64 ;;
  android-arm64|android-arm64-v8a) target=android-arm64 ;;
  *) echo "cross-build: error: unknown target '$target' (known: aarch64, android-arm64)" >&2; exit 2 ;;
esac
[ -n "$out" ] || usage

root="$(cd "$(dirname "$0")/.." && pwd)"
# Absolute before any cd; the parent must exist so that the bundle can be moved into place.
out_parent="$(cd "$(dirname -- "$out")" 2>/dev/null && pwd)" ||
  die "the folder that should hold $out does not exist"
out="$out_parent/$(basename -- "$out")"
case "$out" in "$root"|/) die "refusing to replace $out with a bundle" ;; esac

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

# Temporary bundle beside DIR (same file system, so the final move is a rename).
# Whatever is half-made when the script stops goes: the staged bundle, a download.
stage=""
download=""
cleanup() { rm -rf ${stage:+"$stage"} ${download:+"$download"}; }
trap cleanup EXIT
trap 'exit 130' INT TERM
new_stage() {
  stage="$(mktemp -d "$out_parent/.$(basename -- "$out").partial.XXXXXX")"
  chmod 0755 "$stage"  # mktemp makes it private; the bundle is not
}
publish() {
  local old=""
  if [ -e "$out" ]; then
    old="$(mktemp -d "$out_parent/.$(basename -- "$out").old.XXXXXX")"
    mv "$out" "$old/"
  fi
  mv "$stage" "$out"
  stage=""
  [ -z "$old" ] || rm -rf "$old"
}

# --- aarch64 ---------------------------------------------------------------

# The executorch wheel for manylinux aarch64 carries the runtime built for
# ARM64 (lib/), its headers and CMake package: the SDK et-run links against.
fetch_aarch64_sdk() {
  local dest="$root/third_party/executorch-aarch64"
  local stamp="$dest/.complete-$EXECUTORCH_VERSION"
  [ -f "$stamp" ] && return 0
  local py="$root/.venv/bin/python"
  [ -x "$py" ] || py="$(command -v python3 || true)"
  [ -n "$py" ] && "$py" -m pip --version >/dev/null 2>&1 ||
    die "pip is needed to download the ARM64 ExecuTorch wheel: run scripts/setup.sh first"
  echo "cross-build: downloading executorch $EXECUTORCH_VERSION for manylinux_2_28_aarch64 into third_party/executorch-aarch64/"
  download="$(mktemp -d "$root/third_party/.executorch-aarch64.XXXXXX")"
  local tmp=$download
  if ! "$py" -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_28_aarch64 \
      --python-version 3.11 --implementation cp "executorch==$EXECUTORCH_VERSION" -d "$tmp/wheel" >&2; then
    die "could not download executorch==$EXECUTORCH_VERSION (manylinux_2_28_aarch64, cp311) from PyPI"
  fi
  # Only what a C++ consumer needs: libraries, headers, CMake package, schema, licences.
  if ! "$py" - "$tmp" <<'EOF'; then
import glob, sys, zipfile
tmp = sys.argv[1]
wheel, = glob.glob(tmp + "/wheel/executorch-*.whl")
keep = ("executorch/lib/", "executorch/include/", "executorch/share/", "executorch/schema/",
        "executorch/backends/xnnpack/serialization/runtime_schema.fbs")
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(keep) or (".dist-info/licenses/" in n)]
    z.extractall(tmp + "/sdk", names)
EOF
    die "the downloaded wheel could not be unpacked"
  fi
  touch "$tmp/sdk/.complete-$EXECUTORCH_VERSION"
  rm -rf "$dest"
  mv "$tmp/sdk" "$dest"
  rm -rf "$tmp"
  download=""
}

# Every shared library bin/et-run loads, transitively, resolved in the SDK and
# then in the cross toolchain's glibc/libstdc++ folder.
needed_closure() {
  local -a queue=("$1") seen=()
  local f lib dir found
  while [ ${#queue[@]} -gt 0 ]; do
    f=${queue[0]}
    queue=("${queue[@]:1}")
    for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      case " ${seen[*]-} " in *" $lib "*) continue ;; esac
      found=""
      for dir in "${search_dirs[@]}"; do
        if [ -e "$dir/$lib" ]; then found="$dir/$lib"; break; fi
      done
      [ -n "$found" ] || die "$lib, which $(basename "$f") needs, is in none of: ${search_dirs[*]}"
      seen+=("$lib")
      queue+=("$found")
      echo "$found"
    done
  done
}

build_aarch64() {
  local need=()
  command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
  command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
  command -v patchelf >/dev/null || need+=(patchelf)
  command -v readelf >/dev/null || need+=(binutils)
  command -v flatc >/dev/null || need+=(flatbuffers-compiler libflatbuffers-dev)
  [ -f /usr/include/CLI/CLI.hpp ] || need+=(libcli11-dev)
  [ -f /usr/include/nlohmann/json.hpp ] || need+=(nlohmann-json3-dev)
  [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
  command -v aarch64-linux-gnu-g++ >/dev/null || die "no aarch64-linux-gnu-g++ (Debian package g++-aarch64-linux-gnu)"

  fetch_aarch64_sdk
  local cmake sdk="$root/third_party/executorch-aarch64/executorch" build="$root/build/aarch64-linux"
  cmake="$(cmake_bin)"
  export PATH="$(dirname "$cmake"):$PATH"  # ninja from the venv too
  echo "cross-build: building et-run (preset aarch64-linux, build/aarch64-linux)"
  (cd "$root" && "$cmake" --preset aarch64-linux >/dev/null) || die "configuring the aarch64-linux preset failed"
  (cd "$root" && "$cmake" --build --preset aarch64-linux) || die "building et-run for aarch64 failed"

  new_stage
  mkdir -p "$stage/bin" "$stage/lib" "$stage/licenses"
  cp "$build/cpp/tools/et-run" "$stage/bin/et-run"
  # The SDK's CMake package records the build machine's absolute library path:
  # only the bundle's own lib/ belongs in the run path.
  patchelf --set-rpath '$ORIGIN/../lib' "$stage/bin/et-run"

  local sysroot_lib=/usr/aarch64-linux-gnu/lib
  search_dirs=("$sdk/lib" "$sysroot_lib")
  local lib libs
  libs="$(needed_closure "$stage/bin/et-run")"  # an assignment, so that its failure stops the script
  for lib in $libs; do
    cp -L "$lib" "$stage/lib/"
  done
  cp -L "$sysroot_lib/ld-linux-aarch64.so.1" "$stage/lib/"
  chmod 0755 "$stage/lib/"*.so* "$stage/bin/et-run"

  # Licences of what is redistributed in lib/.
  cp "$sdk"/../executorch-*.dist-info/licenses/* "$stage/licenses/" 2>/dev/null || true
  local pkg
  for pkg in libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross; do
    [ ! -f "/usr/share/doc/$pkg/copyright" ] || cp "/usr/share/doc/$pkg/copyright" "$stage/licenses/$pkg.copyright"
  done

  cat >"$stage/et-run" <<'EOF'
#!/bin/sh
# Starts the bundled ARM64 et-run through the bundled loader and libraries, so
# the board needs nothing installed. On another architecture it runs under
# qemu-aarch64 (Debian: qemu-user) when that is installed.
self=$0
# Through a symlink (say from a folder on PATH) the files are beside the target.
[ ! -L "$self" ] || self=$(readlink -f "$self") || exit 1
here=$(CDPATH= cd -- "$(dirname -- "$self")" && pwd) || exit 1
set -- "$here/lib/ld-linux-aarch64.so.1" --library-path "$here/lib" --argv0 et-run "$here/bin/et-run" "$@"
case $(uname -m) in
  aarch64 | arm64 | armv8*) exec "$@" ;;
esac
if command -v qemu-aarch64 >/dev/null 2>&1; then
  exec qemu-aarch64 "$@"
fi
echo "et-run: this bundle is for 64-bit ARM Linux and this machine is $(uname -m); install qemu-user to run it here" >&2
exit 126
EOF
  chmod 0755 "$stage/et-run"
  cat >"$stage/README.txt" <<EOF
et-run for 64-bit ARM Linux (aarch64), built by etkit's scripts/cross-build.sh
against ExecuTorch $EXECUTORCH_VERSION. Self-contained: copy this folder to the
board and run

  ./et-run model.pte [--input x.npy ...] [--bench] [--json -]

et-run --help lists the flags. lib/ holds the ExecuTorch runtime, the C++
runtime and glibc with its loader; ./et-run starts bin/et-run through them.
EOF
  publish
  echo "cross-build: wrote $out (bin/et-run, lib/ with $(ls "$out/lib" | wc -l) libraries, et-run launcher)"
}

# --- android-arm64 -----------------------------------------------------------

# Untested here: no Android NDK can be installed on the machines this project
# is developed on. docs/android.md has the steps to build the SDK.
build_android() {
  [ -n "${ANDROID_NDK:-}" ] || die "ANDROID_NDK is not set. Install the Android NDK (r27 or newer, e.g. from
  Android Studio's SDK Manager or https://developer.android.com/ndk/downloads), export ANDROID_NDK=<ndk folder>,
  build the ExecuTorch SDK for Android and export ETKIT_ANDROID_SDK=<its install prefix>: see docs/android.md"
  [ -f "$ANDROID_NDK/build/cmake/android.toolchain.cmake" ] ||
    die "ANDROID_NDK=$ANDROID_NDK has no build/cmake/android.toolchain.cmake: point it at an Android NDK folder"
  [ -n "${ETKIT_ANDROID_SDK:-}" ] ||
    die "ETKIT_ANDROID_SDK is not set: build the ExecuTorch SDK for Android as docs/android.md says and export its install prefix"
  # A source install (cmake/EtkitExecutorchSource.cmake maps its targets) or a wheel-style package.
  [ -f "$ETKIT_ANDROID_SDK/lib/cmake/ExecuTorch/executorch-config.cmake" ] ||
    [ -f "$ETKIT_ANDROID_SDK/lib/cmake/executorch/executorch-config.cmake" ] ||
    die "ETKIT_ANDROID_SDK=$ETKIT_ANDROID_SDK has no lib/cmake/ExecuTorch/executorch-config.cmake: install the SDK built as docs/android.md says"
  local cmake build="$root/build/android-arm64-v8a"
  cmake="$(cmake_bin)"
  export PATH="$(dirname "$cmake"):$PATH"
  (cd "$root" && "$cmake" --preset android-arm64-v8a >/dev/null) || die "configuring the android-arm64-v8a preset failed"
  (cd "$root" && "$cmake" --build --preset android-arm64-v8a) || die "building et-run for Android failed"

  new_stage
  mkdir -p "$stage/bin" "$stage/lib"
  cp "$build/cpp/tools/et-run" "$stage/bin/et-run"
  # Shared libraries of the SDK, if it was built shared; the C++ runtime of the NDK when linked shared.
  cp -L "$ETKIT_ANDROID_SDK"/lib/*.so "$stage/lib/" 2>/dev/null || true
  local cxx
  cxx="$(find "$ANDROID_NDK/toolchains/llvm/prebuilt" -path '*/aarch64-linux-android/libc++_shared.so' | head -n1)"
  [ -z "$cxx" ] || cp "$cxx" "$stage/lib/"
  cat >"$stage/et-run" <<'EOF'
#!/system/bin/sh
# Starts the bundled et-run with the bundled libraries (adb push this folder to /data/local/tmp).
here=$(cd "$(dirname "$0")" && pwd) || exit 1
LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/bin/et-run" "$@"
EOF
  chmod 0755 "$stage/et-run" "$stage/bin/et-run"
  publish
  echo "cross-build: wrote $out (untested here: run it on a device, see docs/android.md)"
}

case "$target" in
  aarch64) build_aarch64 ;;
  android-arm64) build_android ;;
esac
