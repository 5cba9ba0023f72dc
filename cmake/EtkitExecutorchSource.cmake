# Maps an ExecuTorch *source* install (ExecuTorch's own `cmake --install`, the
# only way to get an SDK for Android) onto the executorch::* targets that the
# wheel's CMake package defines and that cpp/ links.
#
# Written from ExecuTorch's tools/cmake/executorch-config.cmake (1.x): it
# defines unprefixed imported static libraries. Kernel and delegate archives
# register themselves from static initialisers, so they are linked whole.
# Unverified on these machines (no NDK): see docs/android.md.
find_package(executorch REQUIRED CONFIG PATHS "${ETKIT_EXECUTORCH_ROOT}/lib/cmake/ExecuTorch"
             NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)

function(_etkit_map name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "WHOLE;LINK;DEFINES")
  add_library(executorch::${name} INTERFACE IMPORTED)
  foreach(lib IN LISTS arg_WHOLE)
    if(NOT TARGET ${lib})
      message(FATAL_ERROR "etkit: the ExecuTorch SDK at ${ETKIT_EXECUTORCH_ROOT} lacks ${lib}; "
                          "rebuild it with the options in docs/android.md")
    endif()
    target_link_libraries(executorch::${name} INTERFACE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${lib}>")
  endforeach()
  foreach(lib IN LISTS arg_LINK)
    if(TARGET ${lib})
      target_link_libraries(executorch::${name} INTERFACE ${lib})
    endif()
  endforeach()
  target_compile_definitions(executorch::${name} INTERFACE ${arg_DEFINES})
endfunction()

_etkit_map(runtime WHOLE prim_ops_lib LINK executorch executorch_core extension_data_loader
           DEFINES C10_USING_CUSTOM_GENERATED_MACROS ET_EVENT_TRACER_ENABLED ET_USE_THREADPOOL)
_etkit_map(threadpool LINK extension_threadpool cpuinfo pthreadpool)
_etkit_map(kernels_optimized WHOLE optimized_native_cpu_ops_lib
           LINK optimized_kernels optimized_portable_kernels portable_kernels cpublas eigen_blas)
_etkit_map(kernels_quantized WHOLE quantized_ops_lib LINK quantized_kernels)
_etkit_map(backend_xnnpack WHOLE xnnpack_backend
           LINK XNNPACK xnnpack-microkernels-prod kleidiai cpuinfo pthreadpool extension_threadpool)
_etkit_map(etdump LINK etdump flatccrt)
set(EXECUTORCH_BUILD_VERSION "source install")
