#include "pipeline/layer_losses.hpp"

#include "core/error.hpp"
#include "engine/regularizers.hpp"

namespace voxconv::pipeline {

std::vector<WeightPenalty> weight_penalties(const LoadedLayer& layer) {
  const keras::LayerConfig& cfg = layer.config;
  const auto names = keras::keras_weight_names(cfg, layer.version.version);
  std::vector<WeightPenalty> out;
  const auto add = [&](const keras::KerasObject& regularizer, const char* key, size_t index, const Tensor* weight,
                       size_t rank) {
    if (regularizer.empty()) return;
    WeightPenalty p{key, keras::describe(regularizer), index < names.size() ? names[index] : "", std::nullopt, ""};
    if (index >= names.size()) {
      p.note = "use_bias is false: no bias to regularize";
    } else if (!cfg.trainable && layer.version.version == keras::KerasVersion::keras3) {
      p.note = "Keras 3 regularizes trainable weights only and the layer is not trainable";
    } else if (!weight) {
      p.note = "needs --weights";
    } else {
      try {
        p.value = engine::regularization_penalty(keras::regularizer_penalty(regularizer, rank, cfg.source + ": \"" + key + "\""),
                                                 *weight);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::config) throw;
        p.note = e.what();
      }
    }
    out.push_back(p);
  };
  add(cfg.kernel_regularizer, "kernel_regularizer", 0, layer.weights ? &layer.weights->kernel : nullptr, 5);
  add(cfg.bias_regularizer, "bias_regularizer", 1, layer.weights ? &layer.weights->bias : nullptr, 1);
  return out;
}

void check_activity_regularizer(const keras::LayerConfig& config) {
  if (!config.activity_regularizer.empty())
    keras::regularizer_penalty(config.activity_regularizer, 5, config.source + ": \"activity_regularizer\"");
}

std::optional<ActivityPenalty> activity_penalty(const keras::LayerConfig& config, const Tensor& output) {
  if (config.activity_regularizer.empty()) return std::nullopt;
  const engine::L1L2Penalty factors =
      keras::regularizer_penalty(config.activity_regularizer, output.rank(), config.source + ": \"activity_regularizer\"");
  ActivityPenalty p;
  p.regularizer = keras::describe(config.activity_regularizer);
  p.sum = engine::regularization_penalty(factors, output);
  p.batch = output.rank() > 0 ? output.dim(0) : 1;
  p.value = p.batch > 0 ? p.sum / static_cast<double>(p.batch) : 0.0;  // divide_no_nan
  return p;
}

}  // namespace voxconv::pipeline
