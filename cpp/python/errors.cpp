#include "errors.h"

namespace py = pybind11;

namespace etkit::python {
namespace {
// Borrowed for the life of the process: the module keeps etkit.errors alive.
PyObject* g_classes[6] = {};

PyObject* class_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kIo:
    case ErrorCode::kInvalidProgram: return g_classes[0];
    case ErrorCode::kMethodNotFound: return g_classes[1];
    case ErrorCode::kInvalidInput: return g_classes[2];
    case ErrorCode::kExecution: return g_classes[3];
    case ErrorCode::kInvalidArgument: return g_classes[4];
  }
  return g_classes[5];
}
}  // namespace

void init_errors() {
  py::module_ errors = py::module_::import("etkit.errors");
  const char* names[] = {"ProgramError", "MethodNotFoundError", "InputError", "ExecutionError", "ArgumentError",
                         "EtkitError"};
  for (int i = 0; i < 6; ++i) g_classes[i] = py::object(errors.attr(names[i])).release().ptr();  // kept forever
}

void raise(const Error& error) {
  // Messages may quote bytes of a damaged file: decode leniently, or the
  // caller would get a UnicodeDecodeError instead of the etkit error.
  PyObject* message = PyUnicode_DecodeUTF8(error.message.data(), static_cast<Py_ssize_t>(error.message.size()), "replace");
  if (message) {
    PyErr_SetObject(class_for(error.code), message);
    Py_DECREF(message);
  }
  throw py::error_already_set();
}

}  // namespace etkit::python
