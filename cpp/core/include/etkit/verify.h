// Structural checks of an untrusted .pte file, run before the ExecuTorch
// runtime sees it. The runtime in the wheel is built without its own program
// verification, so a damaged file could otherwise make it read out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>

#include "etkit/result.h"

namespace etkit {

/// Caps on what a program may ask for. A file within the caps can still be
/// large; one beyond them is refused rather than allocated.
struct VerifyLimits {
  /// Dimensions of one tensor (ExecuTorch's kTensorDimensionLimit).
  size_t max_dims = 16;
  /// Bytes of one tensor, and of all memory-planned buffers of one method.
  uint64_t max_tensor_bytes = uint64_t{8} << 30;
  uint64_t max_planned_bytes = uint64_t{8} << 30;
};

/// Checks a whole .pte file held in memory: the header and the optional
/// extended header, the flatbuffer against ExecuTorch's schema, that every
/// segment, constant and delegate blob lies within the file, that tensor
/// shapes and sizes are sane and fit their buffers, and that every index
/// (values, operators, delegates, instructions, segments) is in range; and
/// every XNNPACK delegate payload (see cpp/core/src/verify_xnnpack.h).
/// Fails with kInvalidProgram and a message naming the first problem found.
[[nodiscard]] Status verify_program(const uint8_t* data, size_t size, const VerifyLimits& limits = {});

/// Checks a whole .ptd file (ExecuTorch's FlatTensor: weights kept apart from
/// the program) held in memory: its headers, the flatbuffer against the
/// schema, and that every named tensor's layout is sane and its bytes lie
/// within its segment, within the file. The runtime reads these unchecked.
/// Fails with kInvalidProgram and a message naming the first problem found.
[[nodiscard]] Status verify_data_file(const uint8_t* data, size_t size, const VerifyLimits& limits = {});

}  // namespace etkit
