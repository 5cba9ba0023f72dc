// describe_program: the reading behind `etkit inspect`, from the file alone.
// The figures match what executorch's Python deserializer gives (the tests
// compare the two while executorch is installed).
#include "etkit/describe.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

#include "etkit/tensor.h"
#include "pte_layout.h"

// Generated code stays out of our dynamic symbol table (see verify.cpp and
// cmake/EtkitFlatbuffers.cmake).
#pragma GCC visibility push(hidden)
#include "program_generated.h"
#include "runtime_schema_generated.h"
#pragma GCC visibility pop

namespace etkit {
namespace {

namespace fb = etkit_pte;
namespace xn = etkit_xnnpack;

Error bad(std::string message) { return make_error(ErrorCode::kInvalidProgram, std::move(message)); }

template <typename T>
size_t count(const flatbuffers::Vector<T>* v) {
  return v ? v->size() : 0;
}

uint32_t u32_le(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// A name from the file, which may be any bytes: refused unless it is text.
Result<std::string> text(const flatbuffers::String* s, const std::string& what) {
  if (!s) return std::string();
  if (!detail::is_utf8(s->data(), s->size())) return bad(what + " is not UTF-8 text");
  return printable(s->str());  // control characters and the like are escaped for display
}

std::string lower(const char* name) {
  std::string s = name ? name : "";
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Nodes of an XNNPACK payload's graph: its header ("XH00" at byte 4) gives
// the flatbuffer's offset and size. nullopt when there is no header or the
// graph does not verify.
std::optional<uint64_t> xnnpack_nodes(const uint8_t* blob, size_t size) {
  constexpr size_t kHeaderMin = 18;  // padding, magic, u16 length, u32 offset, u32 size
  if (size < kHeaderMin || std::memcmp(blob + 4, "XH00", 4) != 0) return std::nullopt;
  const uint64_t offset = u32_le(blob + 10), fb_size = u32_le(blob + 14);
  if (offset > size || fb_size > size - offset) return std::nullopt;
  flatbuffers::Verifier verifier(blob + offset, static_cast<size_t>(fb_size));
  if (!verifier.VerifyBuffer<xn::XNNGraph>(nullptr)) return std::nullopt;
  return count(xn::GetXNNGraph(blob + offset)->xnodes());
}

Result<ValueDescription> value(const fb::ExecutionPlan* plan, int32_t index, const std::string& what) {
  if (index < 0 || static_cast<size_t>(index) >= count(plan->values()) || !plan->values()->Get(index)) {
    return bad(what + " refers to value " + std::to_string(index) + ", which the method lacks");
  }
  const auto* v = plan->values()->Get(index);
  ValueDescription d;
  const auto* t = v->val_as_Tensor();
  if (!t) {
    d.kind = lower(fb::EnumNameKernelTypes(v->val_type()));
    // Scalars keep the value they were exported with (the only one accepted).
    if (const auto* i = v->val_as_Int()) d.value = ScalarValue{i->int_val()};
    if (const auto* b = v->val_as_Bool()) d.value = ScalarValue{b->bool_val()};
    if (const auto* f = v->val_as_Double()) d.value = ScalarValue{f->double_val()};
    if (d.kind == "double") d.kind = "float";  // Python's name for it
    return d;
  }
  d.is_tensor = true;
  d.dtype = dtype_name(static_cast<ScalarType>(t->scalar_type()));
  if (d.dtype.rfind("dtype#", 0) == 0 && *fb::EnumNameScalarType(static_cast<fb::ScalarType>(t->scalar_type()))) {
    d.dtype = lower(fb::EnumNameScalarType(static_cast<fb::ScalarType>(t->scalar_type())));
  }
  if (t->sizes()) d.shape.assign(t->sizes()->begin(), t->sizes()->end());
  switch (t->shape_dynamism()) {
    case fb::TensorShapeDynamism_STATIC: d.dynamism = "static"; break;
    case fb::TensorShapeDynamism_DYNAMIC_BOUND: d.dynamism = "bounded"; break;
    case fb::TensorShapeDynamism_DYNAMIC_UNBOUND: d.dynamism = "unbounded"; break;
    default: d.dynamism = std::to_string(static_cast<int>(t->shape_dynamism()));
  }
  return d;
}

class Reader {
 public:
  Reader(const uint8_t* file, const fb::Program* p, const detail::PteLayout& layout)
      : file_(file), p_(p), layout_(layout) {}

  Result<ProgramDescription> run() {
    ProgramDescription out;
    out.version = p_->version();
    const size_t n_segments = count(p_->segments());
    uint64_t end = layout_.program_size, in_segments = 0;
    for (size_t i = 0; i < n_segments; ++i) {
      const auto* s = p_->segments()->Get(i);
      if (!s) return bad("segment " + std::to_string(i) + " is empty");
      uint64_t seg_end = 0;
      if (__builtin_add_overflow(layout_.segment_base, s->offset(), &seg_end) ||
          __builtin_add_overflow(seg_end, s->size(), &seg_end) || seg_end > layout_.file_size) {
        return bad("the file is cut short: segment " + std::to_string(i) + " ends beyond its " +
                   std::to_string(layout_.file_size) + " bytes");
      }
      end = std::max(end, seg_end);
      in_segments += s->size();
    }
    // Without segment data, only empty segments (as ExecuTorch lists for a
    // program with no weights) are readable.
    if (layout_.segment_base == 0 && in_segments > 0) return bad("the program lists segments but no segment data");

    // What each segment holds, in the order executorch's reader settles it:
    // constants, then named and mutable data where unclaimed, then delegates.
    kind_.assign(n_segments, "other");
    auto claim = [&](uint32_t index, const char* kind, bool override_kind) -> Status {
      if (index >= n_segments) {
        return bad(std::string(kind) + " refers to segment " + std::to_string(index) + " of " +
                   std::to_string(n_segments));
      }
      if (override_kind || kind_[index] == "other") kind_[index] = kind;
      return {};
    };
    const auto* cs = p_->constant_segment();
    if (n_segments > 0 && cs && count(cs->offsets()) > 0) ETKIT_TRY(claim(cs->segment_index(), "constants", true));
    for (size_t i = 0; i < count(p_->named_data()); ++i) {
      if (const auto* nd = p_->named_data()->Get(i)) ETKIT_TRY(claim(nd->segment_index(), "named_data", false));
    }
    for (size_t i = 0; i < count(p_->mutable_data_segments()); ++i) {
      if (const auto* ms = p_->mutable_data_segments()->Get(i)) {
        ETKIT_TRY(claim(ms->segment_index(), "mutable_data", false));
      }
    }
    for (size_t i = 0; i < count(p_->execution_plan()); ++i) {
      const auto* plan = p_->execution_plan()->Get(i);
      if (!plan) return bad("method " + std::to_string(i) + " is empty");
      auto m = method(plan);
      if (!m.ok()) return m.error();
      out.methods.push_back(std::move(m).value());
    }

    SizeBreakdown& s = out.sizes;
    s.file = layout_.file_size;
    s.program = layout_.program_size;
    for (size_t i = 0; i < n_segments; ++i) {
      const std::string& kind = kind_[i];
      uint64_t& part = kind == "constants"      ? s.constants
                       : kind == "delegates"    ? s.delegates
                       : kind == "named_data"   ? s.named_data
                       : kind == "mutable_data" ? s.mutable_data
                                                : s.other;
      part += p_->segments()->Get(i)->size();
    }
    // Segments that overlap each other or the program (a damaged file) leave no padding.
    const uint64_t rest = layout_.file_size - layout_.program_size;  // program_size <= file_size: read_pte_layout
    s.padding = in_segments < rest ? rest - in_segments : 0;
    return out;
  }

 private:
  Result<MethodDescription> method(const fb::ExecutionPlan* plan) {
    MethodDescription m;
    auto name = text(plan->name(), "a method's name");
    if (!name.ok()) return name.error();
    m.name = std::move(name).value();
    const std::string where = "method '" + m.name + "'";
    for (size_t k = 0; k < count(plan->inputs()); ++k) {
      auto v = value(plan, plan->inputs()->Get(k), where + " input " + std::to_string(k));
      if (!v.ok()) return v.error();
      m.inputs.push_back(std::move(v).value());
    }
    for (size_t k = 0; k < count(plan->outputs()); ++k) {
      auto v = value(plan, plan->outputs()->Get(k), where + " output " + std::to_string(k));
      if (!v.ok()) return v.error();
      m.outputs.push_back(std::move(v).value());
    }

    // Tensors whose bytes live in a .ptd file, by name.
    for (size_t k = 0; k < count(plan->values()); ++k) {
      const auto* t = plan->values()->Get(k) ? plan->values()->Get(k)->val_as_Tensor() : nullptr;
      const auto* extra = t ? t->extra_tensor_info() : nullptr;
      if (!extra || extra->location() != fb::TensorDataLocation_EXTERNAL) continue;
      auto key = text(extra->fully_qualified_name(), where + " value " + std::to_string(k) + "'s data name");
      if (!key.ok()) return key.error();
      m.external_data.push_back(std::move(key).value());
    }

    const size_t n_operators = count(plan->operators()), n_delegates = count(plan->delegates());
    std::vector<size_t> delegate_calls(n_delegates, 0);
    std::map<std::string, size_t> position;  // operator name -> index in m.operators
    for (size_t c = 0; c < count(plan->chains()); ++c) {
      const auto* chain = plan->chains()->Get(c);
      for (size_t k = 0; chain && k < count(chain->instructions()); ++k) {
        const auto* ins = chain->instructions()->Get(k);
        if (!ins) continue;
        if (const auto* call = ins->instr_args_as_KernelCall()) {
          const auto* op = call->op_index() >= 0 && static_cast<size_t>(call->op_index()) < n_operators
                               ? plan->operators()->Get(call->op_index())
                               : nullptr;
          if (!op || !op->name()) return bad(where + " calls operator " + std::to_string(call->op_index()) +
                                             ", which it lacks");
          auto op_name = text(op->name(), where + " operator " + std::to_string(call->op_index()) + "'s name");
          auto overload = text(op->overload(), where + " operator " + std::to_string(call->op_index()) + "'s overload");
          if (!op_name.ok()) return op_name.error();
          if (!overload.ok()) return overload.error();
          std::string name = std::move(op_name).value();
          if (!overload->empty()) name += "." + *overload;
          const auto [it, fresh] = position.emplace(name, m.operators.size());
          if (fresh) m.operators.emplace_back(name, 0);
          ++m.operators[it->second].second;
          ++m.kernel_calls;
        } else if (const auto* dcall = ins->instr_args_as_DelegateCall()) {
          if (dcall->delegate_index() < 0 || static_cast<size_t>(dcall->delegate_index()) >= n_delegates) {
            return bad(where + " calls delegate " + std::to_string(dcall->delegate_index()) + ", which it lacks");
          }
          ++delegate_calls[dcall->delegate_index()];
        }
      }
    }
    std::stable_sort(m.operators.begin(), m.operators.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });

    uint64_t total_nodes = m.kernel_calls;
    for (size_t k = 0; k < n_delegates; ++k) {
      const auto* d = plan->delegates()->Get(k);
      if (!d || !d->id() || !d->processed()) return bad(where + " delegate " + std::to_string(k) + " is incomplete");
      DelegateDescription desc;
      auto backend = text(d->id(), where + " delegate " + std::to_string(k) + "'s backend name");
      if (!backend.ok()) return backend.error();
      desc.backend = std::move(backend).value();
      desc.calls = delegate_calls[k];
      const uint8_t* blob = nullptr;
      const uint32_t index = d->processed()->index();
      if (d->processed()->location() == fb::DataLocation_SEGMENT) {
        if (index >= count(p_->segments())) return bad(where + " delegate " + std::to_string(k) + " lacks its segment");
        kind_[index] = "delegates";
        const auto* s = p_->segments()->Get(index);  // inside the file: checked in run()
        blob = file_ + layout_.segment_base + s->offset();
        desc.bytes = s->size();
      } else {
        const auto* inline_data = index < count(p_->backend_delegate_data())
                                      ? p_->backend_delegate_data()->Get(index)
                                      : nullptr;
        if (!inline_data || !inline_data->data()) {
          return bad(where + " delegate " + std::to_string(k) + " lacks its inline data");
        }
        blob = inline_data->data()->data();
        desc.bytes = inline_data->data()->size();
      }
      if (desc.backend == "XnnpackBackend") desc.nodes = xnnpack_nodes(blob, static_cast<size_t>(desc.bytes));
      total_nodes += desc.nodes.value_or(0);
      m.delegates.push_back(std::move(desc));
    }
    for (auto& d : m.delegates) {
      if (d.nodes && total_nodes) d.share = static_cast<double>(*d.nodes) / static_cast<double>(total_nodes);
    }
    int64_t planned = 0;  // buffer 0 is reserved by ExecuTorch
    for (size_t k = 1; k < count(plan->non_const_buffer_sizes()); ++k) planned += plan->non_const_buffer_sizes()->Get(k);
    m.planned_memory_bytes = static_cast<uint64_t>(std::max<int64_t>(planned, 0));
    return m;
  }

  const uint8_t* file_;
  const fb::Program* p_;
  detail::PteLayout layout_;
  std::vector<std::string> kind_;  // what each segment holds, by index
};

}  // namespace

Result<ProgramDescription> describe_program(const uint8_t* data, size_t size) {
  auto layout = detail::read_pte_layout(data, size);
  if (!layout.ok()) return layout.error();
  if (layout->program_size >= FLATBUFFERS_MAX_BUFFER_SIZE) return bad("the program's flatbuffer is over 2 GiB");
  flatbuffers::Verifier verifier(data, static_cast<size_t>(layout->program_size));
  if (!fb::VerifyProgramBuffer(verifier)) {
    return bad("the program's flatbuffer is malformed: it does not match ExecuTorch's schema");
  }
  return Reader(data, fb::GetProgram(data), *layout).run();
}

}  // namespace etkit
