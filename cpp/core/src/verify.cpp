// The layout checked here: a .pte is a flatbuffer (root offset, then the
// identifier "ET12"), optionally an extended header "eh00" at byte 8 giving the
// flatbuffer's size and where the segment data begins, then the segments
// (constants, delegate blobs, named and mutable data) that the flatbuffer
// points into with offsets relative to that base.
//
#include "etkit/verify.h"

#include <cstring>
#include <optional>
#include <string>
#include <vector>

// flatc's generated code and flatbuffers' inline functions stay out of our
// binaries' dynamic symbol tables, where they could interpose on the copies
// the runtime exports (see cmake/EtkitFlatbuffers.cmake). libstdc++ keeps
// namespace std at default visibility whatever the pragma says.
#pragma GCC visibility push(hidden)
#include "program_generated.h"
#pragma GCC visibility pop

#include "pte_layout.h"
#include "verify_xnnpack.h"

namespace etkit {
namespace {

namespace fb = etkit_pte;

constexpr char kIdentifier[] = "ET12";
constexpr char kExtendedMagic[] = "eh00";
constexpr size_t kExtendedHeaderOffset = 8;
// magic, header_length, program_size, segment_base_offset (segment_data_size
// follows in headers of 32 bytes or more).
constexpr uint32_t kExtendedHeaderMinLength = 4 + 4 + 8 + 8;
constexpr uint32_t kExtendedHeaderWithDataSize = kExtendedHeaderMinLength + 8;

uint32_t u32_le(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint64_t u64_le(const uint8_t* p) { return uint64_t{u32_le(p)} | uint64_t{u32_le(p + 4)} << 32; }

std::string str(uint64_t v) { return std::to_string(v); }

Status bad(std::string message) { return make_error(ErrorCode::kInvalidProgram, std::move(message)); }

}  // namespace

size_t detail::schema_element_size(int8_t type) {
  switch (static_cast<fb::ScalarType>(type)) {
    case fb::ScalarType_BYTE:
    case fb::ScalarType_CHAR:
    case fb::ScalarType_BOOL:
    case fb::ScalarType_QINT8:
    case fb::ScalarType_QUINT8:
    case fb::ScalarType_QUINT4X2:
    case fb::ScalarType_QUINT2X4:
    case fb::ScalarType_FLOAT8E5M2:
    case fb::ScalarType_FLOAT8E4M3FN:
    case fb::ScalarType_FLOAT8E5M2FNUZ:
    case fb::ScalarType_FLOAT8E4M3FNUZ: return 1;
    case fb::ScalarType_SHORT:
    case fb::ScalarType_HALF:
    case fb::ScalarType_BFLOAT16:
    case fb::ScalarType_BITS16:
    case fb::ScalarType_UINT16: return 2;
    case fb::ScalarType_INT:
    case fb::ScalarType_FLOAT:
    case fb::ScalarType_QINT32:
    case fb::ScalarType_UINT32: return 4;
    case fb::ScalarType_LONG:
    case fb::ScalarType_DOUBLE:
    case fb::ScalarType_UINT64: return 8;
    default: return 0;
  }
}

namespace {

bool is_utf8(const flatbuffers::String* s) { return detail::is_utf8(s->data(), s->size()); }

template <typename T>
size_t count(const flatbuffers::Vector<T>* v) {
  return v ? v->size() : 0;
}

// flatbuffers' verifier checks only 4-byte alignment of a vector; reading
// 8-byte elements from one that is not 8-aligned is undefined behaviour.
template <typename T>
Status aligned(const flatbuffers::Vector<T>* v, const std::string& what) {
  if (v && reinterpret_cast<uintptr_t>(v->Data()) % alignof(T) != 0) return bad(what + " is misaligned");
  return {};
}

using Layout = detail::PteLayout;

Result<Layout> read_headers(const uint8_t* data, size_t size) {
  Layout layout;
  layout.file_size = size;
  if (size < 8) return bad("the file has " + str(size) + " bytes, too few for a program header");
  if (std::memcmp(data + 4, kIdentifier, 4) != 0) {
    if (data[4] == 'E' && data[5] == 'T') {
      return bad("the file is ExecuTorch program format '" + std::string(reinterpret_cast<const char*>(data) + 4, 4) +
                 "'; this etkit reads 'ET12'");
    }
    return bad("not an ExecuTorch program (no 'ET12' identifier at byte 4)");
  }
  layout.program_size = size;
  if (size < kExtendedHeaderOffset + 8 || std::memcmp(data + kExtendedHeaderOffset, kExtendedMagic, 4) != 0) {
    return layout;  // no extended header: the flatbuffer is the whole file
  }
  const uint8_t* h = data + kExtendedHeaderOffset;
  const uint32_t length = u32_le(h + 4);
  if (length < kExtendedHeaderMinLength) {
    return bad("extended header length " + str(length) + " is below the minimum of " + str(kExtendedHeaderMinLength));
  }
  if (uint64_t{length} > size - kExtendedHeaderOffset) {
    return bad("extended header of " + str(length) + " bytes runs past the file's " + str(size) + " bytes");
  }
  layout.program_size = u64_le(h + 8);
  layout.segment_base = u64_le(h + 16);
  if (layout.program_size < kExtendedHeaderOffset + length || layout.program_size > size) {
    return bad("extended header gives a program size of " + str(layout.program_size) + " bytes; the file has " +
               str(size) + " bytes");
  }
  if (layout.segment_base == 0) return layout;
  if (layout.segment_base < layout.program_size || layout.segment_base > size) {
    return bad("segment data begins at byte " + str(layout.segment_base) + ", outside the file's " + str(size) +
               " bytes after the " + str(layout.program_size) + "-byte program");
  }
  layout.segment_data_end = size;
  if (length >= kExtendedHeaderWithDataSize) {
    const uint64_t data_size = u64_le(h + 24);
    if (data_size > size - layout.segment_base) {
      return bad("segment data of " + str(data_size) + " bytes from byte " + str(layout.segment_base) +
                 " runs past the file's " + str(size) + " bytes (file cut short?)");
    }
    layout.segment_data_end = layout.segment_base + data_size;
  }
  return layout;
}

// Checks one program against a layout. Member functions return the first
// problem they find.
class Checker {
 public:
  Checker(const uint8_t* file, const fb::Program* program, const Layout& layout, const VerifyLimits& limits)
      : file_(file), p_(program), layout_(layout), limits_(limits) {}

