#pragma once
// `voxconv info --model MODEL` without --layer: every layer of a saved model (class,
// name, input and output shapes, parameters) and what voxconv can run of it.
#include <optional>
#include <string>

#include "keras/layer_config.hpp"
#include "pipeline/layer_summary.hpp"

namespace voxconv::pipeline {

// Throws voxconv::Error naming the file when it is not a readable model.
LayerSummaryText summarize_model(const std::string& model_path, std::optional<keras::KerasVersion> forced_version);

}  // namespace voxconv::pipeline
