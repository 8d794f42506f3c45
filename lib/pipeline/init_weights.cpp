#include "pipeline/init_weights.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "engine/initializers.hpp"
#include "keras/weights_writer.hpp"
#include "pipeline/output_files.hpp"

namespace voxconv::pipeline {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Keras picks the loader from the file name, so the name must match the layout.
keras::WeightsLayout layout_for(const std::string& output, keras::KerasVersion version) {
  const bool keras3_name = ends_with(output, ".weights.h5");
  if (version == keras::KerasVersion::keras3) {
    if (!keras3_name)
      throw Error(ErrorKind::usage, output + ": Keras 3 writes and reads its weights layout only from files named "
                                             "*.weights.h5 (or use --keras 2 for the legacy .h5 layout, which Keras 3 "
                                             "also loads)");
    return keras::WeightsLayout::keras3_weights;
  }
  if (keras3_name)
    throw Error(ErrorKind::usage, output + ": a *.weights.h5 name makes Keras 3 (and tf.keras >= 2.13) expect the "
                                           "Keras 3 layout; use --keras 3, or a name ending in .h5 for the Keras 2 layout");
  if (!ends_with(output, ".h5") && !ends_with(output, ".hdf5"))
    throw Error(ErrorKind::usage, output + ": Keras 2 reads HDF5 weights only from names ending in .h5 or .hdf5 "
                                           "(other names are taken for TensorFlow checkpoints)");
  return keras::WeightsLayout::keras2_weights;
}

std::string number(double v) {
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

// What the draw is for this shape, in the numbers Keras' formulas give.
std::string describe_draw(const engine::InitializerSpec& spec, const Dims& shape) {
  using engine::InitializerKind;
  const engine::Fans fans = engine::compute_fans(shape);
  switch (spec.kind) {
    case InitializerKind::zeros: return "all 0";
    case InitializerKind::ones: return "all 1";
    case InitializerKind::constant: return "all " + number(spec.value);
    case InitializerKind::random_normal: return "normal, mean " + number(spec.mean) + ", stddev " + number(spec.stddev);
    case InitializerKind::random_uniform: return "uniform in [" + number(spec.minval) + ", " + number(spec.maxval) + ")";
    case InitializerKind::truncated_normal:
      return "normal, mean " + number(spec.mean) + ", stddev " + number(spec.stddev) + ", redrawn beyond 2 stddev";
    case InitializerKind::orthogonal: return "orthogonal, gain " + number(spec.gain);
    case InitializerKind::identity: return "identity, gain " + number(spec.gain);
    case InitializerKind::variance_scaling: break;
  }
  const double variance = engine::variance_scaling_variance(spec, shape);
  std::string out;
  switch (spec.distribution) {
    case engine::ScalingDistribution::uniform: {
      const double limit = std::sqrt(3 * variance);
      out = "uniform in [" + number(-limit) + ", " + number(limit) + ")";
      break;
    }
    case engine::ScalingDistribution::truncated_normal:
      out = "truncated normal, stddev " + number(std::sqrt(variance) / engine::kTruncatedNormalStd) + " before the cut at 2 stddev";
      break;
    case engine::ScalingDistribution::untruncated_normal: out = "normal, stddev " + number(std::sqrt(variance)); break;
  }
  return out + " (fan_in " + std::to_string(fans.fan_in) + ", fan_out " + std::to_string(fans.fan_out) + ")";
}

}  // namespace

uint64_t parse_seed(const std::string& text) {
  size_t used = 0;
  unsigned long long value = 0;
  try {
    if (!text.empty() && text[0] != '-' && text[0] != '+') value = std::stoull(text, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw Error(ErrorKind::usage, "--seed = " + text + ": must be an integer from 0 to 18446744073709551615");
  return value;
}

InitResult init_weights(const InitOptions& options) {
  if (!options.source.weights_path.empty()) throw Error(ErrorKind::internal, "init_weights takes no weights file");
  if (options.input_shape.size() != 4) throw Error(ErrorKind::usage, "--input-shape: expected D,H,W,C");
  const LoadedLayer layer = load_layer(options.source);
  const keras::LayerConfig& cfg = layer.config;
  InitResult result;
  result.output = options.output;
  result.version = layer.version;
  result.layout = layout_for(options.output, layer.version.version);

  // Keras' build(): the kernel shape from the channels, and the output size must be positive.
  const int64_t channels = options.input_shape[3];
  const engine::Conv3dParams params = params_for_channels(layer, channels);
  plan_for_input(cfg, params, {1, options.input_shape[0], options.input_shape[1], options.input_shape[2], channels});
  const auto kd = params.kernel_dims();
  const Dims kernel_shape(kd.begin(), kd.end());

  OutputTransaction transaction({options.output}, options.force);

  const std::string layer_name = cfg.name.empty() ? "conv3d" : cfg.name;
  const auto names = keras::written_weights(layer_name, result.layout, cfg.use_bias);
  keras::Conv3dWeightsToWrite file;
  file.layer_name = layer_name;
  file.layout = result.layout;
  std::string provenance = "voxconv init --seed " + std::to_string(options.seed) + " (Philox4x32-10):";
  const auto draw = [&](const keras::KerasObject& configured, const char* key, const Dims& shape, uint32_t stream) {
    // Keras' add_weight: a null initializer means glorot_uniform for a float weight.
    keras::KerasObject object = configured;
    if (object.empty()) object = keras::make_object(keras::ObjectKind::initializer, "glorot_uniform");
    const engine::InitializerSpec spec = keras::initializer_spec(object);
    InitializedWeight w;
    w.keras_name = names[stream].keras_name;
    w.dataset = names[stream].dataset;
    w.shape = shape;
    w.initializer = keras::describe(object);
    w.distribution = describe_draw(spec, shape);
    w.key = object.seed ? static_cast<uint64_t>(*object.seed) : options.seed;
    w.stream = stream;
    Tensor values;
    try {
      values = engine::initialize(spec, shape, engine::CounterRng(w.key, stream));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::shape) throw;
      throw Error(ErrorKind::config, cfg.source + ": \"" + key + "\" = " + w.initializer + ": " + e.what());
    }
    provenance += std::string(" ") + key + " " + w.initializer + " key " + std::to_string(w.key) + " stream " +
                  std::to_string(stream) + ";";
    result.weights.push_back(w);
    return values;
  };
  file.kernel = draw(cfg.kernel_initializer, "kernel_initializer", kernel_shape, 0);
  if (cfg.use_bias) file.bias = draw(cfg.bias_initializer, "bias_initializer", {params.oc}, 1);
  file.provenance = provenance;

  const std::string staged = transaction.staging_path(options.output);
  transaction.write_staged([&] { keras::write_conv3d_weights(staged, file); });
  transaction.commit();
  return result;
}

}  // namespace voxconv::pipeline
