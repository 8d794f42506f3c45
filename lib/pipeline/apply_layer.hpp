#pragma once
// `voxconv run`: load the layer once, read the input, convolve, write the outputs
// atomically. The only flow that touches files, engine and adapters together.
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "keras/layer_config.hpp"
#include "pipeline/axes.hpp"
#include "pipeline/layer_losses.hpp"

namespace voxconv::pipeline {

struct RunOptions {
  std::string config_path;
  std::string weights_path;
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
  // Bytes the run may keep resident (--memory-limit); 0: default_memory_limit(). An output
  // that does not fit is computed and written in slabs of depth planes.
  int64_t memory_limit = 0;
  int64_t slab_planes = 0;  // > 0: slabs of this many output planes whatever the limit (--slab-planes)
  bool apply_constraints = false;  // kernel/bias constraints applied to the weights first (layer_constraints)
};

struct RunResult {
  std::vector<std::string> outputs;
  Dims input_shape;   // Keras input array shape
  Dims output_shape;  // Keras output array shape
  double compute_seconds = 0.0;
  double gflops = 0.0;
  std::string engine;  // e.g. "avx512/oc" or "reference"
  int64_t slabs = 0;    // output slabs when the output did not fit the memory limit, else 0
  std::vector<std::string> constraints_applied;          // one line per constrained weight
  std::optional<ActivityPenalty> activity_penalty;  // the activity regularizer's loss on the output
};

// Throws voxconv::Error; on any failure no output file exists or was changed.
RunResult run_layer(const RunOptions& options);

}  // namespace voxconv::pipeline
