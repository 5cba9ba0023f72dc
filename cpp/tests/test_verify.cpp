// verify_program on real fixtures, each corrupted in one place. The corruptions
// are made through flatc's mutable accessors so that they hit the field meant.
#include <gtest/gtest.h>

#include <cstring>

#include "etkit/program.h"
#include "etkit/verify.h"
#include "pte_bytes.h"
#pragma GCC visibility push(hidden)  // as in verify.cpp
#include "runtime_schema_generated.h"
#pragma GCC visibility pop

namespace {

namespace fb = etkit_pte;
using pte_bytes::Bytes;
using pte_bytes::plan;
using pte_bytes::program;
using pte_bytes::read;

const std::string kXnnpack = pte_bytes::fixture("tiny_xnnpack.pte");
const std::string kPortable = pte_bytes::fixture("tiny_portable.pte");
const std::string kConv = pte_bytes::fixture("conv_xnnpack.pte");  // a conv, then a depthwise one

uint64_t get_u64(const Bytes& b, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | b.at(at + i);
  return v;
}
void put_u64(Bytes& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.at(at + i) = static_cast<uint8_t>(v >> (8 * i));
}
// Extended header fields (magic "eh00" at byte 8).
constexpr size_t kProgramSize = 16, kSegmentBase = 24, kSegmentDataSize = 32;

// The first value of the forward plan for which `pick` returns true.
template <typename Pick>
bool first_value(Bytes& b, Pick pick) {
  auto* values = plan(b)->mutable_values();
  for (size_t i = 0; i < values->size(); ++i) {
    if (pick(values->GetMutableObject(i))) return true;
  }
  return false;
}

fb::Tensor* as_tensor(fb::EValue* v) {
  return v->val_type() == fb::KernelTypes_Tensor ? static_cast<fb::Tensor*>(v->mutable_val()) : nullptr;
}

bool flatbuffer_alone_accepts(const Bytes& b) {
  flatbuffers::Verifier v(b.data(), static_cast<size_t>(get_u64(b, kProgramSize)));
  return fb::VerifyProgramBuffer(v);
}

void expect_rejected(const Bytes& b, const std::string& fragment) {
  const etkit::Status s = etkit::verify_program(b.data(), b.size());
  ASSERT_FALSE(s.ok()) << "accepted; expected: " << fragment;
  EXPECT_EQ(s.error().code, etkit::ErrorCode::kInvalidProgram);
  EXPECT_NE(s.error().message.find(fragment), std::string::npos) << s.error().message;
}

TEST(Verify, AcceptsRealPrograms) {
  for (const auto& path : {kXnnpack, kPortable}) {
    const Bytes b = read(path);
    ASSERT_GT(b.size(), 64u);
    const etkit::Status s = etkit::verify_program(b.data(), b.size());
    EXPECT_TRUE(s.ok()) << path << ": " << s.error().message;
  }
}

TEST(Verify, TruncationInsideSegmentDataThatTheFlatbufferVerifierAccepts) {
  for (const auto& path : {kXnnpack, kPortable}) {
    Bytes b = read(path);
    b.resize(b.size() - 100);
    ASSERT_TRUE(flatbuffer_alone_accepts(b));
    expect_rejected(b, "runs past the file's " + std::to_string(b.size()) + " bytes");
    // With the header patched to agree with the shorter file, the segment table gives it away.
    put_u64(b, kSegmentDataSize, b.size() - get_u64(b, kSegmentBase));
    ASSERT_TRUE(flatbuffer_alone_accepts(b));
    expect_rejected(b, ", beyond the file's " + std::to_string(b.size()) + " bytes");
  }
}

TEST(Verify, NamesTheConstantSegment) {
  Bytes b = read(kPortable);
  const uint32_t index = program(b)->constant_segment()->segment_index();
  b.resize(b.size() - 16);
  put_u64(b, kSegmentDataSize, b.size() - get_u64(b, kSegmentBase));
  expect_rejected(b, "constant segment " + std::to_string(index) + " ends at byte");
}

TEST(Verify, SegmentOffsetsPastTheEndOfTheFile) {
  // The last segment's offset and size are stored (not the default 0).
  Bytes b = read(kXnnpack);
  auto* segs = program(b)->mutable_segments();
  ASSERT_GT(segs->size(), 1u);
  const std::string last = std::to_string(segs->size() - 1);
  ASSERT_TRUE(segs->GetMutableObject(segs->size() - 1)->mutate_size(uint64_t{1} << 62));
  expect_rejected(b, "segment " + last + " ends at byte");
  // An offset that wraps around.
  b = read(kXnnpack);
  segs = program(b)->mutable_segments();
  ASSERT_TRUE(segs->GetMutableObject(segs->size() - 1)->mutate_offset(UINT64_MAX - 8));
  expect_rejected(b, "segment " + last + " ends at byte beyond 2^64");
}

TEST(Verify, HeaderFieldsOutsideTheFile) {
  Bytes b = read(kPortable);
  put_u64(b, kProgramSize, b.size() + 1);
  expect_rejected(b, "program size of " + std::to_string(b.size() + 1));
  b = read(kPortable);
  put_u64(b, kSegmentBase, b.size() + 4096);
  expect_rejected(b, "segment data begins at byte");
  b = read(kPortable);
  put_u64(b, kSegmentDataSize, UINT64_MAX);
  expect_rejected(b, "runs past the file's");
  b = read(kPortable);
  b[12] = 8;  // extended header length below its fixed fields
  b[13] = b[14] = b[15] = 0;
  expect_rejected(b, "extended header length 8");
}

TEST(Verify, IdentifierAndFlatbufferStructure) {
  Bytes b = read(kPortable);
  std::memcpy(b.data() + 4, "ET99", 4);
  expect_rejected(b, "format 'ET99'");
  std::memcpy(b.data() + 4, "PK\3\4", 4);
  expect_rejected(b, "no 'ET12' identifier");
  expect_rejected(Bytes{1, 2, 3}, "too few");
  b = read(kPortable);
  b[0] = 0xf0;  // root table offset far past the flatbuffer
  b[1] = 0xff;
  expect_rejected(b, "does not match ExecuTorch's schema");
}

TEST(Verify, ConstantOffsetsOutsideTheirSegment) {
  Bytes b = read(kPortable);
  auto* cs = program(b)->mutable_constant_segment();
  const uint64_t size = program(b)->segments()->Get(cs->segment_index())->size();
  auto* offsets = cs->mutable_offsets();
  ASSERT_GT(offsets->size(), 1u);
  offsets->Mutate(offsets->size() - 1, size + 64);
  expect_rejected(b, "constant buffer " + std::to_string(offsets->size() - 1) + " starts at offset");
  // Within the segment, but too close to its end for the tensor stored there.
  offsets->Mutate(offsets->size() - 1, size - 4);
  expect_rejected(b, "bytes from offset " + std::to_string(size - 4) + " of constant segment");
}

TEST(Verify, TensorShapesAndPlacement) {
  auto planned = [](fb::EValue* v) {
    auto* t = as_tensor(v);
    return t && t->allocation_info() && t->sizes()->size() >= 2 ? t : nullptr;
  };
  Bytes b = read(kPortable);
  ASSERT_TRUE(first_value(b, [&](fb::EValue* v) { return planned(v) && (planned(v)->mutable_sizes()->Mutate(0, -3), true); }));
  expect_rejected(b, "negative size -3");

  b = read(kPortable);
  ASSERT_TRUE(first_value(b, [&](fb::EValue* v) {
    auto* t = planned(v);
    if (!t) return false;
    t->mutable_sizes()->Mutate(0, INT32_MAX);
    t->mutable_sizes()->Mutate(1, INT32_MAX);
    return true;
  }));
  expect_rejected(b, "larger than the limit");

  b = read(kPortable);
  ASSERT_TRUE(first_value(b, [&](fb::EValue* v) {
    auto* t = planned(v);
    return t && t->mutable_allocation_info()->mutate_memory_id(7);
  }));
  expect_rejected(b, "planned in memory buffer 7");

  b = read(kPortable);
  const int64_t buffer = plan(b)->non_const_buffer_sizes()->Get(1);
  ASSERT_TRUE(first_value(b, [&](fb::EValue* v) {
    auto* t = planned(v);
    return t && t->mutable_allocation_info()->mutate_memory_offset_low(static_cast<uint32_t>(buffer - 4));
  }));
  expect_rejected(b, "does not fit memory buffer 1 of " + std::to_string(buffer) + " bytes");

  b = read(kPortable);
  ASSERT_TRUE(first_value(b, [&](fb::EValue* v) { return planned(v) && planned(v)->mutate_scalar_type(fb::ScalarType(99)); }));
  expect_rejected(b, "unknown dtype 99");
}

TEST(Verify, PlannedMemoryBeyondTheCap) {
  Bytes b = read(kPortable);
  plan(b)->mutable_non_const_buffer_sizes()->Mutate(1, int64_t{1} << 50);
  expect_rejected(b, "bytes of planned memory in buffer 1");
  b = read(kPortable);
  etkit::VerifyLimits small;
  small.max_planned_bytes = 16;  // the real program needs more
  EXPECT_FALSE(etkit::verify_program(b.data(), b.size(), small).ok());
}

TEST(Verify, IndicesOutOfRange) {
  Bytes b = read(kPortable);
  plan(b)->mutable_inputs()->Mutate(0, 100000);
  expect_rejected(b, "input list refers to value 100000");

  b = read(kPortable);
  auto* ins = plan(b)->mutable_chains()->GetMutableObject(0)->mutable_instructions();
  bool patched = false;
  for (size_t i = 0; i < ins->size() && !patched; ++i) {
    auto* in = ins->GetMutableObject(i);
    if (in->instr_args_type() == fb::InstructionArguments_KernelCall) {
      auto* call = static_cast<fb::KernelCall*>(in->mutable_instr_args());
      patched = call->mutate_op_index(4242);  // absent when 0: try the next call
      if (!patched && call->args() && call->args()->size() > 0) {
        call->mutable_args()->Mutate(0, -5);
        patched = true;
      }
    }
  }
  ASSERT_TRUE(patched);
  const etkit::Status s = etkit::verify_program(b.data(), b.size());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.error().message.find("calls operator 4242") != std::string::npos ||
              s.error().message.find("refers to value -5") != std::string::npos)
      << s.error().message;

