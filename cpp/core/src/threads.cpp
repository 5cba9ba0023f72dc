#include "etkit/threads.h"

#include <cstddef>

#include "etkit/program.h"

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

uint32_t thread_count() {
  init_runtime();
  auto* pool = executorch::extension::threadpool::get_threadpool();
  return pool ? static_cast<uint32_t>(pool->get_thread_count()) : 1;
}

bool set_thread_count(uint32_t threads) {
  init_runtime();
  auto* pool = executorch::extension::threadpool::get_threadpool();
  return pool != nullptr && threads > 0 && pool->_unsafe_reset_threadpool(threads);
}

}  // namespace etkit
