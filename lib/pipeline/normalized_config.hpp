#pragma once
// `voxconv config`: the layer's get_config() as the chosen Keras version writes it, every
// key present and defaults filled in (keras/config_writer).
#include <string>

#include "pipeline/layer_loader.hpp"

namespace voxconv::pipeline {

struct NormalizedConfigOptions {
  // weights_path optional: it only helps to detect the version the config was written by;
  // forced_version is the version to write (default: the detected one).
  LayerSource source;
  bool serialized = false;  // keras.layers.serialize() form instead of the bare dict
};

struct NormalizedConfig {
  std::string json;  // pretty-printed
  keras::VersionDecision version;
};

// Throws voxconv::Error naming the config file.
NormalizedConfig normalized_config(const NormalizedConfigOptions& options);

}  // namespace voxconv::pipeline
