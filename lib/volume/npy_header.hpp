#pragma once
// Internal to lib/volume: the .npy header write_npy writes, shared with the slab writer.
#include <string>

#include "core/tensor.hpp"

namespace voxconv::volume::detail {

// Magic, version 1.0 and the dict numpy.save writes for a little-endian float32 C-order
// array of `dims`, padded to 64 bytes. Throws ErrorKind::volume_write naming `path`.
std::string npy_float32_header(const std::string& path, const Dims& dims);

}  // namespace voxconv::volume::detail
