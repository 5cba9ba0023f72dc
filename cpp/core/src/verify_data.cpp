// The layout checked here: a .ptd is a flatbuffer (root offset, then the
// identifier "FT01") whose first bytes also hold a header "FH01" at byte 8
// giving the flatbuffer's extent and where the segment data begins; each
// named tensor points at a segment, relative to that base.
#include <cstring>
#include <string>
#include <vector>

#include "etkit/verify.h"

#pragma GCC visibility push(hidden)  // see verify.cpp
#include "flat_tensor_generated.h"
#pragma GCC visibility pop

#include "pte_layout.h"

namespace etkit {
namespace {

namespace fb = etkit_ptd;

constexpr size_t kHeadBytes = 64;  // what the runtime reads first
constexpr size_t kHeaderOffset = 8;
constexpr uint32_t kHeaderMinLength = 4 + 4 + 8 + 8 + 8 + 8;

uint64_t u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
uint32_t u32_le(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

std::string str(uint64_t v) { return std::to_string(v); }
Status bad(std::string message) { return make_error(ErrorCode::kInvalidProgram, std::move(message)); }

Status check_tensor(const fb::NamedData* nd, size_t index, const fb::FlatTensor* ft, uint64_t segment_data_size,
                    const VerifyLimits& limits) {
  const std::string what = "tensor " + str(index) + " ('" + nd->key()->str() + "')";
  const auto* segments = ft->segments();
  if (nd->segment_index() >= segments->size()) {
    return bad(what + " refers to segment " + str(nd->segment_index()) + "; the file has " + str(segments->size()));
  }
  const auto* seg = segments->Get(nd->segment_index());
  if (!seg) return bad("segment " + str(nd->segment_index()) + " is empty");
  if (seg->offset() > segment_data_size || seg->size() > segment_data_size - seg->offset()) {
    return bad(what + "'s segment " + str(nd->segment_index()) + " runs past the segment data's " +
               str(segment_data_size) + " bytes");
  }
  const auto* layout = nd->tensor_layout();
  if (!layout || !layout->sizes() || !layout->dim_order()) return bad(what + " has no layout");
  const size_t rank = layout->sizes()->size();
  if (rank > limits.max_dims) return bad(what + " has " + str(rank) + " dimensions; at most " + str(limits.max_dims));
  if (layout->dim_order()->size() != rank) {
    return bad(what + " has " + str(rank) + " sizes but " + str(layout->dim_order()->size()) + " dim_order entries");
  }
  const size_t elem = detail::schema_element_size(layout->scalar_type());
  if (elem == 0) return bad(what + " has an unknown dtype (" + str(static_cast<uint8_t>(layout->scalar_type())) + ")");
  uint64_t bytes = elem;
  std::vector<bool> seen(rank, false);
  for (size_t d = 0; d < rank; ++d) {
    const int32_t n = layout->sizes()->Get(static_cast<flatbuffers::uoffset_t>(d));
    const uint8_t order = layout->dim_order()->Get(static_cast<flatbuffers::uoffset_t>(d));
    if (n < 0) return bad(what + " has a negative size in dimension " + str(d));
    if (order >= rank || seen[order]) return bad(what + " has a dim_order that is not a permutation");
    seen[order] = true;
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(n), &bytes) || bytes > limits.max_tensor_bytes) {
      return bad(what + " is larger than " + str(limits.max_tensor_bytes) + " bytes");
    }
  }
  if (bytes > seg->size()) {
    return bad(what + " needs " + str(bytes) + " bytes; its segment holds " + str(seg->size()));
  }
  return {};
}

}  // namespace

Status verify_data_file(const uint8_t* data, size_t size, const VerifyLimits& limits) {
  if (size < kHeadBytes) return bad("the file has " + str(size) + " bytes, too few for a .ptd header");
  if (std::memcmp(data + 4, fb::FlatTensorIdentifier(), 4) != 0) {
    return bad("not an ExecuTorch data file (no 'FT01' identifier at byte 4)");
  }
  const uint8_t* h = data + kHeaderOffset;
  if (std::memcmp(h, "FH01", 4) != 0) return bad("no 'FH01' header at byte 8");
  if (u32_le(h + 4) < kHeaderMinLength) return bad("header length " + str(u32_le(h + 4)) + " is too short");
  const uint64_t fb_offset = u64_le(h + 8), fb_size = u64_le(h + 16);
  const uint64_t base = u64_le(h + 24), data_size = u64_le(h + 32);
  uint64_t fb_end = 0, data_end = 0;
  if (__builtin_add_overflow(fb_offset, fb_size, &fb_end) || fb_end > size || fb_end >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return bad("the header gives a flatbuffer beyond the file's " + str(size) + " bytes");
  }
  if (__builtin_add_overflow(base, data_size, &data_end) || data_end > size) {
    return bad("the header gives segment data beyond the file's " + str(size) + " bytes (file cut short?)");
  }
  // The runtime parses the flatbuffer from byte 0, header included.
  flatbuffers::Verifier verifier(data, static_cast<size_t>(fb_end));
  if (!fb::VerifyFlatTensorBuffer(verifier)) return bad("the flatbuffer does not match ExecuTorch's FlatTensor schema");
  const auto* ft = fb::GetFlatTensor(data);
  if (!ft->segments() || !ft->named_data()) return bad("the file lists no segments or no named data");
  for (size_t i = 0; i < ft->named_data()->size(); ++i) {
    const auto* nd = ft->named_data()->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (!nd || !nd->key()) return bad("tensor " + str(i) + " has no key");
    if (!detail::is_utf8(nd->key()->data(), nd->key()->size())) return bad("tensor " + str(i) + "'s key is not UTF-8");
    ETKIT_TRY(check_tensor(nd, i, ft, data_size, limits));
  }
  return {};
}

}  // namespace etkit
