#include <gtest/gtest.h>

#include "etkit/tensor.h"

namespace {

etkit::TensorSpec spec(std::vector<int64_t> shape, etkit::Dynamism d = etkit::Dynamism::kStatic) {
  etkit::TensorSpec s;
  s.shape = std::move(shape);
  s.dynamism = d;
  return s;
}

TEST(CheckFits, StaticShapesMustMatchExactly) {
  float data[40] = {};
  EXPECT_TRUE(etkit::check_fits(spec({1, 20}), {etkit::ScalarType::Float, {1, 20}, data}, "x").ok());
  auto bad = etkit::check_fits(spec({1, 20}), {etkit::ScalarType::Float, {2, 20}, data}, "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("[2, 20]"), std::string::npos);
  auto rank = etkit::check_fits(spec({1, 20}), {etkit::ScalarType::Float, {20}, data}, "x");
  EXPECT_NE(rank.error().message.find("rank"), std::string::npos);
  auto dtype = etkit::check_fits(spec({1, 20}), {etkit::ScalarType::Double, {1, 20}, data}, "x");
  EXPECT_NE(dtype.error().message.find("float64"), std::string::npos);
}

TEST(CheckFits, BoundedShapesAcceptAnythingWithinTheBounds) {
  float data[64] = {};
  const auto s = spec({8, 20}, etkit::Dynamism::kBounded);
  EXPECT_TRUE(etkit::check_fits(s, {etkit::ScalarType::Float, {3, 20}, data}, "x").ok());
  auto over = etkit::check_fits(s, {etkit::ScalarType::Float, {9, 20}, data}, "x");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("bounds [8, 20]"), std::string::npos) << over.error().message;
}

TEST(RandomTensor, IsDeterministicPerSeedAndInRange) {
  const auto s = spec({100});
  const auto a = etkit::random_tensor(s, 1), b = etkit::random_tensor(s, 1), c = etkit::random_tensor(s, 2);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_NE(a.bytes, c.bytes);
  for (int i = 0; i < 100; ++i) {
    const float v = reinterpret_cast<const float*>(a.bytes.data())[i];
    EXPECT_GE(v, -1.f);
    EXPECT_LT(v, 1.f);
  }
}

}  // namespace
