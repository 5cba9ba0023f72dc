// Maps core errors onto etkit.errors exception classes: the one place that does.
#pragma once

#include <pybind11/pybind11.h>

#include "etkit/result.h"

namespace etkit::python {

/// Imports etkit.errors once; call from module init.
void init_errors();
/// Raises the Python exception for `error` (throws pybind11::error_already_set).
[[noreturn]] void raise(const Error& error);

/// The value of a Result, or raise its error.
template <typename T>
T unwrap(Result<T>&& r) {
  if (!r.ok()) raise(r.error());
  return std::move(r).value();
}
inline void unwrap(const Status& s) {
  if (!s.ok()) raise(s.error());
}

}  // namespace etkit::python
