#include "keras/weights_writer.hpp"

#include "core/error.hpp"
#include "keras/hdf5_file.hpp"

namespace voxconv::keras {

std::vector<WrittenWeight> written_weights(const std::string& layer_name, WeightsLayout layout, bool use_bias) {
  std::vector<WrittenWeight> out;
  if (layout == WeightsLayout::keras3_weights) {
    out.push_back({"kernel", "/layers/conv3d/vars/0"});
    if (use_bias) out.push_back({"bias", "/layers/conv3d/vars/1"});
    return out;
  }
  const std::string group = "/" + layer_name + "/";
  out.push_back({layer_name + "/kernel:0", group + layer_name + "/kernel:0"});
  if (use_bias) out.push_back({layer_name + "/bias:0", group + layer_name + "/bias:0"});
  return out;
}

void write_conv3d_weights(const std::string& path, const Conv3dWeightsToWrite& w) {
  if (w.layout != WeightsLayout::keras2_weights && w.layout != WeightsLayout::keras3_weights)
    throw Error(ErrorKind::internal, "write_conv3d_weights: only the Keras 2 and Keras 3 weights layouts are written");
  if (w.layer_name.empty() || w.layer_name.find('/') != std::string::npos)
    throw Error(ErrorKind::volume_write, path + ": layer name '" + w.layer_name + "' cannot name an HDF5 group");
  const auto weights = written_weights(w.layer_name, w.layout, !w.bias.empty());
  hdf5::Writer file = hdf5::Writer::create(path);
  if (!w.provenance.empty()) file.set_utf8_string("/", "voxconv", w.provenance);
  if (w.layout == WeightsLayout::keras2_weights) {
    file.set_fixed_strings("/", "layer_names", {w.layer_name});
    file.set_fixed_string("/", "backend", "tensorflow");
    file.set_fixed_string("/", "keras_version", kWrittenKeras2Version);
    const std::string group = "/" + w.layer_name;
    file.create_group(group);
    std::vector<std::string> names;
    for (const auto& weight : weights) names.push_back(weight.keras_name);
    file.set_fixed_strings(group, "weight_names", names);
  } else {
    file.create_group("/layers/conv3d/vars");
    file.set_utf8_string("/layers/conv3d/vars", "name", w.layer_name);
  }
  file.write_float_dataset(weights[0].dataset, w.kernel);
  if (!w.bias.empty()) file.write_float_dataset(weights[1].dataset, w.bias);
  file.close();
}

}  // namespace voxconv::keras
