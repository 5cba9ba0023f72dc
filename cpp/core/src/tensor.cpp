#include "etkit/tensor.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include <executorch/runtime/core/exec_aten/util/scalar_type_util.h>
#include <sstream>

namespace etkit {
namespace {

struct DTypeName {
  ScalarType dtype;
  const char* name;
  size_t size;
};

// The dtypes a .pte input or output can have that numpy can hold.
constexpr DTypeName kDTypes[] = {
    {ScalarType::Float, "float32", 4}, {ScalarType::Double, "float64", 8},
    {ScalarType::Half, "float16", 2},  {ScalarType::BFloat16, "bfloat16", 2},
    {ScalarType::Byte, "uint8", 1},    {ScalarType::Char, "int8", 1},
    {ScalarType::Short, "int16", 2},   {ScalarType::Int, "int32", 4},
    {ScalarType::Long, "int64", 8},    {ScalarType::Bool, "bool", 1},
};

}  // namespace

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kInvalidProgram: return "invalid program";
    case ErrorCode::kMethodNotFound: return "method not found";
    case ErrorCode::kInvalidInput: return "invalid input";
    case ErrorCode::kExecution: return "execution failed";
    case ErrorCode::kInvalidArgument: return "invalid argument";
  }
  return "error";
}

std::string dtype_name(ScalarType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.name;
  }
  return "dtype#" + std::to_string(static_cast<int>(dtype));
}

std::optional<ScalarType> dtype_from_name(const std::string& name) {
  for (const auto& d : kDTypes) {
    if (name == d.name) return d.dtype;
  }
  return std::nullopt;
}

size_t dtype_size(ScalarType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.size;
  }
  return executorch::runtime::elementSize(dtype);
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const char* value_kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kTensor: return "tensor";
    case ValueKind::kInt: return "int";
    case ValueKind::kFloat: return "float";
    case ValueKind::kBool: return "bool";
    case ValueKind::kNone: return "none";
    case ValueKind::kOther: return "other";
  }
  return "other";
}

std::string scalar_string(const ScalarValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&value)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    std::string s = buf;
    // "1" would read as an int: a float keeps a point.
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
  }
  return "";
}

std::string TensorSpec::to_string() const {
  if (kind != ValueKind::kTensor) {
    std::string s = value_kind_name(kind);
    if (!std::holds_alternative<std::monostate>(exported)) s += " = " + scalar_string(exported);
    return s;
  }
  return dtype_name(dtype) + (dynamism == Dynamism::kStatic ? "" : "<=") + shape_string(shape);
}

std::optional<ScalarValue> scalar_of(const TensorView& given, ValueKind kind) {
  if (element_count(given.shape) != 1 || given.data == nullptr) return std::nullopt;
  auto integer = [&]() -> std::optional<int64_t> {
    switch (given.dtype) {
      case ScalarType::Long: return *static_cast<const int64_t*>(given.data);
      case ScalarType::Int: return *static_cast<const int32_t*>(given.data);
      case ScalarType::Short: return *static_cast<const int16_t*>(given.data);
      case ScalarType::Char: return *static_cast<const int8_t*>(given.data);
      case ScalarType::Byte: return *static_cast<const uint8_t*>(given.data);
      default: return std::nullopt;
    }
  };
  switch (kind) {
    case ValueKind::kInt:
      if (auto i = integer()) return ScalarValue{*i};
      return std::nullopt;
    case ValueKind::kFloat:
      if (given.dtype == ScalarType::Double) return ScalarValue{*static_cast<const double*>(given.data)};
      if (given.dtype == ScalarType::Float) return ScalarValue{double{*static_cast<const float*>(given.data)}};
      if (auto i = integer()) return ScalarValue{static_cast<double>(*i)};
      return std::nullopt;
    case ValueKind::kBool:
      if (given.dtype == ScalarType::Bool) return ScalarValue{*static_cast<const bool*>(given.data)};
      return std::nullopt;
    default: return std::nullopt;
  }
}

