// Test vectors bundled with a program: ExecuTorch's BundledProgram (.bpte),
// written by `etkit export --bundle`, checked on the device by `et-run --verify`.
#pragma once

#include <string>
#include <vector>

#include "etkit/describe.h"
#include "etkit/result.h"

namespace etkit {

/// The outcome of one bundled test case.
struct BundledCase {
  std::string method;
  size_t index = 0;
  bool passed = false;
  double max_abs_error = 0;  // over every output element
  std::string problem;       // why it failed; empty when it passed
};

/// Tolerances of the comparison: |got - want| <= atol + rtol * |want|.
struct BundledTolerance {
  double rtol = 1e-3;
  double atol = 1e-5;
};

/// True when the file carries the BundledProgram identifier ("BP08").
bool is_bundled_program(const std::string& path);

/// Loads the program embedded in a .bpte, runs each bundled test case of
/// `method` (every method when empty) and compares the outputs with the
/// bundled expected outputs. Fails with kInvalidProgram when the file is not
/// a well-formed BundledProgram; a mismatch is a failed case, not an error.
[[nodiscard]] Result<std::vector<BundledCase>> verify_bundled(const std::string& path, const std::string& method,
                                                             const BundledTolerance& tolerance);

/// Describes a .bpte held in memory: the program inside (describe_program,
/// whose sizes are then the inner program's) and the test cases per method.
[[nodiscard]] Result<ProgramDescription> describe_bundled(const uint8_t* data, size_t size);

}  // namespace etkit
