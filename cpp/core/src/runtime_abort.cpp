#include "runtime_abort.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <unwind.h>

#include <cstdint>
#include <vector>

#include <executorch/runtime/backend/interface.h>

namespace etkit::detail {
namespace {

namespace rt = executorch::runtime;

thread_local sigjmp_buf* t_recovery_point = nullptr;

// Base addresses of the shared objects a failed check must not be left from.
std::vector<const void*> g_unsafe_objects;
bool g_recovery_possible = false;

const void* object_base(const void* address) {
  Dl_info info{};
  return dladdr(address, &info) != 0 ? info.dli_fbase : nullptr;
}

struct StackWalk {
  uintptr_t stop_at;             // the recovery point's frame
  bool reached_stop = false;
  bool through_unsafe = false;
};

_Unwind_Reason_Code visit_frame(_Unwind_Context* context, void* arg) {
  auto* walk = static_cast<StackWalk*>(arg);
  // Stacks grow down: a frame above the recovery point's buffer is the caller's.
  if (_Unwind_GetCFA(context) > walk->stop_at) {
    walk->reached_stop = true;
    return _URC_END_OF_STACK;
  }
  const void* base = object_base(reinterpret_cast<const void*>(_Unwind_GetIP(context)));
  for (const void* unsafe : g_unsafe_objects) {
    if (base == unsafe) {
      walk->through_unsafe = true;
      return _URC_END_OF_STACK;
    }
  }
  return _URC_NO_REASON;
}

}  // namespace

void prepare_abort_recovery() {
  const void* own = object_base(reinterpret_cast<const void*>(&prepare_abort_recovery));
  g_unsafe_objects.push_back(object_base(threadpool_code_address()));
  for (size_t i = 0; i < rt::get_num_registered_backends(); ++i) {
    auto name = rt::get_backend_name(i);
    const rt::BackendInterface* backend = name.ok() ? rt::get_backend_class(*name) : nullptr;
    // A backend object's vtable lives in its library (Itanium C++ ABI: the
    // first word of a polymorphic object), wherever the object itself lives.
    if (backend) g_unsafe_objects.push_back(object_base(*reinterpret_cast<const void* const*>(backend)));
  }
  // Linked statically, the runtime shares one object with etkit and its
  // frames can't be told apart: never leave a failed check then.
  g_recovery_possible = own != nullptr;
  for (const void* unsafe : g_unsafe_objects) g_recovery_possible = g_recovery_possible && unsafe && unsafe != own;
}

bool call_recoverably(void (*fn)(void*), void* ctx) {
  sigjmp_buf here;
  sigjmp_buf* const outer = t_recovery_point;
  if (sigsetjmp(here, 0) != 0) {
    t_recovery_point = outer;
    return false;
  }
  t_recovery_point = &here;
  fn(ctx);
  t_recovery_point = outer;
  return true;
}

void leave_failed_check() {
  sigjmp_buf* const target = t_recovery_point;
  if (target == nullptr || !g_recovery_possible) return;
  StackWalk walk{reinterpret_cast<uintptr_t>(target)};
  _Unwind_Backtrace(visit_frame, &walk);
  if (walk.reached_stop && !walk.through_unsafe) siglongjmp(*target, 1);
}

}  // namespace etkit::detail