HostTensor scalar_tensor(const ScalarValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    HostTensor t(ScalarType::Long, {});
    std::memcpy(t.data(), i, sizeof *i);
    return t;
  }
  if (const auto* d = std::get_if<double>(&value)) {
    HostTensor t(ScalarType::Double, {});
    std::memcpy(t.data(), d, sizeof *d);
    return t;
  }
  HostTensor t(ScalarType::Bool, {});
  const auto* b = std::get_if<bool>(&value);
  *static_cast<bool*>(t.data()) = b && *b;
  return t;
}

std::optional<ScalarValue> parse_scalar(const std::string& text, ValueKind kind) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  switch (kind) {
    case ValueKind::kBool:
      if (text == "true" || text == "True" || text == "1") return ScalarValue{true};
      if (text == "false" || text == "False" || text == "0") return ScalarValue{false};
      return std::nullopt;
    case ValueKind::kInt: {
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (*end != '\0' || errno == ERANGE) return std::nullopt;
      return ScalarValue{static_cast<int64_t>(v)};
    }
    case ValueKind::kFloat: {
      const double v = std::strtod(text.c_str(), &end);
      if (*end != '\0' || errno == ERANGE) return std::nullopt;
      return ScalarValue{v};
    }
    default: return std::nullopt;
  }
}

HostTensor::HostTensor(ScalarType dtype_, std::vector<int64_t> shape_)
    : dtype(dtype_), shape(std::move(shape_)), bytes(static_cast<size_t>(element_count(shape)) * dtype_size(dtype)) {}

HostTensor HostTensor::copy_of(const TensorView& view) {
  HostTensor t(view.dtype, view.shape);
  if (!t.bytes.empty()) std::memcpy(t.bytes.data(), view.data, t.bytes.size());
  return t;
}

Status check_fits(const TensorSpec& spec, const TensorView& given, const std::string& what) {
  return check_fits(spec, given, [&what] { return what; });
}

namespace {

// Scalars: what the runtime accepts, said before it refuses. It compares
// floats with atol 1e-4 and rtol 1e-5 (Method::set_input).
bool same_scalar(const ScalarValue& a, const ScalarValue& b) {
  const auto* x = std::get_if<double>(&a);
  const auto* y = std::get_if<double>(&b);
  if (x && y) {
    if (std::isnan(*x) || std::isnan(*y)) return std::isnan(*x) && std::isnan(*y);
    if (std::isinf(*x) || std::isinf(*y)) return *x == *y;
    return std::abs(*x - *y) <= 1e-4 + std::abs(1e-5 * *y);
  }
  return a == b;
}

Status check_scalar(const TensorSpec& spec, const TensorView& given, const std::function<std::string()>& describe) {
  const std::string kind = value_kind_name(spec.kind);
  const auto value = scalar_of(given, spec.kind);
  if (!value) {
    const std::string takes = spec.kind == ValueKind::kInt     ? "an integer"
                              : spec.kind == ValueKind::kFloat ? "a number"
                                                               : "true or false";
    return make_error(ErrorCode::kInvalidInput, describe() + " is " + (kind == "int" ? "an " : "a ") + kind +
                                                    " and takes one value, " + takes + "; got " +
                                                    dtype_name(given.dtype) + shape_string(given.shape));
  }
  if (!std::holds_alternative<std::monostate>(spec.exported) && !same_scalar(*value, spec.exported)) {
    return make_error(ErrorCode::kInvalidInput,
                      describe() + " is " + (kind == "int" ? "an " : "a ") + kind + " fixed when the program was "
                      "exported: it takes only " + scalar_string(spec.exported) + ", got " + scalar_string(*value) +
                      " (ExecuTorch specialises scalar inputs; export again with the value you need, or pass it "
                      "as a tensor)");
  }
  return {};
}

}  // namespace

