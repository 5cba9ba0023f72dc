#include "etkit/program.h"

#include "etkit/describe.h"
#include "etkit/verify.h"
#include "build_info.h"
#include "runtime_abort.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <executorch/extension/data_loader/buffer_data_loader.h>
#include <executorch/extension/flat_tensor/flat_tensor_data_map.h>
#include <executorch/extension/named_data_map/merged_data_map.h>
#include <executorch/extension/memory_allocator/malloc_memory_allocator.h>
#include <executorch/runtime/backend/interface.h>
#include <executorch/runtime/executor/method.h>
#include <executorch/runtime/executor/program.h>
#include <executorch/runtime/platform/platform.h>
#include <executorch/runtime/platform/runtime.h>

namespace etkit {
namespace rt = executorch::runtime;

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// ---- Runtime log capture -------------------------------------------------
// ExecuTorch reports the detail of a failure (which operator is missing, which
// delegate refused) only through ET_LOG. Keep the recent lines of the calling
// thread so that errors can quote them.

std::atomic<bool> g_echo_runtime_log{false};
std::atomic<int> g_exit_code_on_runtime_abort{-1};
thread_local std::vector<std::string> t_runtime_log;
thread_local std::string t_last_fatal;

void capture_log(et_timestamp_t, et_pal_log_level_t level, const char*, const char*, size_t, const char* message,
                 size_t length) {
  std::string line = printable(std::string_view(message, length));
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  if (g_echo_runtime_log) std::fprintf(stderr, "[executorch %c] %s\n", static_cast<char>(level), line.c_str());
  if (level == kFatal) t_last_fatal = line;
  // After a failed kernel the runtime lists each argument's type ("arg 3 with
  // type id 5"): noise next to the line before it that says what failed.
  const bool arg_dump = line.rfind("arg ", 0) == 0 && line.find(" with type id ") != std::string::npos;
  if ((level == kError || level == kFatal) && !arg_dump) {
    if (t_runtime_log.size() >= 4) t_runtime_log.erase(t_runtime_log.begin());
    t_runtime_log.push_back(std::move(line));
  }
}

// A failed ET_CHECK (a kernel handed values of the wrong kind by a damaged
// program, ...): leave the call that reached it when that is safe (see
// runtime_abort.h), else end the process: say why, then exit or abort as
// configured.
[[noreturn]] void on_runtime_abort() {
  detail::leave_failed_check();
  std::fprintf(stderr, "etkit: error: the ExecuTorch runtime stopped on a failed check: %s\n",
               t_last_fatal.empty() ? "(no message)" : t_last_fatal.c_str());
  std::fflush(stderr);
  if (const int code = g_exit_code_on_runtime_abort; code >= 0) std::_Exit(code);
  std::abort();
}

}  // namespace

void exit_on_runtime_abort(int code) { g_exit_code_on_runtime_abort = code; }

void init_runtime() {
  static const rt::PalImpl etkit_pal =
      rt::PalImpl::create(nullptr, on_runtime_abort, nullptr, nullptr, capture_log, nullptr, nullptr, __FILE__);
  static const bool done = [] {
    rt::register_pal(etkit_pal);
    rt::runtime_init();
    detail::prepare_abort_recovery();
    return true;
  }();
  (void)done;
  // Libraries loaded later into the same process (executorch's Python
  // runtime, its quantized-kernels plugin) register their own PAL over ours;
  // take the log and abort hooks back so errors keep the runtime's detail.
  if (rt::get_pal_impl()->emit_log_message != capture_log) rt::register_pal(etkit_pal);
}

