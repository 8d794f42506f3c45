#include "engine/constraints.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"

namespace voxconv::engine {
namespace {

constexpr double kEps = 1e-7;  // Keras' backend.epsilon()

// A (2, 3) weight: rows (3, 4, 0) and (0, -6, 8); columns (3, 0), (4, -6), (0, 8).
Tensor weight() { return Tensor({2, 3}, {3, 4, 0, 0, -6, 8}); }

ConstraintSpec spec(ConstraintKind kind, std::optional<std::vector<int64_t>> axes) {
  ConstraintSpec s;
  s.kind = kind;
  s.axes = std::move(axes);
  return s;
}

TEST(Constraints, MaxNormScalesSlicesAboveTheMaximumOnly) {
  Tensor w = weight();
  ConstraintSpec s = spec(ConstraintKind::max_norm, std::vector<int64_t>{1});  // norms of rows: 5, 10
  s.max_value = 6.0;
  apply_constraint(s, w);
  const double f0 = 5.0 / (kEps + 5.0), f1 = 6.0 / (kEps + 10.0);
  const std::vector<double> want{3 * f0, 4 * f0, 0, 0, -6 * f1, 8 * f1};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(w.values()[i], static_cast<float>(want[i])) << i;
}

TEST(Constraints, DefaultAxisZeroNormsRunDownTheFirstAxis) {
  Tensor w = weight();
  ConstraintSpec s = spec(ConstraintKind::unit_norm, std::vector<int64_t>{0});  // column norms 3, sqrt(52), 8
  apply_constraint(s, w);
  const double n1 = std::sqrt(52.0);
  EXPECT_FLOAT_EQ(w.values()[0], static_cast<float>(3 / (kEps + 3)));
  EXPECT_FLOAT_EQ(w.values()[1], static_cast<float>(4 / (kEps + n1)));
  EXPECT_FLOAT_EQ(w.values()[4], static_cast<float>(-6 / (kEps + n1)));
  EXPECT_FLOAT_EQ(w.values()[5], static_cast<float>(8 / (kEps + 8)));
}

TEST(Constraints, MinMaxNormBlendsByRate) {
  Tensor w = weight();
  ConstraintSpec s = spec(ConstraintKind::min_max_norm, std::vector<int64_t>{-1});  // rows: 5, 10
  s.min_value = 6.0;
  s.max_value = 8.0;
  s.rate = 0.25;
  apply_constraint(s, w);
  const double d0 = 0.25 * 6 + 0.75 * 5, d1 = 0.25 * 8 + 0.75 * 10;
  EXPECT_FLOAT_EQ(w.values()[1], static_cast<float>(4 * d0 / (kEps + 5)));
  EXPECT_FLOAT_EQ(w.values()[5], static_cast<float>(8 * d1 / (kEps + 10)));
}

TEST(Constraints, AxisNoneIsTheWholeTensorAndAZeroSliceStaysZero) {
  Tensor w = weight();
  apply_constraint(spec(ConstraintKind::unit_norm, std::nullopt), w);  // norm sqrt(125)
  EXPECT_FLOAT_EQ(w.values()[5], static_cast<float>(8 / (kEps + std::sqrt(125.0))));
  Tensor z({2, 2});
  apply_constraint(spec(ConstraintKind::unit_norm, std::vector<int64_t>{0}), z);
  for (const float v : z.values()) EXPECT_EQ(v, 0.0f);  // 0 / (eps + 0)
}

TEST(Constraints, NonNegZeroesNegativesOnly) {
  Tensor w = weight();
  apply_constraint(spec(ConstraintKind::non_neg, std::vector<int64_t>{0}), w);
  EXPECT_EQ(w.values(), (FloatVector{3, 4, 0, 0, 0, 8}));
}

TEST(Constraints, KernelAxesOfAFiveDimensionalWeight) {
  // Norm over (kd, kh, kw, in) per filter: each filter ends with norm <= max_value.
  Tensor w({2, 2, 2, 3, 4});
  for (int64_t i = 0; i < w.size(); ++i) w.data()[i] = static_cast<float>((i * 7) % 11) - 5.0f;
  ConstraintSpec s = spec(ConstraintKind::max_norm, std::vector<int64_t>{0, 1, 2, 3});
  s.max_value = 1.5;
  apply_constraint(s, w);
  for (int64_t f = 0; f < 4; ++f) {
    double sq = 0;
    for (int64_t i = f; i < w.size(); i += 4) sq += static_cast<double>(w.data()[i]) * w.data()[i];
    EXPECT_NEAR(std::sqrt(sq), 1.5, 1e-5) << f;
  }
}

TEST(Constraints, OutOfRangeOrRepeatedAxesAreRefused) {
  Tensor bias({4});
  EXPECT_THROW(apply_constraint(spec(ConstraintKind::max_norm, std::vector<int64_t>{1}), bias), Error);
  EXPECT_THROW(apply_constraint(spec(ConstraintKind::max_norm, std::vector<int64_t>{-2}), bias), Error);
  Tensor k({2, 2, 2, 1, 1});
  EXPECT_THROW(apply_constraint(spec(ConstraintKind::max_norm, std::vector<int64_t>{0, -5}), k), Error);
  EXPECT_EQ(constraint_axes(spec(ConstraintKind::max_norm, std::vector<int64_t>{-1, 0}), 5), (std::vector<size_t>{0, 4}));
}

}  // namespace
}  // namespace voxconv::engine
