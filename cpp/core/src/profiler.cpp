#include "etkit/profiler.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <map>

#include <executorch/devtools/etdump/etdump_flatcc.h>
#include <executorch/runtime/core/event_tracer.h>
#include <executorch/runtime/platform/platform.h>

namespace etkit {
namespace rt = executorch::runtime;

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Records the duration of every profiling event, by name. Only timing is
// kept; value logging and allocation tracking are declined.
class TimingTracer final : public rt::EventTracer {
 public:
  struct Event {
    std::string name;
    std::string kind;  // "operator", "delegate" or "in delegate"
    int64_t ns = 0;
  };
  std::string delegate_name = "delegate";
  std::vector<Event> events;
  bool recording = false;

  void create_event_block(const char*) override {}
  rt::EventTracerEntry start_profiling(const char* name, rt::ChainID chain_id, rt::DebugHandle handle) override {
    return entry(name, chain_id, handle, rt::DelegateDebugIdType::kNone);
  }
  rt::EventTracerEntry start_profiling_delegate(const char* name, rt::DelegateDebugIntId index) override {
    return entry(name, -1, static_cast<rt::DebugHandle>(index),
                 name ? rt::DelegateDebugIdType::kStr : rt::DelegateDebugIdType::kInt);
  }
  void end_profiling_delegate(rt::EventTracerEntry e, const void*, size_t) override { finish(e, true); }
  // XNNPACK reports each of its operators after the fact, in PAL ticks.
  void log_profiling_delegate(const char* name, rt::DelegateDebugIntId index, et_timestamp_t start,
                              et_timestamp_t end, const void*, size_t) override {
    if (!recording) return;
    const et_tick_ratio_t ratio = et_pal_ticks_to_ns_multiplier();
    const int64_t ns = static_cast<int64_t>((end - start) * ratio.numerator / std::max<uint64_t>(ratio.denominator, 1));
    events.push_back({name ? name : "delegate op #" + std::to_string(index), "in delegate", ns});
  }
  void end_profiling(rt::EventTracerEntry e) override { finish(e, false); }
  void track_allocation(rt::AllocatorID, size_t) override {}
  rt::AllocatorID track_allocator(const char*) override { return 0; }
  rt::Result<bool> log_evalue(const rt::EValue&, rt::LoggedEValueType) override { return false; }
  rt::Result<bool> log_intermediate_output_delegate(const char*, rt::DelegateDebugIntId,
                                                    const executorch::aten::Tensor&) override {
    return false;
  }
  rt::Result<bool> log_intermediate_output_delegate(const char*, rt::DelegateDebugIntId,
                                                    const rt::ArrayRef<executorch::aten::Tensor>) override {
    return false;
  }
  rt::Result<bool> log_intermediate_output_delegate(const char*, rt::DelegateDebugIntId, const int&) override {
    return false;
  }
  rt::Result<bool> log_intermediate_output_delegate(const char*, rt::DelegateDebugIntId, const bool&) override {
    return false;
  }
  rt::Result<bool> log_intermediate_output_delegate(const char*, rt::DelegateDebugIntId, const double&) override {
    return false;
  }
  void set_delegation_intermediate_output_filter(rt::EventTracerFilterBase*) override {}

 private:
  // Names are kept per open event: the runtime passes string literals, but a
  // delegate may pass a name it frees after the call.
  std::map<int64_t, std::string> open_names_;
  int64_t next_id_ = 0;

  rt::EventTracerEntry entry(const char* name, rt::ChainID chain, rt::DebugHandle handle, rt::DelegateDebugIdType t) {
    rt::EventTracerEntry e{};
    e.event_id = next_id_++;
    e.chain_id = chain;
    e.debug_handle = handle;
    e.delegate_event_id_type = t;
    open_names_[e.event_id] = name ? name : "";
    e.start_time = static_cast<et_timestamp_t>(now_ns());
    return e;
  }
  // The runtime nests its events: Method::execute > OPERATOR_CALL >
  // native_call_<op> (from the kernel), or > DELEGATE_CALL. Ends arrive
  // innermost first, so the kernel's name is known when its call ends.
  std::string pending_op_;

