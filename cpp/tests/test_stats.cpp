#include <gtest/gtest.h>

#include "etkit/benchmark.h"
#include "etkit/stats.h"

namespace {

TEST(Stats, PercentilesInterpolateLikeNumpy) {
  // numpy.percentile([1, 2, 3, 4], [50, 90, 99]) == [2.5, 3.7, 3.97]
  auto s = etkit::summarize({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 4);
  EXPECT_DOUBLE_EQ(s.p50, 2.5);
  EXPECT_NEAR(s.p90, 3.7, 1e-12);
  EXPECT_NEAR(s.p99, 3.97, 1e-12);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.std, 1.118033988749895, 1e-12);  // population std
}

TEST(Stats, OneSampleAndNoSamples) {
  auto one = etkit::summarize({3});
  EXPECT_EQ(one.p99, 3);
  EXPECT_EQ(one.std, 0);
  auto none = etkit::summarize({});
  EXPECT_EQ(none.max, 0);
}

TEST(BenchParams, RejectsNonsense) {
  etkit::BenchParams p;
  EXPECT_EQ(p.validate(), "");
  p.iterations = 0;
  EXPECT_NE(p.validate().find("--iterations"), std::string::npos);
  p = {};
  p.warmup = -1;
  EXPECT_NE(p.validate().find("--warmup"), std::string::npos);
  p = {};
  p.min_seconds = 5;
  p.max_seconds = 1;
  EXPECT_NE(p.validate().find("below"), std::string::npos);
}

}  // namespace
