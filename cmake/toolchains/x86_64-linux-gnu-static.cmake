# Fully static x86-64 Linux executables with the host's own g++: ExecuTorch
# built from source for this machine's architecture, to measure it against
# the executorch wheel's runtime (benchmarks/PERF.md) and for x86-64 boards.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
set(CMAKE_FIND_ROOT_PATH /)
include(${CMAKE_CURRENT_LIST_DIR}/static-common.cmake)
