# Builds ExecuTorch from source for the toolchain in use, once, into a cache
# outside the checkout, and points ETKIT_EXECUTORCH_ROOT at the install.
#
# ExecuTorch publishes no SDK for static or Android builds, so the static
# device presets build one. Done at configure time (not ExternalProject) so
# that find_package(executorch) and ExecuTorch's codegen helpers (selective
# builds) are there for etkit's own targets; the build shows ninja's progress.
#
# Where the source comes from, first match wins:
#   ETKIT_EXECUTORCH_SOURCE (environment, or cache variable): an archive laid
#     out as shared/vendor's (executorch-src/{executorch,kleidiai}) or a folder
#     (ExecuTorch's checkout with its submodules, or one holding executorch/
#     and kleidiai/);
#   ../shared/vendor/executorch-src-<commit>.tar.xz beside the checkout;
#   a git clone of pytorch/executorch at ETKIT_EXECUTORCH_COMMIT with the
#     submodules this build uses (XNNPACK then downloads KleidiAI itself).
# The cache (ETKIT_CACHE in the environment, default ~/.cache/etkit) holds
# executorch/<arch>-<key>/{src,build,install}. The key hashes every input of
# the build: the source, the compiler, the toolchain and options files, the
# arguments below, flatc's and torch's versions (codegen and the optimized
# kernels use torch). A second build and CI on the same machine reuse it; a
# change of any input makes a new one.
set(ETKIT_EXECUTORCH_COMMIT cff6f4dd32e630945b7188512c1f2b4f102b05ad)
string(SUBSTRING "${ETKIT_EXECUTORCH_COMMIT}" 0 8 _etkit_short_commit)

# The environment wins over a value an earlier configure of this build folder cached.
set(ETKIT_EXECUTORCH_SOURCE "" CACHE STRING
    "ExecuTorch source for the static device build: an archive or a folder (empty: shared/vendor, else git)")
if(DEFINED ENV{ETKIT_EXECUTORCH_SOURCE})
  set(ETKIT_EXECUTORCH_SOURCE "$ENV{ETKIT_EXECUTORCH_SOURCE}" CACHE STRING "" FORCE)
endif()
set(ETKIT_CACHE_DIR "$ENV{HOME}/.cache/etkit" CACHE PATH "Builds kept outside the checkout (ExecuTorch from source)")
if(DEFINED ENV{ETKIT_CACHE})  # not XDG_CACHE_HOME: tests point that at temporary folders
  set(ETKIT_CACHE_DIR "$ENV{ETKIT_CACHE}" CACHE PATH "" FORCE)
endif()
set(ETKIT_EXECUTORCH_OPTIONS "${CMAKE_CURRENT_LIST_DIR}/executorch/static-device.cmake" CACHE FILEPATH
    "Initial cache of ExecuTorch options for the device build")
cmake_host_system_information(RESULT _etkit_cores QUERY NUMBER_OF_LOGICAL_CORES)
set(ETKIT_EXECUTORCH_JOBS "${_etkit_cores}" CACHE STRING "Parallel jobs of the ExecuTorch source build")

# --- the source and what identifies it -------------------------------------
set(_etkit_src "${ETKIT_EXECUTORCH_SOURCE}")
if(_etkit_src AND NOT IS_ABSOLUTE "${_etkit_src}")
  message(FATAL_ERROR "etkit: ETKIT_EXECUTORCH_SOURCE must be an absolute path, not ${_etkit_src}")
endif()
if(NOT _etkit_src)
  get_filename_component(_etkit_vendor
    "${PROJECT_SOURCE_DIR}/../shared/vendor/executorch-src-${_etkit_short_commit}.tar.xz" ABSOLUTE)
  if(EXISTS "${_etkit_vendor}")
    set(_etkit_src "${_etkit_vendor}")
  endif()
endif()
if(NOT _etkit_src)
  set(_etkit_src_kind git)
  set(_etkit_src_id "git ${ETKIT_EXECUTORCH_COMMIT}")
  set(_etkit_src_name "${_etkit_short_commit}")