  Status run() {
    ETKIT_TRY(segments());
    ETKIT_TRY(subsegments());
    const auto* plans = p_->execution_plan();
    if (count(plans) == 0) return bad("the program has no methods");
    for (size_t i = 0; i < plans->size(); ++i) ETKIT_TRY(plan(plans->Get(i), i));
    return {};
  }

 private:
  size_t n_segments() const { return count(p_->segments()); }

  Status segment_index(uint32_t index, const std::string& user) const {
    if (index >= n_segments()) {
      return bad(user + " refers to segment " + str(index) + "; the program has " + str(n_segments()) + " segment(s)");
    }
    return {};
  }

  // Every segment lies within the segment data; names each by its user.
  Status segments() {
    const auto* segs = p_->segments();
    roles_.assign(n_segments(), "data");
    if (const auto* cs = p_->constant_segment()) {
      ETKIT_TRY(segment_index(cs->segment_index(), "the constant data"));
      roles_[cs->segment_index()] = "constant";
    }
    const auto* delegates = p_->backend_delegate_data();
    for (size_t i = 0; i < count(p_->named_data()); ++i) {
      const auto* nd = p_->named_data()->Get(i);
      if (!nd || !nd->key()) return bad("named data entry " + str(i) + " is empty");
      if (!is_utf8(nd->key())) return bad("named data entry " + str(i) + " has a key that is not UTF-8");
      ETKIT_TRY(segment_index(nd->segment_index(), "named data entry " + str(i)));
      roles_[nd->segment_index()] = "named data";
    }
    for (size_t i = 0; i < count(p_->mutable_data_segments()); ++i) {
      const auto* ms = p_->mutable_data_segments()->Get(i);
      if (!ms) return bad("mutable data entry " + str(i) + " is empty");
      ETKIT_TRY(segment_index(ms->segment_index(), "mutable data entry " + str(i)));
      roles_[ms->segment_index()] = "mutable data";
    }
    for (size_t i = 0; i < count(delegates); ++i) {
      if (!delegates->Get(i) || !delegates->Get(i)->data()) return bad("inline delegate data " + str(i) + " is empty");
    }
    for (size_t i = 0; i < n_segments(); ++i) {
      const auto* s = segs->Get(i);
      if (!s) return bad("segment " + str(i) + " is empty");
      // ExecuTorch lists an empty constant segment even in a program with no
      // weights, and then writes no extended header: nothing to read, fine.
      if (layout_.segment_base == 0 && (s->offset() != 0 || s->size() != 0)) {
        return bad(roles_[i] + " segment " + str(i) + " holds " + str(s->size()) +
                   " bytes but the program's header gives no segment data");
      }
      const uint64_t room = layout_.segment_data_end - layout_.segment_base;
      if (s->offset() > room || s->size() > room - s->offset()) {
        uint64_t end = 0;
        const bool wraps = __builtin_add_overflow(layout_.segment_base, s->offset(), &end) ||
                           __builtin_add_overflow(end, s->size(), &end);
        const std::string end_text = wraps ? std::string("beyond 2^64") : str(end);
        const std::string limit = layout_.segment_data_end == layout_.file_size
                                      ? "the file's " + str(layout_.file_size) + " bytes"
                                      : "the segment data's end at byte " + str(layout_.segment_data_end);
        return bad(roles_[i] + " segment " + str(i) + " ends at byte " + end_text + ", beyond " + limit);
      }
    }
    return {};
  }

