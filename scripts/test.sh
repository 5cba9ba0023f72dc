#!/usr/bin/env bash
# Runs every test: the C++ tests through ctest (host preset), then pytest.
# Brings .venv and the installed etkit up to date with this checkout first.
# Extra arguments go to pytest (e.g. scripts/test.sh -k runner -x).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/setup.sh
# The device tests (tests/test_device_*.py) drive a real sshd on 127.0.0.1 and
# run the ARM64 runner under qemu-user; adb is a stand-in script in tests/.
# Cross compilers come with scripts/cross-build.sh, which installs them.
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null && command -v scp >/dev/null || need+=(openssh-client)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
# tests/test_static.py runs a device bundle's run.sh with Android's shell, mksh.
command -v mksh >/dev/null || need+=(mksh)
if [ ${#need[@]} -gt 0 ]; then
  echo "test: installing ${need[*]} (apt)"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export PATH="$root/.venv/bin:$PATH"

echo "== C++ tests (ctest --preset host)"
cmake --preset host >/dev/null
cmake --build --preset host
ctest --preset host

echo "== Python tests (pytest)"
python -m pytest "$@"
