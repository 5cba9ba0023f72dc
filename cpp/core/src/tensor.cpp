#include "etkit/tensor.h"

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

std::string TensorSpec::to_string() const {
  return dtype_name(dtype) + (dynamism == Dynamism::kStatic ? "" : "<=") + shape_string(shape);
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

Status check_fits(const TensorSpec& spec, const TensorView& given, const std::function<std::string()>& describe) {
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
