#pragma once
// Input files -> the Keras input array (channels_last NDHWC) plus the geometry of the
// first volume.
#include <optional>
#include <string>
#include <vector>

#include "core/geometry.hpp"
#include "core/tensor.hpp"
#include "pipeline/axes.hpp"

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

}  // namespace voxconv::pipeline
