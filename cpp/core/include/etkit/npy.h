// numpy .npy files (format versions 1.0 to 3.0, little-endian, C order).
#pragma once

#include <string>

#include "etkit/result.h"
#include "etkit/tensor.h"

namespace etkit {

/// Reads a .npy file. Errors (code kInvalidInput, or kIo when the file can't
/// be opened) name the file and what is wrong with it.
Result<HostTensor> read_npy(const std::string& path);

/// Parses .npy bytes already in memory; `name` is used in messages.
Result<HostTensor> parse_npy(const uint8_t* data, size_t size, const std::string& name);

/// Writes a tensor as a version 1.0 .npy file, atomically (temp file + rename).
Status write_npy(const std::string& path, const TensorView& tensor);

}  // namespace etkit
