// libFuzzer target: etkit::verify_program on arbitrary bytes. The verifier
// must never read outside the buffer or misbehave, whatever it is handed
// (ASan and UBSan watch it in the fuzz preset). See docs in README.md.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "etkit/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy, so that ASan flags any read past the end.
  std::vector<uint8_t> copy(data, data + size);
  (void)etkit::verify_program(copy.data(), copy.size());
  return 0;
}
