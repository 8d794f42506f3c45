#pragma once
// Statistical checks for random tensors, with tolerances derived from the sample size:
// a check fails when an estimate is more than kSigmas standard errors from the expected
// value. With 5 standard errors a correct generator fails with probability < 1e-6 per
// check, while a wrong scale (e.g. a missing truncation correction, +29% variance) fails
// as soon as the sample holds a few thousand values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace voxconv::testing {

constexpr double kSigmas = 5.0;

struct SampleStats {
  double n = 0, mean = 0, variance = 0, min = 0, max = 0;
};

template <class Range>
SampleStats sample_stats(const Range& values) {
  SampleStats s;
  double sum = 0;
  s.min = INFINITY;
  s.max = -INFINITY;
  for (const auto v : values) {
    sum += static_cast<double>(v);
    s.min = std::min(s.min, static_cast<double>(v));
    s.max = std::max(s.max, static_cast<double>(v));
    s.n += 1;
  }
  s.mean = sum / s.n;
  double sq = 0;
  for (const auto v : values) sq += (static_cast<double>(v) - s.mean) * (static_cast<double>(v) - s.mean);
  s.variance = sq / (s.n - 1);
  return s;
}

// Kurtosis ratio mu4 / sigma^4 of the distributions the initializers draw from.
constexpr double kKurtosisUniform = 1.8;
constexpr double kKurtosisNormal = 3.0;
// Standard normal cut at +-2, by Simpson's rule on [-2, 2]: returns {stddev, mu4/sigma^4}.
inline std::pair<double, double> truncated_normal_moments() {
  const int steps = 20000;  // even
  const double h = 4.0 / steps;
  double z = 0, m2 = 0, m4 = 0;
  for (int i = 0; i <= steps; ++i) {
    const double x = -2.0 + i * h;
    const double w = (i == 0 || i == steps) ? 1.0 : (i % 2 ? 4.0 : 2.0);
    const double p = std::exp(-x * x / 2) * w;
    z += p;
    m2 += x * x * p;
    m4 += x * x * x * x * p;
  }
  m2 /= z;
  m4 /= z;
  return {std::sqrt(m2), m4 / (m2 * m2)};
}

// Mean and variance within kSigmas standard errors of the expected values; `kurtosis`
// (mu4 / sigma^4) sets the standard error of the sample variance: sigma^2 sqrt((k - 1) / n).
inline void expect_moments(const SampleStats& s, double mean, double variance, double kurtosis,
                           const std::string& what) {
  const double mean_tol = kSigmas * std::sqrt(variance / s.n);
  const double var_tol = kSigmas * variance * std::sqrt((kurtosis - 1.0) / s.n);
  EXPECT_NEAR(s.mean, mean, mean_tol) << what << ": mean";
  EXPECT_NEAR(s.variance, variance, var_tol) << what << ": variance";
}

// A fraction p observed in n trials, within kSigmas binomial standard errors.
inline void expect_fraction(double observed, double p, double n, const std::string& what) {
  EXPECT_NEAR(observed, p, kSigmas * std::sqrt(p * (1 - p) / n)) << what;
}

}  // namespace voxconv::testing