  uint64_t segment_size(uint32_t index) const { return p_->segments()->Get(index)->size(); }

  // Offsets into the constant and mutable segments stay inside them.
  Status subsegments() const {
    auto check = [&](const fb::SubsegmentOffsets* s, const std::string& what) -> Status {
      ETKIT_TRY(aligned(s->offsets(), what + " offset table"));
      const uint64_t size = segment_size(s->segment_index());
      for (size_t k = 0; k < count(s->offsets()); ++k) {
        if (s->offsets()->Get(k) > size) {
          return bad(what + " buffer " + str(k) + " starts at offset " + str(s->offsets()->Get(k)) + ", beyond its " +
                     str(size) + "-byte segment " + str(s->segment_index()));
        }
      }
      return {};
    };
    if (const auto* cs = p_->constant_segment()) ETKIT_TRY(check(cs, "constant"));
    for (size_t i = 0; i < count(p_->mutable_data_segments()); ++i) {
      ETKIT_TRY(check(p_->mutable_data_segments()->Get(i), "mutable data " + str(i)));
    }
    return {};
  }

  Status value_index(int64_t index, size_t n_values, const std::string& what, bool allow_none = false) const {
    if (allow_none && index == -1) return {};
    if (index < 0 || static_cast<uint64_t>(index) >= n_values) {
      return bad(what + " refers to value " + std::to_string(index) + "; the method has " + str(n_values) + " values");
    }
    return {};
  }

  template <typename T>
  Status value_indices(const flatbuffers::Vector<T>* items, size_t n_values, const std::string& what,
                       bool allow_none = false) const {
    for (size_t k = 0; k < count(items); ++k) ETKIT_TRY(value_index(items->Get(k), n_values, what, allow_none));
    return {};
  }

