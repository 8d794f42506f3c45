#pragma once
// `voxconv info`: what the layer is, what it turns an input into, what it costs
// (count_params, FLOPs) and which weights it holds, as text or JSON.
#include <optional>
#include <string>
#include <vector>

#include "pipeline/layer_loader.hpp"

namespace voxconv::pipeline {

struct SummaryOptions {
  LayerSource source;
  // Spatial sizes and channels (D, H, W, C); unknown entries stay std::nullopt.
  std::optional<std::vector<int64_t>> input_shape;
};

// Parses "D,H,W,C" (each a positive integer). Throws ErrorKind::usage.
std::vector<int64_t> parse_input_shape(const std::string& text);

struct LayerSummaryText {
  std::string text;
  std::string json;  // one JSON object, pretty-printed
};

// Throws voxconv::Error.
LayerSummaryText summarize_layer(const SummaryOptions& options);

}  // namespace voxconv::pipeline
