#include "engine/conv3d_reference.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/error.hpp"
#include "engine/thread_pool.hpp"

namespace voxconv::engine {
namespace {

Tensor random_tensor(const Dims& dims, uint32_t seed, bool integers = false) {
  Tensor t(dims);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> small(-3, 3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : t.values()) v = integers ? static_cast<float>(small(rng)) : normal(rng);
  return t;
}

// A second formulation of the same definition: materialise the zero-padded input,
// then run a plain valid cross-correlation, group by group.
Tensor pad_then_correlate(const Conv3dParams& p, const Tensor& src, const Tensor& w, const Tensor& b) {
  const ConvPlan plan = plan_shape(p, {src.dim(1), src.dim(2), src.dim(3)});
  const int64_t N = src.dim(0), C = src.dim(4);
  const int64_t PD = src.dim(1) + plan.axis[0].pad_before + plan.axis[0].pad_after;
  const int64_t PH = src.dim(2) + plan.axis[1].pad_before + plan.axis[1].pad_after;
  const int64_t PW = src.dim(3) + plan.axis[2].pad_before + plan.axis[2].pad_after;
  Tensor padded({N, PD, PH, PW, C});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t z = 0; z < src.dim(1); ++z)
      for (int64_t y = 0; y < src.dim(2); ++y)
        for (int64_t x = 0; x < src.dim(3); ++x)
          for (int64_t c = 0; c < C; ++c)
            padded.data()[(((n * PD + z + plan.axis[0].pad_before) * PH + y + plan.axis[1].pad_before) * PW + x +
                           plan.axis[2].pad_before) * C + c] = src.data()[(((n * src.dim(1) + z) * src.dim(2) + y) * src.dim(3) + x) * C + c];
  const int64_t OD = plan.axis[0].out, OH = plan.axis[1].out, OW = plan.axis[2].out;
  const int64_t ICG = p.ic / p.groups, OCG = p.oc / p.groups;
  Tensor out({N, OD, OH, OW, p.oc});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t od = 0; od < OD; ++od)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow)
          for (int64_t oc = 0; oc < p.oc; ++oc) {
            const int64_t g = oc / OCG;
            double sum = p.use_bias ? b.data()[oc] : 0.0;
            for (int64_t kd = 0; kd < p.kernel[0]; ++kd)
              for (int64_t kh = 0; kh < p.kernel[1]; ++kh)
                for (int64_t kw = 0; kw < p.kernel[2]; ++kw)
                  for (int64_t c = 0; c < ICG; ++c) {
                    const int64_t z = od * p.strides[0] + kd * p.dilation[0];
                    const int64_t y = oh * p.strides[1] + kh * p.dilation[1];
                    const int64_t x = ow * p.strides[2] + kw * p.dilation[2];
                    sum += static_cast<double>(padded.data()[(((n * PD + z) * PH + y) * PW + x) * C + g * ICG + c]) *
                           w.data()[(((kd * p.kernel[1] + kh) * p.kernel[2] + kw) * ICG + c) * p.oc + oc];
                  }
            out.data()[(((n * OD + od) * OH + oh) * OW + ow) * p.oc + oc] = static_cast<float>(sum);
          }
  return out;
}

struct Case {
  const char* name;
  Dims src;
  Conv3dParams p;
};

Conv3dParams params(int64_t ic, int64_t oc, std::array<int64_t, 3> k, std::array<int64_t, 3> s, std::array<int64_t, 3> d,
                    Padding pad, int64_t groups = 1, bool bias = true) {
  Conv3dParams p;
  p.ic = ic;
  p.oc = oc;
  p.kernel = k;
  p.strides = s;
  p.dilation = d;
  p.padding = pad;
  p.groups = groups;
  p.use_bias = bias;
  return p;
}

