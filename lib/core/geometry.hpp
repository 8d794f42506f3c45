#pragma once
// Physical placement of a volume, in ITK's index order (x, y, z): voxel index i maps to
// the point origin + direction * (spacing .* i). Plain arrays, no ITK types.
#include <array>
#include <string>

namespace voxconv {

struct Geometry {
  std::array<double, 3> spacing{1.0, 1.0, 1.0};
  std::array<double, 3> origin{0.0, 0.0, 0.0};
  // Row-major 3x3; column j is the direction of index axis j.
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};
};

// Per index axis (x, y, z): the stride of the output grid and the continuous input
// index of the first output voxel (its receptive-field centre).
struct GridShift {
  std::array<double, 3> stride{1, 1, 1};
  std::array<double, 3> first_index{0, 0, 0};
};

// Geometry of a feature volume computed from `in`: spacing multiplied by the stride,
// direction kept, origin moved to the physical point of first_index. Pure.
Geometry shifted_geometry(const Geometry& in, const GridShift& shift);

std::string to_string(const Geometry& g);

}  // namespace voxconv