  b = read(kXnnpack);
  ins = plan(b)->mutable_chains()->GetMutableObject(0)->mutable_instructions();
  patched = false;
  for (size_t i = 0; i < ins->size() && !patched; ++i) {
    auto* in = ins->GetMutableObject(i);
    if (in->instr_args_type() == fb::InstructionArguments_DelegateCall) {
      static_cast<fb::DelegateCall*>(in->mutable_instr_args())->mutable_args()->Mutate(0, 77777);
      patched = true;
    }
  }
  ASSERT_TRUE(patched);
  expect_rejected(b, "refers to value 77777");
}

TEST(Verify, InputsMustNotBeConstants) {
  Bytes b = read(kPortable);
  const int32_t input = plan(b)->inputs()->Get(0);
  auto* t = as_tensor(plan(b)->mutable_values()->GetMutableObject(static_cast<size_t>(input)));
  ASSERT_NE(t, nullptr);
  // Point the input at a constant: set_input would copy into the read-only file.
  int32_t constant = -1;
  for (size_t i = 0; i < plan(b)->values()->size() && constant < 0; ++i) {
    const auto* c = plan(b)->values()->Get(i)->val_as_Tensor();
    if (c && !c->allocation_info() && c->data_buffer_idx() > 0) constant = static_cast<int32_t>(i);
  }
  ASSERT_GE(constant, 0);
  plan(b)->mutable_inputs()->Mutate(0, constant);
  expect_rejected(b, "input 0 is a constant tensor");
}