elseif(IS_DIRECTORY "${_etkit_src}")
  set(_etkit_src_kind folder)
  # A folder is taken as it stands: its path and, in a git checkout, its
  # commit, its submodules' and a hash of what differs from them.
  set(_etkit_git_dir "${_etkit_src}")
  if(EXISTS "${_etkit_src}/executorch/CMakeLists.txt")
    set(_etkit_git_dir "${_etkit_src}/executorch")
  endif()
  execute_process(COMMAND git -C "${_etkit_git_dir}" rev-parse HEAD
                  OUTPUT_VARIABLE _etkit_src_rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND git -C "${_etkit_git_dir}" submodule status --recursive
                  OUTPUT_VARIABLE _etkit_src_subs ERROR_QUIET)
  execute_process(COMMAND git -C "${_etkit_git_dir}" diff HEAD
                  OUTPUT_VARIABLE _etkit_src_diff ERROR_QUIET)
  string(SHA256 _etkit_src_diff "${_etkit_src_subs}${_etkit_src_diff}")
  set(_etkit_src_id "folder ${_etkit_src} ${_etkit_src_rev} ${_etkit_src_diff}")
  get_filename_component(_etkit_src_name "${_etkit_src}" NAME)
  if(_etkit_src_rev)
    string(SUBSTRING "${_etkit_src_rev}" 0 8 _etkit_src_rev)
    string(APPEND _etkit_src_name " ${_etkit_src_rev}")
  endif()
elseif(EXISTS "${_etkit_src}")
  set(_etkit_src_kind archive)
  file(SHA256 "${_etkit_src}" _etkit_src_sha)
  set(_etkit_src_id "archive ${_etkit_src_sha}")
  if(_etkit_src STREQUAL _etkit_vendor)
    set(_etkit_src_name "${_etkit_short_commit}")
  else()
    get_filename_component(_etkit_src_name "${_etkit_src}" NAME)
  endif()
else()
  message(FATAL_ERROR "etkit: ETKIT_EXECUTORCH_SOURCE=${_etkit_src} is neither an archive nor a folder")
endif()
set(ETKIT_EXECUTORCH_SOURCE_NAME "${_etkit_src_name}")  # for version strings

# --- the tools the build runs on the host ----------------------------------
# Codegen runs torchgen (torch) and PyYAML; the executorch wheel's flatc (the
# version of ExecuTorch's own flatbuffers) serves ExecuTorch's build and
# etkit's readers, below.
find_package(Python COMPONENTS Interpreter REQUIRED)
# Found without importing them (importing torch costs seconds at every configure).
execute_process(
  COMMAND "${Python_EXECUTABLE}" -c [=[
import importlib.metadata as md, importlib.util as iu, os
for name in ("torchgen", "yaml"):
    assert iu.find_spec(name), name
print(md.version("torch"))
print(os.path.join(iu.find_spec("executorch").submodule_search_locations[0], "data", "bin", "flatc"))
]=]
  OUTPUT_VARIABLE _etkit_py OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _etkit_rc ERROR_QUIET)
if(NOT _etkit_rc EQUAL 0)
  message(FATAL_ERROR "etkit: building ExecuTorch needs torch (torchgen), PyYAML and the executorch wheel (its "
                      "flatc) in ${Python_EXECUTABLE}: run scripts/setup.sh, or set Python_EXECUTABLE")
endif()
string(REPLACE "\n" ";" _etkit_py "${_etkit_py}")
list(GET _etkit_py 0 _etkit_torch_version)
list(GET _etkit_py 1 _etkit_flatc)
execute_process(COMMAND "${_etkit_flatc}" --version OUTPUT_VARIABLE _etkit_flatc_version
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _etkit_rc ERROR_QUIET)
if(NOT _etkit_rc EQUAL 0)
  message(FATAL_ERROR "etkit: cannot run the executorch wheel's flatc (${_etkit_flatc})")
endif()
execute_process(COMMAND "${CMAKE_CXX_COMPILER}" --version
                OUTPUT_VARIABLE _etkit_cxx_version RESULT_VARIABLE _etkit_rc ERROR_QUIET)
if(NOT _etkit_rc EQUAL 0)
  message(FATAL_ERROR "etkit: cannot run the compiler ${CMAKE_CXX_COMPILER}")
endif()

# --- ExecuTorch's configure arguments, besides paths inside the cache ------
set(_etkit_args -G Ninja -C "${ETKIT_EXECUTORCH_OPTIONS}" -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE})
# A static link names libm's archive (ExecuTorch's find_library would take
# the shared one); the NDK's toolchain file needs its ABI and platform again.
if(EXISTS "${CMAKE_FIND_ROOT_PATH}/lib/libm.a")
  list(APPEND _etkit_args -DLIBM=${CMAKE_FIND_ROOT_PATH}/lib/libm.a)
