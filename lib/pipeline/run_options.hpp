#pragma once
// What every single-sample `voxconv run` takes, one layer or a whole model: the inputs,
// the output and how it is written, threads and engine.
#include <optional>
#include <string>
#include <vector>

#include "keras/layer_config.hpp"
#include "pipeline/axes.hpp"

namespace voxconv::pipeline {

struct VolumeRunOptions {
  std::string model_path;  // --model: a saved model (one layer's config and weights, or the network)
  std::vector<std::string> inputs;
  std::string output;
  int threads = 0;  // 0: all hardware threads
  AxisOrder axes = AxisOrder::zyx;
  bool split_channels = false;
  bool force = false;
  bool compress = false;
  std::optional<keras::KerasVersion> keras_version;
  bool reference_engine = false;  // the simple oracle instead of the fast engine
};

}  // namespace voxconv::pipeline
