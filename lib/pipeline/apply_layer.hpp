#pragma once
// `voxconv run`: load the layer once, read the input, convolve, write the outputs
// atomically. The only flow that touches files, engine and adapters together.
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "keras/layer_config.hpp"
#include "pipeline/axes.hpp"

namespace voxconv::pipeline {

struct RunOptions {
  std::string config_path;
  std::string weights_path;
  std::string model_path;  // --model: config and weights from one saved model (then `layer` picks the Conv3D)
  std::string layer;
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

struct RunResult {
  std::vector<std::string> outputs;
  Dims input_shape;   // Keras input array shape
  Dims output_shape;  // Keras output array shape
  double compute_seconds = 0.0;
  double gflops = 0.0;
  std::string engine;  // e.g. "avx512/oc" or "reference"
};

// Throws voxconv::Error; on any failure no output file exists or was changed.
RunResult run_layer(const RunOptions& options);

}  // namespace voxconv::pipeline
