#pragma once
// A layer ready to run: config + weights read, checked against each other, and turned
// into engine parameters. Shared by `run`, `info` and `bench`.
#include <optional>
#include <string>

#include "engine/conv3d_params.hpp"
#include "keras/layer_config.hpp"
#include "keras/weights_hdf5.hpp"

namespace voxconv::pipeline {

struct LayerSource {
  std::string config_path;
  std::string weights_path;  // may be empty for `info`
  std::string layer;         // --layer, may be empty
  std::optional<keras::KerasVersion> forced_version;
  // --model: a whole saved model (Keras 2 .h5 or Keras 3 .keras) holding config and
  // weights; replaces config_path and weights_path. `layer` names its Conv3D.
  std::string model_path;
};

struct LoadedLayer {
  keras::LayerConfig config;
  std::optional<keras::LayerWeights> weights;
  keras::VersionDecision version;
  // Input channels when known (from the weights: kernel in-dim * groups), else 0.
  int64_t input_channels = 0;
  // Valid when input_channels > 0.
  engine::Conv3dParams params;
};

// Throws voxconv::Error naming the file when config and weights do not fit together.
LoadedLayer load_layer(const LayerSource& source);


// Engine parameters for a given channel count (used when no weights are given).
engine::Conv3dParams params_for_channels(const LoadedLayer& layer, int64_t input_channels);

// The convolution plan for an NDHWC input. A kernel that does not fit the input is the
// config's problem: the error names the config file and its keys.
engine::ConvPlan plan_for_input(const keras::LayerConfig& config, const engine::Conv3dParams& params,
                                const Dims& ndhwc);

}  // namespace voxconv::pipeline
