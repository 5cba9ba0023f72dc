// Failed runtime checks (ET_CHECK): left when safe, the process stopped when
// not (runtime_abort.h).
#include <gtest/gtest.h>

#include <cstdlib>

#ifndef ET_USE_THREADPOOL
#define ET_USE_THREADPOOL  // declares the parallel_for that libexecutorch_threadpool exports
#endif
#include <executorch/runtime/kernel/thread_parallel_interface.h>
#include <executorch/runtime/platform/assert.h>

#include "etkit/program.h"
#include "etkit/threads.h"
#include "etkit/verify.h"
#include "pte_bytes.h"
#include "runtime_abort.h"

namespace {

using pte_bytes::Bytes;
using pte_bytes::plan;
using pte_bytes::read;
const std::string kEmbedding = pte_bytes::fixture("embedding_portable.pte");
const std::string kPortable = pte_bytes::fixture("tiny_portable.pte");

TEST(RuntimeAbort, AFailedCheckOnTheCallingThreadIsLeft) {
  etkit::init_runtime();
  bool passed_the_check = false;
  auto failing = [&] {
    ET_CHECK_MSG(false, "a check that fails");
    passed_the_check = true;
  };
  EXPECT_FALSE(etkit::detail::call_recoverably(failing));
  EXPECT_FALSE(passed_the_check);
  // Nested calls: the inner one is left, the outer one completes.
  bool outer_finished = false;
  auto outer = [&] {
    EXPECT_FALSE(etkit::detail::call_recoverably(failing));
    outer_finished = true;
  };
  EXPECT_TRUE(etkit::detail::call_recoverably(outer));
  EXPECT_TRUE(outer_finished);
}

// Inside a parallel_for the calling thread holds the pool's locks: leaving
// would hang the next run. The process stops with the check instead, whether
// the calling thread or a worker fails it.
void expect_stops_inside_parallel_for(int64_t threads) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(
      {
        etkit::exit_on_runtime_abort(3);
        if (!etkit::set_thread_count(threads).ok()) std::exit(4);
        auto work = [] {
          executorch::extension::parallel_for(0, 64, 1, [](int64_t, int64_t) {
            ET_CHECK_MSG(false, "a check inside parallel_for");
          });
        };
        (void)etkit::detail::call_recoverably(work);
        std::exit(0);
      },
      ::testing::ExitedWithCode(3), "stopped on a failed check: .*a check inside parallel_for");
}

TEST(RuntimeAbortDeathTest, InsideAParallelForOnOneThreadTheProcessStops) { expect_stops_inside_parallel_for(1); }
TEST(RuntimeAbortDeathTest, InsideAParallelForOnSeveralThreadsTheProcessStops) { expect_stops_inside_parallel_for(2); }

// Writes a damaged program that still passes the verifier: what it can't see.
std::string write_verified(const Bytes& b, const std::string& name) {
  EXPECT_TRUE(etkit::verify_program(b.data(), b.size()).ok());
  return pte_bytes::write_temp(b, name);
}

// The embedding program with its token ids declared float: the kernel checks
// the ids' dtype with ET_CHECK.
std::string write_float_ids_program() {
  Bytes b = read(kEmbedding);
  auto* input = plan(b)->mutable_values()->GetMutableObject(static_cast<size_t>(plan(b)->inputs()->Get(0)));
  EXPECT_EQ(input->val_type(), etkit_pte::KernelTypes_Tensor);
  EXPECT_TRUE(static_cast<etkit_pte::Tensor*>(input->mutable_val())->mutate_scalar_type(etkit_pte::ScalarType_FLOAT));
  return write_verified(b, "float_ids.pte");
}

// The tutorial's model with a kernel's tensor argument pointing at a scalar
// value: the kernel's argument unboxing checks the kind with ET_CHECK.
std::string write_wrong_kind_program() {
  Bytes b = read(kPortable);
  const auto* values = plan(b)->values();
  int32_t scalar = -1;
  for (size_t i = 0; i < values->size() && scalar < 0; ++i) {
    if (values->Get(i)->val_type() != etkit_pte::KernelTypes_Tensor) scalar = static_cast<int32_t>(i);
  }
  EXPECT_GE(scalar, 0);
  auto* ins = plan(b)->mutable_chains()->GetMutableObject(0)->mutable_instructions();
  for (size_t i = 0; i < ins->size(); ++i) {
    if (ins->Get(i)->instr_args_type() != etkit_pte::InstructionArguments_KernelCall) continue;
    auto* args = static_cast<etkit_pte::KernelCall*>(ins->GetMutableObject(i)->mutable_instr_args())->mutable_args();
    for (size_t k = 0; k < args->size(); ++k) {
      if (values->Get(static_cast<size_t>(args->Get(k)))->val_type() == etkit_pte::KernelTypes_Tensor) {
        args->Mutate(k, scalar);
        return write_verified(b, "wrong_kind.pte");
      }
    }
  }
  ADD_FAILURE() << "no kernel call with a tensor argument";
  return {};
}

void expect_run_stopped_by_a_failed_check(const std::string& path, const std::vector<etkit::TensorView>& inputs,
                                          const std::string& check) {
  auto program = etkit::Program::load(path);
  ASSERT_TRUE(program.ok()) << program.error().message;
  auto method = (*program)->load_method("forward");
  ASSERT_TRUE(method.ok()) << method.error().message;

  etkit::Status first = (*method)->run(inputs);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, etkit::ErrorCode::kExecution);
  EXPECT_NE(first.error().message.find("executing method 'forward' failed: the ExecuTorch runtime stopped on a "
                                       "failed check: " + check),
            std::string::npos)
      << first.error().message;

  etkit::Status again = (*method)->run(inputs);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("can't run again"), std::string::npos) << again.error().message;

  // The runtime itself is intact: a good program loads and runs.
  auto good = etkit::Program::load(kPortable);
  ASSERT_TRUE(good.ok());
  auto good_method = (*good)->load_method("forward");
  ASSERT_TRUE(good_method.ok());
  std::vector<float> x(20, 0.5f);
  EXPECT_TRUE((*good_method)->run({{etkit::ScalarType::Float, {1, 20}, x.data()}}).ok());
}

TEST(RuntimeAbort, AKernelGivenIdsOfTheWrongDtypeIsAnErrorAndTheMethodRefusesAfterIt) {
  std::vector<float> ids(3, 1.0f);
  expect_run_stopped_by_a_failed_check(write_float_ids_program(), {{etkit::ScalarType::Float, {1, 3}, ids.data()}},
                                       "In function embedding_out()");
}

TEST(RuntimeAbort, AKernelGivenAValueOfTheWrongKindIsAnError) {
  std::vector<float> x(20, 0.5f);
  expect_run_stopped_by_a_failed_check(write_wrong_kind_program(), {{etkit::ScalarType::Float, {1, 20}, x.data()}},
                                       "In function toTensor(), assert failed (isTensor()): EValue is not a Tensor.");
}

}  // namespace
