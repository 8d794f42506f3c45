#pragma once
// The layer's `losses`: weight regularizer penalties on the loaded weights (for `info`) and
// the activity regularizer's penalty on a produced output (for `run`), computed in double
// (engine/regularizers) under the Keras version's rules:
//   * weight penalties: tf.keras 2.x adds one per regularized weight whatever `trainable`;
//     Keras 3 takes them from trainable_weights only, so a trainable=false layer has none;
//   * activity penalty: tf.keras 2.x and Keras >= 3.14 divide regularizer(output) by the
//     batch size; Keras 2.2.4 and Keras 3.0-3.13 report the undivided sum (both are given).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/layer_loader.hpp"

namespace voxconv::pipeline {

struct WeightPenalty {
  std::string key;           // "kernel_regularizer" / "bias_regularizer"
  std::string regularizer;   // "L2(l2=0.01)"
  std::string weight;        // Keras' weight name
  std::optional<double> value;  // nullopt when Keras would not compute it (see note)
  std::string note;          // why there is no value, else ""
};

// One entry per configured weight regularizer, kernel first. Values need loaded weights.
std::vector<WeightPenalty> weight_penalties(const LoadedLayer& layer);

struct ActivityPenalty {
  std::string regularizer;  // "L1(l1=0.01)"
  double sum = 0.0;         // regularizer(output) over the whole batch
  int64_t batch = 1;
  double value = 0.0;       // sum / batch: tf.keras 2.x, Keras >= 3.14
};

// Throws ErrorKind::config when Keras could not call the layer with this regularizer
// (OrthogonalRegularizer needs a rank-2 output). Call it before computing anything.
void check_activity_regularizer(const keras::LayerConfig& config);

// nullopt when the layer has no activity regularizer. `output` is the layer's output
// (any layout: the penalty sums over every element); its first dimension is the batch.
std::optional<ActivityPenalty> activity_penalty(const keras::LayerConfig& config, const Tensor& output);

}  // namespace voxconv::pipeline