namespace {

// Builds an error from a runtime failure, quoting what the runtime logged.
Error runtime_error(ErrorCode code, const std::string& what, rt::Error err) {
  std::string msg = what + " (" + rt::to_string(err) + ")";
  if (!t_runtime_log.empty()) {
    msg += ": runtime says: ";
    for (size_t i = 0; i < t_runtime_log.size(); ++i) msg += (i ? "; " : "") + t_runtime_log[i];
  }
  t_runtime_log.clear();
  return make_error(code, msg);
}

// Builds an error for a runtime call left on a failed check.
Error failed_check_error(ErrorCode code, const std::string& what) {
  std::string msg = what + ": the ExecuTorch runtime stopped on a failed check: " +
                    (t_last_fatal.empty() ? std::string("(no message)") : t_last_fatal);
  t_last_fatal.clear();
  t_runtime_log.clear();
  return make_error(code, msg);
}

Dynamism to_dynamism(executorch::aten::TensorShapeDynamism d) {
  switch (d) {
    case executorch::aten::TensorShapeDynamism::DYNAMIC_BOUND: return Dynamism::kBounded;
    case executorch::aten::TensorShapeDynamism::DYNAMIC_UNBOUND: return Dynamism::kUnbounded;
    default: return Dynamism::kStatic;
  }
}

TensorSpec spec_of(const rt::TensorInfo& info) {
  TensorSpec s;
  s.dtype = info.scalar_type();
  for (int32_t d : info.sizes()) s.shape.push_back(d);
  s.memory_planned = info.is_memory_planned();
  return s;
}

// Non-tensor values: scalars travel as 0-d tensors of int64, float64 or bool;
// None and the rest (lists, strings) as empty tensors.
TensorSpec spec_of_tag(rt::Tag tag) {
  TensorSpec s;
  switch (tag) {
    case rt::Tag::Int: s.dtype = ScalarType::Long, s.kind = ValueKind::kInt; break;
    case rt::Tag::Double: s.dtype = ScalarType::Double, s.kind = ValueKind::kFloat; break;
    case rt::Tag::Bool: s.dtype = ScalarType::Bool, s.kind = ValueKind::kBool; break;
    case rt::Tag::None: s.shape = {0}, s.kind = ValueKind::kNone; break;
    default: s.shape = {0}, s.kind = ValueKind::kOther; break;
  }
  return s;
}

Result<MethodInfo> describe(const rt::MethodMeta& meta) {
  MethodInfo info;
  info.name = printable(meta.name());
  auto collect = [](size_t n, auto tag_of, auto tensor_of, std::vector<TensorSpec>& out,
                    const char* what) -> Status {
    for (size_t i = 0; i < n; ++i) {
      auto tag = tag_of(i);
      if (!tag.ok()) return make_error(ErrorCode::kInvalidProgram, std::string("unreadable ") + what + " metadata");
      if (*tag == rt::Tag::Tensor) {
        auto t = tensor_of(i);
        if (!t.ok()) return make_error(ErrorCode::kInvalidProgram, std::string("unreadable ") + what + " tensor metadata");
        out.push_back(spec_of(*t));
      } else {
        out.push_back(spec_of_tag(*tag));
      }
    }
    return {};
  };
  ETKIT_TRY(collect(
      meta.num_inputs(), [&](size_t i) { return meta.input_tag(i); },
      [&](size_t i) { return meta.input_tensor_meta(i); }, info.inputs, "input"));
  ETKIT_TRY(collect(
      meta.num_outputs(), [&](size_t i) { return meta.output_tag(i); },
      [&](size_t i) { return meta.output_tensor_meta(i); }, info.outputs, "output"));
  for (size_t i = 0; i < meta.num_memory_planned_buffers(); ++i) {
    auto size = meta.memory_planned_buffer_size(i);
    if (size.ok() && *size > 0) info.planned_memory_bytes += static_cast<size_t>(*size);
  }
  for (size_t i = 0; i < meta.num_backends(); ++i) {
    auto name = meta.get_backend_name(i);
    if (name.ok()) info.backends.push_back(printable(*name));
  }
  return info;
}

// A read-only mapping of the whole file: the program, its constants and its
// delegate blobs are read in place, as on a device.
class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::kIo, "cannot open " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return make_error(ErrorCode::kIo, "cannot read " + path + ": not a regular file");
    }
    MappedFile f;
    f.size_ = static_cast<size_t>(st.st_size);
    if (f.size_ > 0) {
      void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        return make_error(ErrorCode::kIo, "cannot map " + path + ": " + std::strerror(errno));
      }
      f.data_ = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
    return f;
  }
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr; }
  MappedFile& operator=(MappedFile&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

// ---- Program ------------------------------------------------------------------

// One .ptd file, mapped, and the runtime's view of its named tensors.
struct DataFile {
  MappedFile file;
  std::optional<executorch::extension::BufferDataLoader> loader;
  std::optional<executorch::extension::FlatTensorDataMap> map;
};

struct Program::Impl {
  MappedFile file;
  std::optional<executorch::extension::BufferDataLoader> loader;
  std::optional<rt::Program> program;
  std::vector<std::unique_ptr<DataFile>> data;  // stable addresses: the maps point into them
  std::vector<const rt::NamedDataMap*> data_maps;
  std::optional<executorch::extension::merged_data_map::MergedDataMap> merged;
  // The file's own method names; Program::method_names() shows them escaped.
  std::vector<std::string> raw_method_names;
  // What methods read named data from: nullptr, the one file's map or the merge.
  const rt::NamedDataMap* named_data() const {
    if (merged) return &*merged;
    return data_maps.empty() ? nullptr : data_maps.front();
  }
};

namespace {

Result<std::unique_ptr<DataFile>> load_data_file(const std::string& path) {
  auto file = MappedFile::open(path);
  if (!file.ok()) return file.error();
  const std::string what = path + " is not a valid ExecuTorch data file (.ptd)";
  if (Status verified = verify_data_file(file->data(), file->size()); !verified.ok()) {
    return make_error(ErrorCode::kInvalidProgram, what + ": " + verified.error().message);
  }
  auto data = std::make_unique<DataFile>();
  data->file = std::move(file.value());
  data->loader.emplace(data->file.data(), data->file.size());
  t_runtime_log.clear();
  auto map = executorch::extension::FlatTensorDataMap::load(&*data->loader);
  if (!map.ok()) return runtime_error(ErrorCode::kInvalidProgram, what, map.error());
  data->map.emplace(std::move(map.get()));
  return data;
}

}  // namespace

Program::Program(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Program::~Program() = default;

size_t Program::file_size() const { return impl_->file.size(); }

Result<std::unique_ptr<Program>> Program::load(const std::string& path, const std::vector<std::string>& data_paths) {
  init_runtime();
  const auto start = Clock::now();
  auto file = MappedFile::open(path);
  if (!file.ok()) return file.error();
  if (file->size() == 0) return make_error(ErrorCode::kInvalidProgram, path + " is empty, not an ExecuTorch program");
  // The runtime trusts the file's offsets and sizes: check them first.
  if (Status verified = verify_program(file->data(), file->size()); !verified.ok()) {
    return make_error(ErrorCode::kInvalidProgram,
                      path + " is not a valid ExecuTorch program: " + verified.error().message);
  }

  auto impl = std::make_shared<Impl>();
  impl->file = std::move(file.value());
  impl->loader.emplace(impl->file.data(), impl->file.size());
  t_runtime_log.clear();
  std::optional<rt::Result<rt::Program>> loaded;
  auto load = [&] { loaded.emplace(rt::Program::load(&*impl->loader, rt::Program::Verification::Minimal)); };
  if (!detail::call_recoverably(load)) {
    return failed_check_error(ErrorCode::kInvalidProgram, path + " is not a valid ExecuTorch program");
  }
  auto& program = *loaded;
  if (!program.ok()) {
    return runtime_error(ErrorCode::kInvalidProgram, path + " is not a valid ExecuTorch program", program.error());
  }
  impl->program.emplace(std::move(program.get()));
  for (const auto& data_path : data_paths) {
    auto data = load_data_file(data_path);
    if (!data.ok()) return data.error();
    impl->data_maps.push_back(&*(*data)->map);
    impl->data.push_back(std::move(data.value()));
  }
  if (impl->data_maps.size() > 1) {
    t_runtime_log.clear();
    auto merged = executorch::extension::merged_data_map::MergedDataMap::load(
        rt::Span<const rt::NamedDataMap*>(impl->data_maps.data(), impl->data_maps.size()));
    if (!merged.ok()) {
      return runtime_error(ErrorCode::kInvalidProgram, "cannot use the data files together", merged.error());
    }
    impl->merged.emplace(std::move(merged.get()));
  }

  std::unique_ptr<Program> self(new Program(std::move(impl)));
  self->path_ = path;
  const rt::Program& p = *self->impl_->program;
  for (size_t i = 0; i < p.num_methods(); ++i) {
    auto name = p.get_method_name(i);
    if (!name.ok()) return make_error(ErrorCode::kInvalidProgram, path + ": unreadable method table");
    self->impl_->raw_method_names.emplace_back(*name);
    self->method_names_.push_back(printable(*name));
  }
  self->load_ms_ = ms_since(start);
  return self;
}

namespace {
// The file's spelling of a method given as the file spells it or as etkit
// shows it (escaped); nullptr when the program has no such method.
const std::string* find_method(const std::vector<std::string>& raw, const std::vector<std::string>& shown,
                               const std::string& name) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == name || shown[i] == name) return &raw[i];
  }
  return nullptr;
}
}  // namespace

