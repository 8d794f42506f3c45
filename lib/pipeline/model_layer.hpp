#pragma once
// One Conv3D layer taken out of a whole saved model (`--model MODEL --layer NAME`), ready
// for the single-layer run and info flows.
#include <optional>
#include <string>

#include "keras/model_file.hpp"
#include "pipeline/layer_loader.hpp"

namespace voxconv::pipeline {

// `layer` names the Conv3D; when empty the model must hold exactly one. Throws
// voxconv::Error naming the model file (no such layer, not a Conv3D, weights that do
// not fit its config).
LoadedLayer load_model_layer(const keras::ModelFile& model, const std::string& layer,
                             std::optional<keras::KerasVersion> forced_version);

}  // namespace voxconv::pipeline
