// One ExecuTorch program and its methods, loaded the way a device loads them.
//
// Shaped like ExecuTorch's extension/module: an object per program, methods
// loaded on demand, errors returned as values. Unlike Module it keeps the
// timings of every stage and checks inputs before they reach the runtime, so
// a bad input gets a message instead of a runtime log line.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "etkit/result.h"
#include "etkit/tensor.h"

namespace executorch::runtime {
class EventTracer;
}

namespace etkit {

/// What a method takes and returns, read from the program's metadata.
struct MethodInfo {
  std::string name;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  /// Bytes of the memory-planned buffers the method needs (activations).
  size_t planned_memory_bytes = 0;
  /// Backends the method delegates to, e.g. "XnnpackBackend".
  std::vector<std::string> backends;
};

class Method;

/// A loaded .pte file.
class Program {
 public:
  /// Maps the file and parses the program header. Fails with kIo when the file
  /// can't be read, kInvalidProgram when it is not an ExecuTorch program.
  /// `data_paths`: .ptd files holding tensors the program keeps outside
  /// itself (weights exported with external constants), checked and mapped
  /// the same way and handed to every method the program loads.
  [[nodiscard]] static Result<std::unique_ptr<Program>> load(const std::string& path,
                                                             const std::vector<std::string>& data_paths = {});

  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  const std::string& path() const { return path_; }
  size_t file_size() const;
  /// Names of the program's methods, in the order the file lists them.
  const std::vector<std::string>& method_names() const { return method_names_; }
  /// Inputs, outputs and planned memory of a method, without loading it.
  [[nodiscard]] Result<MethodInfo> method_info(const std::string& name) const;
  /// Loads a method: allocates its planned memory, resolves its operators and
  /// initialises its delegates. `tracer` (optional) must outlive the method.
  [[nodiscard]] Result<std::unique_ptr<Method>> load_method(
      const std::string& name, executorch::runtime::EventTracer* tracer = nullptr);

  /// Wall time of load(), in milliseconds.
  double load_ms() const { return load_ms_; }

 private:
  struct Impl;
  explicit Program(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with its methods, which read its memory
  std::string path_;
  std::vector<std::string> method_names_;
  double load_ms_ = 0;
};

/// A method ready to run. Execution of one Method is serialised: it may be
/// called from several threads, one run at a time.
class Method {
 public:
  ~Method();
  Method(const Method&) = delete;
  Method& operator=(const Method&) = delete;

  const MethodInfo& info() const { return info_; }
  /// Wall time of Program::load_method(), in milliseconds.
  double load_ms() const { return load_ms_; }
  /// Wall time of the first execute(), in milliseconds; 0 before it.
  double first_execute_ms() const { return first_execute_ms_; }

  /// Called with the outputs of a run. The views point into the method's own
  /// memory and are valid only during the call.
  using OutputSink = std::function<void(const std::vector<TensorView>&)>;

  /// Checks the inputs against the method (count, dtype, shape, bounds), sets
  /// them, executes, and hands the outputs to `sink` (may be empty).
  [[nodiscard]] Status run(const std::vector<TensorView>& inputs, const OutputSink& sink = {});

  /// The lock that run() takes. Hold it around the calls below, which
  /// benchmark loops use to run many times.
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }
  /// Checks and sets inputs without running. Caller holds lock().
  [[nodiscard]] Status set_inputs(const std::vector<TensorView>& inputs);
  /// Sets the inputs and executes: one inference. Caller holds lock().
  /// Inputs are set for every execution because memory planning may give a
  /// consumed input's bytes to later activations: executing again on the
  /// inputs set last time would read garbage.
  [[nodiscard]] Status execute_with(const std::vector<TensorView>& inputs);
  /// Executes with the inputs just set. Caller holds lock().
  [[nodiscard]] Status execute();
  /// Views of the outputs of the last execute(). Caller holds lock().
  std::vector<TensorView> outputs() const;

 private:
  friend class Program;
  struct Impl;
  explicit Method(std::unique_ptr<Impl> impl, MethodInfo info, double load_ms);
  std::unique_ptr<Impl> impl_;
  MethodInfo info_;
  double load_ms_ = 0;
  double first_execute_ms_ = 0;
  std::mutex mutex_;
};

/// Initialises the ExecuTorch runtime once per process and routes its log
/// lines through etkit. Every entry point of the core calls it.
void init_runtime();

/// What this build is: etkit's and ExecuTorch's versions, and the programs a
/// selective build registers operators for (et-run --version).
std::string build_description();

/// Names of the backends linked into this process, e.g. {"XnnpackBackend"}.
std::vector<std::string> registered_backends();

/// Runtime log lines (ExecuTorch's ET_LOG) are captured, not printed, so that
/// users see etkit's messages. With `echo` they are also written to stderr.
void set_runtime_log_echo(bool echo);

/// The runtime stops the process when one of its internal checks fails (a
/// damaged program can trigger that inside a kernel). Where it is safe, etkit
/// leaves the failed call instead: the core function returns kExecution (or
/// kInvalidProgram while loading) with the check's message, and the method
/// refuses to run again. Where it is not (inside the thread pool or a
/// backend, see runtime_abort.h), etkit prints the check and the process
/// ends; with this, a command-line tool then exits with `code` instead of
/// raising SIGABRT. Not for library hosts such as Python.
void exit_on_runtime_abort(int code);

}  // namespace etkit