TEST(Verify, NamesMustBeUtf8) {
  Bytes b = read(kXnnpack);
  auto* name = plan(b)->mutable_name();
  ASSERT_GT(name->size(), 1u);
  const_cast<char*>(name->c_str())[1] = '\xe5';  // a lead byte without its continuation
  expect_rejected(b, "method 0 has a name that is not UTF-8");
  b = read(kXnnpack);
  auto* id = plan(b)->mutable_delegates()->GetMutableObject(0)->mutable_id();
  const_cast<char*>(id->c_str())[0] = '\xc0';  // never valid in UTF-8
  expect_rejected(b, "delegate 0 has a backend name that is not UTF-8");
}

// Kernels would read or write through a null pointer.
TEST(Verify, TensorsWithoutMemoryAreInputsOrOutputs) {
  Bytes b = read(kPortable);
  int value = -1;
  ASSERT_TRUE(first_value(b, [&](fb::EValue* v) {
    ++value;
    fb::Tensor* t = as_tensor(v);
    return t && t->data_buffer_idx() > 0 && t->mutate_data_buffer_idx(0);  // a constant no more
  }));
  expect_rejected(b, "method 'forward' value " + std::to_string(value) + " is a tensor of ");
  expect_rejected(b, " bytes without memory: neither planned, nor a constant, nor an input or output");
}

