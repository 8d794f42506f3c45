#pragma once
// `voxconv run --model MODEL` without --layer: the whole network on a volume. Reads the
// model once, the input, scales it as asked, runs every layer (each intermediate freed
// after its last consumer) and writes the model's output, or its argmax labels,
// atomically, on the input's physical grid.
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "pipeline/run_options.hpp"

namespace voxconv::pipeline {

enum class Normalization { none, minmax, zscore };
Normalization parse_normalization(const std::string& text);  // "none", "minmax", "zscore"; throws ErrorKind::usage

struct ModelRunOptions : VolumeRunOptions {
  bool argmax = false;  // write the label of the largest output channel instead of the scores
  Normalization normalize = Normalization::none;
};

struct ModelRunResult {
  std::vector<std::string> outputs;
  Dims input_shape;   // Keras input array shape
  Dims output_shape;  // Keras output array shape (the scores, also with argmax)
  double compute_seconds = 0.0;
  int64_t peak_tensor_bytes = 0;  // largest sum of tensors the network held at once
};

// Throws voxconv::Error; on any failure no output file exists or was changed.
ModelRunResult run_model(const ModelRunOptions& options);

}  // namespace voxconv::pipeline
