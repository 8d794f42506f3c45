#pragma once
// Internal to lib/volume: the .npy header write_npy writes, shared with the slab writer.
#include <string>

#include "core/tensor.hpp"

namespace voxconv::volume::detail {

// Magic, version 1.0 and the dict numpy.save writes for a C-order array of `dims` with
// element type `descr` ('<f4', '|u1', '<u2'), padded to 64 bytes. Throws
// ErrorKind::volume_write naming `path`.
std::string npy_header(const std::string& path, const std::string& descr, const Dims& dims);

}  // namespace voxconv::volume::detail