  Status plan(const fb::ExecutionPlan* plan, size_t index) {
    if (!plan || !plan->name()) return bad("method " + str(index) + " has no name");
    if (!is_utf8(plan->name())) return bad("method " + str(index) + " has a name that is not UTF-8");
    const std::string method = "method '" + std::string(plan->name()->c_str()) + "'";
    const size_t n_values = count(plan->values());

    // Planned buffers; entry 0 is reserved by ExecuTorch (memory ids start at 1).
    buffers_.clear();
    ETKIT_TRY(aligned(plan->non_const_buffer_sizes(), method + " planned buffer table"));
    uint64_t planned = 0;
    for (size_t k = 0; k < count(plan->non_const_buffer_sizes()); ++k) {
      const int64_t size = plan->non_const_buffer_sizes()->Get(k);
      if (size < 0 || static_cast<uint64_t>(size) > limits_.max_planned_bytes - planned) {
        return bad(method + " asks for " + std::to_string(size) + " bytes of planned memory in buffer " + str(k) +
                   ", beyond the limit of " + str(limits_.max_planned_bytes) + " bytes in all");
      }
      planned += static_cast<uint64_t>(size);
      buffers_.push_back(static_cast<uint64_t>(size));
    }

    ETKIT_TRY(value_indices(plan->inputs(), n_values, method + " input list"));
    ETKIT_TRY(value_indices(plan->outputs(), n_values, method + " output list"));
    inputs_and_outputs_.assign(n_values, false);
    for (const auto* list : {plan->inputs(), plan->outputs()}) {
      for (size_t k = 0; k < count(list); ++k) inputs_and_outputs_[static_cast<size_t>(list->Get(k))] = true;
    }
    for (size_t v = 0; v < n_values; ++v) ETKIT_TRY(value(plan->values()->Get(v), n_values, method, v));
    // set_input copies into an input's memory: a constant's is the read-only file.
    for (size_t k = 0; k < count(plan->inputs()); ++k) {
      const auto* v = plan->values()->Get(static_cast<size_t>(plan->inputs()->Get(k)));
      const auto* t = v->val_as_Tensor();
      if (t && !t->allocation_info() && t->data_buffer_idx() > 0) {
        return bad(method + " input " + str(k) + " is a constant tensor");
      }
    }

    const size_t n_operators = count(plan->operators());
    for (size_t k = 0; k < n_operators; ++k) {
      const auto* op = plan->operators()->Get(k);
      if (!op || !op->name()) return bad(method + " operator " + str(k) + " has no name");
      if (!is_utf8(op->name()) || (op->overload() && !is_utf8(op->overload()))) {
        return bad(method + " operator " + str(k) + " has a name that is not UTF-8");
      }
    }
    const size_t n_delegates = count(plan->delegates());
    for (size_t k = 0; k < n_delegates; ++k) ETKIT_TRY(delegate(plan->delegates()->Get(k), plan, method, k));

    for (size_t c = 0; c < count(plan->chains()); ++c) {
      const auto* chain = plan->chains()->Get(c);
      const std::string where = method + " chain " + str(c);
      if (!chain) return bad(where + " is empty");
      ETKIT_TRY(value_indices(chain->inputs(), n_values, where + " inputs"));
      ETKIT_TRY(value_indices(chain->outputs(), n_values, where + " outputs"));
      const size_t n_instructions = count(chain->instructions());
      for (size_t k = 0; k < n_instructions; ++k) {
        ETKIT_TRY(instruction(chain->instructions()->Get(k), where + " instruction " + str(k), n_values, n_operators,
                              n_delegates, n_instructions));
      }
    }
    return {};
  }

  Status instruction(const fb::Instruction* ins, const std::string& where, size_t n_values, size_t n_operators,
                     size_t n_delegates, size_t n_instructions) const {
    if (!ins) return bad(where + " is empty");
    switch (ins->instr_args_type()) {
      case fb::InstructionArguments_KernelCall: {
        const auto* call = ins->instr_args_as_KernelCall();
        if (!call) return bad(where + " is empty");
        if (call->op_index() < 0 || static_cast<size_t>(call->op_index()) >= n_operators) {
          return bad(where + " calls operator " + std::to_string(call->op_index()) + "; the method has " +
                     str(n_operators));
        }
        return value_indices(call->args(), n_values, where + " argument");
      }
      case fb::InstructionArguments_DelegateCall: {
        const auto* call = ins->instr_args_as_DelegateCall();
        if (!call) return bad(where + " is empty");
        if (call->delegate_index() < 0 || static_cast<size_t>(call->delegate_index()) >= n_delegates) {
          return bad(where + " calls delegate " + std::to_string(call->delegate_index()) + "; the method has " +
                     str(n_delegates));
        }
        return value_indices(call->args(), n_values, where + " argument");
      }
      case fb::InstructionArguments_MoveCall: {
        const auto* call = ins->instr_args_as_MoveCall();
        if (!call) return bad(where + " is empty");
        ETKIT_TRY(value_index(call->move_from(), n_values, where));
        return value_index(call->move_to(), n_values, where);
      }
      case fb::InstructionArguments_JumpFalseCall: {
        const auto* call = ins->instr_args_as_JumpFalseCall();
        if (!call) return bad(where + " is empty");
        ETKIT_TRY(value_index(call->cond_value_index(), n_values, where));
        if (call->destination_instruction() < 0 ||
            static_cast<size_t>(call->destination_instruction()) >= n_instructions) {
          return bad(where + " jumps to instruction " + std::to_string(call->destination_instruction()) +
                     "; the chain has " + str(n_instructions));
        }
        return {};
      }
      case fb::InstructionArguments_FreeCall: {
        const auto* call = ins->instr_args_as_FreeCall();
        if (!call) return bad(where + " is empty");
        return value_index(call->value_index(), n_values, where);
      }
      default: return bad(where + " has unknown kind " + str(ins->instr_args_type()));
    }
  }

