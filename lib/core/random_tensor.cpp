#include "core/random_tensor.hpp"

#include <random>

namespace voxconv {

Tensor random_uniform_tensor(const Dims& dims, uint32_t seed, float lo, float hi) {
  Tensor t(dims);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(lo, hi);
  for (float& v : t.values()) v = uniform(rng);
  return t;
}

}  // namespace voxconv