  void finish(const rt::EventTracerEntry& e, bool from_delegate) {
    const int64_t ns = now_ns() - static_cast<int64_t>(e.start_time);
    auto it = open_names_.find(e.event_id);
    if (it == open_names_.end()) return;
    std::string name = std::move(it->second);
    open_names_.erase(it);
    if (!recording) return;
    static constexpr char kKernelPrefix[] = "native_call_";
    if (from_delegate) {
      events.push_back({std::move(name), "in delegate", ns});
    } else if (name.rfind(kKernelPrefix, 0) == 0) {
      pending_op_ = name.substr(sizeof(kKernelPrefix) - 1);
    } else if (name == "OPERATOR_CALL") {
      events.push_back({pending_op_.empty() ? "operator #" + std::to_string(e.debug_handle) : pending_op_,
                        "operator", ns});
      pending_op_.clear();
    } else if (name == "DELEGATE_CALL") {
      events.push_back({delegate_name, "delegate", ns});
    }
    // Method::execute is timed by the caller.
  }
};

}  // namespace

Result<Profile> profile_method(Program& program, const std::string& method_name,
                               const std::vector<TensorView>& inputs, int64_t warmup, int64_t runs) {
  if (runs < 1) return make_error(ErrorCode::kInvalidArgument, "profiling needs at least one run");
  TimingTracer tracer;
  auto info = program.method_info(method_name);
  if (!info.ok()) return info.error();
  // One row for every delegate call: named by its backend, or by each
  // backend the method uses ("A+B") when there are several.
  std::vector<std::string> backends;
  for (const auto& b : info->backends) {
    if (std::find(backends.begin(), backends.end(), b) == backends.end()) backends.push_back(b);
  }
  for (size_t i = 0; i < backends.size(); ++i) tracer.delegate_name = (i ? tracer.delegate_name + "+" : "") + backends[i];
  auto method = program.load_method(method_name, &tracer);
  if (!method.ok()) return method.error();
  auto lock = (*method)->lock();
  for (int64_t i = 0; i < warmup; ++i) ETKIT_TRY((*method)->execute_with(inputs));

  tracer.recording = true;
  double total_ms = 0;
  for (int64_t i = 0; i < runs; ++i) {
    ETKIT_TRY((*method)->set_inputs(inputs));  // untimed: the table is about execute()
    const int64_t start = now_ns();
    ETKIT_TRY((*method)->execute());
    total_ms += static_cast<double>(now_ns() - start) / 1e6;
  }

  Profile profile;
  profile.method = info->name;  // escaped for display
  profile.runs = runs;
  profile.execute_ms = total_ms / static_cast<double>(runs);
  std::map<std::string, OpTiming> by_name;
  for (const auto& e : tracer.events) {
    auto& t = by_name[e.name];
    t.name = printable(e.name);  // names come from the program and its delegates
    t.kind = e.kind;
    t.calls += 1;
    t.ms += static_cast<double>(e.ns) / 1e6;
  }
  for (auto& [name, t] : by_name) {
    t.calls /= runs;
    t.ms /= static_cast<double>(runs);
    profile.ops.push_back(t);
  }
  std::sort(profile.ops.begin(), profile.ops.end(), [](const OpTiming& a, const OpTiming& b) { return a.ms > b.ms; });
  return profile;
}

Status write_etdump(Program& program, const std::string& method_name, const std::vector<TensorView>& inputs,
                    int64_t runs, const std::string& path) {
  executorch::etdump::ETDumpGen etdump;
  auto method = program.load_method(method_name, &etdump);
  if (!method.ok()) return method.error();
  auto lock = (*method)->lock();
  for (int64_t i = 0; i < std::max<int64_t>(runs, 1); ++i) {
    etdump.create_event_block("Execute");
    ETKIT_TRY((*method)->execute_with(inputs));
  }
  executorch::etdump::ETDumpResult result = etdump.get_etdump_data();
  if (result.buf == nullptr || result.size == 0) {
    return make_error(ErrorCode::kExecution, "the ETDump tracer produced no data");
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  bool ok = f && std::fwrite(result.buf, 1, result.size, f) == result.size;
  int err = errno;
  if (f && std::fclose(f) != 0 && ok) ok = false, err = errno;
  std::free(result.buf);
  if (!ok) return make_error(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(err));
  return {};
}

}  // namespace etkit
