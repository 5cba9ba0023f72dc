// Host-side tensors: what a caller hands the core and gets back from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <executorch/runtime/core/exec_aten/exec_aten.h>

#include "etkit/result.h"

namespace etkit {

using executorch::aten::ScalarType;

/// numpy-style name of a dtype ("float32", "int64", "bool", ...).
std::string dtype_name(ScalarType dtype);
/// Parses a numpy-style dtype name; nullopt when unknown.
std::optional<ScalarType> dtype_from_name(const std::string& name);
/// Bytes per element.
size_t dtype_size(ScalarType dtype);

/// "[1, 3, 224, 224]"
std::string shape_string(const std::vector<int64_t>& shape);
/// Product of the dimensions (1 for a scalar).
int64_t element_count(const std::vector<int64_t>& shape);

/// How the shape of a method's input or output may change between runs.
enum class Dynamism { kStatic, kBounded, kUnbounded };

/// dtype and shape of one input or output of a method.
/// For a bounded dynamic tensor, `shape` is its upper bound.
struct TensorSpec {
  ScalarType dtype = ScalarType::Float;
  std::vector<int64_t> shape;
  Dynamism dynamism = Dynamism::kStatic;
  bool memory_planned = true;

  size_t nbytes() const { return static_cast<size_t>(element_count(shape)) * dtype_size(dtype); }
  /// "float32[1, 20]", with "<=" before the shape when it is an upper bound.
  std::string to_string() const;
};

/// A non-owning view of contiguous host memory holding one tensor.
struct TensorView {
  ScalarType dtype = ScalarType::Float;
  std::vector<int64_t> shape;
  const void* data = nullptr;

  size_t nbytes() const { return static_cast<size_t>(element_count(shape)) * dtype_size(dtype); }
};

/// A tensor that owns its bytes.
struct HostTensor {
  ScalarType dtype = ScalarType::Float;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  HostTensor() = default;
  HostTensor(ScalarType dtype, std::vector<int64_t> shape);
  /// Copies a view.
  static HostTensor copy_of(const TensorView& view);

  TensorView view() const { return TensorView{dtype, shape, bytes.data()}; }
  void* data() { return bytes.data(); }
};

/// Checks that `given` fits `spec`: same dtype, rank and shape, or within the
/// bounds of a dynamic input. `what` names the tensor in the message.
Status check_fits(const TensorSpec& spec, const TensorView& given, const std::string& what);
/// The same, naming the tensor only when it does not fit (for per-inference checks).
Status check_fits(const TensorSpec& spec, const TensorView& given, const std::function<std::string()>& what);

/// Seeded inputs for a spec: floats uniform in [-1, 1), integers in [0, 10),
/// booleans fair coin flips. Same seed, same bytes, on every platform.
HostTensor random_tensor(const TensorSpec& spec, uint64_t seed);

}  // namespace etkit