Result<MethodInfo> Program::method_info(const std::string& shown_name) const {
  const std::string* raw = find_method(impl_->raw_method_names, method_names_, shown_name);
  const std::string name = raw ? *raw : shown_name;
  if (!raw) {
    std::string names;
    for (const auto& m : method_names_) names += (names.empty() ? "" : ", ") + m;
    return make_error(ErrorCode::kMethodNotFound,
                      "program " + path_ + " has no method '" + name + "' (methods: " + names + ")");
  }
  auto meta = impl_->program->method_meta(name.c_str());
  if (!meta.ok()) return runtime_error(ErrorCode::kInvalidProgram, "cannot read method '" + name + "'", meta.error());
  return describe(*meta);
}

// ---- Method -------------------------------------------------------------------

struct Method::Impl {
  std::shared_ptr<const void> program;  // first member: released last
  // calloc, not a zero-filled vector: a large plan costs address space, not
  // time, until it is used, and a failed allocation is an error, not a throw.
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<uint8_t[], Free>> planned;
  std::vector<rt::Span<uint8_t>> planned_spans;
  std::vector<std::unique_ptr<uint8_t[], Free>> unplanned_outputs;  // see load_method
  std::optional<rt::HierarchicalAllocator> planned_allocator;
  executorch::extension::MallocMemoryAllocator method_allocator;
  executorch::extension::MallocMemoryAllocator temp_allocator;
  std::optional<rt::MemoryManager> memory;
  std::optional<rt::Method> method;

