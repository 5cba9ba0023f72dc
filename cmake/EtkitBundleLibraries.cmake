# Install-time half of a bundle (EtkitDeviceInstall.cmake): copies every
# shared library bin/et-run loads, transitively, into lib/, glibc's loader
# among them, and the licences of what it copied. Resolved only in the given
# folders (the ExecuTorch SDK, the target's glibc and libstdc++), never in
# the build machine's own: a cross bundle must not pick up x86_64 files.
#
# In: ETKIT_BUNDLE_EXE, ETKIT_BUNDLE_DIRS, ETKIT_BUNDLE_LOADER, ETKIT_BUNDLE_OBJDUMP,
#     ETKIT_BUNDLE_LICENSES (the folder holding the SDK's *.dist-info, if any),
#     ETKIT_BUNDLE_DEB_SUFFIX (Debian's package suffix of the target's glibc: -arm64-cross, ...).
set(CMAKE_GET_RUNTIME_DEPENDENCIES_PLATFORM "linux+elf")
set(CMAKE_GET_RUNTIME_DEPENDENCIES_TOOL "objdump")
set(CMAKE_GET_RUNTIME_DEPENDENCIES_COMMAND "${ETKIT_BUNDLE_OBJDUMP}")
file(GET_RUNTIME_DEPENDENCIES
  EXECUTABLES "${ETKIT_BUNDLE_EXE}"
  DIRECTORIES ${ETKIT_BUNDLE_DIRS}
  RESOLVED_DEPENDENCIES_VAR _etkit_resolved
  UNRESOLVED_DEPENDENCIES_VAR _etkit_unresolved
  CONFLICTING_DEPENDENCIES_PREFIX _etkit_conflict)
if(_etkit_unresolved)
  message(FATAL_ERROR "etkit: bin/et-run needs ${_etkit_unresolved}, found in none of: ${ETKIT_BUNDLE_DIRS}")
endif()
set(_etkit_mode OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
get_filename_component(_etkit_lib "${ETKIT_BUNDLE_EXE}" DIRECTORY)
set(_etkit_lib "${_etkit_lib}/../lib")
file(MAKE_DIRECTORY "${_etkit_lib}")
foreach(_dep IN LISTS _etkit_resolved)
  get_filename_component(_name "${_dep}" NAME)
  file(REAL_PATH "${_dep}" _real)
  message(STATUS "Bundling: lib/${_name}")
  file(COPY_FILE "${_real}" "${_etkit_lib}/${_name}" ONLY_IF_DIFFERENT)
  file(CHMOD "${_etkit_lib}/${_name}" PERMISSIONS ${_etkit_mode})
endforeach()
# libc names the loader as its interpreter, not as a dependency: copy it too.
foreach(_dir IN LISTS ETKIT_BUNDLE_DIRS)
  if(EXISTS "${_dir}/${ETKIT_BUNDLE_LOADER}")
    file(REAL_PATH "${_dir}/${ETKIT_BUNDLE_LOADER}" _real)
    file(COPY_FILE "${_real}" "${_etkit_lib}/${ETKIT_BUNDLE_LOADER}" ONLY_IF_DIFFERENT)
    file(CHMOD "${_etkit_lib}/${ETKIT_BUNDLE_LOADER}" PERMISSIONS ${_etkit_mode})
    break()
  endif()
endforeach()
if(NOT EXISTS "${_etkit_lib}/${ETKIT_BUNDLE_LOADER}")
  message(FATAL_ERROR "etkit: no ${ETKIT_BUNDLE_LOADER} in ${ETKIT_BUNDLE_DIRS}")
endif()

# Licences: ExecuTorch's (the wheel's dist-info) and Debian's for glibc, libstdc++, libgcc.
file(GLOB _etkit_et_licenses "${ETKIT_BUNDLE_LICENSES}/executorch-*.dist-info/licenses/*")
set(_etkit_deb_licenses "")
foreach(_pkg IN ITEMS libc6 libstdc++6 libgcc-s1)
  if(EXISTS "/usr/share/doc/${_pkg}${ETKIT_BUNDLE_DEB_SUFFIX}/copyright")
    list(APPEND _etkit_deb_licenses "/usr/share/doc/${_pkg}${ETKIT_BUNDLE_DEB_SUFFIX}/copyright")
  endif()
endforeach()
file(MAKE_DIRECTORY "${_etkit_lib}/../licenses")
foreach(_f IN LISTS _etkit_et_licenses)
  file(COPY "${_f}" DESTINATION "${_etkit_lib}/../licenses")
endforeach()
foreach(_f IN LISTS _etkit_deb_licenses)
  get_filename_component(_pkg "${_f}" DIRECTORY)
  get_filename_component(_pkg "${_pkg}" NAME)
  file(COPY_FILE "${_f}" "${_etkit_lib}/../licenses/${_pkg}.copyright")
endforeach()
