// Checks of one XNNPACK delegate payload, called by verify_program for every
// delegate whose backend is "XnnpackBackend". XNNPACK's compiler reads its
// payload without verifying it: indices, offsets and shape lengths in a
// damaged payload become out-of-bounds reads inside the delegate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "etkit/result.h"
#include "etkit/verify.h"

namespace etkit::detail {

/// What the payload check needs to know about the program around it.
struct XnnpackContext {
  /// Prefix of every message, e.g. "method 'forward' XNNPACK delegate 0".
  std::string where;
  /// Bytes held under a named-data key of the program; nullopt if it has none.
  std::function<std::optional<uint64_t>(const std::string& key)> named_data_size;
  /// Checks that every call of this delegate passes a tensor at argument
  /// `position`, where the graph's external value `position` is bound.
  std::function<Status(uint32_t position, const std::string& what)> call_argument;
  VerifyLimits limits;
};

/// Checks the payload: the "XH00" header, the graph flatbuffer against
/// XNNPACK's schema, and the indices, shapes and constant references the
/// delegate's compiler uses unchecked.
[[nodiscard]] Status verify_xnnpack_payload(const uint8_t* data, size_t size, const XnnpackContext& context);

}  // namespace etkit::detail
