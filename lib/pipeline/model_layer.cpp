#include "pipeline/model_layer.hpp"

#include "core/error.hpp"

namespace voxconv::pipeline {

namespace {

bool is_conv3d(const keras::ModelLayer& layer) { return layer.class_name == "Conv3D"; }

std::string conv3d_names(const keras::ModelGraph& graph) {
  std::string names;
  int listed = 0;
  for (const keras::ModelLayer& layer : graph.layers) {
    if (!is_conv3d(layer)) continue;
    if (++listed > 20) return names + ", ...";
    names += (names.empty() ? "" : ", ") + layer.name;
  }
  return names.empty() ? "none" : names;
}

}  // namespace

std::string model_layer_source(const keras::ModelFile& model, const std::string& layer) {
  return model.path() + ", layer \"" + layer + "\"";
}

LoadedLayer load_model_layer(const keras::ModelFile& model, const std::string& layer_name,
                             std::optional<keras::KerasVersion> forced_version) {
  const keras::ModelGraph& graph = model.graph();
  const keras::ModelLayer* layer = nullptr;
  if (layer_name.empty()) {
    for (const keras::ModelLayer& candidate : graph.layers)
      if (is_conv3d(candidate)) {
        if (layer)
          throw Error(ErrorKind::usage, model.path() + ": the model holds several Conv3D layers; pick one with --layer (" +
                                            conv3d_names(graph) + ")");
        layer = &candidate;
      }
    if (!layer) throw Error(ErrorKind::config, model.path() + ": the model holds no Conv3D layer");
  } else {
    layer = graph.find(layer_name);
    if (!layer)
      throw Error(ErrorKind::usage, model.path() + ": no layer named \"" + layer_name + "\" (Conv3D layers: " +
                                        conv3d_names(graph) + ")");
    if (!is_conv3d(*layer))
      throw Error(ErrorKind::usage, model_layer_source(model, layer->name) + " (" + layer->class_name +
                                        ") is not a Conv3D: --layer runs one Conv3D layer (Conv3D layers: " +
                                        conv3d_names(graph) + ")");
  }

  LoadedLayer out;
  out.config = keras::parse_layer_config(layer->config_json, model_layer_source(model, layer->name));
  const std::vector<keras::DatasetInfo> infos = model.weight_infos(layer->name);
  std::vector<Tensor> values = model.read_weights(layer->name);
  const std::string where = model_layer_source(model, layer->name);
  if (values.empty() || values.size() > 2)
    throw Error(ErrorKind::weights, where + ": the file holds " + std::to_string(values.size()) +
                                        " weights for it; a Conv3D has a kernel and an optional bias");
  keras::LayerWeights weights;
  weights.layer_name = layer->name;
  weights.kernel_info = infos[0];
  weights.kernel = std::move(values[0]);
  if (weights.kernel.rank() != 5)
    throw Error(ErrorKind::weights, where + ": kernel " + infos[0].path + " has shape " +
                                        dims_to_string(weights.kernel.dims()) +
                                        ": a Conv3D kernel has rank 5 (kd, kh, kw, in, filters)");
  if (values.size() == 2) {
    weights.bias_info = infos[1];
    weights.bias = std::move(values[1]);
  }
  weights.file = model.weights_file();
  out.weights = std::move(weights);
  out.version = keras::detect_keras_version(out.config, model.version_evidence(), forced_version);
  keras::resolve_activation(out.config, out.version.version);
  check_weights_fit(out.config, *out.weights);
  out.input_channels = out.weights->kernel.dim(3) * out.config.groups;
  out.params = params_for_channels(out, out.input_channels);
  return out;
}

}  // namespace voxconv::pipeline
