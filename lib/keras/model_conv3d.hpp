#pragma once
// One Conv3D layer of a saved model: its config parsed, its weights read and checked
// against it, and the Keras version whose rules apply.
#include <optional>
#include <string>

#include "keras/layer_config.hpp"
#include "keras/model_file.hpp"
#include "keras/weights_hdf5.hpp"

namespace voxconv::keras {

struct ModelConv3d {
  LayerConfig config;
  LayerWeights weights;
  VersionDecision version;
};

// Throws voxconv::Error naming the model file and the layer when its config is invalid,
// its weights are missing or do not fit.
ModelConv3d load_model_conv3d(const ModelFile& model, const ModelLayer& layer, std::optional<KerasVersion> forced);

// "<model path>, layer \"<name>\"": how messages name one layer of a model.
std::string model_layer_source(const std::string& model_path, const std::string& layer);

}  // namespace voxconv::keras
