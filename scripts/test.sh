#!/usr/bin/env bash
# Runs every test: the C++ tests through ctest (host preset), then pytest.
# Brings .venv and the installed etkit up to date with this checkout first.
# Extra arguments go to pytest (e.g. scripts/test.sh -k runner -x).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"

echo "== C++ tests (ctest --preset host)"
cmake --preset host >/dev/null
cmake --build --preset host
ctest --preset host

echo "== Python tests (pytest)"
python -m pytest "$@"
