#pragma once
// The layer's output array -> files: the exact Keras array as .npy, or a feature volume
// (multi-component, or one file per filter) physically aligned with the input.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/geometry.hpp"
#include "core/tensor.hpp"
#include "engine/conv3d_params.hpp"
#include "pipeline/axes.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::pipeline {

struct OutputRequest {
  std::string path;
  bool split_channels = false;
  bool compress = false;        // NRRD/MetaImage: compress (.nii.gz always is)
  int compression_level = -1;   // zlib 0..9 for what is compressed; -1: the writer's default
  AxisOrder axes = AxisOrder::zyx;
  bool channels_first = false;
};

// How the request's volumes are compressed.
volume::WriteOptions write_options(const OutputRequest& request);

// "out/feat.nii.gz" -> {"out/feat", ".nii.gz"}: the last extension, or the last two when
// the last is ".gz".
std::pair<std::string, std::string> split_extension(const std::string& path);

// The files a request will produce, known before any computing: used to refuse
// existing outputs up front ("out.h5" for an HDF5 output "out.h5:/features"). Throws
// ErrorKind::usage for unsupported names/combinations.
std::vector<std::string> planned_output_paths(const OutputRequest& request, int64_t filters);

// Geometry of the feature volume: spacing * stride, direction kept, origin at the
// centre of the first output voxel's receptive field. Pure.
Geometry output_geometry(const Geometry& input, const engine::Conv3dParams& params, const engine::ConvPlan& plan,
                         AxisOrder axes);

// Writes `ndhwc` (N, dim1, dim2, dim3, F) to `staged_paths` (same order as
// planned_output_paths). Takes the array by value so that the common case (zyx axes,
// channels_last) writes the engine's buffer without a copy. Throws voxconv::Error.
void write_layer_output(const OutputRequest& request, Tensor ndhwc, const Geometry& geometry,
                        const std::vector<std::string>& staged_paths);

}  // namespace voxconv::pipeline
