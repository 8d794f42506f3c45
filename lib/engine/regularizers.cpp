#include "engine/regularizers.hpp"

#include <cmath>

namespace voxconv::engine {

double regularization_penalty(const L1L2Penalty& penalty, const Tensor& x) {
  double abs_sum = 0.0, square_sum = 0.0;
  for (const float v : x.values()) {
    const double d = v;
    abs_sum += std::fabs(d);
    square_sum += d * d;
  }
  return penalty.l1 * abs_sum + penalty.l2 * square_sum;
}

}  // namespace voxconv::engine
