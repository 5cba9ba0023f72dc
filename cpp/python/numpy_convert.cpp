#include "numpy_convert.h"

#include "errors.h"

namespace py = pybind11;

namespace etkit::python {
namespace {

std::optional<ScalarType> scalar_type_of(const py::dtype& dt) {
  if (dt.byteorder() == '>') return std::nullopt;  // big-endian never matches a program's layout
  const auto size = dt.itemsize();
  switch (dt.kind()) {
    case 'f': return size == 4 ? ScalarType::Float : size == 8 ? ScalarType::Double : size == 2 ? ScalarType::Half
                                                                                                  : std::optional<ScalarType>{};
    case 'i': return size == 1 ? ScalarType::Char : size == 2 ? ScalarType::Short : size == 4 ? ScalarType::Int
                   : size == 8 ? ScalarType::Long : std::optional<ScalarType>{};
    case 'u': return size == 1 ? ScalarType::Byte : std::optional<ScalarType>{};
    case 'b': return ScalarType::Bool;
    default: return std::nullopt;
  }
}

}  // namespace

std::vector<TensorView> view_arrays(const py::sequence& arrays, std::vector<py::array>& keep) {
  std::vector<TensorView> views;
  views.reserve(arrays.size());
  keep.reserve(arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    py::object item = arrays[i];
    // A Python or numpy scalar (for a scalar input: an int, a float, a bool)
    // becomes a 0-d array: int64, float64 or bool.
    if (!py::isinstance<py::array>(item) &&
        (py::isinstance<py::bool_>(item) || py::isinstance<py::int_>(item) || py::isinstance<py::float_>(item) ||
         py::isinstance(item, py::module_::import("numpy").attr("generic")))) {
      try {
        item = py::array::ensure(item);
      } catch (py::error_already_set&) {
      }
    }
    if (!py::isinstance<py::array>(item)) {
      raise(make_error(ErrorCode::kInvalidInput, "input " + std::to_string(i) + " is a " +
                                                     std::string(py::str(py::type::handle_of(item).attr("__name__"))) +
                                                     ", expected a numpy array"));
    }
    auto arr = py::reinterpret_borrow<py::array>(item);
    auto dtype = scalar_type_of(arr.dtype());
    if (!dtype) {
      raise(make_error(ErrorCode::kInvalidInput, "input " + std::to_string(i) + " has unsupported numpy dtype " +
                                                     std::string(py::str(arr.dtype()))));
    }
    if (!(arr.flags() & py::array::c_style)) {
      // A strided view can describe far more memory than a copy could hold.
      py::array copy;
      try {
        copy = py::array::ensure(arr, py::array::c_style);
      } catch (py::error_already_set&) {
      }
      if (!copy) {
        raise(make_error(ErrorCode::kInvalidInput, "input " + std::to_string(i) +
                                                       " is a non-contiguous array that could not be copied (shape " +
                                                       std::string(py::str(arr.attr("shape"))) + ")"));
      }
      arr = copy;
    }
    keep.push_back(arr);
    TensorView v{*dtype, std::vector<int64_t>(arr.shape(), arr.shape() + arr.ndim()), arr.data()};
    views.push_back(std::move(v));
  }
  return views;
}

py::dtype to_dtype(ScalarType dtype) {
  switch (dtype) {
    // dtype::of is a C-level lookup; parsing a name would cost a Python call per output.
    case ScalarType::Float: return py::dtype::of<float>();
    case ScalarType::Double: return py::dtype::of<double>();
    case ScalarType::Half: return py::dtype("float16");
    case ScalarType::Byte: return py::dtype::of<uint8_t>();
    case ScalarType::Char: return py::dtype::of<int8_t>();
    case ScalarType::Short: return py::dtype::of<int16_t>();
    case ScalarType::Int: return py::dtype::of<int32_t>();
    case ScalarType::Long: return py::dtype::of<int64_t>();
    case ScalarType::Bool: return py::dtype::of<bool>();
    default:
      raise(make_error(ErrorCode::kInvalidArgument, "numpy has no dtype for " + dtype_name(dtype)));
  }
}

py::array to_array(HostTensor&& tensor) {
  py::dtype dtype = to_dtype(tensor.dtype);
  auto* owned = new HostTensor(std::move(tensor));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<HostTensor*>(p); });
  std::vector<py::ssize_t> shape(owned->shape.begin(), owned->shape.end());
  return py::array(dtype, shape, owned->data(), free_when_done);
}

}  // namespace etkit::python
