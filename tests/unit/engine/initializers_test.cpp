#include "engine/initializers.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "sample_stats.hpp"

namespace voxconv::engine {
namespace {

using testing::expect_moments;
using testing::sample_stats;

// A Conv3D kernel big enough for tight tolerances: 3*3*3*32*64 = 55296 values.
const Dims kKernel{3, 3, 3, 32, 64};

InitializerSpec spec_of(InitializerKind kind) {
  InitializerSpec s;
  s.kind = kind;
  return s;
}

TEST(Initializers, FansFollowKerasComputeFans) {
  EXPECT_EQ(compute_fans({3, 3, 3, 1, 16}).fan_in, 27);
  EXPECT_EQ(compute_fans({3, 3, 3, 1, 16}).fan_out, 432);
  EXPECT_EQ(compute_fans({3, 3, 3, 2, 16}).fan_in, 54);   // in/groups is what the kernel stores
  EXPECT_EQ(compute_fans({1, 5, 7, 4, 8}).fan_out, 280);  // anisotropic receptive field 35
  EXPECT_EQ(compute_fans({16}).fan_in, 16);               // a bias: rank 1 -> (n, n)
  EXPECT_EQ(compute_fans({16}).fan_out, 16);
  EXPECT_EQ(compute_fans({6, 9}).fan_out, 9);
  EXPECT_EQ(compute_fans({}).fan_in, 1);
}

TEST(Initializers, ConstantsFillExactly) {
  const CounterRng rng(1, 0);
  for (const auto& [kind, value] : {std::pair{InitializerKind::zeros, 0.0f}, std::pair{InitializerKind::ones, 1.0f},
                                    std::pair{InitializerKind::constant, -10.0f}}) {
    InitializerSpec s = spec_of(kind);
    s.value = -10.0;
    const Tensor t = initialize(s, {3, 3, 3, 2, 4}, rng);
    ASSERT_EQ(t.dims(), (Dims{3, 3, 3, 2, 4}));
    for (const float v : t.values()) ASSERT_EQ(v, value);
  }
}

TEST(Initializers, RandomNormalHasMeanAndStddev) {
  InitializerSpec s = spec_of(InitializerKind::random_normal);
  s.mean = 0.5;
  s.stddev = 2.0;
  const auto st = sample_stats(initialize(s, kKernel, CounterRng(3, 0)).values());
  expect_moments(st, 0.5, 4.0, testing::kKurtosisNormal, "random_normal");
  EXPECT_LT(st.min, 0.5 - 3 * 2.0);  // not truncated: 55296 draws reach beyond 3 sigma
}

TEST(Initializers, RandomUniformCoversItsRange) {
  InitializerSpec s = spec_of(InitializerKind::random_uniform);
  s.minval = -3.0;
  s.maxval = 1.0;
  const auto st = sample_stats(initialize(s, kKernel, CounterRng(4, 0)).values());
  expect_moments(st, -1.0, 16.0 / 12.0, testing::kKurtosisUniform, "random_uniform");
  EXPECT_GE(st.min, -3.0);
  EXPECT_LE(st.max, 1.0);
  EXPECT_LT(st.min, -3.0 + 4e-3);  // P(no draw within 1e-3 of the bound) = (1-1e-3)^55296 ~ 1e-24
  EXPECT_GT(st.max, 1.0 - 4e-3);
}

TEST(Initializers, TruncatedNormalIsCutAtTwoStddev) {
  InitializerSpec s = spec_of(InitializerKind::truncated_normal);
  s.mean = 1.0;
  s.stddev = 0.5;
  const auto st = sample_stats(initialize(s, kKernel, CounterRng(5, 0)).values());
  const auto [tstd, kurtosis] = testing::truncated_normal_moments();
  expect_moments(st, 1.0, 0.25 * tstd * tstd, kurtosis, "truncated_normal");
  EXPECT_GE(st.min, 0.0f);
  EXPECT_LE(st.max, 2.0f);
  EXPECT_LT(st.min, 0.01);
  EXPECT_GT(st.max, 1.99);
}

// Every mode and distribution of VarianceScaling on a 5-D kernel; expectations from the
// Keras formulas with fans computed here by hand: fan_in = 32*27, fan_out = 64*27.
TEST(Initializers, VarianceScalingEveryModeAndDistribution) {
  const double fan_in = 32.0 * 27, fan_out = 64.0 * 27;
  const auto [tstd, tkurt] = testing::truncated_normal_moments();
  uint64_t seed = 100;
  for (const auto mode : {FanMode::fan_in, FanMode::fan_out, FanMode::fan_avg}) {
    const double n = mode == FanMode::fan_in ? fan_in : mode == FanMode::fan_out ? fan_out : (fan_in + fan_out) / 2;
    for (const auto dist :
         {ScalingDistribution::truncated_normal, ScalingDistribution::untruncated_normal, ScalingDistribution::uniform}) {
      InitializerSpec s = spec_of(InitializerKind::variance_scaling);
      s.scale = 2.5;
      s.mode = mode;
      s.distribution = dist;
      const double variance = 2.5 / n;
      EXPECT_DOUBLE_EQ(variance_scaling_variance(s, kKernel), variance);
      const auto st = sample_stats(initialize(s, kKernel, CounterRng(seed++, 0)).values());
      const std::string what = "mode " + std::to_string(static_cast<int>(mode)) + " dist " +
                               std::to_string(static_cast<int>(dist));
      // The truncated draw's variance is the target: Keras divides the stddev by 0.8796.
      const double kurt = dist == ScalingDistribution::uniform  ? testing::kKurtosisUniform
                          : dist == ScalingDistribution::truncated_normal ? tkurt
                                                                          : testing::kKurtosisNormal;
      expect_moments(st, 0.0, variance, kurt, what);
      if (dist == ScalingDistribution::uniform) {
        const double limit = std::sqrt(3 * variance);
        EXPECT_GE(st.min, -limit) << what;
        EXPECT_LE(st.max, limit) << what;
        EXPECT_GT(st.max, limit * 0.99) << what;
      } else if (dist == ScalingDistribution::truncated_normal) {
        const double cut = 2 * std::sqrt(variance) / tstd;
        EXPECT_GE(st.min, -cut * (1 + 1e-6)) << what;
        EXPECT_LE(st.max, cut * (1 + 1e-6)) << what;
      } else {
        EXPECT_GT(st.max, 3 * std::sqrt(variance)) << what;  // not truncated
      }
    }
  }
}

TEST(Initializers, VarianceScalingFloorsTheFanAtOne) {
  InitializerSpec s = spec_of(InitializerKind::variance_scaling);
  s.scale = 3.0;
  EXPECT_DOUBLE_EQ(variance_scaling_variance(s, {}), 3.0);  // max(1, n)
}

void expect_orthonormal_columns(const std::vector<double>& q, int64_t rows, int64_t cols, double gain2, double tol) {
  for (int64_t a = 0; a < cols; ++a)
    for (int64_t b = 0; b < cols; ++b) {
      double dot = 0;
      for (int64_t r = 0; r < rows; ++r) dot += q[static_cast<size_t>(r * cols + a)] * q[static_cast<size_t>(r * cols + b)];
      ASSERT_NEAR(dot, a == b ? gain2 : 0.0, tol) << a << "," << b;
    }
}

TEST(Initializers, OrthogonalKernelHasOrthonormalColumnsOfTheFlattenedMatrix) {
  InitializerSpec s = spec_of(InitializerKind::orthogonal);
  s.gain = 2.0;
  const Dims shape{3, 3, 3, 8, 16};  // flattened (216, 16): orthonormal columns
  const Tensor t = initialize(s, shape, CounterRng(8, 0));
  std::vector<double> q(t.values().begin(), t.values().end());
  expect_orthonormal_columns(q, 216, 16, 4.0, 1e-5);
  // Orthonormal columns scatter the mass: no column is concentrated on a few rows.
  const auto st = sample_stats(t.values());
  EXPECT_NEAR(st.variance, 4.0 / 216, 4.0 / 216 * 0.02);
}

TEST(Initializers, OrthogonalWideKernelHasOrthonormalRows) {
  const Dims shape{1, 1, 1, 4, 32};  // flattened (4, 32): fewer rows than columns
  const Tensor t = initialize(spec_of(InitializerKind::orthogonal), shape, CounterRng(9, 0));
  // Rows of the (4, 32) matrix are the columns of its transpose.
  std::vector<double> qt(4 * 32);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 32; ++c) qt[static_cast<size_t>(c * 4 + r)] = t.data()[r * 32 + c];
  expect_orthonormal_columns(qt, 32, 4, 1.0, 1e-5);
}

TEST(Initializers, OrthogonalSignFixLeavesSignsUnbiased) {
  // Keras' q *= sign(diag(r)) makes Q Haar-distributed: the first entry is positive half the time.
  double positive = 0;
  const int seeds = 400;
  for (int seed = 0; seed < seeds; ++seed)
    positive += initialize(spec_of(InitializerKind::orthogonal), {6, 3}, CounterRng(static_cast<uint64_t>(seed), 0)).data()[0] > 0;
  testing::expect_fraction(positive / seeds, 0.5, seeds, "P(q[0,0] > 0)");
}

// Golden from NumPy (an independent QR, LAPACK's):
//   a = np.array([[0.5,-1.25,2.0],[1.5,0.25,-0.75],[-2.0,1.0,0.5],[0.25,-0.5,1.75]])
//   q, r = np.linalg.qr(a); q *= np.sign(np.diag(r))
TEST(Initializers, OrthonormalFactorMatchesNumpyQrWithSignFix) {
  const std::vector<double> a{0.5, -1.25, 2.0, 1.5, 0.25, -0.75, -2.0, 1.0, 0.5, 0.25, -0.5, 1.75};
  const std::vector<double> want{0.19518001, -0.75302295, 0.19256879, 0.58554004, 0.55847805, 0.461752,
                                 -0.78072006, 0.19454491, 0.48418393, 0.09759001, -0.28846314, 0.71782189};
  const std::vector<double> q = orthonormal_factor(a, 4, 3);
  ASSERT_EQ(q.size(), want.size());
  for (size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(q[i], want[i], 1e-8) << i;
}

TEST(Initializers, OrthogonalRefusesABias) {
  try {
    initialize(spec_of(InitializerKind::orthogonal), {16}, CounterRng(1, 1));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shape);
    EXPECT_NE(std::string(e.what()).find("at least two-dimensional"), std::string::npos) << e.what();
  }
}

TEST(Initializers, IdentityIsTwoDimensionalOnlyAsInKeras) {
  InitializerSpec s = spec_of(InitializerKind::identity);
  s.gain = 2.0;
  const Tensor t = initialize(s, {3, 5}, CounterRng(1, 0));
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 0; c < 5; ++c) EXPECT_EQ(t.data()[r * 5 + c], r == c ? 2.0f : 0.0f);
  try {
    initialize(s, {3, 3, 3, 4, 4}, CounterRng(1, 0));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Identity matrix initializer can only be used for 2D matrices"),
              std::string::npos)
        << e.what();
  }
}

TEST(Initializers, DeterministicForASeedAndDifferentAcrossSeedsAndStreams) {
  for (const auto kind : {InitializerKind::random_normal, InitializerKind::random_uniform, InitializerKind::truncated_normal,
                          InitializerKind::variance_scaling, InitializerKind::orthogonal}) {
    const Dims shape{3, 3, 3, 2, 8};
    const Tensor a = initialize(spec_of(kind), shape, CounterRng(2024, 0));
    const Tensor b = initialize(spec_of(kind), shape, CounterRng(2024, 0));
    const Tensor c = initialize(spec_of(kind), shape, CounterRng(2025, 0));
    const Tensor d = initialize(spec_of(kind), shape, CounterRng(2024, 1));
    EXPECT_EQ(a.values(), b.values()) << static_cast<int>(kind);
    size_t same_c = 0, same_d = 0;
    for (int64_t i = 0; i < a.size(); ++i) {
      same_c += a.data()[i] == c.data()[i];
      same_d += a.data()[i] == d.data()[i];
    }
    EXPECT_EQ(same_c, 0u) << static_cast<int>(kind);
    EXPECT_EQ(same_d, 0u) << static_cast<int>(kind);
  }
}

}  // namespace
}  // namespace voxconv::engine
