#include "pipeline/layer_loader.hpp"

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "keras/legacy_weights.hpp"
#include "keras/weights_fit.hpp"
#include "pipeline/model_layer.hpp"

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

}  // namespace

LoadedLayer load_layer(const LayerSource& source) {
  if (!source.model_path.empty()) {
    const keras::ModelFile model = keras::open_model_file_isolated(source.model_path);
    return load_model_layer(model, source.layer, source.forced_version);
  }
  LoadedLayer out;
  keras::ParseOptions options;
  options.layer = source.layer;
  out.config = keras::load_layer_config(source.config_path, options);
  keras::WeightsVersionEvidence evidence;
  if (!source.weights_path.empty()) {
    // In a child process: libhdf5 can crash on a corrupt file (see weights_hdf5.hpp).
    out.weights = keras::load_conv3d_weights_isolated(source.weights_path, source.layer, out.config.name);
    // Keras 1 files are refused by load_conv3d_weights; a Theano-trained kernel is flipped as Keras 2 flips it.
    if (keras::flips_kernels({false, out.weights->file.backend}))
      spdlog::info("{}: written with the Theano backend: kernel flipped along d, h, w, as Keras 2 loads it",
                   source.weights_path);
    out.weights->kernel = keras::preprocess_conv3d_kernel(std::move(out.weights->kernel), out.config.channels_first,
                                                          {false, out.weights->file.backend}, source.weights_path);
    evidence = version_evidence(out.weights->file);
  }
  out.version = keras::detect_keras_version(out.config, evidence, source.forced_version);
  // Activation names are checked against the version even without weights.
  keras::resolve_activation(out.config, out.version.version);
  keras::check_version_names(out.config, out.version.version);
  if (out.weights) {
    keras::check_weights_fit(out.config, *out.weights);
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
