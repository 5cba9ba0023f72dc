# Maps an ExecuTorch *source* install (ExecuTorch's own `cmake --install`,
# made by EtkitExecutorchBuild.cmake for the static device builds) onto the
# executorch::* targets that the wheel's CMake package defines and that cpp/
# links.
#
# ExecuTorch's tools/cmake/executorch-config.cmake defines unprefixed imported
# static libraries. Kernel and delegate archives register themselves from
# static initialisers, so they are linked whole. The install leaves out the
# devtools headers (ETDump): they come from the source tree and the build's
# generated headers.
find_package(executorch REQUIRED CONFIG PATHS "${ETKIT_EXECUTORCH_ROOT}/lib/cmake/ExecuTorch"
             NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)

if(ETKIT_SELECT_OPS_MODELS)
  include(EtkitSelectiveKernels)  # defines etkit_selected_kernels
  set(_etkit_kernels WHOLE etkit_selected_kernels)
  set(_etkit_quantized "")
else()
  set(_etkit_kernels WHOLE optimized_native_cpu_ops_lib
      LINK optimized_kernels optimized_portable_kernels portable_kernels cpublas eigen_blas)
  set(_etkit_quantized WHOLE quantized_ops_lib LINK quantized_kernels)
endif()

function(_etkit_map name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "WHOLE;LINK;DEFINES;INCLUDES")
  add_library(executorch::${name} INTERFACE IMPORTED)
  foreach(lib IN LISTS arg_WHOLE)
    if(NOT TARGET ${lib})
      message(FATAL_ERROR "etkit: the ExecuTorch SDK at ${ETKIT_EXECUTORCH_ROOT} lacks ${lib}; "
                          "rebuild it with the options in cmake/executorch/static-device.cmake")
    endif()
    # ExecuTorch's own targets carry their --whole-archive as a link option:
    # a second one would define every symbol twice.
    get_target_property(_opts ${lib} INTERFACE_LINK_OPTIONS)
    if("${_opts}" MATCHES "whole-archive")
      target_link_libraries(executorch::${name} INTERFACE ${lib})
    else()
      target_link_libraries(executorch::${name} INTERFACE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${lib}>")
    endif()
  endforeach()
  foreach(lib IN LISTS arg_LINK)
    if(TARGET ${lib})
      target_link_libraries(executorch::${name} INTERFACE ${lib})
    endif()
  endforeach()
  target_compile_definitions(executorch::${name} INTERFACE ${arg_DEFINES})
  target_include_directories(executorch::${name} INTERFACE ${arg_INCLUDES})
endfunction()

# The defines ExecuTorch's own targets were compiled with where headers read them.
_etkit_map(runtime WHOLE executorch LINK executorch_core extension_data_loader  # executorch: the prim ops
           extension_flat_tensor extension_named_data_map  # .ptd files (et-run --data)
           DEFINES C10_USING_CUSTOM_GENERATED_MACROS ET_EVENT_TRACER_ENABLED ET_USE_THREADPOOL)
_etkit_map(threadpool LINK extension_threadpool cpuinfo pthreadpool)
_etkit_map(kernels_optimized ${_etkit_kernels})
_etkit_map(kernels_quantized ${_etkit_quantized})
_etkit_map(backend_xnnpack WHOLE xnnpack_backend
           LINK XNNPACK xnnpack-microkernels-prod kleidiai cpuinfo pthreadpool extension_threadpool)
get_filename_component(_etkit_src_parent "${ETKIT_EXECUTORCH_SOURCE_DIR}" DIRECTORY)
_etkit_map(etdump LINK etdump flatccrt
           INCLUDES "${ETKIT_EXECUTORCH_BUILD_DIR}/devtools/include" "${_etkit_src_parent}"
                    "${ETKIT_EXECUTORCH_SOURCE_DIR}/third-party/flatcc/include")

file(READ "${ETKIT_EXECUTORCH_SOURCE_DIR}/version.txt" _etkit_et_version)
string(STRIP "${_etkit_et_version}" _etkit_et_version)
set(EXECUTORCH_BUILD_VERSION "${_etkit_et_version} (source ${ETKIT_EXECUTORCH_SOURCE_NAME})")