TEST(Verify, DelegateDataReference) {
  Bytes b = read(kXnnpack);
  auto* d = plan(b)->mutable_delegates()->GetMutableObject(0);
  auto* ref = d->mutable_processed();
  ASSERT_EQ(ref->location(), fb::DataLocation_SEGMENT);
  // Index 0 is stored only when it differs from the default.
  if (ref->mutate_index(9)) expect_rejected(b, "refers to segment 9");
  ASSERT_TRUE(ref->mutate_location(fb::DataLocation(5)));
  expect_rejected(b, "unknown data location 5");
}

// ---- XNNPACK payload -----------------------------------------------------------

namespace xn = etkit_xnnpack;

// The fixture's XNNPACK payload (delegate 0, in a segment) and its graph.
struct Payload {
  uint8_t* base;
  uint64_t size;
  uint8_t* flatbuffer;
  xn::XNNGraph* graph;
};
Payload xnnpack_payload(Bytes& b) {
  const auto* ref = plan(b)->delegates()->Get(0)->processed();
  EXPECT_EQ(ref->location(), fb::DataLocation_SEGMENT);
  const auto* seg = program(b)->segments()->Get(ref->index());
  uint8_t* base = b.data() + get_u64(b, kSegmentBase) + seg->offset();
  EXPECT_EQ(std::memcmp(base + 4, "XH00", 4), 0);
  const uint32_t flatbuffer_offset = base[10] | base[11] << 8 | base[12] << 16 | uint32_t{base[13]} << 24;
  return {base, seg->size(), base + flatbuffer_offset, xn::GetMutableXNNGraph(base + flatbuffer_offset)};
}
void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The first tensor value of the graph for which `pick` returns true.
template <typename Pick>
int first_tensor(xn::XNNGraph* g, Pick pick) {
  for (size_t i = 0; i < g->xvalues()->size(); ++i) {
    auto* v = g->mutable_xvalues()->GetMutableObject(i);
    xn::XNNTensorValue* t = nullptr;
    if (v->xvalue_union_type() == xn::XValueUnion_XNNTensorValue) {
      t = static_cast<xn::XNNTensorValue*>(v->mutable_xvalue_union());
    } else if (v->xvalue_union_type() == xn::XValueUnion_XNNQuantizedTensorValue) {
      t = static_cast<xn::XNNQuantizedTensorValue*>(v->mutable_xvalue_union())->mutable_tensor_value();
    }
    if (t && pick(t)) return static_cast<int>(i);
  }
  return -1;
}

const std::string kXnnWhere = "method 'forward' XNNPACK delegate 0: ";

TEST(VerifyXnnpack, NodeReadsAValueBeyondTheGraph) {
  Bytes b = read(kXnnpack);
  auto* g = xnnpack_payload(b).graph;
  const std::string n_values = std::to_string(g->xvalues()->size());
  int node = -1;
  for (size_t i = 0; i < g->xnodes()->size() && node < 0; ++i) {
    auto* n = g->mutable_xnodes()->GetMutableObject(i);
    if (n->xnode_union_type() != xn::XNodeUnion_XNNFullyConnected) continue;
    auto* fc = static_cast<xn::XNNFullyConnected*>(n->mutable_xnode_union());
    if (fc->mutate_input1_id(812) || fc->mutate_filter_id(812)) node = static_cast<int>(i);  // stored if not 0
  }
  ASSERT_GE(node, 0);
  expect_rejected(b, kXnnWhere + "node " + std::to_string(node) + " reads value 812, but the graph has " + n_values +
                         " values");
}

