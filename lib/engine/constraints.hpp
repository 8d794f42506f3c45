#pragma once
// Keras' weight constraints (keras/src/constraints/constraints.py; the same formulas in
// tf.keras 2.x and Keras 2.2.4), applied to a weight as the optimizer does after a
// training step. Norms are L2 norms over `axes`, kept per slice of the other axes:
//   max_norm      w * clip(n, 0, max_value) / (eps + n)
//   min_max_norm  w * (rate * clip(n, min_value, max_value) + (1 - rate) * n) / (eps + n)
//   unit_norm     w / (eps + n)
//   non_neg       w * (w >= 0)
// with eps = Keras' backend epsilon 1e-7. Computed in double, stored as float32.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/tensor.hpp"

namespace voxconv::engine {

constexpr double kKerasEpsilon = 1e-7;

enum class ConstraintKind { max_norm, min_max_norm, unit_norm, non_neg };

struct ConstraintSpec {
  ConstraintKind kind = ConstraintKind::non_neg;
  double max_value = 2.0;
  double min_value = 0.0;
  double rate = 1.0;
  // Axes the norm runs over, as Keras' `axis` (negative counts from the end);
  // nullopt = every axis (axis=None).
  std::optional<std::vector<int64_t>> axes = std::vector<int64_t>{0};
};

// The reduced axes for a weight of rank `rank`, normalized to 0..rank-1 and sorted.
// Throws ErrorKind::shape when an axis is out of range or repeated.
std::vector<size_t> constraint_axes(const ConstraintSpec& spec, size_t rank);

// Applies the constraint in place. Throws like constraint_axes.
void apply_constraint(const ConstraintSpec& spec, Tensor& w);

}  // namespace voxconv::engine
