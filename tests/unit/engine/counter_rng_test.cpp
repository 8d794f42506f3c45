#include "engine/counter_rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sample_stats.hpp"

namespace voxconv::engine {
namespace {

using testing::expect_fraction;
using testing::expect_moments;
using testing::sample_stats;

// Known-answer vectors of Random123's tests/kat_vectors ("philox4x32 10" lines):
// counter[4] key[2] -> result[4].
TEST(CounterRng, Philox4x32_10MatchesRandom123KnownAnswers) {
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (std::array<uint32_t, 4>{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  EXPECT_EQ(philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu}),
            (std::array<uint32_t, 4>{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  EXPECT_EQ(philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u}),
            (std::array<uint32_t, 4>{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

constexpr uint64_t kN = 200000;

TEST(CounterRng, UniformIsUniformOnZeroOne) {
  const CounterRng rng(12345, 0);
  std::vector<double> u(kN);
  for (uint64_t i = 0; i < kN; ++i) u[i] = rng.uniform(i);
  const auto s = sample_stats(u);
  expect_moments(s, 0.5, 1.0 / 12.0, testing::kKurtosisUniform, "uniform");
  EXPECT_GE(s.min, 0.0);
  EXPECT_LT(s.max, 1.0);
  // Deciles hold 10% each.
  std::vector<double> bins(10, 0);
  for (const double v : u) bins[static_cast<size_t>(v * 10)] += 1;
  for (size_t b = 0; b < bins.size(); ++b) expect_fraction(bins[b] / kN, 0.1, kN, "decile " + std::to_string(b));
  // Neighbouring counters are uncorrelated.
  double cov = 0;
  for (uint64_t i = 0; i + 1 < kN; ++i) cov += (u[i] - 0.5) * (u[i + 1] - 0.5);
  EXPECT_NEAR(cov / (kN - 1) * 12.0, 0.0, testing::kSigmas / std::sqrt(static_cast<double>(kN)));
}

TEST(CounterRng, NormalIsStandardNormal) {
  const CounterRng rng(7, 3);
  std::vector<double> z(kN);
  double beyond_two = 0;
  for (uint64_t i = 0; i < kN; ++i) {
    z[i] = rng.normal(i);
    beyond_two += std::fabs(z[i]) > 2.0;
  }
  expect_moments(sample_stats(z), 0.0, 1.0, testing::kKurtosisNormal, "normal");
  expect_fraction(beyond_two / kN, 0.0455002638963584, kN, "P(|z| > 2)");
}

TEST(CounterRng, TruncatedNormalStaysWithinTwoAndHasTheTruncatedVariance) {
  const CounterRng rng(99, 1);
  std::vector<double> z(kN);
  double beyond_one = 0;
  for (uint64_t i = 0; i < kN; ++i) {
    z[i] = rng.truncated_normal(i);
    beyond_one += std::fabs(z[i]) > 1.0;
  }
  const auto [stddev, kurtosis] = testing::truncated_normal_moments();
  const auto s = sample_stats(z);
  expect_moments(s, 0.0, stddev * stddev, kurtosis, "truncated normal");
  EXPECT_GE(s.min, -2.0);
  EXPECT_LE(s.max, 2.0);
  EXPECT_LT(s.min, -1.99);  // the tails are reached, not cut short
  EXPECT_GT(s.max, 1.99);
  // P(|z| > 1 | |z| <= 2) = (0.3173105 - 0.0455003) / 0.9544997
  expect_fraction(beyond_one / kN, (0.31731050786291415 - 0.0455002638963584) / 0.9544997361036416, kN, "P(|z| > 1)");
}

TEST(CounterRng, SameSeedSameValuesOtherSeedOrStreamOtherValues) {
  const CounterRng a(42, 0), b(42, 0), other_seed(43, 0), other_stream(42, 1), high_seed(42 + (uint64_t{1} << 32), 0);
  int equal_seed = 0, equal_stream = 0, equal_high = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a.uniform(i), b.uniform(i));
    EXPECT_EQ(a.normal(i), b.normal(i));
    equal_seed += a.uniform(i) == other_seed.uniform(i);
    equal_stream += a.uniform(i) == other_stream.uniform(i);
    equal_high += a.uniform(i) == high_seed.uniform(i);
  }
  EXPECT_EQ(equal_seed, 0);
  EXPECT_EQ(equal_stream, 0);
  EXPECT_EQ(equal_high, 0);  // the seed's upper 32 bits count too
  // Indices beyond 2^32 are distinct counters.
  EXPECT_NE(a.uniform(5), a.uniform(5 + (uint64_t{1} << 32)));
}

}  // namespace
}  // namespace voxconv::engine
