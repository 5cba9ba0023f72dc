// etkit._core: the C++ core, bound to Python. Only type conversion lives here.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "errors.h"
#include "etkit/benchmark.h"
#include "etkit/program.h"
#include "etkit/threads.h"

namespace py = pybind11;

namespace etkit::python {
void bind_runner(py::module_& m);
void bind_describe(py::module_& m);
}

PYBIND11_MODULE(_core, m) {
  m.doc() = "etkit's C++ core: load, run and benchmark ExecuTorch programs.";
  etkit::python::init_errors();
  etkit::python::bind_runner(m);
  etkit::python::bind_describe(m);
  const etkit::BenchParams defaults;  // the one table of benchmark defaults
  m.attr("BENCH_DEFAULTS") = py::dict(py::arg("warmup") = defaults.warmup, py::arg("iterations") = defaults.iterations,
                                      py::arg("min_seconds") = defaults.min_seconds,
                                      py::arg("max_seconds") = defaults.max_seconds);
  m.def("registered_backends", &etkit::registered_backends, "Backends linked into this process.");
  m.def("thread_count", &etkit::thread_count, "Threads in ExecuTorch's shared pool.");
  m.def("set_runtime_log_echo", &etkit::set_runtime_log_echo, py::arg("echo"),
        "Print the runtime's own log lines to stderr (they are captured otherwise).");
}
