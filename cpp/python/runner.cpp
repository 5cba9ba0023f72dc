// etkit._core.Runner: a Program and one loaded Method, bound to Python.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>

#include "errors.h"
#include "etkit/benchmark.h"
#include "etkit/inputs.h"
#include "etkit/profiler.h"
#include "etkit/program.h"
#include "etkit/threads.h"
#include "numpy_convert.h"

namespace py = pybind11;

namespace etkit::python {
namespace {

class Runner {
 public:
  Runner(const std::string& path, const std::string& method, std::optional<int64_t> threads,
         const std::vector<std::string>& data) {
    if (threads) unwrap(set_thread_count(*threads));
    {
      py::gil_scoped_release no_gil;  // loading may take long; let other threads run
      auto program = Program::load(path, data);
      if (program.ok()) {
        program_ = std::move(program).value();
        auto loaded = program_->load_method(method);
        if (loaded.ok()) method_ = std::move(loaded).value();
        else error_ = loaded.error();
      } else {
        error_ = program.error();
      }
    }
    if (error_) raise(*error_);
    static_outputs_ = true;
    for (const auto& spec : method_->info().outputs) {
      static_outputs_ = static_outputs_ && spec.dynamism == Dynamism::kStatic && dtype_size(spec.dtype) > 0;
    }
  }

  py::list run(const py::object& inputs) {
    std::vector<py::array> keep;
    const auto views = view_arrays(as_sequence(inputs), keep);
    Status status;
    if (static_outputs_) {
      // Output shapes are known: allocate the arrays first and copy into them
      // while the method's memory is valid, without the GIL.
      const auto& specs = method_->info().outputs;
      py::list result(specs.size());
      std::vector<std::pair<void*, size_t>> dests;
      for (size_t i = 0; i < specs.size(); ++i) {
        py::array a(to_dtype(specs[i].dtype), std::vector<py::ssize_t>(specs[i].shape.begin(), specs[i].shape.end()));
        dests.emplace_back(a.mutable_data(), specs[i].nbytes());
        result[i] = std::move(a);
      }
      {
        GilRelease no_gil(quick_);
        status = method_->run(views, [&](const std::vector<TensorView>& out) {
          for (size_t i = 0; i < out.size() && i < dests.size(); ++i) {
            if (out[i].nbytes() != dests[i].second) {  // the runtime disagreed with the metadata
              status = make_error(ErrorCode::kExecution, "output " + std::to_string(i) + " has shape " +
                                                             shape_string(out[i].shape) + ", not the declared one");
              return;
            }
            if (dests[i].second) std::memcpy(dests[i].first, out[i].data, dests[i].second);
          }
        });
      }
      unwrap(status);
      return result;
    }
    std::vector<HostTensor> outputs;
    {
      GilRelease no_gil(quick_);
      status = method_->run(views, [&](const std::vector<TensorView>& out) {
        outputs.reserve(out.size());
        for (const auto& v : out) outputs.push_back(HostTensor::copy_of(v));
      });
    }
    unwrap(status);
    py::list result(outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) result[i] = to_array(std::move(outputs[i]));
    return result;
  }

  std::string benchmark_json(int64_t warmup, int64_t iterations, double min_seconds, double max_seconds,
                             const std::optional<py::object>& inputs, uint64_t seed) {
    BenchParams params{warmup, iterations, min_seconds, max_seconds};
    std::vector<py::array> keep;
    std::vector<HostTensor> generated;
    const auto views = resolve_inputs(inputs, seed, keep, generated);
    Result<BenchReport> report = make_error(ErrorCode::kExecution, "not run");
    {
      py::gil_scoped_release no_gil;
      report = run_benchmark(*program_, *method_, views, params);
    }
    return to_json(unwrap(std::move(report)));
  }

  // One array per method input, as a list or tuple (fast) or any iterable.
  static py::sequence as_sequence(const py::object& inputs) {
    if (py::isinstance<py::list>(inputs) || py::isinstance<py::tuple>(inputs)) return inputs;
    if (py::isinstance<py::array>(inputs)) {
      raise(make_error(ErrorCode::kInvalidInput,
                       "inputs must be a list with one array per method input; wrap a single array as [x]"));
    }
    const std::string kind = py::str(py::type::handle_of(inputs).attr("__name__"));
    if (py::isinstance<py::str>(inputs) || py::isinstance<py::bytes>(inputs) || py::isinstance<py::dict>(inputs) ||
        !py::hasattr(inputs, "__iter__")) {
      raise(make_error(ErrorCode::kInvalidInput, "inputs must be a list of numpy arrays, got " + kind));
    }
    try {
      return py::list(inputs);
    } catch (py::error_already_set&) {
      raise(make_error(ErrorCode::kInvalidInput, "inputs of type " + kind + " could not be iterated"));
    }
  }