Status check_fits(const TensorSpec& spec, const TensorView& given, const std::function<std::string()>& describe) {
  if (spec.is_scalar()) return check_scalar(spec, given, describe);
  if (spec.kind == ValueKind::kNone) return {};  // a None input takes whatever is passed: nothing reaches the runtime
  if (given.dtype != spec.dtype) {
    return make_error(ErrorCode::kInvalidInput, describe() + " has dtype " + dtype_name(given.dtype) +
                                                    ", expected " + dtype_name(spec.dtype));
  }
  if (given.shape.size() != spec.shape.size()) {
    return make_error(ErrorCode::kInvalidInput, describe() + " has shape " + shape_string(given.shape) + " (rank " +
                                                    std::to_string(given.shape.size()) + "), expected " +
                                                    spec.to_string() + " (rank " +
                                                    std::to_string(spec.shape.size()) + ")");
  }
  for (size_t i = 0; i < spec.shape.size(); ++i) {
    const int64_t got = given.shape[i], want = spec.shape[i];
    const bool fits = spec.dynamism == Dynamism::kStatic    ? got == want
                      : spec.dynamism == Dynamism::kBounded ? got >= 0 && got <= want
                                                            : got >= 0;
    if (!fits) {
      std::string expected = spec.dynamism == Dynamism::kBounded
                                 ? "each dimension within the bounds " + shape_string(spec.shape)
                                 : shape_string(spec.shape);
      return make_error(ErrorCode::kInvalidInput, describe() + " has shape " + shape_string(given.shape) +
                                                      ", expected " + dtype_name(spec.dtype) + " " + expected +
                                                      " (dimension " + std::to_string(i) + " is " +
                                                      std::to_string(got) + ")");
    }
  }
  return {};
}

HostTensor random_tensor(const TensorSpec& spec, uint64_t seed) {
  if (spec.is_scalar() && !std::holds_alternative<std::monostate>(spec.exported)) return scalar_tensor(spec.exported);
  HostTensor t(spec.dtype, spec.shape);
  std::mt19937_64 rng(seed);
  const int64_t n = element_count(spec.shape);
  // Draw from the generator directly rather than std::*_distribution, whose
  // output differs between standard libraries.
  auto unit = [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };  // [0, 1)
  auto fill = [&](auto* p, auto make) {
    for (int64_t i = 0; i < n; ++i) p[i] = make();
  };
  switch (spec.dtype) {
    case ScalarType::Float: fill(reinterpret_cast<float*>(t.data()), [&] { return float(unit() * 2 - 1); }); break;
    case ScalarType::Double: fill(reinterpret_cast<double*>(t.data()), [&] { return unit() * 2 - 1; }); break;
    case ScalarType::Half:
      fill(reinterpret_cast<executorch::aten::Half*>(t.data()),
           [&] { return executorch::aten::Half(float(unit() * 2 - 1)); });
      break;
    case ScalarType::BFloat16:
      fill(reinterpret_cast<executorch::aten::BFloat16*>(t.data()),
           [&] { return executorch::aten::BFloat16(float(unit() * 2 - 1)); });
      break;
    case ScalarType::Bool: fill(reinterpret_cast<bool*>(t.data()), [&] { return (rng() & 1) != 0; }); break;
    case ScalarType::Byte: fill(reinterpret_cast<uint8_t*>(t.data()), [&] { return uint8_t(rng() % 10); }); break;
    case ScalarType::Char: fill(reinterpret_cast<int8_t*>(t.data()), [&] { return int8_t(rng() % 10); }); break;
    case ScalarType::Short: fill(reinterpret_cast<int16_t*>(t.data()), [&] { return int16_t(rng() % 10); }); break;
    case ScalarType::Int: fill(reinterpret_cast<int32_t*>(t.data()), [&] { return int32_t(rng() % 10); }); break;
    case ScalarType::Long: fill(reinterpret_cast<int64_t*>(t.data()), [&] { return int64_t(rng() % 10); }); break;
    default: break;  // left zeroed
  }
  return t;
}

}  // namespace etkit
