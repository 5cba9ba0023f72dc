#!/usr/bin/env bash
# Makes .venv at the repo root with torch, executorch and etkit (built from
# this checkout, C++ included). Running it again only rebuilds what changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# System packages: a C++ compiler and the header-only libraries the C++ core uses.
need_apt=()
command -v g++ >/dev/null || need_apt+=(g++)
[ -f /usr/include/CLI/CLI.hpp ] || need_apt+=(libcli11-dev)
[ -f /usr/include/nlohmann/json.hpp ] || need_apt+=(nlohmann-json3-dev)
[ -f /usr/include/gtest/gtest.h ] || need_apt+=(libgtest-dev)
command -v flatc >/dev/null || need_apt+=(flatbuffers-compiler libflatbuffers-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (apt)"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
py=.venv/bin/python
# torch first and pinned: the CPU build of 2.13.0; an unpinned torch would pull a CUDA build.
if ! $py -c "import torch, executorch" 2>/dev/null; then
  echo "setup: installing torch 2.13.0 and executorch 1.5.1 (a few minutes the first time)"
  $py -m pip install -q --upgrade pip
  $py -m pip install -q torch==2.13.0 executorch==1.5.1
fi
$py -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" "cmake>=3.28" ninja pytest numpy
# etkit compare's optional runtimes and plot (also what the tests of compare use).
$py -m pip install -q onnx onnxruntime onnxscript matplotlib

echo "setup: building and installing etkit (C++ core, et-run, Python module)"
# No build isolation: the build needs the executorch wheel's C++ SDK, which is
# in this environment (an isolated build would download torch again).
$py -m pip install -q --no-build-isolation --no-deps .
echo "setup: done. Activate with: source .venv/bin/activate"
