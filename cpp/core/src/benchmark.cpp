#include "etkit/benchmark.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "etkit/threads.h"

namespace etkit {

std::string BenchParams::validate() const {
  if (warmup < 0) return "--warmup must be 0 or more, got " + std::to_string(warmup);
  if (iterations < 1) return "--iterations must be 1 or more, got " + std::to_string(iterations);
  if (!(min_seconds >= 0)) return "--min-seconds must be 0 or more, got " + std::to_string(min_seconds);
  if (!(max_seconds >= 0)) return "--max-seconds must be 0 or more, got " + std::to_string(max_seconds);
  if (max_seconds > 0 && max_seconds < min_seconds) {
    return "--max-seconds (" + std::to_string(max_seconds) + ") is below --min-seconds (" +
           std::to_string(min_seconds) + ")";
  }
  return {};
}

Result<BenchReport> run_benchmark(const Program& program, Method& method, const std::vector<TensorView>& inputs,
                                  const BenchParams& params) {
  if (auto problem = params.validate(); !problem.empty()) return make_error(ErrorCode::kInvalidArgument, problem);
  using Clock = std::chrono::steady_clock;
  auto lock = method.lock();

  // The first inference counts even when it happens here.
  if (method.first_execute_ms() == 0) ETKIT_TRY(method.execute_with(inputs));
  for (int64_t i = 0; i < params.warmup; ++i) ETKIT_TRY(method.execute_with(inputs));

  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(params.iterations));
  const auto begin = Clock::now();
  double elapsed = 0;
  while (true) {
    const auto start = Clock::now();
    const Status status = method.execute_with(inputs);  // a whole inference, as Module::forward
    const auto end = Clock::now();
    if (!status.ok()) return status.error();
    samples.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    elapsed = std::chrono::duration<double>(end - begin).count();
    const bool enough = static_cast<int64_t>(samples.size()) >= params.iterations && elapsed >= params.min_seconds;
    if (enough || (params.max_seconds > 0 && elapsed >= params.max_seconds)) break;
  }

  BenchReport r;
  r.model = program.path();
  r.method = method.info().name;
  r.threads = thread_count();
  r.warmup = params.warmup;
  r.iterations = static_cast<int64_t>(samples.size());
  r.load_ms = program.load_ms();
  r.method_load_ms = method.load_ms();
  r.first_inference_ms = method.first_execute_ms();
  r.latency_ms = summarize(std::move(samples));
  r.total_seconds = elapsed;
  r.peak_rss_bytes = peak_rss_bytes();
  r.planned_memory_bytes = method.info().planned_memory_bytes;
  if (auto options = xnnpack_options(); options.ok()) r.xnnpack = *options;
  return r;
}

size_t peak_rss_bytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<size_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

size_t current_rss_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::string to_json(const BenchReport& r) {
  const auto& l = r.latency_ms;
  nlohmann::ordered_json j = {
      {"model", r.model},
      {"method", r.method},
      {"threads", r.threads},
      {"warmup", r.warmup},
      {"iterations", r.iterations},
      {"load_ms", r.load_ms},
      {"method_load_ms", r.method_load_ms},
      {"first_inference_ms", r.first_inference_ms},
      {"latency_ms",
       {{"min", l.min}, {"p50", l.p50}, {"p90", l.p90}, {"p99", l.p99}, {"max", l.max}, {"mean", l.mean}, {"std", l.std}}},
      {"total_seconds", r.total_seconds},
      {"peak_rss_bytes", r.peak_rss_bytes},
      {"planned_memory_bytes", r.planned_memory_bytes},
  };
  if (r.xnnpack) {
    j["xnnpack"] = {{"workspace_sharing", workspace_sharing_name(r.xnnpack->workspace_sharing)},
                    {"weight_cache", r.xnnpack->weight_cache}};
  }
  return j.dump(2);
}

namespace {
nlohmann::ordered_json specs_json(const std::vector<TensorSpec>& specs) {
  auto list = nlohmann::ordered_json::array();
  for (const auto& s : specs) {
    const char* dynamism = s.dynamism == Dynamism::kStatic ? "static" : s.dynamism == Dynamism::kBounded ? "bounded" : "unbounded";
    nlohmann::ordered_json spec = {
        {"dtype", dtype_name(s.dtype)}, {"shape", s.shape}, {"dynamism", dynamism}, {"kind", value_kind_name(s.kind)}};
    if (const auto* i = std::get_if<int64_t>(&s.exported)) spec["value"] = *i;
    if (const auto* d = std::get_if<double>(&s.exported)) spec["value"] = *d;
    if (const auto* b = std::get_if<bool>(&s.exported)) spec["value"] = *b;
    list.push_back(std::move(spec));
  }
  return list;
}
}  // namespace

std::string to_json(const MethodInfo& info) {
  nlohmann::ordered_json j = {
      {"method", info.name},
      {"inputs", specs_json(info.inputs)},
      {"outputs", specs_json(info.outputs)},
      {"planned_memory_bytes", info.planned_memory_bytes},
      {"backends", info.backends},
  };
  return j.dump(2);
}

std::string to_json(const Profile& p) {
  auto ops = nlohmann::ordered_json::array();
  for (const auto& op : p.ops) {
    ops.push_back({{"name", op.name}, {"kind", op.kind}, {"calls", op.calls}, {"ms", op.ms},
                   {"share", p.execute_ms > 0 ? op.ms / p.execute_ms : 0.0}});
  }
  nlohmann::ordered_json j = {{"method", p.method}, {"runs", p.runs}, {"execute_ms", p.execute_ms}, {"ops", ops}};
  return j.dump(2);
}

}  // namespace etkit
