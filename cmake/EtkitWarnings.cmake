# Shared compile options: one warnings target, one sanitizers target.
add_library(etkit_warnings INTERFACE)
add_library(etkit::warnings ALIAS etkit_warnings)
target_compile_options(etkit_warnings INTERFACE -Wall -Wextra -Wpedantic -Wno-unused-parameter)

add_library(etkit_sanitizers INTERFACE)
add_library(etkit::sanitizers ALIAS etkit_sanitizers)
if(ETKIT_SANITIZERS)
  list(JOIN ETKIT_SANITIZERS "," _etkit_san)
  target_compile_options(etkit_sanitizers INTERFACE -fsanitize=${_etkit_san} -fno-omit-frame-pointer
                                                    -fno-sanitize-recover=undefined
                                                    # GCC 12 under ASan: false alarms inside <regex>
                                                    $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  target_link_options(etkit_sanitizers INTERFACE -fsanitize=${_etkit_san})
endif()
