#pragma once
// Whether a Conv3D's weights fit its config: kernel spatial size and filters, bias
// presence and length. Shared by the single-layer and whole-model flows.
#include "keras/layer_config.hpp"
#include "keras/weights_hdf5.hpp"

namespace voxconv::keras {

// Throws ErrorKind::shape naming the weights file, the dataset and the config's source.
void check_weights_fit(const LayerConfig& config, const LayerWeights& weights);

}  // namespace voxconv::keras
