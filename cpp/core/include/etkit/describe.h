// What a .pte holds, read from the file's bytes with etkit's own flatbuffer
// readers: no runtime, no executorch Python package, no torch. Backs
// `etkit inspect` / etkit.inspect on a board where only the runtime is installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "etkit/result.h"
#include "etkit/tensor.h"

namespace etkit {

/// One input or output value of a method.
struct ValueDescription {
  /// False for a non-tensor value (an int, a list, ...); `kind` then names it.
  bool is_tensor = false;
  std::string kind;      ///< the schema's value kind, lower case ("int", "intlist", ...)
  std::string dtype;     ///< numpy-style ("float32"), else the schema's name in lower case
  std::vector<int64_t> shape;  ///< for a dynamic tensor, its upper bound
  std::string dynamism;  ///< "static", "bounded" or "unbounded"
  /// For a scalar (kind "int", "float", "bool"): the value it was exported with.
  ScalarValue value;
};

/// One delegate of a method: a backend's payload and the calls into it.
struct DelegateDescription {
  std::string backend;  ///< e.g. "XnnpackBackend"
  size_t calls = 0;     ///< delegate-call instructions that use it
  uint64_t bytes = 0;   ///< size of its payload
  /// Nodes in the payload's graph; known for XNNPACK payloads only.
  std::optional<uint64_t> nodes;
  /// nodes / (all delegates' nodes + kernel calls outside delegates).
  std::optional<double> share;
};

struct MethodDescription {
  std::string name;
  std::vector<ValueDescription> inputs;
  std::vector<ValueDescription> outputs;
  /// "name.overload" -> calls outside delegates, most called first (ties in
  /// the order of first call).
  std::vector<std::pair<std::string, size_t>> operators;
  size_t kernel_calls = 0;
  std::vector<DelegateDescription> delegates;
  /// Planned activation memory: every non-constant buffer but the reserved first.
  uint64_t planned_memory_bytes = 0;
  /// Names of the tensors whose bytes the program keeps in a .ptd file.
  std::vector<std::string> external_data;
};

/// Bytes of the file by part; the parts add up to `file`.
struct SizeBreakdown {
  uint64_t file = 0;
  uint64_t program = 0;  ///< the flatbuffer (constants stored inside it included)
  uint64_t constants = 0;
  uint64_t delegates = 0;
  uint64_t named_data = 0;
  uint64_t mutable_data = 0;
  uint64_t other = 0;    ///< segments no part of the program claims
  uint64_t padding = 0;  ///< headers and alignment between segments
};

/// The test vectors a BundledProgram (.bpte) carries beside its program.
struct BundledDescription {
  uint64_t file_bytes = 0;
  /// method -> test cases, in the file's order.
  std::vector<std::pair<std::string, size_t>> test_cases;
};

struct ProgramDescription {
  uint32_t version = 0;
  std::vector<MethodDescription> methods;
  SizeBreakdown sizes;
  /// Set when the description came from a .bpte; `sizes` are then the inner program's.
  std::optional<BundledDescription> bundled;
};

/// Describes a .pte held in memory. The file is untrusted: the flatbuffer is
/// verified against ExecuTorch's schema and every index and segment used is
/// bounds-checked (a lighter check than verify_program, enough to read it).
/// Fails with kInvalidProgram and a message naming the problem.
[[nodiscard]] Result<ProgramDescription> describe_program(const uint8_t* data, size_t size);

}  // namespace etkit
