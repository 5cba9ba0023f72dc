# C++ readers for FlatBuffers schemas, generated at build time by Debian's
# flatc (package flatbuffers-compiler; headers from libflatbuffers-dev).
#
#   etkit_flatc_generate(TARGET name SCHEMAS a.fbs [b.fbs ...]
#                        [RENAME_NAMESPACE from to [from2 to2 ...]] [FLATC_ARGS --gen-mutable ...])
#
# makes an INTERFACE target `name` whose include directory holds
# <schema>_generated.h for each schema and the flatbuffers headers.
#
# RENAME_NAMESPACE rewrites the schemas' `namespace from;` and qualified
# names `from.Type` before flatc sees them. Use it for ExecuTorch's schemas: the runtime in the wheel compiles the
# same schema (namespace executorch_flatbuffer) with a different flatbuffers
# version and exports the weak inline symbols of its generated code, so code
# generated here under the same names could interpose on the runtime's own.
# The runtime also exports weak copies of flatbuffers' own inline functions
# (flatbuffers::Verifier::VerifyString, ...) built from another flatbuffers
# version: include generated headers between `#pragma GCC visibility
# push(hidden)` and `pop` so that none of them is exported from our binaries
# and the runtime keeps binding to its own. (-fvisibility=hidden on the whole
# source is not enough: mixed with the Python module's LTO objects it broke
# the link on an inline std:: function.)
#
# Cross builds: flatc runs on the build host; the headers are portable C++ and
# are copied into the build tree, so the target's include path never points
# at the host's /usr/include.
#
# This file is also its own helper script: run with -P it copies one schema
# with its namespaces renamed (ETKIT_FBS_IN, ETKIT_FBS_OUT, ETKIT_FBS_FROM,
# ETKIT_FBS_TO; several as comma-separated lists of the same length).

if(CMAKE_SCRIPT_MODE_FILE)
  file(READ "${ETKIT_FBS_IN}" _text)
  string(REPLACE "," ";" _froms "${ETKIT_FBS_FROM}")
  string(REPLACE "," ";" _tos "${ETKIT_FBS_TO}")
  foreach(_from _to IN ZIP_LISTS _froms _tos)
    string(REGEX REPLACE "namespace[ \t]+${_from}[ \t]*;" "namespace ${_to};" _text "${_text}")
    string(REGEX REPLACE "([^A-Za-z0-9_])${_from}\\." "\\1${_to}." _text "${_text}")
  endforeach()
  file(WRITE "${ETKIT_FBS_OUT}.tmp" "${_text}")
  file(COPY_FILE "${ETKIT_FBS_OUT}.tmp" "${ETKIT_FBS_OUT}" ONLY_IF_DIFFERENT)
  file(REMOVE "${ETKIT_FBS_OUT}.tmp")
  return()
endif()

set(_ETKIT_FLATBUFFERS_SELF "${CMAKE_CURRENT_LIST_FILE}")

find_path(ETKIT_FLATBUFFERS_INCLUDE_DIR flatbuffers/flatbuffers.h NO_CMAKE_FIND_ROOT_PATH
          DOC "Directory holding flatbuffers/flatbuffers.h (Debian: libflatbuffers-dev)")
# Generated code only compiles against headers of its own flatc version, and
# other flatc builds lie on PATH (the executorch wheel puts a flatc 24 in the
# venv's bin/): accept only a flatc whose version matches the headers.
set(_etkit_fb_version "")
if(ETKIT_FLATBUFFERS_INCLUDE_DIR AND EXISTS "${ETKIT_FLATBUFFERS_INCLUDE_DIR}/flatbuffers/base.h")
  file(STRINGS "${ETKIT_FLATBUFFERS_INCLUDE_DIR}/flatbuffers/base.h" _etkit_fb_defs
       REGEX "#define FLATBUFFERS_VERSION_(MAJOR|MINOR|REVISION) ")
  foreach(part MAJOR MINOR REVISION)
    string(REGEX REPLACE ".*FLATBUFFERS_VERSION_${part} ([0-9]+).*" "\\1" _etkit_v "${_etkit_fb_defs}")
    list(APPEND _etkit_fb_version "${_etkit_v}")
  endforeach()
  list(JOIN _etkit_fb_version "." _etkit_fb_version)
