#pragma once
// Inputs read a slab of z planes at a time, for runs whose memory limit does not hold the
// whole input: the planes come straight from the file, with the values and geometry
// read_volume gives.
#include <memory>
#include <string>

#include "core/geometry.hpp"
#include "core/tensor.hpp"

namespace voxconv::volume {

class SlabReader {
 public:
  virtual ~SlabReader() = default;
  // (1, Z, Y, X, C) of the whole volume, and its geometry (as read_volume gives them).
  virtual const Dims& dims() const = 0;
  virtual const Geometry& geometry() const = 0;
  // Planes [z0, z1) as (1, z1 - z0, Y, X, C). Throws ErrorKind::volume_read naming the file.
  virtual Tensor read(int64_t z0, int64_t z1) = 0;
};

// A reader when the file allows one: NIfTI (1 or 2) without intensity scaling, plain
// `.nii`, or `.nii.gz` with one channel (gzip is read forward only). nullptr otherwise:
// the caller reads the volume whole. Throws ErrorKind::volume_read for unreadable files.
std::unique_ptr<SlabReader> open_volume_slab_reader(const std::string& path);

}  // namespace voxconv::volume
