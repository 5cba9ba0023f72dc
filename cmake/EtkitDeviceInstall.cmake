# `cmake --install` of a device build writes what goes to the device
# (scripts/cross-build.sh installs into DIR):
#
#   ETKIT_DEVICE_LAYOUT=static   DIR/et-run (one static executable), README.txt
#   ETKIT_DEVICE_LAYOUT=bundle   DIR/bin/et-run, DIR/lib/ (every shared library
#                                it loads, glibc and its loader included),
#                                DIR/et-run (a launcher), README.txt, licenses/
#
# and DIR/runner.json in both: target, architecture, linkage, versions and
# the programs a selective build was made for (tools read it, people need not).
set(ETKIT_DEVICE_TARGET "${ETKIT_DEVICE_LAYOUT}" CACHE STRING
    "Name of the device target, recorded in runner.json (scripts/cross-build.sh sets it)")

# uname -m's name for the architecture, and glibc's loader there.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(ETKIT_ARCH aarch64)
  set(ETKIT_ARCH_NAME "64-bit ARM (aarch64)")
  set(ETKIT_LOADER ld-linux-aarch64.so.1)
  set(ETKIT_QEMU qemu-aarch64)
  set(ETKIT_UNAME_PATTERN "aarch64 | arm64 | armv8*")
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^armv7")
  set(ETKIT_ARCH armv7l)
  set(ETKIT_ARCH_NAME "32-bit ARM (armv7l)")
  set(ETKIT_LOADER ld-linux-armhf.so.3)
  set(ETKIT_QEMU qemu-arm)
  set(ETKIT_UNAME_PATTERN "armv7* | armv8l")
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(ETKIT_ARCH x86_64)
  set(ETKIT_ARCH_NAME "x86_64")
  set(ETKIT_LOADER ld-linux-x86-64.so.2)
  set(ETKIT_QEMU qemu-x86_64)
  set(ETKIT_UNAME_PATTERN "x86_64")
else()
  message(FATAL_ERROR "etkit: no device layout for processor ${CMAKE_SYSTEM_PROCESSOR}")
endif()

set(ETKIT_SELECTED_PROGRAMS_JSON "")
set(ETKIT_SELECTION_NOTE "")
if(ETKIT_SELECTED_PROGRAMS)
  list(JOIN ETKIT_SELECTED_PROGRAMS "\", \"" _etkit_names)
  set(ETKIT_SELECTED_PROGRAMS_JSON "\"${_etkit_names}\"")
  list(JOIN ETKIT_SELECTED_PROGRAMS ", " _etkit_names)
  set(ETKIT_SELECTION_NOTE "\nSelective build: it registers only the ${ETKIT_SELECTED_OPERATOR_COUNT} operators that\n${_etkit_names} use.\nOther programs may need operators it lacks; it then names them.\n")
endif()
set(_etkit_gen "${CMAKE_CURRENT_BINARY_DIR}/device")
configure_file("${PROJECT_SOURCE_DIR}/cmake/device/runner.json.in" "${_etkit_gen}/runner.json" @ONLY)
install(FILES "${_etkit_gen}/runner.json" DESTINATION .)

if(ANDROID)  # the NDK's preset: one file, but bionic is Android's own
  set(ETKIT_LINKAGE_TEXT "One executable linked against Android's libc\n(bionic), with the C++ runtime inside: nothing else to copy.")
else()
  set(ETKIT_LINKAGE_TEXT "One statically linked executable:\nnothing else to copy, nothing to install on the device.")
endif()

if(ETKIT_DEVICE_LAYOUT STREQUAL "static")
  # The link map says where a static binary's bytes come from (benchmarks/size_report.py).
  target_link_options(et-run PRIVATE "-Wl,-Map=${CMAKE_CURRENT_BINARY_DIR}/et-run.map")
  configure_file("${PROJECT_SOURCE_DIR}/cmake/device/README-static.txt.in" "${_etkit_gen}/README.txt" @ONLY)
  install(TARGETS et-run RUNTIME DESTINATION .)
  install(FILES "${_etkit_gen}/README.txt" DESTINATION .)
elseif(ETKIT_DEVICE_LAYOUT STREQUAL "bundle")
  configure_file("${PROJECT_SOURCE_DIR}/cmake/device/README-bundle.txt.in" "${_etkit_gen}/README.txt" @ONLY)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/device/et-run-launcher.sh.in" "${_etkit_gen}/et-run" @ONLY)
  set_target_properties(et-run PROPERTIES INSTALL_RPATH "$ORIGIN/../lib")
  install(TARGETS et-run RUNTIME DESTINATION bin)
  # Only the bundle's lib/: not the SDK's build-machine path that ExecuTorch's
  # imported targets add as link options.
  install(CODE "file(RPATH_SET FILE \"\${CMAKE_INSTALL_PREFIX}/bin/et-run\" NEW_RPATH \"\$ORIGIN/../lib\")")
  install(PROGRAMS "${_etkit_gen}/et-run" DESTINATION .)
  install(FILES "${_etkit_gen}/README.txt" DESTINATION .)
  # Debian packages the cross glibc as libc6-arm64-cross, ... (licences).
  set(_etkit_deb_suffix "")
  if(CMAKE_CROSSCOMPILING AND ETKIT_ARCH STREQUAL "aarch64")
    set(_etkit_deb_suffix "-arm64-cross")
  elseif(CMAKE_CROSSCOMPILING AND ETKIT_ARCH STREQUAL "armv7l")
    set(_etkit_deb_suffix "-armhf-cross")
  endif()
  # Where the target's glibc and libstdc++ live: the compiler knows.
  execute_process(COMMAND "${CMAKE_CXX_COMPILER}" -print-file-name=libstdc++.so.6
                  OUTPUT_VARIABLE _etkit_cxxlib OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND "${CMAKE_CXX_COMPILER}" -print-file-name=libc.so.6
                  OUTPUT_VARIABLE _etkit_clib OUTPUT_STRIP_TRAILING_WHITESPACE)
  get_filename_component(_etkit_cxxdir "${_etkit_cxxlib}" REALPATH)
  get_filename_component(_etkit_cxxdir "${_etkit_cxxdir}" DIRECTORY)
  get_filename_component(_etkit_cdir "${_etkit_clib}" REALPATH)
  get_filename_component(_etkit_cdir "${_etkit_cdir}" DIRECTORY)
  install(CODE "
    set(ETKIT_BUNDLE_EXE \"\${CMAKE_INSTALL_PREFIX}/bin/et-run\")
    set(ETKIT_BUNDLE_DIRS \"${ETKIT_EXECUTORCH_LIBDIR};${_etkit_cdir};${_etkit_cxxdir}\")
    set(ETKIT_BUNDLE_LOADER \"${ETKIT_LOADER}\")
    set(ETKIT_BUNDLE_OBJDUMP \"${CMAKE_OBJDUMP}\")
    set(ETKIT_BUNDLE_LICENSES \"${ETKIT_EXECUTORCH_ROOT}/..\")
    set(ETKIT_BUNDLE_DEB_SUFFIX \"${_etkit_deb_suffix}\")
    include(\"${PROJECT_SOURCE_DIR}/cmake/EtkitBundleLibraries.cmake\")")
else()
  message(FATAL_ERROR "etkit: ETKIT_DEVICE_LAYOUT must be static or bundle, not '${ETKIT_DEVICE_LAYOUT}'")
endif()