endif()
foreach(_v IN ITEMS ANDROID_ABI ANDROID_PLATFORM ANDROID_STL)
  if(DEFINED ${_v})
    list(APPEND _etkit_args -D${_v}=${${_v}})
  endif()
endforeach()
# KleidiAI's kernels are for AArch64 only.
if(CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64")
  list(APPEND _etkit_args -DEXECUTORCH_XNNPACK_ENABLE_KLEIDI=ON)
else()
  list(APPEND _etkit_args -DEXECUTORCH_XNNPACK_ENABLE_KLEIDI=OFF)
endif()

# --- the key: every input above. Paths into the checkout or its venv differ
# between clones (CI builds a fresh one), so the files enter by content and
# the tools by version: a clone reuses what another built. -----------------
string(REPLACE "${PROJECT_SOURCE_DIR}/" "" _etkit_key_args "${_etkit_args}")
set(_etkit_key_text "${_etkit_src_id}\n${_etkit_cxx_version}\n${CMAKE_SYSTEM_PROCESSOR}\n${_etkit_key_args}\n"
                    "torch ${_etkit_torch_version}\n${_etkit_flatc_version}\n")
foreach(_f IN ITEMS "${CMAKE_TOOLCHAIN_FILE}" "${CMAKE_CURRENT_LIST_DIR}/toolchains/static-common.cmake"
                    "${ETKIT_EXECUTORCH_OPTIONS}")
  file(READ "${_f}" _etkit_text)
  string(APPEND _etkit_key_text "${_etkit_text}\n")
endforeach()
string(SHA256 _etkit_key "${_etkit_key_text}")
string(SUBSTRING "${_etkit_key}" 0 12 _etkit_key)
set(_etkit_dir "${ETKIT_CACHE_DIR}/executorch/${CMAKE_SYSTEM_PROCESSOR}-${_etkit_key}")
set(ETKIT_EXECUTORCH_ROOT "${_etkit_dir}/install")
set(ETKIT_EXECUTORCH_SOURCE_DIR "${_etkit_dir}/src/executorch-src/executorch")
set(ETKIT_EXECUTORCH_BUILD_DIR "${_etkit_dir}/build")

function(_etkit_run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "etkit: ${what} failed (${rc}); the partial build is in ${_etkit_dir}")
  endif()
endfunction()

# --- build once, under a lock (two configures may race for the same key) ----
file(MAKE_DIRECTORY "${ETKIT_CACHE_DIR}/executorch")
file(LOCK "${_etkit_dir}.lock" GUARD FILE TIMEOUT 0 RESULT_VARIABLE _etkit_lock)
if(_etkit_lock)
  message(STATUS "etkit: waiting for another build of ${_etkit_dir} to finish")
  file(LOCK "${_etkit_dir}.lock" GUARD FILE TIMEOUT 7200 RESULT_VARIABLE _etkit_lock)
  if(_etkit_lock)
    message(FATAL_ERROR "etkit: cannot lock ${_etkit_dir}.lock: ${_etkit_lock}")
  endif()
endif()
if(NOT EXISTS "${_etkit_dir}/complete")
  message(STATUS "etkit: building ExecuTorch from source for ${CMAKE_SYSTEM_PROCESSOR} into ${_etkit_dir} "
                 "(${_etkit_src_kind}; about 15 minutes on 2 cores, once per source and options)")
  string(TIMESTAMP _etkit_start "%s")
  file(REMOVE_RECURSE "${_etkit_dir}/src" "${_etkit_dir}/build" "${_etkit_dir}/install")
  file(MAKE_DIRECTORY "${_etkit_dir}/src")
  # A private copy of the source laid out as the archive is: ExecuTorch's
  # build writes into its tree (flatcc's runtime library), so two targets
  # must not share one.
  if(_etkit_src_kind STREQUAL "archive")
    file(ARCHIVE_EXTRACT INPUT "${_etkit_src}" DESTINATION "${_etkit_dir}/src")
  elseif(_etkit_src_kind STREQUAL "folder" AND EXISTS "${_etkit_src}/executorch/CMakeLists.txt")
    file(COPY "${_etkit_src}/" DESTINATION "${_etkit_dir}/src/executorch-src" PATTERN ".git" EXCLUDE)
  elseif(_etkit_src_kind STREQUAL "folder")  # ExecuTorch's own checkout
    file(COPY "${_etkit_src}/" DESTINATION "${ETKIT_EXECUTORCH_SOURCE_DIR}" PATTERN ".git" EXCLUDE)
  else()
    # Unverified here (no GitHub from the machines etkit is developed on).
    # Only the submodules this build compiles (shared/vendor's MANIFEST.md).
    find_package(Git REQUIRED)
    _etkit_run("cloning pytorch/executorch" "${GIT_EXECUTABLE}" clone --filter=blob:none
               https://github.com/pytorch/executorch.git "${ETKIT_EXECUTORCH_SOURCE_DIR}")
    _etkit_run("checking out ${ETKIT_EXECUTORCH_COMMIT}" "${GIT_EXECUTABLE}" -C "${ETKIT_EXECUTORCH_SOURCE_DIR}"
               checkout -q ${ETKIT_EXECUTORCH_COMMIT})
    _etkit_run("fetching ExecuTorch's submodules" "${GIT_EXECUTABLE}" -C "${ETKIT_EXECUTORCH_SOURCE_DIR}"
               submodule update --init --recursive --
               backends/xnnpack/third-party/XNNPACK backends/xnnpack/third-party/cpuinfo
               backends/xnnpack/third-party/pthreadpool backends/xnnpack/third-party/FXdiv
               third-party/flatbuffers third-party/flatcc third-party/gflags third-party/json
               third-party/pocketfft kernels/optimized/third-party/eigen)
  endif()
  if(NOT EXISTS "${ETKIT_EXECUTORCH_SOURCE_DIR}/CMakeLists.txt")
    message(FATAL_ERROR "etkit: ${_etkit_src} is not laid out as ExecuTorch's source: no "
                        "executorch-src/executorch/CMakeLists.txt in the archive (see shared/vendor/MANIFEST.md)")
  endif()

  set(_etkit_paths -DCMAKE_INSTALL_PREFIX=${_etkit_dir}/install -DPYTHON_EXECUTABLE=${Python_EXECUTABLE}
                   -DFLATC_EXECUTABLE=${_etkit_flatc})
  if(CMAKE_MAKE_PROGRAM)
    list(APPEND _etkit_paths -DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM})
  endif()
  # KleidiAI from beside the source when it is there, so that XNNPACK does not download it.
  get_filename_component(_etkit_kleidi "${ETKIT_EXECUTORCH_SOURCE_DIR}/../kleidiai" ABSOLUTE)
  if(EXISTS "${_etkit_kleidi}/CMakeLists.txt")
    list(APPEND _etkit_paths -DKLEIDIAI_SOURCE_DIR=${_etkit_kleidi})
  endif()
  _etkit_run("configuring ExecuTorch" "${CMAKE_COMMAND}" -S "${ETKIT_EXECUTORCH_SOURCE_DIR}"
             -B "${_etkit_dir}/build" ${_etkit_args} ${_etkit_paths})
  _etkit_run("building ExecuTorch" "${CMAKE_COMMAND}" --build "${_etkit_dir}/build" -j ${ETKIT_EXECUTORCH_JOBS})
  _etkit_run("installing ExecuTorch" "${CMAKE_COMMAND}" --install "${_etkit_dir}/build")
  string(TIMESTAMP _etkit_end "%s")
  math(EXPR _etkit_seconds "${_etkit_end} - ${_etkit_start}")
  file(WRITE "${_etkit_dir}/complete" "source: ${_etkit_src_id}\nseconds: ${_etkit_seconds}\n")
  message(STATUS "etkit: ExecuTorch built in ${_etkit_seconds} s")
endif()
file(LOCK "${_etkit_dir}.lock" RELEASE)

# In one static executable the runtime's flatbuffers and etkit's readers'
# share every inline function (the linker keeps one copy of each): both must
# be ExecuTorch's own version, not Debian's (EtkitFlatbuffers.cmake).
set(ETKIT_FLATBUFFERS_INCLUDE_DIR "${ETKIT_EXECUTORCH_SOURCE_DIR}/third-party/flatbuffers/include"
    CACHE PATH "flatbuffers headers (ExecuTorch's, for a static build)" FORCE)
set(ETKIT_FLATC "${_etkit_flatc}" CACHE FILEPATH "flatc of the same version as the headers" FORCE)