  Status delegate(const fb::BackendDelegate* d, const fb::ExecutionPlan* plan, const std::string& method,
                  size_t k) const {
    const std::string where = method + " delegate " + str(k);
    if (!d || !d->id() || !d->processed()) return bad(where + " is incomplete");
    if (!is_utf8(d->id())) return bad(where + " has a backend name that is not UTF-8");
    const auto* ref = d->processed();
    const uint8_t* blob = nullptr;
    size_t blob_size = 0;
    if (ref->location() == fb::DataLocation_INLINE) {
      if (ref->index() >= count(p_->backend_delegate_data())) {
        return bad(where + " refers to inline data " + str(ref->index()) + "; the program has " +
                   str(count(p_->backend_delegate_data())));
      }
      const auto* inline_data = p_->backend_delegate_data()->Get(ref->index())->data();
      blob = inline_data->data();
      blob_size = inline_data->size();
    } else if (ref->location() == fb::DataLocation_SEGMENT) {
      ETKIT_TRY(segment_index(ref->index(), where));
      const auto* s = p_->segments()->Get(ref->index());  // within the file: checked in segments()
      blob = file_ + layout_.segment_base + s->offset();
      blob_size = static_cast<size_t>(s->size());
    } else {
      return bad(where + " has unknown data location " + str(ref->location()));
    }
    // XNNPACK parses its payload without checking it.
    if (d->id()->str() == "XnnpackBackend") return xnnpack(blob, blob_size, plan, method, k);
    return {};
  }

  Status xnnpack(const uint8_t* blob, size_t size, const fb::ExecutionPlan* plan, const std::string& method,
                 size_t k) const {
    detail::XnnpackContext context;
    context.where = method + " XNNPACK delegate " + str(k);
    context.limits = limits_;
    context.named_data_size = [this](const std::string& key) -> std::optional<uint64_t> {
      for (size_t i = 0; i < count(p_->named_data()); ++i) {
        const auto* nd = p_->named_data()->Get(i);
        if (nd->key()->str() == key) return segment_size(nd->segment_index());
      }
      return std::nullopt;
    };
    // The executor binds external value `position` to argument `position` of
    // every call of this delegate, and takes it as a tensor.
    context.call_argument = [&](uint32_t position, const std::string& what) -> Status {
      const size_t n_values = count(plan->values());
      for (size_t c = 0; c < count(plan->chains()); ++c) {
        const auto* chain = plan->chains()->Get(c);
        for (size_t i = 0; chain && i < count(chain->instructions()); ++i) {
          const auto* call = chain->instructions()->Get(i)
                                 ? chain->instructions()->Get(i)->instr_args_as_DelegateCall()
                                 : nullptr;
          if (!call || call->delegate_index() < 0 || static_cast<size_t>(call->delegate_index()) != k) continue;
          const std::string caller = method + " chain " + str(c) + " instruction " + str(i);
          if (position >= count(call->args())) {
            return bad(context.where + ": " + what + " is argument " + str(position) + ", but " + caller +
                       " passes " + str(count(call->args())));
          }
          const int32_t arg = call->args()->Get(position);
          if (arg >= 0 && static_cast<size_t>(arg) < n_values && plan->values()->Get(arg) &&
              plan->values()->Get(arg)->val_type() != fb::KernelTypes_Tensor) {
            return bad(context.where + ": " + what + " is argument " + str(position) + " of " + caller +
                       ", value " + str(arg) + ", which is not a tensor");
          }
        }
      }
      return {};
    };
    return detail::verify_xnnpack_payload(blob, size, context);
  }

