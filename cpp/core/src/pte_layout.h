// Where the parts of a .pte lie, from its headers, and which of its strings
// are text: shared by the verifier and by describe_program, which must agree.
#pragma once

#include <cstddef>
#include <cstdint>

#include "etkit/result.h"

namespace etkit::detail {

struct PteLayout {
  uint64_t program_size = 0;      // bytes of the flatbuffer, from byte 0
  uint64_t segment_base = 0;      // 0: no segment data
  uint64_t segment_data_end = 0;  // first byte after the segment data
  uint64_t file_size = 0;
};

/// Reads the identifier ("ET12") and the optional extended header; fails with
/// kInvalidProgram when they are missing or point outside the file.
[[nodiscard]] Result<PteLayout> read_pte_layout(const uint8_t* data, size_t size);

/// True when the bytes are valid UTF-8. Names end up in messages and Python
/// strings, which a damaged file's bytes must not break.
bool is_utf8(const char* data, size_t size);

/// Bytes per element of the schema's ScalarType (program.fbs, also used by
/// .ptd files); 0 for values the schema lacks.
size_t schema_element_size(int8_t type);

}  // namespace etkit::detail