endif()
function(_etkit_flatc_matches_headers result candidate)
  execute_process(COMMAND "${candidate}" --version OUTPUT_VARIABLE out ERROR_QUIET)
  if(NOT out MATCHES "version ${_etkit_fb_version}([^0-9]|$)")
    set(${result} FALSE PARENT_SCOPE)
  endif()
endfunction()
find_program(ETKIT_FLATC flatc NO_CMAKE_FIND_ROOT_PATH VALIDATOR _etkit_flatc_matches_headers
             PATHS /usr/bin
             DOC "FlatBuffers compiler run on the build host, same version as the headers (Debian: flatbuffers-compiler)")

function(etkit_flatc_generate)
  cmake_parse_arguments(ARG "" "TARGET" "SCHEMAS;RENAME_NAMESPACE;FLATC_ARGS" ${ARGN})
  if(NOT ARG_TARGET OR NOT ARG_SCHEMAS)
    message(FATAL_ERROR "etkit_flatc_generate: TARGET and SCHEMAS are required")
  endif()
  if(NOT ETKIT_FLATC OR NOT ETKIT_FLATBUFFERS_INCLUDE_DIR)
    message(FATAL_ERROR "etkit: no flatc ${_etkit_fb_version} beside the flatbuffers headers (${ETKIT_FLATBUFFERS_INCLUDE_DIR}). "
                        "Install Debian's flatbuffers-compiler and libflatbuffers-dev (scripts/setup.sh does).")
  endif()
  set(from "")
  set(to "")
  list(LENGTH ARG_RENAME_NAMESPACE n)
  math(EXPR last "${n} - 1")
  if(n GREATER 0)
    foreach(i RANGE 0 ${last} 2)
      math(EXPR j "${i} + 1")
      list(GET ARG_RENAME_NAMESPACE ${i} f)
      list(GET ARG_RENAME_NAMESPACE ${j} t)
      list(APPEND from "${f}")
      list(APPEND to "${t}")
    endforeach()
  endif()
  list(JOIN from "," from)
  list(JOIN to "," to)

  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}")
  set(schema_dir "${out}/schema")
  set(include_dir "${out}/include")
  # The flatbuffers headers, copied so that a cross build's include path holds
  # nothing else from the host.
  file(COPY "${ETKIT_FLATBUFFERS_INCLUDE_DIR}/flatbuffers" DESTINATION "${include_dir}")

  # Copy every schema first: flatc resolves `include "x.fbs"` beside them.
  set(copies "")
  foreach(schema IN LISTS ARG_SCHEMAS)
    get_filename_component(name "${schema}" NAME)
    add_custom_command(
      OUTPUT "${schema_dir}/${name}"
      COMMAND "${CMAKE_COMMAND}" -DETKIT_FBS_IN=${schema} -DETKIT_FBS_OUT=${schema_dir}/${name}
              -DETKIT_FBS_FROM=${from} -DETKIT_FBS_TO=${to} -P "${_ETKIT_FLATBUFFERS_SELF}"
      DEPENDS "${schema}" "${_ETKIT_FLATBUFFERS_SELF}"
      COMMENT "etkit: preparing schema ${name}"
      VERBATIM)
    list(APPEND copies "${schema_dir}/${name}")
  endforeach()
  set(headers "")
  foreach(copy IN LISTS copies)
    get_filename_component(stem "${copy}" NAME_WE)
    add_custom_command(
      OUTPUT "${include_dir}/${stem}_generated.h"
      COMMAND "${ETKIT_FLATC}" --cpp ${ARG_FLATC_ARGS} -o "${include_dir}" -I "${schema_dir}" "${copy}"
      DEPENDS ${copies}
      COMMENT "etkit: flatc ${stem}.fbs"
      VERBATIM)
    list(APPEND headers "${include_dir}/${stem}_generated.h")
  endforeach()

  add_custom_target(${ARG_TARGET}_generate DEPENDS ${headers})
  add_library(${ARG_TARGET} INTERFACE)
  add_dependencies(${ARG_TARGET} ${ARG_TARGET}_generate)
  # -isystem: generated code is not ours to warn about.
  target_include_directories(${ARG_TARGET} SYSTEM INTERFACE "${include_dir}")
endfunction()
