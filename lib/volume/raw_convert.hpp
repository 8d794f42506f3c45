#pragma once
// Internal to lib/volume: raw scalars of any byte order -> float32, shared by the .npy
// reader and the direct NIfTI reader.
#include <cstddef>
#include <cstdint>

namespace voxconv::volume::detail {

enum class ScalarKind { boolean, signed_int, unsigned_int, floating };

struct ScalarType {
  ScalarKind kind = ScalarKind::floating;
  size_t size = 4;    // bytes: 1, 2, 4 or 8 (floating: 2, 4 or 8; boolean: 1)
  bool swap = false;  // stored in the other byte order than the host's
};

bool host_is_little_endian();

float half_to_float(uint16_t bits);

// dst[i] = value of the i-th element of src, for n elements.
void convert_to_float(const ScalarType& type, const unsigned char* src, float* dst, size_t n);

}  // namespace voxconv::volume::detail