  // Storage behind the TensorImpls handed to set_input: a non-planned input
  // keeps pointing at them until the next set_input.
  struct InputSlot {
    std::vector<executorch::aten::SizesType> sizes;
    std::vector<executorch::aten::DimOrderType> dim_order;
    std::optional<executorch::aten::TensorImpl> impl;
  };
  std::vector<InputSlot> slots;
  std::vector<rt::Tag> input_tags;  // read once: MethodMeta lookups cost per call
  // Set when a runtime call was left on a failed check: the method's state
  // is unknown from then on, so it refuses to run.
  bool left_failed_check = false;

  Status usable(const std::string& name) const {
    if (!left_failed_check) return {};
    return make_error(ErrorCode::kExecution, "method '" + name +
                                                 "' can't run again after it stopped on a failed runtime check; "
                                                 "load the program again");
  }
  Error fail(const std::string& what) {
    left_failed_check = true;
    return failed_check_error(ErrorCode::kExecution, what);
  }
};

Method::Method(std::unique_ptr<Impl> impl, MethodInfo info, double load_ms)
    : impl_(std::move(impl)), info_(std::move(info)), load_ms_(load_ms) {}
Method::~Method() = default;

Result<std::unique_ptr<Method>> Program::load_method(const std::string& shown_name, rt::EventTracer* tracer) {
  auto info = method_info(shown_name);
  if (!info.ok()) return info.error();
  // The file's spelling, which the runtime looks up.
  const std::string name = *find_method(impl_->raw_method_names, method_names_, shown_name);
  const auto start = Clock::now();
  auto impl = std::make_unique<Method::Impl>();
  impl->program = impl_;
  auto meta = impl_->program->method_meta(name.c_str());
  for (size_t i = 0; i < meta->num_memory_planned_buffers(); ++i) {
    const auto size = static_cast<size_t>(meta->memory_planned_buffer_size(i).get());
    impl->planned.emplace_back(static_cast<uint8_t*>(std::calloc(size ? size : 1, 1)));
    if (!impl->planned.back()) {
      return make_error(ErrorCode::kExecution, "cannot allocate " + std::to_string(size) + " bytes of planned memory for '" +
                                                   name + "' of " + path_);
    }
    impl->planned_spans.emplace_back(impl->planned.back().get(), size);
  }
  impl->planned_allocator.emplace(rt::Span<rt::Span<uint8_t>>(impl->planned_spans.data(), impl->planned_spans.size()));
  impl->memory.emplace(&impl->method_allocator, &*impl->planned_allocator, &impl->temp_allocator);

  t_runtime_log.clear();
  std::optional<rt::Result<rt::Method>> loaded;
  auto load = [&] {
    loaded.emplace(impl_->program->load_method(name.c_str(), &*impl->memory, tracer, impl_->named_data()));
  };
  if (!detail::call_recoverably(load)) {
    // Nothing outside the half-built method points into its memory: free it.
    return failed_check_error(ErrorCode::kExecution, "cannot load method '" + name + "' of " + path_);
  }
  auto& method = *loaded;
  if (!method.ok()) {
    Error error = runtime_error(ErrorCode::kExecution, "cannot load method '" + name + "' of " + path_, method.error());
    if (!impl_->named_data()) {
      // The runtime's words ("external_data_map is null") don't say what to do.
      auto described = describe_program(impl_->file.data(), impl_->file.size());
      for (const auto& m : described.ok() ? described->methods : std::vector<MethodDescription>{}) {
        if (m.name != info->name || m.external_data.empty()) continue;  // both names as shown (escaped)
        error.message += "; the program keeps " + std::to_string(m.external_data.size()) +
                         " tensor(s) (e.g. '" + m.external_data.front() +
                         "') in a separate .ptd file: pass it with --data FILE.ptd (Python: Runner(path, data=...))";
      }
    }
    if (method.error() == rt::Error::OperatorMissing && *detail::selected_programs()) {
      error.message += std::string("; this et-run is a selective build: it registers only the operators of ") +
                       detail::selected_programs() +
                       ". Rebuild it with this program among them (cross-build.sh --models, etkit bundle --select-ops)";
    }
    return error;
  }
  impl->method.emplace(std::move(method.get()));

  // Dynamism is known only once the method's values exist.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  for (size_t i = 0; i < info->inputs.size(); ++i) {
    const auto& value = impl->method->get_input(i);
    if (value.isTensor()) info->inputs[i].dynamism = to_dynamism(value.toTensor().shape_dynamism());
    // The value a scalar input was exported with: the only one it accepts.
    if (value.isInt()) info->inputs[i].exported = value.toInt();
    if (value.isDouble()) info->inputs[i].exported = value.toDouble();
    if (value.isBool()) info->inputs[i].exported = value.toBool();
  }
