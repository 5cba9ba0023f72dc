#!/usr/bin/env bash
# The core under AddressSanitizer and UndefinedBehaviorSanitizer (preset
# host-sanitize): the C++ tests through ctest, then the pytest files that
# drive et-run (including the fuzzing test) against the sanitized et-run.
# Expects scripts/setup.sh to have run (scripts/test.sh does). The executorch
# libraries from the wheel are not instrumented: this checks etkit's code and
# what it hands the runtime. About 4 minutes on 2 cores, most of it the build.
# Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"

echo "== C++ tests under ASan+UBSan (ctest --preset host-sanitize)"
cmake --preset host-sanitize >/dev/null
cmake --build --preset host-sanitize --target et-run etkit_core_tests
# A sanitizer report exits 86, never 1, so it can't pass for a refused program.
export ASAN_OPTIONS="exitcode=86:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1"
ctest --preset host-sanitize

echo "== et-run tests with the sanitized et-run"
ETKIT_ET_RUN="$root/build/host-sanitize/cpp/tools/et-run" python -m pytest tests/test_et_run.py tests/test_fuzz.py "$@"
