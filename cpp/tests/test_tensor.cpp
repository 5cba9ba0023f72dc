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

etkit::TensorSpec scalar(etkit::ValueKind kind, etkit::ScalarValue exported) {
  etkit::TensorSpec s;
  s.kind = kind;
  s.dtype = kind == etkit::ValueKind::kInt     ? etkit::ScalarType::Long
            : kind == etkit::ValueKind::kFloat ? etkit::ScalarType::Double
                                               : etkit::ScalarType::Bool;
  s.exported = exported;
  return s;
}

TEST(Scalars, TakeOnlyTheExportedValueInAFittingDtype) {
  const auto one = scalar(etkit::ValueKind::kInt, int64_t{1});
  EXPECT_EQ(one.to_string(), "int = 1");
  const int32_t i32 = 1;
  const int64_t three = 3;
  const double half = 0.5;
  EXPECT_TRUE(etkit::check_fits(one, {etkit::ScalarType::Int, {}, &i32}, "x").ok());
  auto other = etkit::check_fits(one, {etkit::ScalarType::Long, {}, &three}, "x");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("takes only 1, got 3"), std::string::npos) << other.error().message;
  auto kind = etkit::check_fits(one, {etkit::ScalarType::Double, {}, &half}, "x");
  EXPECT_NE(kind.error().message.find("an integer"), std::string::npos) << kind.error().message;

  const auto alpha = scalar(etkit::ValueKind::kFloat, 1.0);
  EXPECT_EQ(alpha.to_string(), "float = 1.0");
  const double close = 1.0 + 1e-6;
  EXPECT_TRUE(etkit::check_fits(alpha, {etkit::ScalarType::Double, {}, &close}, "x").ok());  // the runtime's tolerance
  EXPECT_TRUE(etkit::check_fits(alpha, {etkit::ScalarType::Int, {}, &i32}, "x").ok());      // an integer is a number
  EXPECT_FALSE(etkit::check_fits(alpha, {etkit::ScalarType::Double, {}, &half}, "x").ok());
}

TEST(Scalars, ParseFromTheCommandLine) {
  using etkit::ValueKind;
  EXPECT_EQ(etkit::parse_scalar("-3", ValueKind::kInt), etkit::ScalarValue{int64_t{-3}});
  EXPECT_EQ(etkit::parse_scalar("true", ValueKind::kBool), etkit::ScalarValue{true});
  EXPECT_EQ(etkit::parse_scalar("0", ValueKind::kBool), etkit::ScalarValue{false});
  EXPECT_EQ(etkit::parse_scalar("2.5", ValueKind::kFloat), etkit::ScalarValue{2.5});
  EXPECT_FALSE(etkit::parse_scalar("2.5", ValueKind::kInt));
  EXPECT_FALSE(etkit::parse_scalar("yes", ValueKind::kBool));
  EXPECT_FALSE(etkit::parse_scalar("", ValueKind::kFloat));
  EXPECT_FALSE(etkit::parse_scalar("99999999999999999999", ValueKind::kInt));
}

TEST(Scalars, RandomInputsKeepTheExportedValue) {
  const auto t = etkit::random_tensor(scalar(etkit::ValueKind::kFloat, 1.5), 7);
  ASSERT_EQ(t.dtype, etkit::ScalarType::Double);
  EXPECT_TRUE(t.shape.empty());
  EXPECT_EQ(*static_cast<const double*>(t.view().data), 1.5);
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
