#include "keras/model_conv3d.hpp"

#include "core/error.hpp"
#include "keras/legacy_weights.hpp"
#include "keras/weights_fit.hpp"

namespace voxconv::keras {

std::string model_layer_source(const std::string& model_path, const std::string& layer) {
  return model_path + ", layer \"" + layer + "\"";
}

ModelConv3d load_model_conv3d(const ModelFile& model, const ModelLayer& layer, std::optional<KerasVersion> forced) {
  const std::string where = model_layer_source(model.path(), layer.name);
  ModelConv3d out;
  out.config = parse_layer_config(layer.config_json, where);
  const std::vector<DatasetInfo> infos = model.weight_infos(layer.name);
  std::vector<Tensor> values = model.read_weights(layer.name);
  if (values.empty() || values.size() > 2)
    throw Error(ErrorKind::weights, where + ": the file holds " + std::to_string(values.size()) +
                                        " weights for it; a Conv3D has a kernel and an optional bias");
  if (values[0].rank() != 5)
    throw Error(ErrorKind::weights, where + ": kernel " + infos[0].path + " has shape " +
                                        dims_to_string(values[0].dims()) +
                                        ": a Conv3D kernel has rank 5 (kd, kh, kw, in, filters)");
  out.weights.layer_name = layer.name;
  out.weights.kernel_info = infos[0];
  out.weights.kernel = preprocess_conv3d_kernel(std::move(values[0]), out.config.channels_first, model.provenance(), where);
  if (values.size() == 2) {
    out.weights.bias_info = infos[1];
    out.weights.bias = std::move(values[1]);
  }
  out.weights.file = model.weights_file();
  out.version = detect_keras_version(out.config, model.version_evidence(), forced);
  resolve_activation(out.config, out.version.version);
  check_weights_fit(out.config, out.weights);
  return out;
}

}  // namespace voxconv::keras
