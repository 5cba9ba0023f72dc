// libFuzzer target: the whole loading path of the core on arbitrary bytes:
// Program::load (verification, then the runtime), load_method, one run on
// seeded inputs. Unlike fuzz_verify this reaches the ExecuTorch runtime and
// its delegates, which are not instrumented and can crash on programs that
// pass etkit's checks (see benchmarks/FUZZ.md): a crash here is a finding.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "etkit/inputs.h"
#include "etkit/program.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Program::load maps a file: hand it an in-memory one.
  static const int fd = memfd_create("etkit-fuzz", 0);
  if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  auto program = etkit::Program::load("/proc/self/fd/" + std::to_string(fd));
  if (!program.ok()) return 0;
  for (const auto& name : (*program)->method_names()) {
    auto method = (*program)->load_method(name);
    if (!method.ok()) continue;
    auto inputs = etkit::load_inputs((*method)->info(), {}, 0);
    if (inputs.ok()) (void)(*method)->run(etkit::views_of(*inputs));
  }
  return 0;
}
