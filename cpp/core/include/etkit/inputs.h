// Inputs for a method: read from .npy files or generated from its metadata.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "etkit/program.h"
#include "etkit/result.h"
#include "etkit/tensor.h"

namespace etkit {

/// With no paths, seeded random inputs shaped like the method's (upper-bound
/// shapes for dynamic inputs). Otherwise one .npy file per input, in order,
/// each checked against the method.
[[nodiscard]] Result<std::vector<HostTensor>> load_inputs(const MethodInfo& method,
                                                          const std::vector<std::string>& npy_paths, uint64_t seed);

/// Views of owned tensors, for Method::run.
std::vector<TensorView> views_of(const std::vector<HostTensor>& tensors);

}  // namespace etkit
