# ExecuTorch options for etkit's static device runtimes (an initial cache,
# passed to ExecuTorch's configure with -C). Everything et-run links on the
# host from the executorch wheel: the runtime, XNNPACK (with KleidiAI on
# AArch64), optimized, portable and quantized kernels, ETDump and bundled
# programs. Part of the cache key: change an option and the next build is a
# new one.
set(CMAKE_BUILD_TYPE Release CACHE STRING "")
# GCC 12 (Debian's cross compilers) crashes in the vectorizer on a KleidiAI C
# file at -O3; C at -O2 avoids it. C++ keeps CMake's -O3.
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "")

set(EXECUTORCH_BUILD_XNNPACK ON CACHE BOOL "")
set(EXECUTORCH_BUILD_KERNELS_OPTIMIZED ON CACHE BOOL "")
set(EXECUTORCH_BUILD_KERNELS_QUANTIZED ON CACHE BOOL "")
set(EXECUTORCH_BUILD_DEVTOOLS ON CACHE BOOL "")
set(EXECUTORCH_ENABLE_EVENT_TRACER ON CACHE BOOL "")
set(EXECUTORCH_ENABLE_BUNDLE_IO ON CACHE BOOL "")
set(EXECUTORCH_BUILD_EXTENSION_DATA_LOADER ON CACHE BOOL "")
set(EXECUTORCH_BUILD_EXTENSION_FLAT_TENSOR ON CACHE BOOL "")
set(EXECUTORCH_BUILD_EXTENSION_NAMED_DATA_MAP ON CACHE BOOL "")
set(EXECUTORCH_BUILD_EXTENSION_MODULE ON CACHE BOOL "")
set(EXECUTORCH_BUILD_EXTENSION_TENSOR ON CACHE BOOL "")
set(EXECUTORCH_BUILD_EXECUTOR_RUNNER OFF CACHE BOOL "")  # et-run is the runner
set(EXECUTORCH_ENABLE_LOGGING ON CACHE BOOL "")  # et-run quotes the runtime's own messages
set(EXECUTORCH_USE_DL OFF CACHE BOOL "")  # a static binary has no dlopen worth the name
# OPTIMIZE_SIZE adds -fno-exceptions, which breaks the optimized FFT kernels
# (pocketfft throws); section garbage collection (the toolchain file) and
# selective builds take the bytes instead.
set(EXECUTORCH_OPTIMIZE_SIZE OFF CACHE BOOL "")
set(BUILD_TESTING OFF CACHE BOOL "")
