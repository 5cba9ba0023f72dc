// etkit._core.describe_program / describe_bundled: the core's description of
// a program as the dict etkit.inspect returns (its "path" key is added in Python).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "errors.h"
#include "etkit/describe.h"
#if ETKIT_WITH_BUNDLED
#include "etkit/bundled.h"
#endif

namespace py = pybind11;

namespace etkit::python {
namespace {

py::object optional_value(const std::optional<uint64_t>& v) { return v ? py::object(py::int_(*v)) : py::none(); }

py::dict value_dict(const ValueDescription& v) {
  py::dict d;
  if (!v.is_tensor) {
    d["kind"] = v.kind;
    if (!std::holds_alternative<std::monostate>(v.value)) d["value"] = py::cast(v.value);  // int, float or bool
    return d;
  }
  d["dtype"] = v.dtype;
  py::list shape;
  for (int64_t s : v.shape) shape.append(s);
  d["shape"] = shape;
  d["dynamism"] = v.dynamism;
  return d;
}

py::list value_list(const std::vector<ValueDescription>& values) {
  py::list out;
  for (const auto& v : values) out.append(value_dict(v));
  return out;
}

py::dict method_dict(const MethodDescription& m) {
  py::dict operators;
  for (const auto& [name, calls] : m.operators) operators[py::str(name)] = calls;
  py::list delegates;
  for (const auto& d : m.delegates) {
    py::dict dd;
    dd["backend"] = d.backend;
    dd["calls"] = d.calls;
    dd["bytes"] = d.bytes;
    dd["nodes"] = optional_value(d.nodes);
    dd["share"] = d.share ? py::object(py::float_(*d.share)) : py::none();
    delegates.append(dd);
  }
  py::dict out;
  out["name"] = m.name;
  out["inputs"] = value_list(m.inputs);
  out["outputs"] = value_list(m.outputs);
  out["operators"] = operators;
  out["kernel_calls"] = m.kernel_calls;
  out["delegates"] = delegates;
  out["planned_memory_bytes"] = m.planned_memory_bytes;
  out["external_data"] = m.external_data;
  return out;
}

py::dict program_dict(const ProgramDescription& p) {
  py::list methods;
  for (const auto& m : p.methods) methods.append(method_dict(m));
  const SizeBreakdown& s = p.sizes;
  py::dict sizes;
  sizes["file"] = s.file;
  sizes["program"] = s.program;
  sizes["constants"] = s.constants;
  sizes["delegates"] = s.delegates;
  sizes["named_data"] = s.named_data;
  sizes["mutable_data"] = s.mutable_data;
  sizes["other"] = s.other;
  sizes["padding"] = s.padding;
  py::dict out;
  out["version"] = p.version;
  out["methods"] = methods;
  out["sizes"] = sizes;
  if (p.bundled) {
    py::dict cases;
    for (const auto& [method, n] : p.bundled->test_cases) cases[py::str(method)] = n;
    py::dict bundled;
    bundled["file_bytes"] = p.bundled->file_bytes;
    bundled["test_cases"] = cases;
    out["bundled"] = bundled;
  }
  return out;
}

// Described without the GIL: the bytes object is kept alive by the caller.
template <typename Describe>
py::dict describe_bytes(const py::bytes& data, Describe describe) {
  std::string_view view = data;
  Result<ProgramDescription> described = [&] {
    py::gil_scoped_release no_gil;
    return describe(reinterpret_cast<const uint8_t*>(view.data()), view.size());
  }();
  return program_dict(unwrap(std::move(described)));
}

}  // namespace

void bind_describe(py::module_& m) {
  m.def("describe_program", [](const py::bytes& data) { return describe_bytes(data, &describe_program); },
        py::arg("data"), "What a .pte holds (etkit.inspect's dict, without its path).");
#if ETKIT_WITH_BUNDLED
  m.def("describe_bundled", [](const py::bytes& data) { return describe_bytes(data, &describe_bundled); },
        py::arg("data"), "What a .bpte holds: the program inside, and its test cases per method.");
#endif
}

}  // namespace etkit::python
