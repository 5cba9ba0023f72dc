#include "etkit/threads.h"

#include <cstddef>

#include "etkit/program.h"
#include "runtime_abort.h"

// The executorch wheel ships libexecutorch_threadpool but not threadpool.h.
// These declarations match the exported member functions of that library
// (checked with nm); the class is only ever used through a pointer the library
// returns, so no data members or virtuals are needed here. Keep this the one
// place that declares them.
namespace executorch::extension::threadpool {
class ThreadPool {
 public:
  size_t get_thread_count() const;
  bool _unsafe_reset_threadpool(uint32_t num_threads);
};
ThreadPool* get_threadpool();
}  // namespace executorch::extension::threadpool

namespace etkit {

const void* detail::threadpool_code_address() {
  return reinterpret_cast<const void*>(&executorch::extension::threadpool::get_threadpool);
}

uint32_t thread_count() {
  init_runtime();
  auto* pool = executorch::extension::threadpool::get_threadpool();
  return pool ? static_cast<uint32_t>(pool->get_thread_count()) : 1;
}

Status set_thread_count(int64_t threads) {
  if (threads < 1 || threads > kMaxThreads) {
    return make_error(ErrorCode::kInvalidArgument, "the thread count must be from 1 to " + std::to_string(kMaxThreads) +
                                                       ", got " + std::to_string(threads));
  }
  init_runtime();
  auto* pool = executorch::extension::threadpool::get_threadpool();
  if (pool == nullptr || !pool->_unsafe_reset_threadpool(static_cast<uint32_t>(threads))) {
    return make_error(ErrorCode::kExecution, "the runtime could not resize its thread pool to " +
                                                 std::to_string(threads) + " threads");
  }
  return {};
}

}  // namespace etkit
