# Fully static 32-bit ARM Linux executables (ARMv7-A, NEON, hard float) with
# Debian's g++-arm-linux-gnueabihf: boards on a 32-bit OS and armeabi-v7a
# Android devices. Used both for ExecuTorch's source build and for etkit's.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
set(_etkit_arch_flags "-march=armv7-a -mfpu=neon -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/static-common.cmake)
