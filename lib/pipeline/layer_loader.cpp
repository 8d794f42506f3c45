#include "pipeline/layer_loader.hpp"

#include "core/error.hpp"

namespace voxconv::pipeline {

namespace {

keras::WeightsVersionEvidence version_evidence(const keras::WeightsFileInfo& file) {
  if (file.layout == keras::WeightsLayout::keras3_weights)
    return {keras::KerasVersion::keras3, file.path + " has the Keras 3 .weights.h5 layout"};
  if (!file.keras_version.empty()) {
    const keras::KerasVersion v = file.keras_version[0] == '3' ? keras::KerasVersion::keras3 : keras::KerasVersion::keras2;
    return {v, file.path + " was written by Keras " + file.keras_version};
  }
  return {};
}

std::string kernel_spatial(const Dims& d) {
  return "(" + std::to_string(d[0]) + ", " + std::to_string(d[1]) + ", " + std::to_string(d[2]) + ")";
}

void check_weights_fit(const keras::LayerConfig& cfg, const keras::LayerWeights& w) {
  const Dims& k = w.kernel.dims();
  const std::string where = w.file.path + ": " + w.kernel_info.path;
  const Dims want_spatial{cfg.kernel_size[0], cfg.kernel_size[1], cfg.kernel_size[2]};
  const Dims got_spatial{k[0], k[1], k[2]};
  if (got_spatial != want_spatial || k[4] != cfg.filters)
    throw Error(ErrorKind::shape, where + " has shape " + dims_to_string(k) + " but " + cfg.source + " needs (" +
                                      std::to_string(cfg.kernel_size[0]) + ", " + std::to_string(cfg.kernel_size[1]) +
                                      ", " + std::to_string(cfg.kernel_size[2]) + ", in/groups, " +
                                      std::to_string(cfg.filters) + ") (kernel_size " + kernel_spatial(want_spatial) +
                                      ", filters " + std::to_string(cfg.filters) + ")");
  if (cfg.use_bias && w.bias.empty())
    throw Error(ErrorKind::shape, w.file.path + ": layer '" + w.layer_name + "' has no bias but " + cfg.source +
                                      " says use_bias = true");
  if (!cfg.use_bias && !w.bias.empty())
    throw Error(ErrorKind::shape, w.file.path + ": layer '" + w.layer_name + "' has a bias " +
                                      dims_to_string(w.bias.dims()) + " but " + cfg.source + " says use_bias = false");
  if (!w.bias.empty() && w.bias.dims() != Dims{cfg.filters})
    throw Error(ErrorKind::shape, w.file.path + ": " + w.bias_info.path + " has shape " + dims_to_string(w.bias.dims()) +
                                      " but " + cfg.source + " needs (" + std::to_string(cfg.filters) + ",)");
}

}  // namespace

LoadedLayer load_layer(const LayerSource& source) {
  LoadedLayer out;
  keras::ParseOptions options;
  options.layer = source.layer;
  out.config = keras::load_layer_config(source.config_path, options);
  keras::WeightsVersionEvidence evidence;
  if (!source.weights_path.empty()) {
    // In a child process: libhdf5 can crash on a corrupt file (see weights_hdf5.hpp).
    out.weights = keras::load_conv3d_weights_isolated(source.weights_path, source.layer, out.config.name);
    evidence = version_evidence(out.weights->file);
  }
  out.version = keras::detect_keras_version(out.config, evidence, source.forced_version);
  // Activation names are checked against the version even without weights.
  keras::resolve_activation(out.config, out.version.version);
  if (out.weights) {
    check_weights_fit(out.config, *out.weights);
    out.input_channels = out.weights->kernel.dim(3) * out.config.groups;
    out.params = params_for_channels(out, out.input_channels);
  }
  return out;
}

engine::Conv3dParams params_for_channels(const LoadedLayer& layer, int64_t input_channels) {
  return keras::to_conv_params(layer.config, input_channels, layer.version.version);
}

engine::ConvPlan plan_for_input(const keras::LayerConfig& config, const engine::Conv3dParams& params,
                                const Dims& ndhwc) {
  try {
    return engine::plan_shape(params, {ndhwc[1], ndhwc[2], ndhwc[3]});
  } catch (const Error& e) {
    throw Error(ErrorKind::shape, config.source + ": \"kernel_size\"/\"dilation_rate\" do not fit the input " +
                                      dims_to_string(ndhwc) + ": " + e.what());
  }
}

}  // namespace voxconv::pipeline
