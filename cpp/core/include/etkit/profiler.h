// Per-operator and per-delegate timings from ExecuTorch's event tracer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "etkit/program.h"
#include "etkit/result.h"

namespace etkit {

/// Time spent in one operator or delegate, averaged over the profiled runs.
struct OpTiming {
  std::string name;      ///< kernel ("addmm.out"), backend ("XnnpackBackend") or delegate op
  std::string kind;      ///< "operator", "delegate" (a whole delegate call) or "in delegate"
  int64_t calls = 0;     ///< calls per run
  double ms = 0;         ///< total time per run
};

struct Profile {
  std::string method;
  int64_t runs = 0;
  double execute_ms = 0;        ///< mean time of a whole execute() under tracing
  std::vector<OpTiming> ops;    ///< sorted by time, largest first
};

/// Loads `method` again with a tracer attached, runs it `warmup` + `runs`
/// times with `inputs` and aggregates the timed runs' events.
[[nodiscard]] Result<Profile> profile_method(Program& program, const std::string& method,
                                             const std::vector<TensorView>& inputs, int64_t warmup, int64_t runs);

/// Runs `method` `runs` times under ExecuTorch's ETDump tracer and writes the
/// raw ETDump (for devtools' Inspector) to `path`.
[[nodiscard]] Status write_etdump(Program& program, const std::string& method, const std::vector<TensorView>& inputs,
                                  int64_t runs, const std::string& path);

}  // namespace etkit
