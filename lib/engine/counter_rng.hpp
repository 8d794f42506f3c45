#pragma once
// voxconv's random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC 2011), a counter-based generator. A value is a pure function of
// (seed, stream, index, attempt), so results never depend on call order or thread count
// and any element can be recomputed alone. Keras' own random streams (TensorFlow, JAX,
// PyTorch or NumPy generators behind `keras.random`) cannot be reproduced: voxconv
// matches Keras' distributions, not its values.
#include <array>
#include <cstdint>

namespace voxconv::engine {

// One Philox4x32 block with 10 rounds (the Random123 reference algorithm).
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key) noexcept;

// Draws for one tensor: key = seed, counter = (index low, index high, stream, attempt).
// `stream` separates tensors drawn with the same seed (kernel 0, bias 1); `attempt`
// numbers redraws (truncated normal).
class CounterRng {
 public:
  CounterRng(uint64_t seed, uint32_t stream) noexcept : seed_(seed), stream_(stream) {}

  // Uniform in [0, 1) with 53 random bits, from the first two words of the block.
  double uniform(uint64_t index, uint32_t attempt = 0) const noexcept;
  // Standard normal by the Box-Muller transform of the block's two 53-bit uniforms.
  double normal(uint64_t index, uint32_t attempt = 0) const noexcept;
  // Standard normal redrawn (attempt 0, 1, ...) until |z| <= 2, as Keras' truncated_normal
  // ("values more than two standard deviations from the mean are discarded and re-drawn").
  double truncated_normal(uint64_t index) const noexcept;

 private:
  std::array<uint32_t, 4> block(uint64_t index, uint32_t attempt) const noexcept;
  uint64_t seed_;
  uint32_t stream_;
};

}  // namespace voxconv::engine
