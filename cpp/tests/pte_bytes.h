// A fixture program as bytes, edited in place through flatc's mutable
// accessors and written back out: how the C++ tests make damaged programs.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#pragma GCC visibility push(hidden)  // as in verify.cpp
#include "program_generated.h"
#pragma GCC visibility pop

namespace pte_bytes {

using Bytes = std::vector<uint8_t>;

/// Path of a program cpp/tests/make_fixtures.py exported, e.g. "tiny_xnnpack.pte".
inline std::string fixture(const std::string& name) { return std::string(ETKIT_FIXTURES) + "/" + name; }

inline Bytes read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

inline etkit_pte::Program* program(Bytes& b) { return etkit_pte::GetMutableProgram(b.data()); }
inline etkit_pte::ExecutionPlan* plan(Bytes& b) {
  return program(b)->mutable_execution_plan()->GetMutableObject(0);
}

/// Writes `b` to `name` in the test's temporary folder; returns the path.
inline std::string write_temp(const Bytes& b, const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  return path;
}

}  // namespace pte_bytes
