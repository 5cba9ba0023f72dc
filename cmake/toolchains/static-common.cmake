# What every static device toolchain shares (included by the per-target files,
# which set the compilers, CMAKE_FIND_ROOT_PATH and optionally _etkit_arch_flags).

# Libraries and headers for the target come from the cross sysroot; programs
# (flatc, codegen) run on the build host. Header-only host packages (CLI11)
# are found with NO_CMAKE_FIND_ROOT_PATH where they are used.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Size without cost in speed: one section per function and object, so that the
# linker drops what nothing reaches (--gc-sections), the operators a selective
# build leaves out above all. -static: no loader, no shared libraries.
set(CMAKE_C_FLAGS_INIT "${_etkit_arch_flags} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${_etkit_arch_flags} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${_etkit_arch_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -Wl,--gc-sections")

# try_run and tests run the target's binaries under Debian's qemu-user.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${CMAKE_SYSTEM_PROCESSOR})
if(CMAKE_SYSTEM_PROCESSOR STREQUAL "armv7")
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm)
endif()
