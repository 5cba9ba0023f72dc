# Finds the ExecuTorch C++ SDK that the executorch wheel ships (headers,
# shared libraries and a CMake package under site-packages/executorch).
# A cross build points ETKIT_EXECUTORCH_ROOT at the wheel for its target; the
# static device presets build ExecuTorch from source (EtkitExecutorchBuild).
option(ETKIT_EXECUTORCH_FROM_SOURCE "Build ExecuTorch from source for this toolchain (static device runners)" OFF)
if(ETKIT_EXECUTORCH_FROM_SOURCE)
  include(EtkitExecutorchBuild)
elseif(NOT ETKIT_EXECUTORCH_ROOT)
  find_package(Python COMPONENTS Interpreter REQUIRED)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c "import executorch; print(list(executorch.__path__)[0])"
    OUTPUT_VARIABLE _etkit_et_root OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _etkit_et_rc ERROR_QUIET)
  if(NOT _etkit_et_rc EQUAL 0)
    message(FATAL_ERROR "etkit: ${Python_EXECUTABLE} cannot import executorch. "
                        "Run scripts/setup.sh, or set ETKIT_EXECUTORCH_ROOT to an ExecuTorch SDK.")
  endif()
  set(ETKIT_EXECUTORCH_ROOT "${_etkit_et_root}" CACHE PATH "Root of the ExecuTorch C++ SDK" FORCE)
endif()

if(EXISTS "${ETKIT_EXECUTORCH_ROOT}/lib/cmake/ExecuTorch/executorch-config.cmake")
  include(EtkitExecutorchSource)  # an SDK built from ExecuTorch's source (Android)
else()
  # The package's find root rules must not reroot this path into a sysroot.
  set(executorch_DIR "${ETKIT_EXECUTORCH_ROOT}/lib/cmake/executorch")
  find_package(executorch REQUIRED CONFIG
    COMPONENTS kernels_optimized kernels_quantized backend_xnnpack threadpool etdump
    NO_CMAKE_FIND_ROOT_PATH)
endif()
message(STATUS "etkit: ExecuTorch SDK ${EXECUTORCH_BUILD_VERSION} at ${ETKIT_EXECUTORCH_ROOT}")
set(ETKIT_EXECUTORCH_LIBDIR "${ETKIT_EXECUTORCH_ROOT}/lib")
set(ETKIT_EXECUTORCH_VERSION "${EXECUTORCH_BUILD_VERSION}")
# Where the schemas (.fbs) are: the wheel ships them; a source build has them in its tree.
if(ETKIT_EXECUTORCH_FROM_SOURCE)
  set(ETKIT_EXECUTORCH_SCHEMA_ROOT "${ETKIT_EXECUTORCH_SOURCE_DIR}")
else()
  set(ETKIT_EXECUTORCH_SCHEMA_ROOT "${ETKIT_EXECUTORCH_ROOT}")
endif()
