#include "pipeline/array_compare.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace voxconv::pipeline {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Tensor vec(FloatVector v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor(Dims{n}, std::move(v));
}

TEST(WithinTolerance, ExactlyAtTheToleranceIsWithinAndTheNextFloatIsNot) {
  // All values exact in binary, so the boundary is exact too.
  EXPECT_TRUE(within_tolerance(1.5f, 1.0f, {0.5, 0.0}));
  EXPECT_FALSE(within_tolerance(std::nextafter(1.5f, 2.0f), 1.0f, {0.5, 0.0}));
  EXPECT_TRUE(within_tolerance(0.5f, 1.0f, {0.5, 0.0}));
  EXPECT_FALSE(within_tolerance(std::nextafter(0.5f, 0.0f), 1.0f, {0.5, 0.0}));
  // rtol scales |expected|, not |actual| (numpy.isclose is asymmetric).
  EXPECT_TRUE(within_tolerance(3.0f, 2.0f, {0.0, 0.5}));
  EXPECT_FALSE(within_tolerance(std::nextafter(3.0f, 4.0f), 2.0f, {0.0, 0.5}));
  EXPECT_FALSE(within_tolerance(2.0f, 3.0f, {0.0, 0.25}));  // |d| = 1 > 0.25 * 3
  EXPECT_TRUE(within_tolerance(3.0f, 2.0f, {0.25, 0.375}));  // 1 <= 0.25 + 0.375 * 2
  EXPECT_TRUE(within_tolerance(7.0f, 7.0f, {0.0, 0.0}));
}

TEST(WithinTolerance, NaNEqualsOnlyNaNAndInfinityOnlyItself) {
  EXPECT_TRUE(within_tolerance(kNaN, kNaN, {}));
  EXPECT_FALSE(within_tolerance(kNaN, 1.0f, {1e30, 1e30}));
  EXPECT_FALSE(within_tolerance(1.0f, kNaN, {1e30, 1e30}));
  EXPECT_TRUE(within_tolerance(kInf, kInf, {}));
  EXPECT_TRUE(within_tolerance(-kInf, -kInf, {}));
  EXPECT_FALSE(within_tolerance(kInf, -kInf, {1e30, 1e30}));
  EXPECT_FALSE(within_tolerance(3e38f, kInf, {1e30, 1e30}));
}

TEST(CompareValues, CountsAndRanksTheWorstValues) {
  const Tensor expected = vec({1, 2, 3, 4, 5, 6, 0});
  const Tensor actual = vec({1, 2.375f, 3, 3, 5.25f, kNaN, 0.125f});
  const ValueComparison c = compare_values(expected, actual, {0.2, 0.0}, 3);
  EXPECT_EQ(c.compared, 7);
  EXPECT_EQ(c.out_of_tolerance, 4);  // 2.375, 3 (for 4), 5.25, NaN; 0.125 is within 0.2
  EXPECT_EQ(c.nan_mismatches, 1);
  EXPECT_DOUBLE_EQ(c.max_abs_error, 1.0);
  EXPECT_EQ(c.max_abs_index, 3);
  EXPECT_DOUBLE_EQ(c.max_rel_error, 0.25);  // 1/4; the element with expected 0 has no relative error
  EXPECT_EQ(c.max_rel_index, 3);
  ASSERT_EQ(c.worst.size(), 3u);
  EXPECT_EQ(c.worst[0].index, 5);  // NaN first
  EXPECT_TRUE(std::isinf(c.worst[0].excess));
  EXPECT_EQ(c.worst[1].index, 3);
  EXPECT_EQ(c.worst[2].index, 1);
  EXPECT_FLOAT_EQ(c.worst[2].actual, 2.375f);
  EXPECT_FLOAT_EQ(c.worst[2].expected, 2.0f);
}

TEST(CompareValues, TiesKeepTheLowerIndexAndNoneOutMeansEmptyWorst) {
  const ValueComparison ties = compare_values(vec({0, 0, 0, 0}), vec({1, 0, 1, 1}), {0.0, 0.0}, 2);
  EXPECT_EQ(ties.out_of_tolerance, 3);
  ASSERT_EQ(ties.worst.size(), 2u);
  EXPECT_EQ(ties.worst[0].index, 0);
  EXPECT_EQ(ties.worst[1].index, 2);
  EXPECT_EQ(ties.max_rel_index, -1);  // every expected value is 0

  const ValueComparison same = compare_values(vec({kNaN, kInf, 1}), vec({kNaN, kInf, 1}), {0.0, 0.0}, 5);
  EXPECT_EQ(same.out_of_tolerance, 0);
  EXPECT_EQ(same.nan_mismatches, 0);
  EXPECT_TRUE(same.worst.empty());
  EXPECT_DOUBLE_EQ(same.max_abs_error, 0.0);
}

TEST(CompareValues, RefusesDifferentSizes) {
  EXPECT_THROW(compare_values(vec({1, 2}), vec({1}), {}, 1), Error);
}

}  // namespace
}  // namespace voxconv::pipeline
