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
# torch first and pinned: the CPU build of 2.13.0. On Linux x86_64 PyPI's
# torch bundles CUDA (gigabytes); the CPU build is 2.13.0+cpu. Taken, in order:
# a wheel named by ETKIT_TORCH_WHEEL, one pip already finds without an index
# (its find-links), else PyTorch's CPU index. Only that last step uses the
# network, so a machine with a local wheel never waits on an unreachable host.
TORCH_VERSION=2.13.0
TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu
if [ "$(uname -s)" = Linux ]; then torch_spec="torch==$TORCH_VERSION+cpu"; else torch_spec="torch==$TORCH_VERSION"; fi
if ! $py -c "import torch, executorch" 2>/dev/null; then
  echo "setup: installing torch $TORCH_VERSION (CPU) and executorch 1.5.1 (a few minutes the first time)"
  $py -m pip install -q --upgrade pip
  if [ -n "${ETKIT_TORCH_WHEEL:-}" ]; then
    $py -m pip install -q --no-deps "$ETKIT_TORCH_WHEEL"
  elif ! $py -m pip install -q --no-deps --no-index "$torch_spec" 2>/dev/null; then
    echo "setup: fetching $torch_spec from PyTorch's CPU index ($TORCH_CPU_INDEX)"
    $py -m pip install -q --no-deps --retries 2 --timeout 30 --index-url "$TORCH_CPU_INDEX" "$torch_spec" ||
      { echo "setup: error: could not get $torch_spec; set ETKIT_TORCH_WHEEL=/path/to/torch-$TORCH_VERSION+cpu-*.whl" >&2; exit 1; }
  fi
  # torch's own dependencies and executorch from PyPI; the torch above satisfies both pins.
  $py -m pip install -q "torch==$TORCH_VERSION" executorch==1.5.1
fi
$py -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" "cmake>=3.28" ninja pytest numpy
# scripts/build-wheel.sh: wheel tags and the manylinux check.
$py -m pip install -q auditwheel wheel
# etkit compare's optional runtimes and plot (also what the tests of compare use).
# LiteRT: litert-torch converts (no TensorFlow), ai-edge-litert runs; both
# accept torch 2.13. Its xdsl pins typing-extensions<4.13, which the cattrs
# already here (26.x, from executorch's coremltools) refuses: naming cattrs
# lets pip pick one that fits both (25.x) instead of leaving a conflict.
$py -m pip install -q onnx onnxruntime onnxscript matplotlib litert-torch==0.10.0 ai-edge-litert==2.3.0 cattrs

echo "setup: building and installing etkit (C++ core, et-run, Python module)"
# No build isolation: the build needs the executorch wheel's C++ SDK, which is
# in this environment (an isolated build would download torch again).
$py -m pip install -q --no-build-isolation --no-deps .
echo "setup: done. Activate with: source .venv/bin/activate"
