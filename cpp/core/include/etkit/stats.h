// Summary statistics of latency samples; presentation lives elsewhere.
#pragma once

#include <vector>

namespace etkit {

struct LatencyStats {
  double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0, std = 0;
};

/// Percentile q in [0, 100] with linear interpolation between closest ranks
/// (numpy's default), of samples sorted ascending. 0 for no samples.
double percentile_sorted(const std::vector<double>& sorted, double q);

/// min, p50, p90, p99, max, mean and (population) standard deviation.
LatencyStats summarize(std::vector<double> samples);

}  // namespace etkit
