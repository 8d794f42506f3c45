#pragma once
// Internal to lib/volume: volumes as HDF5 datasets ("scan.h5:/path/to/dataset"); the
// conventions are in volume_io.hpp. read_volume and write_volume dispatch here.
#include <memory>
#include <string>

#include "volume/slab_writer.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::volume::detail {

// Throws ErrorKind::volume_read naming "FILE:/dataset": no such file, not HDF5, no such
// dataset, links that are not hard links, external or virtual storage, non-numeric types,
// ranks other than 3 and 4, malformed geometry attributes.
Volume read_hdf5_volume(const std::string& path);

// Writes a new file (replacing one that exists) holding the dataset, float32, 3-D for one
// channel else 4-D, with "spacing", "origin" and "direction" attributes. Expects a request
// write_volume has validated. Throws ErrorKind::volume_write; a partly written file is removed.
void write_hdf5_volume(const std::string& path, const Tensor& zyxc, const Geometry& geometry,
                       const WriteOptions& options);

// The same dataset written in blocks of planes (SlabWriter), always chunked: chunks are never
// deeper than `block_planes` and divide it when it is > 0 (blocks that start at its multiples
// then fill whole chunks; 0: blocks of any depth). gzip as write_hdf5_volume. The file is
// removed unless finish() completes. Throws ErrorKind::volume_write naming `path`.
std::unique_ptr<SlabWriter> open_hdf5_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry,
                                                  const WriteOptions& options, int64_t block_planes);

}  // namespace voxconv::volume::detail