  py::list profile(int64_t warmup, int64_t runs, const std::optional<py::object>& inputs, uint64_t seed) {
    std::vector<py::array> keep;
    std::vector<HostTensor> generated;
    const auto views = resolve_inputs(inputs, seed, keep, generated);
    Result<Profile> profile = make_error(ErrorCode::kExecution, "not run");
    {
      py::gil_scoped_release no_gil;
      profile = profile_method(*program_, method_->info().name, views, warmup, runs);
    }
    const Profile p = unwrap(std::move(profile));
    py::list rows;
    for (const auto& op : p.ops) {
      rows.append(py::dict(py::arg("name") = op.name, py::arg("kind") = op.kind, py::arg("calls") = op.calls,
                           py::arg("ms") = op.ms, py::arg("share") = p.execute_ms > 0 ? op.ms / p.execute_ms : 0.0));
    }
    return rows;
  }

  static py::list specs(const std::vector<TensorSpec>& specs) {
    py::list out;
    for (const auto& s : specs) {
      const char* dynamism = s.dynamism == Dynamism::kStatic ? "static" : s.dynamism == Dynamism::kBounded ? "bounded" : "unbounded";
      // pybind11's variant caster: nothing -> None, else int, float or bool.
      out.append(py::make_tuple(dtype_name(s.dtype), py::tuple(py::cast(s.shape)), dynamism,
                                value_kind_name(s.kind), py::cast(s.exported)));
    }
    return out;
  }

  const Program& program() const { return *program_; }
  const Method& method() const { return *method_; }

 private:
  std::vector<TensorView> resolve_inputs(const std::optional<py::object>& inputs, uint64_t seed,
                                         std::vector<py::array>& keep, std::vector<HostTensor>& generated) {
    if (inputs && !inputs->is_none()) return view_arrays(as_sequence(*inputs), keep);
    generated = unwrap(load_inputs(method_->info(), {}, seed));
    return views_of(generated);
  }

  std::unique_ptr<Program> program_;
  std::unique_ptr<Method> method_;
  bool static_outputs_ = false;
  // Runs that take microseconds keep the GIL: releasing and taking it back
  // would cost a good part of the run. Other threads wait at most that long.
  std::atomic<bool> quick_{false};

  // Releases the GIL for a run unless the method is quick; learns which.
  class GilRelease {
   public:
    explicit GilRelease(std::atomic<bool>& quick) : quick_(quick), start_(std::chrono::steady_clock::now()) {
      if (!quick_) released_.emplace();
    }
    ~GilRelease() {
      quick_ = std::chrono::steady_clock::now() - start_ < std::chrono::microseconds(50);
    }

   private:
    std::atomic<bool>& quick_;
    std::chrono::steady_clock::time_point start_;
    std::optional<py::gil_scoped_release> released_;
  };
  std::optional<Error> error_;
};

}  // namespace

void bind_runner(py::module_& m) {
  py::class_<Runner>(m, "Runner", "A loaded ExecuTorch program and one of its methods (the C++ core).")
      .def(py::init<const std::string&, const std::string&, std::optional<int64_t>, const std::vector<std::string>&>(),
           py::arg("path"), py::arg("method") = "forward", py::arg("threads") = py::none(),
           py::arg("data") = std::vector<std::string>{})
      .def("run", &Runner::run, py::arg("inputs"), "Runs the method; returns its outputs as numpy arrays.")
      .def("_benchmark_json", &Runner::benchmark_json, py::arg("warmup"), py::arg("iterations"), py::arg("min_seconds"),
           py::arg("max_seconds"), py::arg("inputs") = py::none(), py::arg("seed") = 0)
      .def("_profile", &Runner::profile, py::arg("warmup"), py::arg("runs"), py::arg("inputs") = py::none(),
           py::arg("seed") = 0)
      .def_property_readonly("path", [](const Runner& r) { return r.program().path(); })
      .def_property_readonly("method", [](const Runner& r) { return r.method().info().name; })
      .def_property_readonly("method_names", [](const Runner& r) { return r.program().method_names(); })
      .def_property_readonly("_input_specs", [](const Runner& r) { return Runner::specs(r.method().info().inputs); })
      .def_property_readonly("_output_specs", [](const Runner& r) { return Runner::specs(r.method().info().outputs); })
      .def_property_readonly("planned_memory_bytes", [](const Runner& r) { return r.method().info().planned_memory_bytes; })
      .def_property_readonly("backends", [](const Runner& r) { return r.method().info().backends; })
      .def_property_readonly("load_ms", [](const Runner& r) { return r.program().load_ms(); })
      .def_property_readonly("method_load_ms", [](const Runner& r) { return r.method().load_ms(); });
}

}  // namespace etkit::python
