#pragma once
// Internal to lib/volume: the header bytes ITK 5.2 writes, learnt from a tiny file ITK writes.
// Writers that produce ITK's files without ITK (streamed NIfTI, slab writers) take ITK's header
// for the same geometry and component count from a 1x1x1 image and change only its sizes (and
// a detached header's data file name), so the header matches ITK's byte for byte.
#include <string>

#include "core/geometry.hpp"
#include "core/tensor.hpp"

namespace voxconv::volume::detail {

struct ItkTemplate {
  std::string stem;       // the scratch file's name without the extension (a detached header names "<stem>.raw")
  std::string bytes;      // everything ITK wrote to it (header and the 1x1x1 image's values)
  std::string companion;  // a detached header's data file, read back too ("" when ITK wrote none)
};

// Writes a 1x1x1 image of `channels` float32 components with `geometry` through ITK to a fresh
// scratch name ending in `extension` (e.g. ".mhd": the same spelling as the real output, so ITK
// takes the same decisions), beside `path` or in the temporary folder when that folder is
// read-only, reads it back and removes it with its "<stem>.raw" companion. Throws
// ErrorKind::volume_write naming `path`.
ItkTemplate itk_template(const std::string& path, const std::string& extension, int64_t channels,
                         const Geometry& geometry);

// write_volume through ITK alone, for every format and component count (defined in
// volume_itk.cpp): the source of the templates above, and the reference in tests.
void write_volume_itk(const std::string& path, const Tensor& zyxc, const Geometry& geometry, bool compress);

}  // namespace voxconv::volume::detail
