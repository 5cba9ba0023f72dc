// The benchmark loop: one place that times runs, for et-run and Python alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "etkit/profiler.h"
#include "etkit/program.h"
#include "etkit/xnnpack_options.h"
#include "etkit/result.h"
#include "etkit/stats.h"

namespace etkit {

/// Benchmark parameters and their defaults, in one table.
/// Timed runs continue until both `iterations` runs and `min_seconds` are
/// done, or `max_seconds` has passed (at least one run is always timed).
struct BenchParams {
  int64_t warmup = 10;         ///< untimed runs before timing starts
  int64_t iterations = 100;    ///< at least this many timed runs
  double min_seconds = 1.0;    ///< at least this long in timed runs
  double max_seconds = 60.0;   ///< never longer than this in timed runs (0: no limit)

  /// Empty when the parameters make sense, else what is wrong with them.
  std::string validate() const;
};

/// What a benchmark measured. Field names match the JSON keys.
struct BenchReport {
  std::string model;
  std::string method;
  uint32_t threads = 0;
  int64_t warmup = 0;
  int64_t iterations = 0;
  double load_ms = 0;
  double method_load_ms = 0;
  double first_inference_ms = 0;
  LatencyStats latency_ms;
  double total_seconds = 0;
  size_t peak_rss_bytes = 0;
  size_t planned_memory_bytes = 0;
  /// The XNNPACK delegate's options in force (unset without the delegate).
  std::optional<XnnpackOptions> xnnpack;
};

/// Runs `method` with `inputs` (set once) for warm-up and timed runs, each
/// timed on a monotonic clock around execute(). Holds the method's lock.
[[nodiscard]] Result<BenchReport> run_benchmark(const Program& program, Method& method,
                                                const std::vector<TensorView>& inputs, const BenchParams& params);

/// The process's peak resident set size so far, in bytes.
size_t peak_rss_bytes();
/// The process's resident set size now, in bytes.
size_t current_rss_bytes();

/// The report as JSON (the keys are a contract: see DESIGN.md).
std::string to_json(const BenchReport& report);

/// A method's inputs and outputs (dtype, shape, dynamism), planned memory and
/// backends as JSON: what a host needs to drive the method remotely.
std::string to_json(const MethodInfo& info);

/// Per-operator rows of a profile as JSON: method, runs, execute_ms and ops
/// [{name, kind, calls, ms, share}], largest first (the rows Runner.profile returns).
std::string to_json(const Profile& profile);

}  // namespace etkit