// Constants are the program file, mapped read-only: a node must not write one.
TEST(VerifyXnnpack, NodeWritesAConstant) {
  Bytes b = read(kXnnpack);
  auto* g = xnnpack_payload(b).graph;
  int node = -1;
  uint32_t filter = 0;
  for (size_t i = 0; i < g->xnodes()->size() && node < 0; ++i) {
    auto* n = g->mutable_xnodes()->GetMutableObject(i);
    if (n->xnode_union_type() != xn::XNodeUnion_XNNFullyConnected) continue;
    auto* fc = static_cast<xn::XNNFullyConnected*>(n->mutable_xnode_union());
    filter = fc->filter_id();
    if (fc->mutate_output_id(filter)) node = static_cast<int>(i);
  }
  ASSERT_GE(node, 0);
  expect_rejected(b, kXnnWhere + "node " + std::to_string(node) + " writes value " + std::to_string(filter) +
                         ", which is a constant (buffer ");
}

// The tutorial's graph: three fully connected nodes, 0 -> 3 -> 6 -> 9.
xn::XNNFullyConnected* fully_connected(xn::XNNGraph* g, size_t node) {
  auto* n = g->mutable_xnodes()->GetMutableObject(node);
  EXPECT_EQ(n->xnode_union_type(), xn::XNodeUnion_XNNFullyConnected);
  return static_cast<xn::XNNFullyConnected*>(n->mutable_xnode_union());
}

TEST(VerifyXnnpack, DataFlowsForwardIntoValuesWrittenOnce) {
  {
    Bytes b = read(kXnnpack);
    ASSERT_TRUE(fully_connected(xnnpack_payload(b).graph, 1)->mutate_output_id(0));
    expect_rejected(b, kXnnWhere + "node 1 writes value 0, which is a graph input");
  }
  {
    Bytes b = read(kXnnpack);
    ASSERT_TRUE(fully_connected(xnnpack_payload(b).graph, 1)->mutate_input1_id(9));
    expect_rejected(b, kXnnWhere + "node 1 reads value 9, which is not a constant, a graph input or written by an "
                                   "earlier node");
  }
  {
    Bytes b = read(kXnnpack);
    ASSERT_TRUE(fully_connected(xnnpack_payload(b).graph, 2)->mutate_output_id(3));
    expect_rejected(b, kXnnWhere + "node 2 writes value 3, which node 0 writes already");
  }
}

TEST(VerifyXnnpack, TensorShapes) {
  Bytes b = read(kXnnpack);
  auto* g = xnnpack_payload(b).graph;
  int v = first_tensor(g, [](xn::XNNTensorValue* t) { return t->num_dims() == 2 && t->mutate_num_dims(5); });
  ASSERT_GE(v, 0);
  expect_rejected(b, kXnnWhere + "value " + std::to_string(v) + " has num_dims 5 but 2 dims");

  b = read(kXnnpack);
  g = xnnpack_payload(b).graph;
  v = first_tensor(g, [](xn::XNNTensorValue* t) {
    if (t->num_dims() < 2) return false;
    t->mutable_dims()->Mutate(0, UINT32_MAX);
    t->mutable_dims()->Mutate(1, UINT32_MAX);
    return true;
  });
  ASSERT_GE(v, 0);
  expect_rejected(b, kXnnWhere + "value " + std::to_string(v) + " is larger than the limit");

  b = read(kXnnpack);
  g = xnnpack_payload(b).graph;
  v = first_tensor(g, [](xn::XNNTensorValue* t) { return t->mutate_datatype(xn::XNNDatatype(99)); });
  ASSERT_GE(v, 0);
  expect_rejected(b, kXnnWhere + "value " + std::to_string(v) + " has unknown datatype 99");
}

TEST(VerifyXnnpack, ConstantReferences) {
  Bytes b = read(kXnnpack);
  auto* g = xnnpack_payload(b).graph;
  const std::string n_constants = std::to_string(g->constant_data() ? g->constant_data()->size() : 0);
  int v = first_tensor(g, [](xn::XNNTensorValue* t) {
    return t->constant_buffer_idx() != 0 && t->mutate_constant_buffer_idx(1000);
  });
  ASSERT_GE(v, 0);
  expect_rejected(b, kXnnWhere + "value " + std::to_string(v) + " uses constant 1000, but the graph has " + n_constants);

  // The fixture's weights live in the program's named data; a key it doesn't hold.
  b = read(kXnnpack);
  g = xnnpack_payload(b).graph;
  ASSERT_TRUE(g->constant_data() && g->constant_data()->size() > 1);
  auto* key = g->mutable_constant_data()->GetMutableObject(1)->mutable_named_key();
  ASSERT_TRUE(key && key->size() > 0);
  const_cast<char*>(key->c_str())[0] = '?';
  expect_rejected(b, "takes its data from named data '?");
}

