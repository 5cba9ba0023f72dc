// The layout checked here: an XNNPACK payload starts with a 30-byte header
// (bytes 4..8 "XH00", then u16 header length, u32 flatbuffer offset, u32
// flatbuffer size, u32 constant data offset, u64 constant data size, all
// little-endian), followed by the graph flatbuffer (identifier "XN00" or
// "XN01") and the constant data that the graph's constant_data table points
// into. A payload without the header is the flatbuffer alone, its constants
// inline in constant_buffer.
//
// The checks mirror what XNNPACK's compiler in the runtime indexes without a
// bounds check; where XNNPACK itself validates a field and returns an error
// (strides, kernel sizes, dtype combinations), it is left to XNNPACK.
#include "verify_xnnpack.h"

#include <cstring>
#include <string>
#include <vector>

// Hidden, as in verify.cpp: see cmake/EtkitFlatbuffers.cmake.
#pragma GCC visibility push(hidden)
#include "runtime_schema_generated.h"
#pragma GCC visibility pop

namespace etkit::detail {
namespace {

namespace xn = etkit_xnnpack;

constexpr char kHeaderMagic[] = "XH00";
constexpr size_t kHeaderSize = 30;
constexpr uint32_t kInvalidId = UINT32_MAX;  // XNN_INVALID_VALUE_ID: "no tensor"
constexpr uint32_t kMaxDims = 6;             // XNN_MAX_TENSOR_DIMS
constexpr uint32_t kExternalInput = 1;       // XNN_VALUE_FLAG_EXTERNAL_INPUT
constexpr uint32_t kExternalOutput = 2;      // XNN_VALUE_FLAG_EXTERNAL_OUTPUT

uint32_t u32_le(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint64_t u64_le(const uint8_t* p) { return uint64_t{u32_le(p)} | uint64_t{u32_le(p + 4)} << 32; }

std::string str(uint64_t v) { return std::to_string(v); }

template <typename T>
size_t count(const flatbuffers::Vector<T>* v) {
  return v ? v->size() : 0;
}

// Bits per element; 0 for dtypes whose constants are packed with their
// parameters (their byte size is not a product of the shape).
unsigned element_bits(xn::XNNDatatype t) {
  switch (t) {
    case xn::XNNDatatype_xnn_datatype_qcint4:
    case xn::XNNDatatype_xnn_datatype_qbint4: return 4;
    case xn::XNNDatatype_xnn_datatype_qint8:
    case xn::XNNDatatype_xnn_datatype_quint8:
    case xn::XNNDatatype_xnn_datatype_qcint8:
    case xn::XNNDatatype_xnn_datatype_qdint8: return 8;
    case xn::XNNDatatype_xnn_datatype_fp16:
    case xn::XNNDatatype_xnn_datatype_bf16: return 16;
    case xn::XNNDatatype_xnn_datatype_fp32:
    case xn::XNNDatatype_xnn_datatype_qint32:
    case xn::XNNDatatype_xnn_datatype_qcint32:
    case xn::XNNDatatype_xnn_datatype_int32: return 32;
    default: return 0;  // qpint8, pfp32
  }
}

class GraphChecker {
 public:
  GraphChecker(const uint8_t* data, size_t size, const XnnpackContext& context)
      : data_(data), size_(size), ctx_(context) {}

  Status run() {
    ETKIT_TRY(header());
    ETKIT_TRY(flatbuffer());
    tensors_.assign(count(g_->xvalues()), nullptr);
    elements_.assign(count(g_->xvalues()), 0);
    writer_.assign(count(g_->xvalues()), kNoWriter);
    for (size_t i = 0; i < count(g_->xvalues()); ++i) ETKIT_TRY(value(i));
    for (size_t i = 0; i < count(g_->xnodes()); ++i) ETKIT_TRY(node(i));
    return externals();
  }

 private:
  Status bad(const std::string& message) const {
    return make_error(ErrorCode::kInvalidProgram, ctx_.where + ": " + message);
  }

  Status header() {
    if (size_ < kHeaderSize) return bad("the payload has " + str(size_) + " bytes, too few for an XNNPACK graph");
    fb_ = data_;
    fb_size_ = size_;
    if (std::memcmp(data_ + 4, kHeaderMagic, 4) != 0) return {};  // no header: the flatbuffer alone
    const uint64_t fb_offset = u32_le(data_ + 10), fb_size = u32_le(data_ + 14);
    const uint64_t c_offset = u32_le(data_ + 18), c_size = u64_le(data_ + 22);
    if (fb_offset + fb_size > size_) {
      return bad("the header puts the graph at bytes " + str(fb_offset) + ".." + str(fb_offset + fb_size) +
                 ", beyond the payload's " + str(size_) + " bytes");
    }
    if (c_offset > size_ || c_size > size_ - c_offset) {
      return bad("the header puts " + str(c_size) + " bytes of constant data at byte " + str(c_offset) +
                 ", beyond the payload's " + str(size_) + " bytes");
    }
    fb_ = data_ + fb_offset;
    fb_size_ = static_cast<size_t>(fb_size);
    constants_ = true;
    constant_size_ = c_size;
    return {};
  }

  Status flatbuffer() {
    if (fb_size_ < 8) return bad("the graph flatbuffer has " + str(fb_size_) + " bytes");
    if (std::memcmp(fb_ + 4, "XN00", 4) != 0 && std::memcmp(fb_ + 4, "XN01", 4) != 0) {
      return bad("the graph is not an XNNPACK flatbuffer (identifier '" +
                 std::string(reinterpret_cast<const char*>(fb_) + 4, 4) + "', expected 'XN00' or 'XN01')");
    }
    if (fb_size_ >= FLATBUFFERS_MAX_BUFFER_SIZE) return bad("the graph flatbuffer exceeds 2 GiB");
    // ConstantDataOffset has 8-byte fields; reading them from a graph that
    // does not start 8-aligned would be undefined. The runtime gets the same
    // bytes, so only our reading is at stake: work on an aligned copy.
    if (reinterpret_cast<uintptr_t>(fb_) % 8 != 0) {
      copy_.resize((fb_size_ + 7) / 8);
      std::memcpy(copy_.data(), fb_, fb_size_);
      fb_ = reinterpret_cast<const uint8_t*>(copy_.data());
    }
    flatbuffers::Verifier verifier(fb_, fb_size_);
    if (!verifier.VerifyBuffer<xn::XNNGraph>(nullptr)) {
      return bad("the graph flatbuffer is malformed: it does not match XNNPACK's schema");
    }
    g_ = xn::GetXNNGraph(fb_);
    return {};
  }

  // One XValue: a tensor with a sane shape whose constant data, if any, exists.
  Status value(size_t i) {
    const std::string where = "value " + str(i);
    const auto* v = g_->xvalues()->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (!v) return bad(where + " is empty");
    const xn::XNNTensorValue* t = nullptr;
    const xn::XNNQuantizedTensorValue* q = nullptr;
    switch (v->xvalue_union_type()) {
      case xn::XValueUnion_XNNTensorValue: t = v->xvalue_union_as_XNNTensorValue(); break;
      case xn::XValueUnion_XNNQuantizedTensorValue:
        q = v->xvalue_union_as_XNNQuantizedTensorValue();
        t = q ? q->tensor_value() : nullptr;
        break;
      default: return bad(where + " has unknown kind " + str(v->xvalue_union_type()));
    }
    if (!t) return bad(where + " is empty");
    const auto n_values = tensors_.size();
    if (t->id_out() >= n_values) {
      return bad(where + " has id " + str(t->id_out()) + ", but the graph has " + str(n_values) + " values");
    }
    for (auto dtype : {t->datatype(), t->dq_datatype()}) {
      if (dtype < xn::XNNDatatype_MIN || dtype > xn::XNNDatatype_MAX) {
        return bad(where + " has unknown datatype " + std::to_string(dtype));
      }
    }
    if (t->datatype() == xn::XNNDatatype_xnn_datatype_invalid) return bad(where + " has the invalid datatype");
    // The compiler copies `dims` and hands XNNPACK `num_dims` of them.
    if (!t->dims() || t->dims()->size() != t->num_dims()) {
      return bad(where + " has num_dims " + str(t->num_dims()) + " but " + str(count(t->dims())) + " dims");
    }
    if (t->num_dims() > kMaxDims) {
      return bad(where + " has " + str(t->num_dims()) + " dimensions; XNNPACK supports " + str(kMaxDims));
    }
    const unsigned bits = element_bits(t->datatype());
    uint64_t bytes = 0;
    {
      uint64_t elements = 1;
      for (uint32_t d : *t->dims()) {
        if (__builtin_mul_overflow(elements, uint64_t{d}, &elements) || elements > ctx_.limits.max_tensor_bytes) {
          return bad(where + " is larger than the limit of " + str(ctx_.limits.max_tensor_bytes) + " bytes");
        }
      }
      elements_[t->id_out()] = elements;
      bytes = (elements * (bits ? bits : 8) + 7) / 8;
      if (bytes > ctx_.limits.max_tensor_bytes) {
        return bad(where + " is larger than the limit of " + str(ctx_.limits.max_tensor_bytes) + " bytes");
      }
    }
    if (t->constant_buffer_idx() != 0) {
      ETKIT_TRY(constant(t->constant_buffer_idx(), bits ? bytes : 0, where));
    }
    if (q) ETKIT_TRY(quant_params(q, t, where));
    tensors_[t->id_out()] = t;
    return {};
  }

  // Constant `index` exists and holds at least `bytes` bytes within the payload
  // (or the program's named data). The compiler reads from constant_data when
  // the payload has a header, from constant_buffer when it has none.
  Status constant(uint32_t index, uint64_t bytes, const std::string& where) const {
    if (!constants_) {
      const auto* buffers = g_->constant_buffer();
      if (index >= count(buffers)) {
        return bad(where + " uses constant buffer " + str(index) + ", but the graph has " + str(count(buffers)));
      }
      const auto* b = buffers->Get(index);
      if (!b || !b->storage() || b->storage()->size() < bytes) {
        return bad(where + " needs " + str(bytes) + " bytes; constant buffer " + str(index) + " holds " +
                   str(b ? count(b->storage()) : 0));
      }
      return {};
    }
    const auto* table = g_->constant_data();
    if (index >= count(table)) {
      return bad(where + " uses constant " + str(index) + ", but the graph has " + str(count(table)));
    }
    const auto* c = table->Get(index);
    if (!c) return bad("constant " + str(index) + " is empty");
    if (c->named_key()) {
      const std::string key = c->named_key()->str();
      const auto held = ctx_.named_data_size(key);
      if (!held) return bad(where + " takes its data from named data '" + key + "', which the program does not hold");
      if (*held < bytes) {
        return bad(where + " needs " + str(bytes) + " bytes; named data '" + key + "' holds " + str(*held));
      }
      return {};
    }
    if (c->offset() > constant_size_ || c->size() > constant_size_ - c->offset()) {
      return bad("constant " + str(index) + " (" + str(c->size()) + " bytes at offset " + str(c->offset()) +
                 ") lies outside the payload's " + str(constant_size_) + " bytes of constant data");
    }
    if (c->size() < bytes) {
      return bad(where + " needs " + str(bytes) + " bytes; constant " + str(index) + " holds " + str(c->size()));
    }
    return {};
  }

  // Per-channel scales (both per-channel kinds) are read for every channel of
  // the channel dimension.
  Status quant_params(const xn::XNNQuantizedTensorValue* q, const xn::XNNTensorValue* t,
                      const std::string& where) const {
    auto scales_per_channel = [&](const auto* p) -> Status {
      const int32_t dim = p->channel_dim();
      if (dim < 0 || static_cast<uint32_t>(dim) >= t->num_dims()) {
        return bad(where + " is quantized along dimension " + std::to_string(dim) + " of " + str(t->num_dims()));
      }
      const uint64_t n = t->dims()->Get(static_cast<flatbuffers::uoffset_t>(dim));
      if (p->scale_buffer_idx() != 0) return constant(p->scale_buffer_idx(), 0, where + " scale");
      if (count(p->scale()) < n) {
        return bad(where + " has " + str(count(p->scale())) + " scales for " + str(n) + " channels");
      }
      return {};
    };
    switch (q->quant_params_type()) {
      case xn::XNNQuantParams_PerTensorQuant:
        return q->quant_params() ? Status{} : bad(where + " has empty quantization parameters");
      case xn::XNNQuantParams_PerChannelQuant: {
        const auto* p = q->quant_params_as_PerChannelQuant();
        if (!p) return bad(where + " has empty quantization parameters");
        return scales_per_channel(p);
      }
      case xn::XNNQuantParams_PerChannelGroupQuant: {
        const auto* p = q->quant_params_as_PerChannelGroupQuant();
        if (!p) return bad(where + " has empty quantization parameters");
        if (p->group_size() <= 0) return bad(where + " has group size " + std::to_string(p->group_size()));
        return scales_per_channel(p);
      }
      case xn::XNNQuantParams_PerTokenDynamicQuant: {
        const auto* p = q->quant_params_as_PerTokenDynamicQuant();
        if (!p) return bad(where + " has empty quantization parameters");
        if (p->num_nonbatch_dims() < 0 || static_cast<uint32_t>(p->num_nonbatch_dims()) > t->num_dims()) {
          return bad(where + " has " + std::to_string(p->num_nonbatch_dims()) + " non-batch dimensions of " +
                     str(t->num_dims()));
        }
        return {};
      }
      default: return bad(where + " has unknown quantization kind " + str(q->quant_params_type()));
    }
  }

  // A value id a node reads or writes; the compiler looks it up unchecked.
  Status id(uint32_t value, const std::string& where, const char* role, bool optional = false) const {
    if (optional && value == kInvalidId) return {};
    if (value >= tensors_.size()) {
      return bad(where + " " + role + " value " + str(value) + ", but the graph has " + str(tensors_.size()) +
                 " values");
    }
    if (!tensors_[value]) return bad(where + " " + role + " value " + str(value) + ", which no value defines");
    return {};
  }

  // A constant's data is the program file, mapped read-only: XNNPACK would
  // write a node's output or a graph input there.
  Status not_constant(uint32_t value, const std::string& what) const {
    const uint32_t buffer = tensors_[value]->constant_buffer_idx();
    if (buffer == 0) return {};
    return bad(what + ", which is a constant (buffer " + str(buffer) + ")");
  }

  // Data flows forward: a node reads constants, graph inputs and what earlier
  // nodes wrote. XNNPACK sizes its buffers from that: a graph input written
  // by a node is the caller's memory overrun, a value never written is
  // garbage.
  Status defined(uint32_t v, const std::string& where) const {
    const auto* t = tensors_[v];
    if (t->constant_buffer_idx() != 0 || (t->flags() & kExternalInput) || writer_[v] != kNoWriter) return {};
    return bad(where + " reads value " + str(v) +
               ", which is not a constant, a graph input or written by an earlier node");
  }
  Status written_once(uint32_t v, size_t node, const std::string& where) {
    const std::string what = where + " writes value " + str(v);
    ETKIT_TRY(not_constant(v, what));
    if (tensors_[v]->flags() & kExternalInput) return bad(what + ", which is a graph input");
    if (writer_[v] != kNoWriter) return bad(what + ", which node " + str(writer_[v]) + " writes already");
    writer_[v] = node;
    return {};
  }

  // A shape vector handed to XNNPACK together with a length it reads that far.
  Status dims(const flatbuffers::Vector<uint32_t>* v, uint64_t needed, const std::string& where,
              const char* name) const {
    if (count(v) < needed) {
      return bad(where + " has " + str(count(v)) + " " + name + " for " + str(needed) + " dimensions");
    }
    return {};
  }

  Status node(size_t i) {
    const std::string where = "node " + str(i);
    const auto* n = g_->xnodes()->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (!n) return bad(where + " is empty");
    const void* table = n->xnode_union();
    const auto type = n->xnode_union_type();
    if (type == xn::XNodeUnion_NONE || type > xn::XNodeUnion_MAX) {
      return bad(where + " has unknown kind " + str(type));
    }
    if (!table) return bad(where + " (" + xn::EnumNameXNodeUnion(type) + ") is empty");
    auto reads = [&](uint32_t v, bool optional = false) -> Status {
      ETKIT_TRY(id(v, where, "reads", optional));
      return optional && v == kInvalidId ? Status{} : defined(v, where);
    };
    auto writes = [&](uint32_t v) -> Status {
      ETKIT_TRY(id(v, where, "writes", false));
      return written_once(v, i, where);
    };
    switch (type) {
      case xn::XNodeUnion_XNNAdd:
      case xn::XNodeUnion_XNNDiv:
      case xn::XNodeUnion_XNNMinimum:
      case xn::XNodeUnion_XNNMaximum:
      case xn::XNodeUnion_XNNMultiply:
      case xn::XNodeUnion_XNNSubtract:
      case xn::XNodeUnion_XNNPReLU:
      case xn::XNodeUnion_XNNBatchMatrixMultiply: {
        const auto* x = static_cast<const xn::_XNNNode2x1*>(table);
        ETKIT_TRY(reads(x->input1_id()));
        ETKIT_TRY(reads(x->input2_id()));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNFullyConnected: {
        const auto* x = static_cast<const xn::XNNFullyConnected*>(table);
        ETKIT_TRY(reads(x->input1_id()));
        ETKIT_TRY(reads(x->filter_id()));
        ETKIT_TRY(reads(x->bias_id(), /*optional=*/true));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNConv2d:
      case xn::XNodeUnion_XNNDepthwiseConv2d:
      case xn::XNodeUnion_XNNConvTranspose2d: {
        const auto* x = static_cast<const xn::_XNNNodeConv*>(table);
        ETKIT_TRY(reads(x->input1_id()));
        ETKIT_TRY(reads(x->filter_id()));
        ETKIT_TRY(reads(x->bias_id(), /*optional=*/true));
        ETKIT_TRY(writes(x->output_id()));
        return convolution(x, type == xn::XNodeUnion_XNNDepthwiseConv2d, where);
      }
      case xn::XNodeUnion_XNNAvgPooling2d:
      case xn::XNodeUnion_XNNMaxPooling2d: {
        const auto* x = static_cast<const xn::_XNNPooling2D*>(table);
        ETKIT_TRY(reads(x->input_id()));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNArgMaxPooling2d: {
        const auto* x = static_cast<const xn::XNNArgMaxPooling2d*>(table);
        ETKIT_TRY(reads(x->input_id()));
        ETKIT_TRY(writes(x->output_value_id()));
        return writes(x->output_index_id());
      }
      case xn::XNodeUnion_XNNStaticTranspose: {
        const auto* x = static_cast<const xn::XNNStaticTranspose*>(table);
        ETKIT_TRY(dims(x->perm(), x->num_dims(), where, "permutation entries"));
        ETKIT_TRY(reads(x->input_id()));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNStaticReshape: {
        const auto* x = static_cast<const xn::XNNStaticReshape*>(table);
        ETKIT_TRY(dims(x->new_shape(), x->num_dims(), where, "shape entries"));
        ETKIT_TRY(reads(x->input_id()));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNStaticSlice: {
        const auto* x = static_cast<const xn::XNNStaticSlice*>(table);
        ETKIT_TRY(dims(x->offsets(), x->num_dims(), where, "offsets"));
        ETKIT_TRY(dims(x->sizes(), x->num_dims(), where, "sizes"));
        ETKIT_TRY(reads(x->input_id()));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNStaticConstantPad: {
        // XNNPACK reads one padding per dimension of the input.
        const auto* x = static_cast<const xn::XNNStaticConstantPad*>(table);
        ETKIT_TRY(reads(x->input_id()));
        const uint32_t rank = tensors_[x->input_id()]->num_dims();
        ETKIT_TRY(dims(x->pre_paddings(), rank, where, "pre-paddings"));
        ETKIT_TRY(dims(x->post_paddings(), rank, where, "post-paddings"));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNStaticResizeBilinear2D: {
        const auto* x = static_cast<const xn::XNNStaticResizeBilinear2D*>(table);
        ETKIT_TRY(reads(x->input_id()));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNConcatenate2:
      case xn::XNodeUnion_XNNConcatenate3:
      case xn::XNodeUnion_XNNConcatenate4:
      case xn::XNodeUnion_XNNConcatenate5: {
        const auto* x = static_cast<const xn::_XNNCat*>(table);
        const int inputs = type == xn::XNodeUnion_XNNConcatenate2   ? 2
                           : type == xn::XNodeUnion_XNNConcatenate3 ? 3
                           : type == xn::XNodeUnion_XNNConcatenate4 ? 4
                                                                    : 5;
        const uint32_t ids[] = {x->input1_id(), x->input2_id(), x->input3_id(), x->input4_id(), x->input5_id()};
        for (int k = 0; k < inputs; ++k) ETKIT_TRY(reads(ids[k]));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNScaledDotProductAttention: {
        const auto* x = static_cast<const xn::XNNScaledDotProductAttention*>(table);
        for (uint32_t v : {x->query_id(), x->key_id(), x->value_id(), x->scale_id(), x->mask_id()}) {
          ETKIT_TRY(reads(v));
        }
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNELU: {
        const auto* x = static_cast<const xn::XNNELU*>(table);
        ETKIT_TRY(reads(x->input_id()));
        return writes(x->output_id());
      }
      case xn::XNodeUnion_XNNLeakyReLU: {
        const auto* x = static_cast<const xn::XNNLeakyReLU*>(table);
        ETKIT_TRY(reads(x->input_id()));
        return writes(x->output_id());
      }
      default: {  // every other kind is a _XNNNode1x1
        const auto* x = static_cast<const xn::_XNNNode1x1*>(table);
        ETKIT_TRY(reads(x->input_id()));
        return writes(x->output_id());
      }
    }
  }

  // XNNPACK packs a convolution's weights by the node's parameters, not by
  // the filter's shape, and the compiler divides by the input channels of a
  // depthwise one: the filter and bias must hold what the parameters say.
  Status convolution(const xn::_XNNNodeConv* x, bool depthwise, const std::string& where) const {
    if (x->group_input_channels() == 0 || x->group_output_channels() == 0 || x->groups() == 0) {
      return bad(where + " is a convolution with " + str(x->groups()) + " groups of " +
                 str(x->group_input_channels()) + " input and " + str(x->group_output_channels()) +
                 " output channels");
    }
    const uint64_t out_channels = depthwise ? uint64_t{x->group_output_channels()} / x->group_input_channels()
                                            : uint64_t{x->group_output_channels()};
    uint64_t filter = 1;
    bool overflow = false;
    for (uint64_t f : {uint64_t{x->groups()}, out_channels, uint64_t{x->kernel_height()}, uint64_t{x->kernel_width()},
                       depthwise ? uint64_t{1} : uint64_t{x->group_input_channels()}}) {
      overflow |= __builtin_mul_overflow(filter, f, &filter);
    }
    if (overflow || filter > elements_[x->filter_id()]) {
      return bad(where + " needs a filter of " + (overflow ? std::string("over 2^64") : str(filter)) +
                 " elements; value " + str(x->filter_id()) + " has " + str(elements_[x->filter_id()]));
    }
    const uint64_t bias = uint64_t{x->groups()} * out_channels;
    if (x->bias_id() != kInvalidId && bias > elements_[x->bias_id()]) {
      return bad(where + " needs a bias of " + str(bias) + " elements; value " + str(x->bias_id()) + " has " +
                 str(elements_[x->bias_id()]));
    }
    return {};
  }

  // Values flagged as graph inputs or outputs are bound by external id; the
  // executor uses that id as an index into the delegate call's arguments.
  Status externals() const {
    if (g_->num_externs() > tensors_.size()) {
      return bad("the graph declares " + str(g_->num_externs()) + " external values, but has " +
                 str(tensors_.size()) + " values");
    }
    for (const auto* list : {g_->input_ids(), g_->output_ids()}) {
      const char* role = list == g_->input_ids() ? "lists as an input" : "lists as an output";
      for (size_t k = 0; k < count(list); ++k) ETKIT_TRY(id(list->Get(static_cast<flatbuffers::uoffset_t>(k)), "the graph", role));
    }
    for (size_t v = 0; v < tensors_.size(); ++v) {
      const auto* t = tensors_[v];
      if (!t || !(t->flags() & (kExternalInput | kExternalOutput))) continue;
      const std::string what = "value " + str(v) + (t->flags() & kExternalInput ? " (an input)" : " (an output)");
      if (t->external_id() >= g_->num_externs()) {
        return bad(what + " has external id " + str(t->external_id()) + ", but the graph declares " +
                   str(g_->num_externs()) + " external values");
      }
      ETKIT_TRY(ctx_.call_argument(t->external_id(), what));
      ETKIT_TRY(not_constant(static_cast<uint32_t>(v), what));
    }
    return {};
  }

  const uint8_t* data_;
  size_t size_;
  const XnnpackContext& ctx_;
  const uint8_t* fb_ = nullptr;
  size_t fb_size_ = 0;
  std::vector<uint64_t> copy_;  // an 8-aligned copy of the graph, when needed
  bool constants_ = false;      // the payload has a header, so constants live in its constant data
  uint64_t constant_size_ = 0;
  const xn::XNNGraph* g_ = nullptr;
  std::vector<const xn::XNNTensorValue*> tensors_;  // by id_out; null until defined
  std::vector<uint64_t> elements_;                   // by id_out
  static constexpr size_t kNoWriter = SIZE_MAX;
  std::vector<size_t> writer_;  // by id_out: the node that writes it
};

}  // namespace

Status verify_xnnpack_payload(const uint8_t* data, size_t size, const XnnpackContext& context) {
  return GraphChecker(data, size, context).run();
}

}  // namespace etkit::detail