#pragma GCC diagnostic pop
  for (size_t i = 0; i < info->outputs.size(); ++i) {
    const auto& value = impl->method->get_output(i);
    if (value.isTensor()) info->outputs[i].dynamism = to_dynamism(value.toTensor().shape_dynamism());
  }
  // An output the program leaves without memory (exported with memory
  // planning's alloc_graph_output=False) is the caller's to provide; the
  // kernels would write through a null pointer. Give it memory of its own.
  for (size_t i = 0; i < info->outputs.size(); ++i) {
    const auto& value = impl->method->get_output(i);
    if (!value.isTensor() || value.toTensor().const_data_ptr() != nullptr) continue;
    auto meta = impl->method->method_meta().output_tensor_meta(i);
    const size_t nbytes = meta.ok() ? meta->nbytes() : 0;
    if (nbytes == 0) continue;
    impl->unplanned_outputs.emplace_back(static_cast<uint8_t*>(std::calloc(nbytes, 1)));
    if (!impl->unplanned_outputs.back()) {
      return make_error(ErrorCode::kExecution, "cannot allocate " + std::to_string(nbytes) + " bytes for output " +
                                                   std::to_string(i) + " of '" + name + "' of " + path_);
    }
    t_runtime_log.clear();
    const rt::Error err = impl->method->set_output_data_ptr(impl->unplanned_outputs.back().get(), nbytes, i);
    if (err != rt::Error::Ok) {
      return runtime_error(ErrorCode::kExecution, "cannot give output " + std::to_string(i) + " of '" + name + "' of " +
                                                      path_ + " memory", err);
    }
  }
  impl->slots.resize(info->inputs.size());
  for (size_t i = 0; i < info->inputs.size(); ++i) {
    auto tag = impl->method->method_meta().input_tag(i);
    impl->input_tags.push_back(tag.ok() ? *tag : rt::Tag::Tensor);
  }
  return std::unique_ptr<Method>(new Method(std::move(impl), std::move(info.value()), ms_since(start)));
}

