#pragma once
// Keras' L1/L2 weight and activity penalties, computed in double on float32 tensors.
// L1(l1) = l1 * sum|x|, L2(l2) = l2 * sum x^2, L1L2 = both (keras/src/regularizers).
#include "core/tensor.hpp"

namespace voxconv::engine {

struct L1L2Penalty {
  double l1 = 0.0;
  double l2 = 0.0;
};

// l1 * sum|x| + l2 * sum x^2 over every element, accumulated in double.
double regularization_penalty(const L1L2Penalty& penalty, const Tensor& x);

}  // namespace voxconv::engine
