// Thread count of the pool that XNNPACK and the optimized kernels use.
#pragma once

#include <cstdint>

#include "etkit/result.h"

namespace etkit {

/// Threads in ExecuTorch's shared pool now (the default is one per core).
uint32_t thread_count();
/// More threads than this is a typo, not a configuration (phones have 8 cores).
constexpr int64_t kMaxThreads = 256;

/// Resizes the shared pool (process-wide). kInvalidArgument outside
/// [1, kMaxThreads]; kExecution when the runtime refused.
[[nodiscard]] Status set_thread_count(int64_t threads);

}  // namespace etkit