Status Method::set_inputs(const std::vector<TensorView>& inputs) {
  ETKIT_TRY(impl_->usable(info_.name));
  if (inputs.size() != info_.inputs.size()) {
    return make_error(ErrorCode::kInvalidInput, "method '" + info_.name + "' takes " +
                                                    std::to_string(info_.inputs.size()) + " input(s), got " +
                                                    std::to_string(inputs.size()));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorView& in = inputs[i];
    // Built only for a message: this runs for every inference.
    const auto what = [&] { return "input " + std::to_string(i) + " of '" + info_.name + "'"; };
    ETKIT_TRY(check_fits(info_.inputs[i], in, what));
    rt::EValue value;
    const rt::Tag tag = impl_->input_tags[i];
    if (tag != rt::Tag::Tensor) {
      // Scalar inputs arrive as one-element tensors (check_fits made sure).
      const auto scalar = scalar_of(in, info_.inputs[i].kind);
      if (tag == rt::Tag::Int && scalar) {
        value = rt::EValue(std::get<int64_t>(*scalar));
      } else if (tag == rt::Tag::Double && scalar) {
        value = rt::EValue(std::get<double>(*scalar));
      } else if (tag == rt::Tag::Bool && scalar) {
        value = rt::EValue(std::get<bool>(*scalar));
      } else if (tag != rt::Tag::None) {
        return make_error(ErrorCode::kInvalidInput, what() + " is of a kind etkit cannot pass (" +
                                                        value_kind_name(info_.inputs[i].kind) + ")");
      }  // None: value stays None
    } else {
      auto& slot = impl_->slots[i];
      slot.sizes.assign(in.shape.begin(), in.shape.end());
      slot.dim_order.resize(in.shape.size());
      for (size_t d = 0; d < in.shape.size(); ++d) slot.dim_order[d] = static_cast<uint8_t>(d);
      // The runtime reads but never writes an input it copies or points at.
      slot.impl.emplace(in.dtype, static_cast<ssize_t>(in.shape.size()), slot.sizes.data(), const_cast<void*>(in.data),
                        slot.dim_order.data(), nullptr, executorch::aten::TensorShapeDynamism::STATIC);
      value = rt::EValue(executorch::aten::Tensor(&*slot.impl));
    }
    t_runtime_log.clear();
    rt::Error err = rt::Error::Ok;
    auto set = [&] { err = impl_->method->set_input(value, i); };
    if (!detail::call_recoverably(set)) return impl_->fail(what() + " was rejected");
    if (err != rt::Error::Ok) return runtime_error(ErrorCode::kInvalidInput, what() + " was rejected", err);
  }
  return {};
}

Status Method::execute() {
  ETKIT_TRY(impl_->usable(info_.name));
  init_runtime();  // a library loaded since the method was may have taken the log hook
  t_runtime_log.clear();
  const auto start = Clock::now();
  rt::Error err = rt::Error::Ok;
  auto run = [&] { err = impl_->method->execute(); };
  if (!detail::call_recoverably(run)) return impl_->fail("executing method '" + info_.name + "' failed");
  if (first_execute_ms_ == 0) first_execute_ms_ = ms_since(start);
  if (err != rt::Error::Ok) {
    return runtime_error(ErrorCode::kExecution, "executing method '" + info_.name + "' failed", err);
  }
  return {};
}

std::vector<TensorView> Method::outputs() const {
  std::vector<TensorView> out;
  out.reserve(impl_->method->outputs_size());
  for (size_t i = 0; i < impl_->method->outputs_size(); ++i) {
    const rt::EValue& v = impl_->method->get_output(i);
    if (v.isTensor()) {
      const auto& t = v.toTensor();
      TensorView view{t.scalar_type(), {}, t.const_data_ptr()};
      for (auto d : t.sizes()) view.shape.push_back(d);
      out.push_back(std::move(view));
    } else if (v.isInt()) {
      out.push_back(TensorView{ScalarType::Long, {}, &v.payload.copyable_union.as_int});
    } else if (v.isDouble()) {
      out.push_back(TensorView{ScalarType::Double, {}, &v.payload.copyable_union.as_double});
    } else if (v.isBool()) {
      out.push_back(TensorView{ScalarType::Bool, {}, &v.payload.copyable_union.as_bool});
    } else {
      out.push_back(TensorView{ScalarType::Float, {0}, nullptr});
    }
  }
  return out;
}

Status Method::execute_with(const std::vector<TensorView>& inputs) {
  ETKIT_TRY(set_inputs(inputs));
  return execute();
}

Status Method::run(const std::vector<TensorView>& inputs, const OutputSink& sink) {
  std::lock_guard<std::mutex> guard(mutex_);
  ETKIT_TRY(set_inputs(inputs));
  ETKIT_TRY(execute());
  if (sink) sink(outputs());
  return {};
}

// ---- Process-wide -------------------------------------------------------------

std::vector<std::string> registered_backends() {
  init_runtime();
  std::vector<std::string> names;
  for (size_t i = 0; i < rt::get_num_registered_backends(); ++i) {
    auto name = rt::get_backend_name(i);
    if (name.ok()) names.emplace_back(*name);
  }
  return names;
}

void set_runtime_log_echo(bool echo) {
  init_runtime();
  g_echo_runtime_log = echo;
}

}  // namespace etkit
