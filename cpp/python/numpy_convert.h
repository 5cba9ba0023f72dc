// numpy arrays <-> core tensors. Inputs are viewed without copying when they
// are C-contiguous and of a supported dtype.
#pragma once

#include <pybind11/numpy.h>

#include <vector>

#include "etkit/tensor.h"

namespace etkit::python {

/// Views of `arrays` (kept alive in `keep`, contiguous copies made only when
/// an array is not C-contiguous). Raises InputError on unsupported dtypes.
std::vector<TensorView> view_arrays(const pybind11::sequence& arrays, std::vector<pybind11::array>& keep);

/// A numpy array that takes ownership of `tensor`'s bytes.
pybind11::array to_array(HostTensor&& tensor);

/// numpy dtype of a core dtype.
pybind11::dtype to_dtype(ScalarType dtype);

}  // namespace etkit::python
