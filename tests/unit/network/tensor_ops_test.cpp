#include "network/tensor_ops.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "engine/thread_pool.hpp"

namespace voxconv::network {
namespace {

Tensor ramp(const Dims& dims) {
  Tensor t(dims);
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(i + 1);
  return t;
}

float at(const Tensor& t, int64_t d, int64_t h, int64_t w, int64_t c) {
  return t.data()[((d * t.dim(2) + h) * t.dim(3) + w) * t.dim(4) + c];
}

TEST(TensorOps, ZeroPadPlacesTheInputAndCropTakesItBack) {
  engine::ThreadPool pool(2);
  const Tensor x = ramp({1, 2, 3, 4, 2});
  const SpatialPads pads{{{1, 0}, {0, 2}, {3, 1}}};
  const Tensor padded = zero_pad(x, pads, pool);
  ASSERT_EQ(padded.dims(), (Dims{1, 3, 5, 8, 2}));
  EXPECT_EQ(at(padded, 0, 0, 3, 0), 0.0f);  // the padded first depth plane
  EXPECT_EQ(at(padded, 1, 0, 3, 0), at(x, 0, 0, 0, 0));
  EXPECT_EQ(at(padded, 2, 2, 6, 1), at(x, 1, 2, 3, 1));
  EXPECT_EQ(at(padded, 2, 3, 6, 1), 0.0f);
  double sum_x = 0, sum_p = 0;
  for (float v : x.values()) sum_x += v;
  for (float v : padded.values()) sum_p += v;
  EXPECT_EQ(sum_x, sum_p);
  const Tensor back = crop(padded, pads, pool);
  EXPECT_EQ(back.dims(), x.dims());
  EXPECT_EQ(back.values(), x.values());
  EXPECT_THROW(crop(x, SpatialPads{{{1, 1}, {0, 0}, {0, 0}}}, pool), Error);
}

TEST(TensorOps, ReluFollowsKerasFormula) {
  engine::ThreadPool pool(1);
  const FloatVector xs{-2.0f, -0.5f, 0.0f, 0.25f, 0.5f, 1.0f, 7.0f};
  const auto apply = [&](float slope, float threshold, std::optional<float> max_value) {
    Tensor t(Dims{1, 1, 1, 7, 1}, xs);
    relu(t, slope, threshold, max_value, pool);
    return t.values();
  };
  EXPECT_EQ(apply(0, 0, std::nullopt), (FloatVector{0, 0, 0, 0.25f, 0.5f, 1, 7}));
  // leaky: x > 0 ? x : slope * x
  EXPECT_EQ(apply(0.5f, 0, std::nullopt), (FloatVector{-1.0f, -0.25f, 0, 0.25f, 0.5f, 1, 7}));
  // threshold 0.5, cap 6, slope 0.1: x > 0.5 ? min(x, 6) : 0.1 * (x - 0.5)
  const auto v = apply(0.1f, 0.5f, 6.0f);
  const FloatVector want{0.1f * -2.5f, 0.1f * -1.0f, 0.1f * -0.5f, 0.1f * -0.25f, 0.0f, 1.0f, 6.0f};
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], want[i], 1e-7) << "x = " << xs[i];
}

TEST(TensorOps, EluAndPreluOnNegativesOnly) {
  engine::ThreadPool pool(2);
  Tensor t(Dims{1, 1, 1, 2, 1}, {-1.0f, 2.0f});
  elu(t, 0.5f, pool);
  EXPECT_NEAR(t.data()[0], 0.5 * std::expm1(-1.0), 1e-7);
  EXPECT_EQ(t.data()[1], 2.0f);
  // alpha per channel, broadcast over D, H, W.
  Tensor x(Dims{1, 2, 1, 1, 2}, {-1.0f, -1.0f, 3.0f, -2.0f});
  prelu(x, Tensor(Dims{1, 1, 1, 1, 2}, {0.1f, 0.2f}), pool);
  EXPECT_EQ(x.values(), (FloatVector{-0.1f, -0.2f, 3.0f, -0.4f}));
  EXPECT_THROW(prelu(x, Tensor(Dims{1, 1, 1, 1, 3}, {1, 1, 1}), pool), Error);
}

TEST(TensorOps, ScaleShiftAddConcat) {
  engine::ThreadPool pool(2);
  Tensor t = ramp({1, 1, 1, 2, 2});  // 1 2 | 3 4
  scale_shift_channels(t, {2.0f, -1.0f}, {0.5f, 10.0f}, pool);
  EXPECT_EQ(t.values(), (FloatVector{2.5f, 8.0f, 6.5f, 6.0f}));
  add_into(t, ramp({1, 1, 1, 2, 2}), pool);
  EXPECT_EQ(t.values(), (FloatVector{3.5f, 10.0f, 9.5f, 10.0f}));
  const Tensor a = ramp({1, 1, 1, 2, 1}), b = ramp({1, 1, 1, 2, 2});
  const Tensor c = concat_channels({&a, &b}, pool);
  EXPECT_EQ(c.dims(), (Dims{1, 1, 1, 2, 3}));
  EXPECT_EQ(c.values(), (FloatVector{1, 1, 2, 2, 3, 4}));
  EXPECT_THROW(add_into(t, a, pool), Error);
}

TEST(TensorOps, ArgmaxTakesTheFirstOfEqualMaxima) {
  engine::ThreadPool pool(2);
  const Tensor t(Dims{1, 1, 1, 3, 3}, {0, 5, 5, 7, 1, 7, -1, -2, -0.5f});
  EXPECT_EQ(argmax_channels(t, pool), (std::vector<uint16_t>{1, 0, 2}));
}

TEST(TensorOps, Normalization) {
  Tensor t(Dims{1, 1, 1, 4, 1}, {2, 4, 6, 10});
  normalize_minmax(t);
  EXPECT_EQ(t.values(), (FloatVector{0.0f, 0.25f, 0.5f, 1.0f}));
  Tensor z(Dims{1, 1, 1, 4, 1}, {1, 3, 5, 7});  // mean 4, population std sqrt(5)
  normalize_zscore(z);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(z.data()[i], (2 * i + 1 - 4) / std::sqrt(5.0), 1e-6);
  Tensor flat(Dims{1, 1, 1, 3, 1}, {3, 3, 3});
  normalize_minmax(flat);
  EXPECT_EQ(flat.values(), (FloatVector{0, 0, 0}));
}

}  // namespace
}  // namespace voxconv::network
