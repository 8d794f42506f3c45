#include "volume/raw_convert.hpp"

#include <algorithm>
#include <cstring>

namespace voxconv::volume::detail {
namespace {

template <typename T>
T load(const unsigned char* src, bool swap) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, src, sizeof(T));
  if (swap) std::reverse(bytes, bytes + sizeof(T));
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

template <typename T>
void convert_as(const unsigned char* src, float* dst, size_t n, bool swap) {
  for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(load<T>(src + i * sizeof(T), swap));
}

}  // namespace

bool host_is_little_endian() {
  const uint16_t probe = 1;
  unsigned char first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;  // signed zero
    } else {        // subnormal: shift until the implicit bit appears
      uint32_t e = 0;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        ++e;
      }
      bits = sign | ((127 - 15 + 1 - e) << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / NaN
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

void convert_to_float(const ScalarType& t, const unsigned char* src, float* dst, size_t n) {
  switch (t.kind) {
    case ScalarKind::boolean:
      for (size_t i = 0; i < n; ++i) dst[i] = src[i] != 0 ? 1.0f : 0.0f;
      return;
    case ScalarKind::signed_int:
      switch (t.size) {
        case 1:
          return convert_as<int8_t>(src, dst, n, false);
        case 2:
          return convert_as<int16_t>(src, dst, n, t.swap);
        case 4:
          return convert_as<int32_t>(src, dst, n, t.swap);
        default:
          return convert_as<int64_t>(src, dst, n, t.swap);
      }
    case ScalarKind::unsigned_int:
      switch (t.size) {
        case 1:
          return convert_as<uint8_t>(src, dst, n, false);
        case 2:
          return convert_as<uint16_t>(src, dst, n, t.swap);
        case 4:
          return convert_as<uint32_t>(src, dst, n, t.swap);
        default:
          return convert_as<uint64_t>(src, dst, n, t.swap);
      }
    case ScalarKind::floating:
      switch (t.size) {
        case 2:
          for (size_t i = 0; i < n; ++i) dst[i] = half_to_float(load<uint16_t>(src + 2 * i, t.swap));
          return;
        case 4:
          return convert_as<float>(src, dst, n, t.swap);
        default:
          return convert_as<double>(src, dst, n, t.swap);
      }
  }
}

}  // namespace voxconv::volume::detail
