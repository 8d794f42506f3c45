#include "engine/counter_rng.hpp"

#include <cmath>

namespace voxconv::engine {

namespace {

constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;   // Philox multipliers
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // key schedule increments

// 53 bits from two words -> [0, 1).
double to_unit(uint32_t hi, uint32_t lo) noexcept {
  const uint64_t bits = ((static_cast<uint64_t>(hi) << 32) | lo) >> 11;
  return static_cast<double>(bits) * 0x1.0p-53;
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) noexcept {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k[0] += kWeyl0;
      k[1] += kWeyl1;
    }
    const uint64_t p0 = static_cast<uint64_t>(kMul0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kMul1) * c[2];
    const auto hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const auto hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
  }
  return c;
}

std::array<uint32_t, 4> CounterRng::block(uint64_t index, uint32_t attempt) const noexcept {
  return philox4x32_10({static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), stream_, attempt},
                       {static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32)});
}

double CounterRng::uniform(uint64_t index, uint32_t attempt) const noexcept {
  const auto b = block(index, attempt);
  return to_unit(b[0], b[1]);
}

double CounterRng::normal(uint64_t index, uint32_t attempt) const noexcept {
  const auto b = block(index, attempt);
  const double u1 = 1.0 - to_unit(b[0], b[1]);  // (0, 1]: log(u1) is finite
  const double u2 = to_unit(b[2], b[3]);
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

double CounterRng::truncated_normal(uint64_t index) const noexcept {
  // P(|z| > 2) = 4.55%: 2^32 attempts never run out in practice; the cap keeps the loop finite.
  for (uint32_t attempt = 0;; ++attempt) {
    const double z = normal(index, attempt);
    if (std::fabs(z) <= 2.0 || attempt == UINT32_MAX) return std::fabs(z) <= 2.0 ? z : 0.0;
  }
}

}  // namespace voxconv::engine
