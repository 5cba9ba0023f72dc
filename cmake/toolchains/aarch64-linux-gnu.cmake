# Cross build for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu.
# The ExecuTorch SDK comes from the aarch64 executorch wheel (ETKIT_EXECUTORCH_ROOT,
# set by the aarch64-linux preset; scripts/cross-build.sh downloads it).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Libraries and headers for the target come from the cross sysroot; programs
# (flatc) run on the build host. Header-only host packages (CLI11,
# nlohmann-json) are found with NO_CMAKE_FIND_ROOT_PATH where they are used:
# Debian's cross g++ searches /usr/include after its own sysroot.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The preset points at the SDK that scripts/cross-build.sh downloads: say so
# rather than let find_package(executorch) fail with a generic message.
if(ETKIT_EXECUTORCH_ROOT AND NOT EXISTS "${ETKIT_EXECUTORCH_ROOT}/lib/cmake/executorch")
  message(FATAL_ERROR "etkit: no ARM64 ExecuTorch SDK at ${ETKIT_EXECUTORCH_ROOT}. "
                      "Run scripts/cross-build.sh aarch64 DIR, which downloads it (third_party/README.md).")
endif()
