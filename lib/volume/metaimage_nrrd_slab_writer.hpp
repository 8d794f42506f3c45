#pragma once
// Internal to lib/volume: uncompressed MetaImage (.mha, .mhd) and NRRD (.nrrd, .nhdr) outputs
// written in slabs. Both formats store the values as the (1, Z, Y, X, C) tensor holds them
// (components interleaved, then x, y, z), after a text header or in a detached data file, so a
// slab of planes is one contiguous run of bytes. The header is the one ITK 5.2 writes for the
// same geometry and component count (learnt from a 1x1x1 image, itk_template.hpp) with the
// sizes, and a detached header's data file name, changed: the files equal write_volume's byte
// for byte. A detached header's values go where ITK puts them: "<stem>.raw" beside `path`.
#include <memory>
#include <string>

#include "core/geometry.hpp"
#include "core/tensor.hpp"
#include "volume/slab_writer.hpp"

namespace voxconv::volume::detail {

// `zyxc` is (1, Z, Y, X, C) with every size >= 1. Throws ErrorKind::volume_write naming `path`.
std::unique_ptr<SlabWriter> open_metaimage_slab_writer(const std::string& path, const Dims& zyxc,
                                                       const Geometry& geometry);
std::unique_ptr<SlabWriter> open_nrrd_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry);

}  // namespace voxconv::volume::detail
