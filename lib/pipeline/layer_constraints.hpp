#pragma once
// `run --apply-constraints`: the layer's kernel_constraint and bias_constraint applied to
// the loaded weights as Keras' optimizer applies them after a training step
// (var.assign(var.constraint(var)) for each trainable variable with a constraint), using
// engine/constraints. A non-trainable layer's weights are left as they are, as in Keras.
#include <string>
#include <vector>

#include "pipeline/layer_loader.hpp"

namespace voxconv::pipeline {

// Checks every constraint against its weight's rank (axis in range, RadialConstraint only
// on 4-D weights). Throws ErrorKind::config naming the config file and key.
void check_constraints(const keras::LayerConfig& config);

// Applies the constraints in place; returns one line per weight changed or left alone.
std::vector<std::string> apply_constraints(LoadedLayer& layer);

}  // namespace voxconv::pipeline
