#include "engine/regularizers.hpp"

#include <gtest/gtest.h>

namespace voxconv::engine {
namespace {

TEST(Regularizers, L1L2PenaltyIsTheWeightedSums) {
  const Tensor x({2, 2}, {1.5f, -2.0f, 0.25f, -0.5f});  // sum|x| = 4.25, sum x^2 = 6.5625
  EXPECT_DOUBLE_EQ(regularization_penalty({0.1, 0.0}, x), 0.1 * 4.25);
  EXPECT_DOUBLE_EQ(regularization_penalty({0.0, 0.01}, x), 0.01 * 6.5625);
  EXPECT_DOUBLE_EQ(regularization_penalty({0.1, 0.01}, x), 0.1 * 4.25 + 0.01 * 6.5625);
  EXPECT_DOUBLE_EQ(regularization_penalty({0.0, 0.0}, x), 0.0);
}

TEST(Regularizers, AccumulatesInDouble) {
  // 2^24 + 1 ones: a float32 sum would stop at 2^24.
  const Tensor x(Dims{(int64_t{1} << 24) + 1}, FloatVector((size_t{1} << 24) + 1, 1.0f));
  EXPECT_DOUBLE_EQ(regularization_penalty({1.0, 0.0}, x), 16777217.0);
}

}  // namespace
}  // namespace voxconv::engine
