#pragma once
// Input files -> the Keras input array (channels_last NDHWC) plus the geometry of the
// first volume.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/geometry.hpp"
#include "core/tensor.hpp"
#include "pipeline/axes.hpp"
#include "volume/slab_reader.hpp"

namespace voxconv::pipeline {

struct LayerInput {
  Tensor ndhwc;                       // (N, dim1, dim2, dim3, C)
  std::optional<Geometry> geometry;   // absent for .npy inputs
  std::string description;            // file names, for messages
};

// One .npy (the exact Keras input array, 5D or 4D without batch, laid out per
// data_format) or one or more volumes stacked as channels in order. Refuses
// non-finite values, naming the file. Throws voxconv::Error.
LayerInput read_layer_input(const std::vector<std::string>& paths, AxisOrder axes, bool channels_first);

// The input read a slab of planes at a time, when it can be: one NIfTI volume that
// volume::open_volume_slab_reader accepts, with --axes zyx (Keras dim1 = z, the file's
// slowest axis). nullptr otherwise. Its dims() are the Keras NDHWC input's.
std::unique_ptr<volume::SlabReader> open_streamed_input(const std::vector<std::string>& paths, AxisOrder axes);

// Planes [first, last) of a streamed input, refusing non-finite values as read_layer_input does.
Tensor read_input_planes(volume::SlabReader& reader, const std::string& path, int64_t first, int64_t last);

}  // namespace voxconv::pipeline
