#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "etkit/npy.h"

namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + name; }

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(Npy, RoundTripKeepsDtypeShapeAndBytes) {
  etkit::HostTensor t(etkit::ScalarType::Float, {2, 3});
  for (int i = 0; i < 6; ++i) reinterpret_cast<float*>(t.data())[i] = 0.5f * i - 1;
  const auto path = temp_path("rt.npy");
  ASSERT_TRUE(etkit::write_npy(path, t.view()).ok());
  auto back = etkit::read_npy(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->dtype, etkit::ScalarType::Float);
  EXPECT_EQ(back->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back->bytes, t.bytes);
}

TEST(Npy, RoundTripsEveryDtypeAndScalars) {
  for (auto dtype : {etkit::ScalarType::Double, etkit::ScalarType::Long, etkit::ScalarType::Int,
                     etkit::ScalarType::Bool, etkit::ScalarType::Byte, etkit::ScalarType::Char,
                     etkit::ScalarType::Half, etkit::ScalarType::Short}) {
    for (auto shape : {std::vector<int64_t>{}, std::vector<int64_t>{5}, std::vector<int64_t>{1, 0, 2}}) {
      etkit::TensorSpec spec;
      spec.dtype = dtype;
      spec.shape = shape;
      const auto t = etkit::random_tensor(spec, 7);
      const auto path = temp_path("all.npy");
      ASSERT_TRUE(etkit::write_npy(path, t.view()).ok());
      auto back = etkit::read_npy(path);
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_EQ(back->dtype, dtype);
      EXPECT_EQ(back->shape, shape);
      EXPECT_EQ(back->bytes, t.bytes);
    }
  }
}

TEST(Npy, MissingFileIsAnIoError) {
  auto r = etkit::read_npy(temp_path("does-not-exist.npy"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, etkit::ErrorCode::kIo);
}

TEST(Npy, CorruptFilesAreRejectedWithTheReason) {
  const std::string header_ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  auto npy = [](const std::string& header, const std::string& payload) {
    std::string s = "\x93NUMPY\x01";
    s += '\0';
    s += static_cast<char>(header.size() & 0xff);
    s += static_cast<char>(header.size() >> 8);
    return s + header + payload;
  };
  const struct {
    std::string bytes;
    std::string reason;
  } cases[] = {
      {"", "magic"},
      {"not an npy file at all", "magic"},
      {npy(header_ok, std::string(7, 'x')), "needs 8"},
      {npy(header_ok, std::string(9, 'x')), "needs 8"},
      {npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", std::string(8, 'x')), "unsupported dtype"},
      {npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::string(8, 'x')), "unsupported dtype"},
      {npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", std::string(8, 'x')), "Fortran"},
      {npy("{'descr': '<f4', 'shape': (2,), }", std::string(8, 'x')), "lacks"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,a), }", std::string(8, 'x')), "malformed"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,99999999999), }", ""), "too large"},
      {npy(header_ok, "").substr(0, 20), "truncated"},
  };
  for (const auto& c : cases) {
    auto r = etkit::parse_npy(reinterpret_cast<const uint8_t*>(c.bytes.data()), c.bytes.size(), "x.npy");
    ASSERT_FALSE(r.ok()) << "accepted a file that should fail with: " << c.reason;
    EXPECT_EQ(r.error().code, etkit::ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().message.find(c.reason), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("x.npy"), std::string::npos) << r.error().message;
  }
}

TEST(Npy, ReadsNumpysOwnLayoutWithVariedSpacing) {
  const std::string header = "{\"shape\":(3,),\"fortran_order\":False,\"descr\":\"<i8\"}";
  std::string s = "\x93NUMPY\x01";
  s += '\0';
  s += static_cast<char>(header.size());
  s += '\0';
  s += header + std::string(24, '\0');
  const auto path = temp_path("spacing.npy");
  write_file(path, s);
  auto r = etkit::read_npy(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->dtype, etkit::ScalarType::Long);
  EXPECT_EQ(r->shape, std::vector<int64_t>{3});
}

}  // namespace