  Status value(const fb::EValue* v, size_t n_values, const std::string& method, size_t index) const {
    const std::string where = method + " value " + str(index);
    if (!v) return bad(where + " is empty");
    switch (v->val_type()) {
      case fb::KernelTypes_Null:
      case fb::KernelTypes_Int:
      case fb::KernelTypes_Bool:
      case fb::KernelTypes_Double:
      case fb::KernelTypes_String:
      case fb::KernelTypes_BoolList: return v->val() ? Status{} : bad(where + " is empty");
      case fb::KernelTypes_DoubleList: {
        const auto* l = v->val_as_DoubleList();
        return l ? aligned(l->items(), where) : bad(where + " is empty");
      }
      case fb::KernelTypes_Tensor: {
        const auto* t = v->val_as_Tensor();
        return t ? tensor(t, where, inputs_and_outputs_[index]) : bad(where + " is empty");
      }
      // List items are indices of other values.
      case fb::KernelTypes_IntList: {
        const auto* l = v->val_as_IntList();
        if (!l) return bad(where + " is empty");
        ETKIT_TRY(aligned(l->items(), where));
        return value_indices(l->items(), n_values, where);
      }
      case fb::KernelTypes_TensorList: {
        const auto* l = v->val_as_TensorList();
        return l ? value_indices(l->items(), n_values, where) : bad(where + " is empty");
      }
      case fb::KernelTypes_OptionalTensorList: {
        const auto* l = v->val_as_OptionalTensorList();
        return l ? value_indices(l->items(), n_values, where, /*allow_none=*/true) : bad(where + " is empty");
      }
      default: return bad(where + " has unknown kind " + str(v->val_type()));
    }
  }

  Status tensor(const fb::Tensor* t, const std::string& where, bool input_or_output) const {
    const size_t elem = detail::schema_element_size(t->scalar_type());
    if (elem == 0) return bad(where + " has unknown dtype " + std::to_string(t->scalar_type()));
    if (!t->sizes()) return bad(where + " is a tensor without sizes");
    const size_t ndim = t->sizes()->size();
    if (ndim > limits_.max_dims) {
      return bad(where + " has " + str(ndim) + " dimensions; at most " + str(limits_.max_dims) + " are supported");
    }
    if (!t->dim_order() || t->dim_order()->size() != ndim) {
      return bad(where + " has a dim order of " + str(count(t->dim_order())) + " entries for " + str(ndim) +
                 " dimensions");
    }
    uint32_t seen = 0;
    for (size_t d = 0; d < ndim; ++d) {
      const uint8_t o = t->dim_order()->Get(d);
      if (o >= ndim || (seen & (1u << o))) return bad(where + " has a dim order that is not a permutation");
      seen |= 1u << o;
    }
    uint64_t nbytes = elem;
    for (size_t d = 0; d < ndim; ++d) {
      const int32_t s = t->sizes()->Get(d);
      if (s < 0) return bad(where + " has negative size " + std::to_string(s) + " in dimension " + str(d));
      if (__builtin_mul_overflow(nbytes, static_cast<uint64_t>(s), &nbytes) || nbytes > limits_.max_tensor_bytes) {
        return bad(where + " is larger than the limit of " + str(limits_.max_tensor_bytes) + " bytes");
      }
    }

    const auto* extra = t->extra_tensor_info();
    const bool external = extra && extra->location() == fb::TensorDataLocation_EXTERNAL;
    const auto* alloc = t->allocation_info();
    const uint32_t buffer = t->data_buffer_idx();
    if (alloc) {
      const uint32_t id = alloc->memory_id();
      if (id == 0 || id >= buffers_.size()) {
        return bad(where + " is planned in memory buffer " + str(id) + "; the method has " +
                   str(buffers_.empty() ? 0 : buffers_.size() - 1));
      }
      const uint64_t offset = uint64_t{alloc->memory_offset_low()} | uint64_t{alloc->memory_offset_high()} << 32;
      if (offset > buffers_[id] || nbytes > buffers_[id] - offset) {
        return bad(where + " (" + str(nbytes) + " bytes at offset " + str(offset) + ") does not fit memory buffer " +
                   str(id) + " of " + str(buffers_[id]) + " bytes");
      }
      if (buffer > 0 && !external) {  // initial state of a mutable buffer
        const size_t list = extra ? extra->mutable_data_segments_idx() : 0;
        if (list >= count(p_->mutable_data_segments())) {
          return bad(where + " takes its initial state from mutable data " + str(list) + "; the program has " +
                     str(count(p_->mutable_data_segments())));
        }
        return in_subsegment(p_->mutable_data_segments()->Get(list), buffer, nbytes, where, "mutable data");
      }
      return {};
    }
    if (external) return {};  // from a separate data file
    if (buffer == 0) {
      // No memory of its own: only a method's input or output can be given
      // some at run time. Kernels would read or write through a null pointer.
      if (nbytes == 0 || input_or_output) return {};
      return bad(where + " is a tensor of " + str(nbytes) +
                 " bytes without memory: neither planned, nor a constant, nor an input or output");
    }
    const auto* cs = p_->constant_segment();
    if (cs && count(cs->offsets()) > 0) return in_subsegment(cs, buffer, nbytes, where, "constant");
    // Older programs keep constants inline in the flatbuffer.
    if (buffer >= count(p_->constant_buffer())) {
      return bad(where + " refers to constant buffer " + str(buffer) + "; the program has " +
                 str(count(p_->constant_buffer())));
    }
    const auto* b = p_->constant_buffer()->Get(buffer);
    if (!b || count(b->storage()) < nbytes) {
      return bad(where + " needs " + str(nbytes) + " bytes; constant buffer " + str(buffer) + " holds " +
                 str(b ? count(b->storage()) : 0));
    }
    return {};
  }

