#pragma once

#include <string>

namespace etkit::detail {

// The programs a selective build was made for, comma-separated; empty when
// the runner registers every operator ExecuTorch has.
const char* selected_programs();

}  // namespace etkit::detail
