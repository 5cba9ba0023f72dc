// Leaving a runtime call that failed one of ExecuTorch's own checks.
//
// The runtime in the wheel stops the process when an ET_CHECK fails (a
// damaged program handing a kernel a value of the wrong kind or dtype, ...):
// it calls the PAL abort hook, which must not return. In a library host such
// as Python that would end the interpreter. When it is safe, etkit's hook
// jumps back to the core function that made the runtime call instead; that
// function reports an error and the method is not used again.
//
// Safe means: the check failed on the thread that made the call, and no
// frame between the check and the call belongs to the thread pool's library
// or a backend's library. Those hold locks and pthreadpool jobs (the calling
// thread works for the pool during a parallel_for) that a jump would never
// release: the next run would hang instead of the process stopping. Skipped
// frames are runtime and kernel frames: their destructors don't run, which at
// worst leaks what they allocated.
#pragma once

namespace etkit::detail {

/// Finds the libraries a failed check must not be left from. Once per
/// process, after the backends registered (init_runtime).
void prepare_abort_recovery();

/// Runs fn(ctx). Returns false when a failed runtime check inside it was left
/// (see above), true when fn returned normally.
bool call_recoverably(void (*fn)(void*), void* ctx);

template <typename F>
bool call_recoverably(F& f) {
  return call_recoverably([](void* ctx) { (*static_cast<F*>(ctx))(); }, &f);
}

/// From the abort hook: jumps out to the innermost call_recoverably of this
/// thread when that is safe, else returns (and the hook ends the process).
void leave_failed_check();

/// Where the thread pool's code lives (threads.cpp declares the pool).
const void* threadpool_code_address();

}  // namespace etkit::detail