TEST(VerifyXnnpack, HeaderAndFlatbuffer) {
  Bytes b = read(kXnnpack);
  Payload p = xnnpack_payload(b);
  put_u32(p.base + 14, static_cast<uint32_t>(p.size));  // flatbuffer size: the whole payload, after its offset
  expect_rejected(b, kXnnWhere + "the header puts the graph at bytes");

  b = read(kXnnpack);
  p = xnnpack_payload(b);
  put_u32(p.base + 18, 0);  // constant data: from byte 0, 2^40 bytes
  put_u32(p.base + 22, 0);
  p.base[27] = 1;
  expect_rejected(b, kXnnWhere + "the header puts 1099511627776 bytes of constant data at byte 0");

  b = read(kXnnpack);
  p = xnnpack_payload(b);
  std::memcpy(p.flatbuffer + 4, "ZZ99", 4);
  expect_rejected(b, kXnnWhere + "the graph is not an XNNPACK flatbuffer (identifier 'ZZ99'");

  b = read(kXnnpack);
  p = xnnpack_payload(b);
  put_u32(p.flatbuffer, 0xfffffff0);  // root table far outside the graph
  expect_rejected(b, kXnnWhere + "the graph flatbuffer is malformed");
}

TEST(VerifyXnnpack, ExternalIdsIndexTheDelegateCall) {
  Bytes b = read(kXnnpack);
  auto* g = xnnpack_payload(b).graph;
  const std::string n_externs = std::to_string(g->num_externs());
  // An input's or output's id is stored unless it is 0.
  int v = first_tensor(g, [](xn::XNNTensorValue* t) { return (t->flags() & 3) && t->mutate_external_id(5); });
  ASSERT_GE(v, 0);
  expect_rejected(b, kXnnWhere + "value " + std::to_string(v));
  expect_rejected(b, "has external id 5, but the graph declares " + n_externs + " external values");
  // Within the graph's externals, but beyond what the program's call passes.
  ASSERT_LE(g->num_externs(), 5u);
  ASSERT_LT(6u, g->xvalues()->size());
  ASSERT_TRUE(g->mutate_num_externs(6));
  expect_rejected(b, "is argument 5, but method 'forward' chain 0 instruction 0 passes");
}

// The first node of `kind` in the payload of `b`, and its index.
xn::_XNNNodeConv* find_conv(Bytes& b, xn::XNodeUnion kind, int* index) {
  auto* g = xnnpack_payload(b).graph;
  for (size_t i = 0; i < g->xnodes()->size(); ++i) {
    auto* n = g->mutable_xnodes()->GetMutableObject(i);
    if (n->xnode_union_type() != kind) continue;
    *index = static_cast<int>(i);
    return static_cast<xn::_XNNNodeConv*>(n->mutable_xnode_union());
  }
  return nullptr;
}

// XNNPACK packs weights by the node's parameters and divides by a depthwise
// node's input channels: both crashed the delegate in benchmarks/FUZZ.md.
TEST(VerifyXnnpack, ConvolutionParametersMatchTheirWeights) {
  Bytes b = read(kConv);
  ASSERT_TRUE(etkit::verify_program(b.data(), b.size()).ok());
  int node = -1;
  auto* c = find_conv(b, xn::XNodeUnion_XNNConv2d, &node);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->mutate_kernel_height(200));
  expect_rejected(b, "node " + std::to_string(node) + " needs a filter of ");

  b = read(kConv);
  c = find_conv(b, xn::XNodeUnion_XNNDepthwiseConv2d, &node);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->mutate_group_input_channels(0));
  expect_rejected(b, "node " + std::to_string(node) + " is a convolution with 8 groups of 0 input");
}

TEST(Verify, ProgramLoadRefusesWithThePathAndTheReason) {
  Bytes b = read(kPortable);
  b.resize(b.size() - 100);
  const std::string path = pte_bytes::write_temp(b, "cut_short.pte");
  auto loaded = etkit::Program::load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, etkit::ErrorCode::kInvalidProgram);
  EXPECT_NE(loaded.error().message.find(path + " is not a valid ExecuTorch program: segment data"), std::string::npos)
      << loaded.error().message;
}

}  // namespace
