#pragma once
// The adapter from a saved Keras model to a network of tensor ops: each Keras layer on
// the way from the input to the output becomes an op (Conv3D on the fast engine), with
// Keras' data_format and axis arguments resolved to the NDHWC layout the network uses.
// A ZeroPadding3D that pads exactly what 'same' would pads inside the following Conv3D,
// and an activation right after a Conv3D runs inside it: the result is the same, with
// one feature map less in memory and one pass less.
#include <optional>
#include <string>
#include <vector>

#include "keras/layer_config.hpp"
#include "keras/model_file.hpp"
#include "network/network.hpp"

namespace voxconv::keras {

struct NetworkOptions {
  std::optional<KerasVersion> forced_version;  // --keras
  bool reference_engine = false;               // Conv3D on the reference engine (the oracle)
  bool fuse = true;                            // fold padding and activations into Conv3D
};

struct ModelNetwork {
  network::Network network;
  bool channels_first = false;  // the model's data_format: how its input and output arrays are laid out
  std::string input_name;       // the InputLayer
  std::string output_name;      // the layer whose output is the model's
  Dims input_dims;              // NDHWC from the InputLayer's batch shape; network::kUnknown where not given
  std::vector<std::string> warnings;
};

// Throws voxconv::Error naming the file: the first layer on the way to the output that
// voxconv cannot run (its name and class), several inputs or outputs, layers that
// disagree on data_format, configs and weights that do not fit.
ModelNetwork build_model_network(const ModelFile& model, const NetworkOptions& options);

// One layer as `info --model` shows it.
struct LayerReport {
  std::string class_name, name;
  std::vector<std::string> inbound;
  std::optional<Dims> input_shape;   // Keras layout, batch first; network::kUnknown for None
  std::optional<Dims> output_shape;  // nullopt when it cannot be known (after a layer voxconv does not run)
  int64_t params = 0;                // values of its weights in the file
  bool runs = false;                 // voxconv has an op for it
  bool conv3d = false;               // `--layer NAME` runs it alone
  std::string note;                  // why it does not run
};

struct ModelReport {
  std::vector<LayerReport> layers;
  bool channels_first = false;
  int64_t total_params = 0;
  std::string whole_model_problem;  // empty when `run --model` runs the whole model
};

ModelReport describe_model(const ModelFile& model, const NetworkOptions& options);

}  // namespace voxconv::keras
