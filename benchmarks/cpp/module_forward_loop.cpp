// The baseline for et-run's harness overhead: ExecuTorch's own
// extension::Module::forward called in a bare loop, each call timed the way
// etkit's benchmark loop times an inference (set inputs + execute). Prints one JSON line.
//   module_forward_loop FILE.pte THREADS ITERATIONS
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <executorch/extension/module/module.h>
#include <executorch/extension/tensor/tensor.h>

#include "etkit/stats.h"
#include "etkit/threads.h"

using executorch::extension::Module;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s FILE.pte THREADS ITERATIONS\n", argv[0]);
    return 2;
  }
  if (!etkit::set_thread_count(std::atoi(argv[2])).ok()) return 2;
  const long iterations = std::atol(argv[3]);
  Module module(argv[1]);
  auto meta = module.method_meta("forward");
  if (!meta.ok() || meta->num_inputs() != 1) {
    std::fprintf(stderr, "needs a program whose forward takes one float tensor\n");
    return 1;
  }
  auto info = meta->input_tensor_meta(0);
  std::vector<executorch::aten::SizesType> sizes(info->sizes().begin(), info->sizes().end());
  size_t n = 1;
  for (auto s : sizes) n *= static_cast<size_t>(s);
  auto input = executorch::extension::make_tensor_ptr(sizes, std::vector<float>(n, 0.5f));
  const std::vector<executorch::runtime::EValue> inputs{input};

  for (int i = 0; i < 10; ++i) {
    if (!module.forward(inputs).ok()) return 1;
  }
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(iterations));
  for (long i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto out = module.forward(inputs);
    const auto end = std::chrono::steady_clock::now();
    if (!out.ok()) return 1;
    samples.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  const auto s = etkit::summarize(samples);
  std::printf("{\"iterations\": %ld, \"latency_ms\": {\"min\": %.9f, \"p50\": %.9f, \"p90\": %.9f, \"p99\": %.9f}}\n",
              iterations, s.min, s.p50, s.p90, s.p99);
  return 0;
}
