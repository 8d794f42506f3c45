#include "pipeline/apply_model.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/error.hpp"
#include "engine/thread_pool.hpp"
#include "keras/model_file.hpp"
#include "keras/model_network.hpp"
#include "network/tensor_ops.hpp"
#include "pipeline/layer_inputs.hpp"
#include "pipeline/layer_outputs.hpp"
#include "pipeline/output_files.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::pipeline {

Normalization parse_normalization(const std::string& text) {
  if (text == "none") return Normalization::none;
  if (text == "minmax") return Normalization::minmax;
  if (text == "zscore") return Normalization::zscore;
  throw Error(ErrorKind::usage, "--normalize = " + text + ": must be minmax, zscore or none");
}

namespace {


// Labels (N, D1, D2, D3) in the network's order -> (1, Z, Y, X) in ITK's buffer order.
volume::LabelArray itk_labels(std::vector<uint16_t> labels, const Dims& ndhw, AxisOrder axes, bool as_uint8) {
  volume::LabelArray out{ndhw, std::move(labels), as_uint8};
  if (axes == AxisOrder::zyx) return out;
  const int64_t D = ndhw[1], H = ndhw[2], W = ndhw[3];
  std::vector<uint16_t> swapped(out.values.size());
  for (int64_t d = 0; d < D; ++d)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w)
        swapped[static_cast<size_t>((w * H + h) * D + d)] = out.values[static_cast<size_t>((d * H + h) * W + w)];
  return {{1, W, H, D}, std::move(swapped), as_uint8};
}

void normalize(Tensor& t, Normalization how, const std::string& description) {
  if (how == Normalization::none) return;
  const auto [lo, hi] = std::minmax_element(t.values().begin(), t.values().end());
  if (lo != t.values().end() && *lo == *hi)
    spdlog::warn("{}: every value is {}: normalized to zeros", description, *lo);
  if (how == Normalization::minmax) network::normalize_minmax(t);
  else network::normalize_zscore(t);
}

}  // namespace

ModelRunResult run_model(const ModelRunOptions& options) {
  if (options.threads < 0) throw Error(ErrorKind::usage, "--threads = " + std::to_string(options.threads) + ": must be >= 0");
  if (options.argmax && options.split_channels)
    throw Error(ErrorKind::usage, "--argmax writes one label volume; it cannot be combined with --split-channels");

  const keras::ModelFile model = keras::open_model_file_isolated(options.model_path);
  keras::NetworkOptions network_options;
  network_options.forced_version = options.keras_version;
  network_options.reference_engine = options.reference_engine;
  const keras::ModelNetwork net = keras::build_model_network(model, network_options);
  if (keras::flips_kernels(model.provenance()))
    spdlog::info("{}: written with the Theano backend: kernels flipped along d, h, w, as Keras 2 loads them",
                 options.model_path);
  if (model.provenance().keras1)
    spdlog::info("{}: a Keras 1 file: configs and kernels read in their Keras 2 form; it does not record its backend, "
                 "so its kernels are not flipped (as in Keras 2)", options.model_path);
  for (const std::string& warning : net.warnings) spdlog::warn("{}", warning);

  // What comes out, known from the model alone, so existing outputs are refused before any work.
  const Dims declared_out = net.network.infer_dims({net.input_dims}).at(static_cast<size_t>(net.network.output()));
  OutputRequest request;
  request.path = options.output;
  request.split_channels = options.split_channels;
  request.compress = options.compress;
  request.axes = options.axes;
  request.channels_first = net.channels_first;
  const int64_t channels_out = options.argmax ? 1 : declared_out[4];
  if (channels_out == network::kUnknown && options.split_channels)
    throw Error(ErrorKind::usage, options.model_path + ": the model does not declare its input channels, so the files "
                                                       "--split-channels would write are not known in advance");
  const std::vector<std::string> destinations = planned_output_paths(request, channels_out);
  if (options.argmax && volume::format_of(options.output) == volume::FileFormat::unknown)
    throw Error(ErrorKind::usage, options.output + ": unknown output format");
  OutputTransaction transaction(destinations, options.force);

  LayerInput input = read_layer_input(options.inputs, options.axes, net.channels_first);
  const Dims& declared_in = net.input_dims;
  if (declared_in[4] != network::kUnknown && input.ndhwc.dim(4) != declared_in[4])
    throw Error(ErrorKind::shape, input.description + ": " + std::to_string(input.ndhwc.dim(4)) + " channels, but " +
                                      options.model_path + " takes " + std::to_string(declared_in[4]) + " (input layer \"" +
                                      net.input_name + "\")");
  for (size_t a = 1; a < 4; ++a)
    if (declared_in[a] != network::kUnknown && declared_in[a] != input.ndhwc.dim(a)) {
      spdlog::warn("{}: the model was built for inputs of shape {}, this one is {}; running it anyway, as Keras does",
                   options.model_path, network::shape_text(keras_array_dims(declared_in, net.channels_first)),
                   dims_to_string(keras_array_dims(input.ndhwc.dims(), net.channels_first)));
      break;
    }
  normalize(input.ndhwc, options.normalize, input.description);

  const std::vector<Dims> in_dims{input.ndhwc.dims()};
  const Dims out_dims = net.network.infer_dims(in_dims).at(static_cast<size_t>(net.network.output()));
  checked_element_count(out_dims, options.output + ": output");
  const Geometry geometry =
      input.geometry ? shifted_geometry(*input.geometry, itk_grid_shift(net.network.output_grid(in_dims), options.axes))
                     : Geometry{};

  ModelRunResult result;
  result.input_shape = keras_array_dims(input.ndhwc.dims(), net.channels_first);
  result.output_shape = keras_array_dims(out_dims, net.channels_first);
  spdlog::info("model {} ({}): input {} {} -> output {}", options.model_path, model.format(), input.description,
               dims_to_string(result.input_shape), dims_to_string(result.output_shape));

  engine::ThreadPool pool(options.threads);
  network::RunStats stats;
  const auto start = std::chrono::steady_clock::now();
  Tensor scores = net.network.run({std::move(input.ndhwc)}, pool, &stats);
  result.compute_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.peak_tensor_bytes = stats.peak_live_bytes;
  spdlog::info("computed in {:.3f} s on {} threads; tensors held at most {:.1f} MB", result.compute_seconds, pool.size(),
               static_cast<double>(stats.peak_live_bytes) / 1e6);

  std::vector<std::string> staged;
  for (const auto& d : destinations) staged.push_back(transaction.staging_path(d));
  transaction.write_staged([&] {
    if (options.argmax) {
      const int64_t classes = scores.dim(4);
      const Dims ndhw{scores.dim(0), scores.dim(1), scores.dim(2), scores.dim(3)};
      std::vector<uint16_t> labels = network::argmax_channels(scores, pool);
      scores = Tensor();
      if (volume::format_of(options.output) == volume::FileFormat::npy) {
        volume::write_npy_labels(staged.at(0), {ndhw, std::move(labels), classes <= 256});
      } else {
        if (ndhw[0] != 1)
          throw Error(ErrorKind::usage, options.output + ": a batch of " + std::to_string(ndhw[0]) +
                                            " samples cannot be one volume; write a .npy output");
        volume::write_label_volume(staged.at(0), itk_labels(std::move(labels), ndhw, options.axes, classes <= 256),
                                   geometry, options.compress);
      }
    } else {
      write_layer_output(request, std::move(scores), geometry, staged);
    }
  });
  transaction.commit();
  result.outputs = destinations;
  return result;
}

}  // namespace voxconv::pipeline
