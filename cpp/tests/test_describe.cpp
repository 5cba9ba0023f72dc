// describe_program (etkit inspect's reading) on the fixtures: it agrees with what
// the runtime reports after loading them, and refuses damaged files with a reason.
#include <gtest/gtest.h>

#include <algorithm>

#include "etkit/describe.h"
#include "etkit/program.h"
#include "pte_bytes.h"

namespace {

using pte_bytes::Bytes;
using pte_bytes::plan;
using pte_bytes::read;

const std::string kXnnpack = pte_bytes::fixture("tiny_xnnpack.pte");
const std::string kPortable = pte_bytes::fixture("tiny_portable.pte");

etkit::ProgramDescription described(const Bytes& b) {
  auto d = etkit::describe_program(b.data(), b.size());
  EXPECT_TRUE(d.ok()) << d.error().message;
  return d.ok() ? std::move(d).value() : etkit::ProgramDescription{};
}

void expect_refused(const Bytes& b, const std::string& fragment) {
  auto d = etkit::describe_program(b.data(), b.size());
  ASSERT_FALSE(d.ok()) << "described; expected: " << fragment;
  EXPECT_EQ(d.error().code, etkit::ErrorCode::kInvalidProgram);
  EXPECT_NE(d.error().message.find(fragment), std::string::npos) << d.error().message;
}

TEST(Describe, AgreesWithTheLoadedProgram) {
  for (const auto& path : {kXnnpack, kPortable}) {
    const auto d = described(read(path));
    auto program = etkit::Program::load(path);
    ASSERT_TRUE(program.ok()) << program.error().message;
    ASSERT_EQ(d.methods.size(), (*program)->method_names().size());
    for (const auto& m : d.methods) {
      auto info = (*program)->method_info(m.name);
      ASSERT_TRUE(info.ok()) << info.error().message;
      ASSERT_EQ(m.inputs.size(), info->inputs.size());
      for (size_t i = 0; i < m.inputs.size(); ++i) {
        EXPECT_EQ(m.inputs[i].dtype, etkit::dtype_name(info->inputs[i].dtype));
        EXPECT_EQ(m.inputs[i].shape, info->inputs[i].shape);
      }
      EXPECT_EQ(m.outputs.size(), info->outputs.size());
      EXPECT_EQ(m.planned_memory_bytes, info->planned_memory_bytes);
      size_t calls = 0;
      for (const auto& [name, n] : m.operators) calls += n;
      EXPECT_EQ(calls, m.kernel_calls);
      EXPECT_TRUE(std::is_sorted(m.operators.begin(), m.operators.end(),
                                 [](const auto& a, const auto& b) { return a.second > b.second; }));
    }
    const auto& s = d.sizes;
    EXPECT_EQ(s.program + s.constants + s.delegates + s.named_data + s.mutable_data + s.other + s.padding, s.file);
  }
}

TEST(Describe, XnnpackDelegateNodesAndShare) {
  const auto d = described(read(kXnnpack));
  ASSERT_FALSE(d.methods.empty());
  const auto& delegates = d.methods[0].delegates;
  ASSERT_FALSE(delegates.empty());
  double share = 0;
  for (const auto& del : delegates) {
    EXPECT_EQ(del.backend, "XnnpackBackend");
    ASSERT_TRUE(del.nodes.has_value());
    EXPECT_GT(*del.nodes, 0u);
    ASSERT_TRUE(del.share.has_value());
    share += *del.share;
  }
  EXPECT_GT(share, 0);
  EXPECT_LE(share, 1 + 1e-9);
  EXPECT_TRUE(described(read(kPortable)).methods[0].delegates.empty());
}

TEST(Describe, RefusesWhatIsNotAWholeProgram) {
  const std::string text = "hello, not a program at all";
  expect_refused(Bytes(text.begin(), text.end()), "ET12");
  Bytes cut = read(kXnnpack);
  cut.resize(cut.size() - 100);
  expect_refused(cut, "cut short");
}

TEST(Describe, RefusesANameThatIsNotText) {
  Bytes b = read(kXnnpack);
  // Strings have no mutable accessor: find the method name (u32 length, then
  // its bytes) in the buffer and overwrite its first byte.
  const std::string name = plan(b)->name()->str();
  Bytes stored = {static_cast<uint8_t>(name.size()), 0, 0, 0};
  stored.insert(stored.end(), name.begin(), name.end());
  const auto at = std::search(b.begin(), b.end(), stored.begin(), stored.end());
  ASSERT_NE(at, b.end());
  at[4] = 0xff;
  expect_refused(b, "not UTF-8");
}

}  // namespace
