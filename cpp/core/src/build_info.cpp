#include "build_info.h"

#include "etkit/program.h"

// Compile definitions of this file alone (cpp/CMakeLists.txt), so that a new
// selection rebuilds one object.
#ifndef ETKIT_SELECTED_PROGRAMS
#define ETKIT_SELECTED_PROGRAMS ""
#endif
#ifndef ETKIT_VERSION
#define ETKIT_VERSION "unknown"
#endif
#ifndef ETKIT_EXECUTORCH_VERSION
#define ETKIT_EXECUTORCH_VERSION "unknown"
#endif

namespace etkit {

const char* detail::selected_programs() { return ETKIT_SELECTED_PROGRAMS; }

std::string build_description() {
  std::string text = "etkit " ETKIT_VERSION ", ExecuTorch " ETKIT_EXECUTORCH_VERSION;
  if (*ETKIT_SELECTED_PROGRAMS) text += ", operators selected for " ETKIT_SELECTED_PROGRAMS;
  return text;
}

}  // namespace etkit
