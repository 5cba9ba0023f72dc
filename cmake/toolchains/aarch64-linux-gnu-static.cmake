# Fully static 64-bit ARM Linux executables with Debian's g++-aarch64-linux-gnu.
# One file with no dependencies: it runs on any ARM64 Linux board and on
# Android from `adb shell` (the kernel runs a static ELF; bionic's linker is
# never involved). Used both for ExecuTorch's source build and for etkit's.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/static-common.cmake)
