// Host-side tensors: what a caller hands the core and gets back from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
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

/// What a method's input or output is. Scalars (an int, a float, a bool)
/// are passed as 0-d tensors of int64, float64 or bool.
enum class ValueKind { kTensor, kInt, kFloat, kBool, kNone, kOther };
/// "tensor", "int", "float", "bool", "none", "other".
const char* value_kind_name(ValueKind kind);

/// A scalar value: nothing, an int, a float or a bool.
using ScalarValue = std::variant<std::monostate, int64_t, double, bool>;
/// "3", "0.5", "true"; "" for nothing.
std::string scalar_string(const ScalarValue& value);

/// dtype and shape of one input or output of a method.
/// For a bounded dynamic tensor, `shape` is its upper bound.
struct TensorSpec {
  ScalarType dtype = ScalarType::Float;
  std::vector<int64_t> shape;
  Dynamism dynamism = Dynamism::kStatic;
  bool memory_planned = true;
  ValueKind kind = ValueKind::kTensor;
  /// For a scalar input: the value the program was exported with. ExecuTorch
  /// specialises scalar inputs, so every run must pass this value again.
  ScalarValue exported;

  bool is_scalar() const { return kind == ValueKind::kInt || kind == ValueKind::kFloat || kind == ValueKind::kBool; }

  size_t nbytes() const { return static_cast<size_t>(element_count(shape)) * dtype_size(dtype); }
  /// "float32[1, 20]", with "<=" before the shape when it is an upper bound;
  /// "int", or "int = 3" when the exported value is known, for a scalar.
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
/// bounds of a dynamic input; for a scalar, one value of a fitting kind (an
/// integer for an int, a number for a float) equal to the exported one.
/// `what` names the tensor in the message.
Status check_fits(const TensorSpec& spec, const TensorView& given, const std::string& what);
/// The same, naming the tensor only when it does not fit (for per-inference checks).
Status check_fits(const TensorSpec& spec, const TensorView& given, const std::function<std::string()>& what);

/// The value of a one-element tensor as the scalar `kind` takes; nullopt when
/// it is not one value of a fitting dtype.
std::optional<ScalarValue> scalar_of(const TensorView& given, ValueKind kind);
/// A 0-d tensor holding a scalar (int64, float64 or bool).
HostTensor scalar_tensor(const ScalarValue& value);
/// Parses a scalar as the command line gives it ("3", "-1.5", "true"), as the
/// kind `kind` takes; nullopt when it is not one.
std::optional<ScalarValue> parse_scalar(const std::string& text, ValueKind kind);

/// Seeded inputs for a spec: floats uniform in [-1, 1), integers in [0, 10),
/// booleans fair coin flips. Same seed, same bytes, on every platform. A
/// scalar input gets its exported value (the only one the runtime accepts).
HostTensor random_tensor(const TensorSpec& spec, uint64_t seed);

}  // namespace etkit
