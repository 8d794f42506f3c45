#include "core/geometry.hpp"

#include <sstream>

namespace voxconv {

Geometry shifted_geometry(const Geometry& in, const GridShift& shift) {
  Geometry out = in;
  for (int j = 0; j < 3; ++j) out.spacing[j] = in.spacing[j] * shift.stride[j];
  for (int r = 0; r < 3; ++r) {
    double offset = 0.0;
    for (int j = 0; j < 3; ++j) offset += in.direction[r * 3 + j] * in.spacing[j] * shift.first_index[j];
    out.origin[r] = in.origin[r] + offset;
  }
  return out;
}

std::string to_string(const Geometry& g) {
  std::ostringstream out;
  out << "spacing [" << g.spacing[0] << ", " << g.spacing[1] << ", " << g.spacing[2] << "] origin [" << g.origin[0]
      << ", " << g.origin[1] << ", " << g.origin[2] << "] direction [";
  for (int i = 0; i < 9; ++i) out << (i ? ", " : "") << g.direction[i];
  out << ']';
  return out.str();
}

}  // namespace voxconv
