#pragma once
// `voxconv init`: the layer's build() from its initializers. Creates kernel and bias with
// the config's kernel_initializer / bias_initializer for an input of the given shape and
// writes them in a layout Keras' load_weights reads (keras/weights_writer). Values come
// from voxconv's counter-based generator (engine/counter_rng): the same seed gives the
// same bytes; Keras' own random stream is not reproduced, only its distributions.
#include <cstdint>
#include <string>
#include <vector>

#include "keras/weights_hdf5.hpp"
#include "pipeline/layer_loader.hpp"

namespace voxconv::pipeline {

struct InitOptions {
  LayerSource source;                // weights_path must be empty
  std::vector<int64_t> input_shape;  // D, H, W, C
  uint64_t seed = 0;
  std::string output;                // *.h5 / *.hdf5 (Keras 2 layout) or *.weights.h5 (Keras 3)
  bool force = false;
};

struct InitializedWeight {
  std::string keras_name;    // "conv3d/kernel:0" or "kernel"
  std::string dataset;       // where it is in the file
  Dims shape;
  std::string initializer;   // "GlorotUniform(seed=None)"
  std::string distribution;  // "uniform in [-0.1143, 0.1143] (fan_in 27, fan_out 432)"
  uint64_t key = 0;          // the generator key used (the initializer's own seed, else --seed)
  uint32_t stream = 0;       // 0 kernel, 1 bias
};

struct InitResult {
  std::string output;
  keras::WeightsLayout layout = keras::WeightsLayout::keras2_weights;
  keras::VersionDecision version;
  std::vector<InitializedWeight> weights;
};

// Throws voxconv::Error; on failure nothing is written and an existing output is untouched.
InitResult init_weights(const InitOptions& options);

// Parses --seed: a non-negative integer below 2^64. Throws ErrorKind::usage.
uint64_t parse_seed(const std::string& text);

}  // namespace voxconv::pipeline
