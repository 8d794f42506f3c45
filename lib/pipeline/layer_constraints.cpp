#include "pipeline/layer_constraints.hpp"

#include "core/error.hpp"
#include "engine/constraints.hpp"

namespace voxconv::pipeline {

namespace {

std::string where(const keras::LayerConfig& config, const char* key) { return config.source + ": \"" + key + "\""; }

}  // namespace

void check_constraints(const keras::LayerConfig& config) {
  if (!config.kernel_constraint.empty()) keras::constraint_spec(config.kernel_constraint, 5, where(config, "kernel_constraint"));
  if (!config.bias_constraint.empty() && config.use_bias)
    keras::constraint_spec(config.bias_constraint, 1, where(config, "bias_constraint"));
}

std::vector<std::string> apply_constraints(LoadedLayer& layer) {
  if (!layer.weights) throw Error(ErrorKind::internal, "apply_constraints needs loaded weights");
  const keras::LayerConfig& cfg = layer.config;
  check_constraints(cfg);
  const auto names = keras::keras_weight_names(cfg, layer.version.version);
  std::vector<std::string> lines;
  const auto apply = [&](const keras::KerasObject& constraint, const char* key, Tensor& weight, const std::string& name) {
    if (constraint.empty()) return;
    if (!cfg.trainable) {
      lines.push_back(name + ": " + keras::describe(constraint) +
                      " not applied: the layer is not trainable, and Keras constrains trainable weights only");
      return;
    }
    engine::apply_constraint(keras::constraint_spec(constraint, weight.rank(), where(cfg, key)), weight);
    lines.push_back(name + ": applied " + keras::describe(constraint));
  };
  apply(cfg.kernel_constraint, "kernel_constraint", layer.weights->kernel, names[0]);
  if (cfg.use_bias && !layer.weights->bias.empty()) apply(cfg.bias_constraint, "bias_constraint", layer.weights->bias, names[1]);
  return lines;
}

}  // namespace voxconv::pipeline