TEST(Conv3dReference, AgreesWithPadThenCorrelateOnNamedCases) {
  const Case cases[] = {
      {"kernel_1x1x1", {1, 4, 5, 6, 3}, params(3, 2, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, Padding::valid)},
      {"same_odd_sizes", {1, 7, 9, 11, 2}, params(2, 3, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same)},
      {"same_even_kernel", {1, 6, 7, 5, 1}, params(1, 2, {2, 2, 4}, {1, 1, 1}, {1, 1, 1}, Padding::same)},
      {"stride_2_same", {1, 8, 7, 9, 2}, params(2, 4, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, Padding::same)},
      {"stride_3_kernel_2_same", {1, 7, 6, 8, 1}, params(1, 2, {2, 2, 2}, {3, 3, 3}, {1, 1, 1}, Padding::same)},
      {"dilation_2_valid", {1, 9, 8, 10, 2}, params(2, 2, {3, 2, 3}, {1, 1, 1}, {2, 3, 2}, Padding::valid)},
      {"dilation_mixed_same", {1, 8, 8, 8, 1}, params(1, 1, {2, 2, 2}, {1, 1, 1}, {2, 3, 4}, Padding::same)},
      {"grouped", {2, 5, 4, 6, 4}, params(4, 6, {3, 1, 2}, {1, 2, 1}, {1, 1, 1}, Padding::same, 2)},
      {"depthwise_like", {1, 5, 5, 5, 4}, params(4, 4, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::valid, 4)},
      {"without_bias", {1, 5, 6, 7, 3}, params(3, 5, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1, false)},
  };
  ThreadPool pool(2);
  uint32_t seed = 1;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name) + " " + c.p.to_string());
    const Tensor src = random_tensor(c.src, seed++);
    const auto kd = c.p.kernel_dims();
    const Tensor w = random_tensor(Dims(kd.begin(), kd.end()), seed++);
    const Tensor b = c.p.use_bias ? random_tensor({c.p.oc}, seed++) : Tensor();
    const Tensor got = conv3d_reference(c.p, src, w, b, pool);
    const Tensor want = pad_then_correlate(c.p, src, w, b);
    ASSERT_EQ(got.dims(), want.dims());
    for (int64_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got.data()[i], want.data()[i], 1e-5f * (1.0f + std::abs(want.data()[i])));
  }
}

TEST(Conv3dReference, CentredDeltaKernelIsIdentityUnderSame) {
  const Conv3dParams p = params(2, 2, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1, false);
  const Tensor src = random_tensor({1, 4, 5, 6, 2}, 7);
  Tensor w({3, 3, 3, 2, 2});
  w.data()[(13 * 2 + 0) * 2 + 0] = 1.0f;  // centre tap, in 0 -> out 0
  w.data()[(13 * 2 + 1) * 2 + 1] = 1.0f;  // centre tap, in 1 -> out 1
  ThreadPool pool(1);
  const Tensor out = conv3d_reference(p, src, w, Tensor(), pool);
  EXPECT_EQ(out.values(), src.values());
}

TEST(Conv3dReference, IntegerInputsAreExactAndBytesIndependentOfThreads) {
  const Conv3dParams p = params(3, 5, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same);
  const Tensor src = random_tensor({2, 6, 7, 5, 3}, 11, true);
  const Tensor w = random_tensor({3, 3, 3, 3, 5}, 12, true);
  const Tensor b = random_tensor({5}, 13, true);
  ThreadPool one(1);
  const Tensor ref = conv3d_reference(p, src, w, b, one);
  const Tensor exact = pad_then_correlate(p, src, w, b);
  EXPECT_EQ(ref.values(), exact.values());
  for (int threads : {2, 3, 8}) {
    ThreadPool pool(threads);
    const Tensor got = conv3d_reference(p, src, w, b, pool);
    EXPECT_EQ(std::memcmp(got.data(), ref.data(), sizeof(float) * static_cast<size_t>(ref.size())), 0) << threads;
  }
}

TEST(Conv3dReference, RejectsOperandsThatDoNotFit) {
  const Conv3dParams p = params(2, 4, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same);
  ThreadPool pool(1);
  EXPECT_THROW(conv3d_reference(p, Tensor({1, 4, 4, 4, 3}), Tensor({3, 3, 3, 2, 4}), Tensor({4}), pool), Error);
  EXPECT_THROW(conv3d_reference(p, Tensor({1, 4, 4, 4, 2}), Tensor({3, 3, 2, 2, 4}), Tensor({4}), pool), Error);
  EXPECT_THROW(conv3d_reference(p, Tensor({1, 4, 4, 4, 2}), Tensor({3, 3, 3, 2, 4}), Tensor({3}), pool), Error);
  EXPECT_THROW(conv3d_reference(p, Tensor({4, 4, 4, 2}), Tensor({3, 3, 3, 2, 4}), Tensor({4}), pool), Error);
}

}  // namespace
}  // namespace voxconv::engine
