#include "engine/conv3d_params.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace voxconv::engine {
namespace {

struct AxisCase {
  int64_t L, k, s, d;
  Padding padding;
  int64_t out, before, after;
};

// Expected values worked out by hand from TensorFlow's GetWindowedOutputSizeVerbose
// (keras-semantics.md 1.3): same: out = ceil(L/s), total = max((out-1)s + (k-1)d + 1 - L, 0),
// before = total/2; valid: out = floor((L - (k-1)d - 1)/s) + 1.
TEST(PlanShape, MatchesTensorFlowArithmeticPerAxis) {
  const AxisCase cases[] = {
      {7, 3, 1, 1, Padding::same, 7, 1, 1},
      {8, 2, 1, 1, Padding::same, 8, 0, 1},   // even kernel: odd total, extra after
      {8, 2, 2, 1, Padding::same, 4, 0, 0},   // total 0
      {7, 2, 2, 1, Padding::same, 4, 0, 1},
      {6, 1, 2, 1, Padding::same, 3, 0, 0},   // tfjs#1270 trap: total would be -1, clamped to 0
      {7, 2, 3, 1, Padding::same, 3, 0, 1},   // kernel 2 stride 3: total 1
      {6, 2, 3, 1, Padding::same, 2, 0, 0},   // (2-1)*3 + 2 - 6 = -1 -> 0
      {9, 3, 3, 1, Padding::same, 3, 0, 0},
      {8, 2, 1, 2, Padding::same, 8, 1, 1},   // keras-semantics example: d=2 -> (1,1)
      {8, 2, 1, 3, Padding::same, 8, 1, 2},   // d=3 -> (1,2)
      {8, 2, 1, 4, Padding::same, 8, 2, 2},   // d=4 -> (2,2)
      {10, 5, 1, 1, Padding::same, 10, 2, 2},
      {9, 3, 1, 1, Padding::valid, 7, 0, 0},
      {9, 3, 2, 1, Padding::valid, 4, 0, 0},
      {10, 3, 3, 1, Padding::valid, 3, 0, 0},
      {11, 3, 1, 4, Padding::valid, 3, 0, 0},  // extent 9
      {5, 5, 1, 1, Padding::valid, 1, 0, 0},
  };
  for (const auto& c : cases) {
    Conv3dParams p;
    p.kernel = {c.k, 1, 1};
    p.strides = {c.s, 1, 1};
    p.dilation = {c.d, 1, 1};
    p.padding = c.padding;
    const ConvPlan plan = plan_shape(p, {c.L, 1, 1});
    SCOPED_TRACE("L=" + std::to_string(c.L) + " k=" + std::to_string(c.k) + " s=" + std::to_string(c.s) +
                 " d=" + std::to_string(c.d));
    EXPECT_EQ(plan.axis[0].out, c.out);
    EXPECT_EQ(plan.axis[0].pad_before, c.before);
    EXPECT_EQ(plan.axis[0].pad_after, c.after);
  }
}

TEST(PlanShape, ValidKernelLargerThanInputIsAnError) {
  Conv3dParams p;
  p.kernel = {3, 3, 3};
  p.dilation = {1, 4, 1};
  try {
    plan_shape(p, {9, 8, 9});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shape);
    EXPECT_NE(std::string(e.what()).find("larger than the input h"), std::string::npos) << e.what();
  }
}

TEST(Conv3dParams, ValidateRejectsEachBadField) {
  Conv3dParams good;
  good.ic = 4;
  good.oc = 8;
  good.groups = 2;
  EXPECT_NO_THROW(good.validate());
  auto expect_bad = [](Conv3dParams p, const std::string& word) {
    try {
      p.validate();
      FAIL() << "expected an error mentioning " << word;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
  };
  Conv3dParams p = good;
  p.oc = 6;
  p.groups = 4;
  expect_bad(p, "filters");
  p = good;
  p.ic = 3;
  expect_bad(p, "input channels");
  p = good;
  p.kernel = {3, 0, 3};
  expect_bad(p, "kernel h");
  p = good;
  p.strides = {2, 1, 1};
  p.dilation = {1, 2, 1};
  expect_bad(p, "dilation_rate");
}

TEST(Conv3dParams, DescriptorAndFlops) {
  Conv3dParams p;
  p.ic = 4;
  p.oc = 6;
  p.kernel = {3, 3, 3};
  p.strides = {2, 1, 1};
  p.padding = Padding::same;
  EXPECT_EQ(p.to_string(), "ic4_oc6_kd3kh3kw3_sd2sh1sw1_dd1dh1dw1_same_g1_linear");
  EXPECT_DOUBLE_EQ(conv_flops(p, 2, {4, 5, 6}), 2.0 * 2 * 4 * 5 * 6 * 6 * 4 * 27);
}

}  // namespace
}  // namespace voxconv::engine
