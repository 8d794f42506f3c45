#include "pipeline/model_layer.hpp"

#include "core/error.hpp"
#include "keras/model_conv3d.hpp"

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
      throw Error(ErrorKind::usage, keras::model_layer_source(model.path(), layer->name) + " (" + layer->class_name +
                                        ") is not a Conv3D: --layer runs one Conv3D layer (Conv3D layers: " +
                                        conv3d_names(graph) + ")");
  }

  keras::ModelConv3d conv = keras::load_model_conv3d(model, *layer, forced_version);
  LoadedLayer out;
  out.config = std::move(conv.config);
  out.weights = std::move(conv.weights);
  out.version = std::move(conv.version);
  out.input_channels = out.weights->kernel.dim(3) * out.config.groups;
  out.params = params_for_channels(out, out.input_channels);
  return out;
}

}  // namespace voxconv::pipeline