  Status in_subsegment(const fb::SubsegmentOffsets* s, uint32_t buffer, uint64_t nbytes, const std::string& where,
                       const std::string& what) const {
    if (buffer >= count(s->offsets())) {
      return bad(where + " refers to " + what + " buffer " + str(buffer) + "; the program has " +
                 str(count(s->offsets())));
    }
    const uint64_t start = s->offsets()->Get(buffer);
    const uint64_t size = segment_size(s->segment_index());  // start <= size: checked in subsegments()
    if (nbytes > size - start) {
      return bad(where + " needs " + str(nbytes) + " bytes from offset " + str(start) + " of " + what + " segment " +
                 str(s->segment_index()) + ", which has " + str(size) + " bytes");
    }
    return {};
  }

  const uint8_t* file_;
  const fb::Program* p_;
  Layout layout_;
  VerifyLimits limits_;
  std::vector<std::string> roles_;
  std::vector<uint64_t> buffers_;  // planned buffer sizes of the method being checked
  std::vector<bool> inputs_and_outputs_;  // by value index, of the method being checked
};

}  // namespace

namespace detail {
Result<PteLayout> read_pte_layout(const uint8_t* data, size_t size) { return read_headers(data, size); }

bool is_utf8(const char* data, size_t size) {
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  const size_t n = size;
  for (size_t i = 0; i < n;) {
    const uint8_t c = p[i];
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return false;
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t b = p[i + k];
      if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}
}  // namespace detail

Status verify_program(const uint8_t* data, size_t size, const VerifyLimits& limits) {
  auto layout = read_headers(data, size);
  if (!layout.ok()) return layout.error();
  if (layout->program_size >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return bad("the program's flatbuffer has " + str(layout->program_size) + " bytes, beyond the format's 2 GiB");
  }
  flatbuffers::Verifier verifier(data, static_cast<size_t>(layout->program_size));
  if (!fb::VerifyProgramBuffer(verifier)) {
    return bad("the program's flatbuffer is malformed: it does not match ExecuTorch's schema");
  }
  return Checker(data, fb::GetProgram(data), *layout, limits).run();
}

}  // namespace etkit
