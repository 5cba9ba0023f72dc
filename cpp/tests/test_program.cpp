#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "etkit/benchmark.h"
#include "etkit/inputs.h"
#include "etkit/profiler.h"
#include "etkit/program.h"
#include "etkit/threads.h"

#include "pte_bytes.h"

namespace {

const std::string kXnnpack = pte_bytes::fixture("tiny_xnnpack.pte");
const std::string kPortable = pte_bytes::fixture("tiny_portable.pte");

std::vector<float> run_once(const std::string& path, const std::vector<etkit::HostTensor>& inputs) {
  auto program = etkit::Program::load(path);
  EXPECT_TRUE(program.ok()) << program.error().message;
  auto method = (*program)->load_method("forward");
  EXPECT_TRUE(method.ok()) << method.error().message;
  std::vector<float> out;
  auto status = (*method)->run(etkit::views_of(inputs), [&](const std::vector<etkit::TensorView>& outputs) {
    const auto* p = static_cast<const float*>(outputs.at(0).data);
    out.assign(p, p + etkit::element_count(outputs[0].shape));
  });
  EXPECT_TRUE(status.ok()) << status.error().message;
  return out;
}

TEST(Backends, XnnpackIsRegisteredInTheCore) {
  const auto names = etkit::registered_backends();
  EXPECT_NE(std::find(names.begin(), names.end(), "XnnpackBackend"), names.end());
}

TEST(Program, DescribesTheTutorialModel) {
  auto program = etkit::Program::load(kXnnpack);
  ASSERT_TRUE(program.ok()) << program.error().message;
  EXPECT_EQ((*program)->method_names(), std::vector<std::string>{"forward"});
  auto info = (*program)->method_info("forward");
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->inputs.size(), 1u);
  EXPECT_EQ(info->inputs[0].shape, (std::vector<int64_t>{1, 20}));
  EXPECT_EQ(info->outputs[0].shape, (std::vector<int64_t>{1, 4}));
  EXPECT_GT(info->planned_memory_bytes, 0u);
  EXPECT_EQ(info->backends, std::vector<std::string>{"XnnpackBackend"});
}

TEST(Program, BothBackendsComputeTheSameOutputs) {
  auto program = etkit::Program::load(kXnnpack);
  ASSERT_TRUE(program.ok());
  auto inputs = etkit::load_inputs(*(*program)->method_info("forward"), {}, 3);
  ASSERT_TRUE(inputs.ok());
  const auto a = run_once(kXnnpack, *inputs), b = run_once(kPortable, *inputs);
  ASSERT_EQ(a.size(), 4u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5);
}

TEST(Program, RejectsMissingEmptyGarbageAndTruncatedFiles) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "empty.pte").close();
  std::ofstream(dir + "garbage.pte") << std::string(4096, 'g');
  std::ifstream in(kXnnpack, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir + "truncated.pte", std::ios::binary) << bytes.substr(0, bytes.size() / 2);

  auto missing = etkit::Program::load(dir + "missing.pte");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, etkit::ErrorCode::kIo);
  for (const char* name : {"empty.pte", "garbage.pte", "truncated.pte"}) {
    auto r = etkit::Program::load(dir + name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, etkit::ErrorCode::kInvalidProgram) << name;
    EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
  }
}

TEST(Method, RejectsWrongInputsWithoutRunning) {
  auto program = etkit::Program::load(kXnnpack);
  ASSERT_TRUE(program.ok());
  auto method = (*program)->load_method("forward");
  ASSERT_TRUE(method.ok());
  float data[40] = {};
  auto count = (*method)->run({});
  EXPECT_EQ(count.error().code, etkit::ErrorCode::kInvalidInput);
  auto shape = (*method)->run({{etkit::ScalarType::Float, {2, 20}, data}});
  EXPECT_EQ(shape.error().code, etkit::ErrorCode::kInvalidInput);
  auto dtype = (*method)->run({{etkit::ScalarType::Int, {1, 20}, data}});
  EXPECT_EQ(dtype.error().code, etkit::ErrorCode::kInvalidInput);
  auto unknown = (*program)->load_method("encode");
  EXPECT_EQ(unknown.error().code, etkit::ErrorCode::kMethodNotFound);
}

TEST(Benchmark, ReportsAtLeastTheRequestedRuns) {
  auto program = etkit::Program::load(kXnnpack);
  ASSERT_TRUE(program.ok());
  auto method = (*program)->load_method("forward");
  auto inputs = etkit::load_inputs((*method)->info(), {}, 0);
  etkit::BenchParams params{2, 25, 0.0, 10.0};
  auto r = etkit::run_benchmark(**program, **method, etkit::views_of(*inputs), params);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->iterations, 25);
  EXPECT_LE(r->latency_ms.min, r->latency_ms.p50);
  EXPECT_LE(r->latency_ms.p50, r->latency_ms.p99);
  EXPECT_LE(r->latency_ms.p99, r->latency_ms.max);
  EXPECT_GT(r->first_inference_ms, 0);
  EXPECT_GT(r->peak_rss_bytes, 0u);
  EXPECT_EQ(r->threads, etkit::thread_count());
}

TEST(Threads, SettingTheCountIsObserved) {
  ASSERT_TRUE(etkit::set_thread_count(1).ok());
  EXPECT_EQ(etkit::thread_count(), 1u);
  ASSERT_TRUE(etkit::set_thread_count(2).ok());
  EXPECT_EQ(etkit::thread_count(), 2u);
  for (int64_t bad : {int64_t{0}, int64_t{-3}, etkit::kMaxThreads + 1}) {
    auto s = etkit::set_thread_count(bad);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, etkit::ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message.find("from 1 to 256"), std::string::npos) << s.error().message;
  }
  EXPECT_EQ(etkit::thread_count(), 2u);  // a refused count leaves the pool alone
}

TEST(Profiler, NamesThePortableKernels) {
  auto program = etkit::Program::load(kPortable);
  ASSERT_TRUE(program.ok());
  auto inputs = etkit::load_inputs(*(*program)->method_info("forward"), {}, 0);
  auto p = etkit::profile_method(**program, "forward", etkit::views_of(*inputs), 1, 5);
  ASSERT_TRUE(p.ok()) << p.error().message;
  bool saw_addmm = false;
  for (const auto& op : p->ops) saw_addmm = saw_addmm || (op.name.find("addmm") != std::string::npos && op.calls == 3);
  EXPECT_TRUE(saw_addmm);
  for (size_t i = 1; i < p->ops.size(); ++i) EXPECT_GE(p->ops[i - 1].ms, p->ops[i].ms);
}

}  // namespace
