// Every initializer a Conv3D config can name, drawn on a 5-D kernel and checked against the
// numbers of Keras' formulas, computed here by hand from the kernel's fans (keras-semantics.md
// section 4): mean, variance and bounds, with tolerances from the sample size.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "keras/layer_config.hpp"
#include "sample_stats.hpp"

namespace voxconv::keras {
namespace {

using testing::expect_moments;
using testing::sample_stats;

// Kernel (3, 3, 3, 32, 64): receptive field 27, fan_in 864, fan_out 1728; 55296 values.
const Dims kKernel{3, 3, 3, 32, 64};
constexpr double kFanIn = 864, kFanOut = 1728, kFanAvg = (864 + 1728) / 2.0;

KerasObject initializer(const std::string& json_value) {
  return parse_layer_config(R"({"filters": 1, "kernel_size": 1, "kernel_initializer": )" + json_value + "}", "t.json")
      .kernel_initializer;
}

Tensor draw(const std::string& json_value, uint64_t seed = 1) {
  return engine::initialize(initializer_spec(initializer(json_value)), kKernel, engine::CounterRng(seed, 0));
}

struct Expected {
  const char* config;
  double variance;         // of the values drawn
  double limit;            // |x| <= limit (0: unbounded)
  enum { uniform, normal, truncated } shape;
};

TEST(InitializerMapping, EveryVarianceScalingPresetMatchesKerasFormulas) {
  const double tstd = testing::truncated_normal_moments().first;
  const double tkurt = testing::truncated_normal_moments().second;
  const Expected cases[] = {
      // glorot_uniform: limit sqrt(6 / (fan_in + fan_out)); variance limit^2 / 3.
      {R"("glorot_uniform")", 2.0 / (kFanIn + kFanOut), std::sqrt(6.0 / (kFanIn + kFanOut)), Expected::uniform},
      {R"({"class_name": "GlorotUniform", "config": {"seed": null}})", 2.0 / (kFanIn + kFanOut),
       std::sqrt(6.0 / (kFanIn + kFanOut)), Expected::uniform},
      // glorot_normal: truncated normal whose final stddev is sqrt(2 / (fan_in + fan_out)).
      {R"("glorot_normal")", 2.0 / (kFanIn + kFanOut), 2 * std::sqrt(2.0 / (kFanIn + kFanOut)) / tstd, Expected::truncated},
      {R"("he_normal")", 2.0 / kFanIn, 2 * std::sqrt(2.0 / kFanIn) / tstd, Expected::truncated},
      {R"("he_uniform")", 2.0 / kFanIn, std::sqrt(6.0 / kFanIn), Expected::uniform},
      {R"("lecun_normal")", 1.0 / kFanIn, 2 * std::sqrt(1.0 / kFanIn) / tstd, Expected::truncated},
      {R"("lecun_uniform")", 1.0 / kFanIn, std::sqrt(3.0 / kFanIn), Expected::uniform},
      // variance_scaling defaults: scale 1, fan_in, truncated_normal.
      {R"("variance_scaling")", 1.0 / kFanIn, 2 * std::sqrt(1.0 / kFanIn) / tstd, Expected::truncated},
      // Keras 2.2.4's he_normal as saved (legacy "normal" = truncated).
      {R"({"class_name": "VarianceScaling", "config": {"distribution": "normal", "scale": 2.0, "seed": null, "mode": "fan_in"}})",
       2.0 / kFanIn, 2 * std::sqrt(2.0 / kFanIn) / tstd, Expected::truncated},
      {R"({"class_name": "VarianceScaling", "config": {"scale": 3.0, "mode": "fan_out", "distribution": "untruncated_normal"}})",
       3.0 / kFanOut, 0, Expected::normal},
      {R"({"class_name": "VarianceScaling", "config": {"scale": 0.5, "mode": "fan_avg", "distribution": "uniform"}})",
       0.5 / kFanAvg, std::sqrt(1.5 / kFanAvg), Expected::uniform},
      {R"({"module": "keras.initializers", "class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_avg", "distribution": "truncated_normal", "seed": 3}, "registered_name": null})",
       2.0 / kFanAvg, 2 * std::sqrt(2.0 / kFanAvg) / tstd, Expected::truncated},
      // random_normal / random_uniform / truncated_normal with Keras' defaults and with arguments.
      {R"("random_normal")", 0.05 * 0.05, 0, Expected::normal},
      {R"("normal")", 0.05 * 0.05, 0, Expected::normal},
      {R"("random_uniform")", 0.1 * 0.1 / 12, 0.05, Expected::uniform},
      {R"("uniform")", 0.1 * 0.1 / 12, 0.05, Expected::uniform},
      {R"("truncated_normal")", 0.05 * 0.05 * tstd * tstd, 0.1, Expected::truncated},
      {R"({"class_name": "TruncatedNormal", "config": {"mean": 0.0, "stddev": 0.3, "seed": null}})", 0.09 * tstd * tstd,
       0.6, Expected::truncated},
  };
  uint64_t seed = 10;
  for (const Expected& c : cases) {
    const Tensor t = draw(c.config, seed++);
    const auto s = sample_stats(t.values());
    const double kurtosis = c.shape == Expected::uniform  ? testing::kKurtosisUniform
                            : c.shape == Expected::normal ? testing::kKurtosisNormal
                                                          : tkurt;
    expect_moments(s, 0.0, c.variance, kurtosis, c.config);
    if (c.limit > 0) {
      EXPECT_GE(s.min, -c.limit * (1 + 1e-6)) << c.config;
      EXPECT_LE(s.max, c.limit * (1 + 1e-6)) << c.config;
      EXPECT_GT(s.max, c.limit * 0.98) << c.config;  // the whole range is used
    } else {
      EXPECT_GT(s.max, 3.5 * std::sqrt(c.variance)) << c.config;  // not truncated
    }
  }
}

TEST(InitializerMapping, ShiftedDistributionsKeepTheirMean) {
  const auto normal = sample_stats(draw(R"({"class_name": "RandomNormal", "config": {"mean": -2.0, "stddev": 0.5, "seed": null}})").values());
  expect_moments(normal, -2.0, 0.25, testing::kKurtosisNormal, "RandomNormal(-2, 0.5)");
  const auto uniform = sample_stats(draw(R"({"class_name": "RandomUniform", "config": {"minval": 1.0, "maxval": 4.0, "seed": null}})").values());
  expect_moments(uniform, 2.5, 9.0 / 12, testing::kKurtosisUniform, "RandomUniform(1, 4)");
  EXPECT_GE(uniform.min, 1.0);
  EXPECT_LE(uniform.max, 4.0);
  const auto tstd = testing::truncated_normal_moments();
  const auto trunc = sample_stats(draw(R"({"class_name": "TruncatedNormal", "config": {"mean": 5.0, "stddev": 1.0}})").values());
  expect_moments(trunc, 5.0, tstd.first * tstd.first, tstd.second, "TruncatedNormal(5, 1)");
  EXPECT_GE(trunc.min, 3.0);
  EXPECT_LE(trunc.max, 7.0);
}

TEST(InitializerMapping, ConstantInitializers) {
  for (const auto& [config, value] : {std::pair<const char*, float>{R"("zeros")", 0.0f}, {R"("zero")", 0.0f},
                                      {R"("ones")", 1.0f}, {R"("one")", 1.0f}, {R"("constant")", 0.0f},
                                      {R"({"class_name": "Constant", "config": {"value": -10}})", -10.0f},
                                      {R"({"class_name": "Constant", "config": {"value": 0.25, "dtype": "float32"}})", 0.25f}}) {
    const Tensor t = draw(config);
    for (const float v : t.values()) ASSERT_EQ(v, value) << config;
  }
}

TEST(InitializerMapping, OrthogonalWithGainOnTheFlattenedKernel) {
  const Tensor t = draw(R"({"class_name": "Orthogonal", "config": {"gain": 0.5, "seed": null}})");
  // Columns of the (27*32, 64) matrix are orthogonal with norm 0.5.
  const int64_t rows = 27 * 32, cols = 64;
  for (int64_t a = 0; a < cols; a += 9)
    for (int64_t b = 0; b < cols; b += 7) {
      double dot = 0;
      for (int64_t r = 0; r < rows; ++r) dot += static_cast<double>(t.data()[r * cols + a]) * t.data()[r * cols + b];
      EXPECT_NEAR(dot, a == b ? 0.25 : 0.0, 1e-5) << a << "," << b;
    }
}

TEST(InitializerMapping, IdentityIsRefusedForAConv3DKernelAsKerasDoes) {
  try {
    draw(R"("identity")");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Identity matrix initializer can only be used for 2D matrices"), std::string::npos);
  }
}

TEST(InitializerMapping, SeedIsKeptAndNullMeansUnseeded) {
  EXPECT_EQ(initializer(R"({"class_name": "HeNormal", "config": {"seed": 1234}})").seed, 1234);
  EXPECT_FALSE(initializer(R"("he_normal")").seed.has_value());
}

}  // namespace
}  // namespace voxconv::keras
