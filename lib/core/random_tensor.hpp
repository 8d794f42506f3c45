#pragma once
// Tensors of uniform random values for benchmarks and `voxconv bench` (not for weight
// initializers: those follow Keras' distributions).
#include <cstdint>

#include "core/tensor.hpp"

namespace voxconv {

// Values uniform in [lo, hi), the same for a seed on every platform's std::mt19937.
Tensor random_uniform_tensor(const Dims& dims, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

}  // namespace voxconv
