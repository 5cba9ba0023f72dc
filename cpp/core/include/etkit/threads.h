// Thread count of the pool that XNNPACK and the optimized kernels use.
#pragma once

#include <cstdint>

namespace etkit {

/// Threads in ExecuTorch's shared pool now (the default is one per core).
uint32_t thread_count();
/// Resizes the shared pool; returns false when the runtime refused.
bool set_thread_count(uint32_t threads);

}  // namespace etkit
