#include "pipeline/apply_layer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/error.hpp"
#include "engine/conv3d_fast.hpp"
#include "engine/conv3d_reference.hpp"
#include "engine/thread_pool.hpp"
#include "pipeline/layer_outputs.hpp"
#include "pipeline/output_files.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::pipeline {

namespace {

Dims keras_layout(const Dims& ndhwc, bool channels_first) {
  if (!channels_first) return ndhwc;
  return {ndhwc[0], ndhwc[4], ndhwc[1], ndhwc[2], ndhwc[3]};
}

}  // namespace

LayerRunner::LayerRunner(const RunOptions& options) : options_(options) {
  if (options.threads < 0) throw Error(ErrorKind::usage, "--threads = " + std::to_string(options.threads) + ": must be >= 0");
  if (options.compression_level < -1 || options.compression_level > 9)
    throw Error(ErrorKind::usage, "--compression-level = " + std::to_string(options.compression_level) +
                                      ": must be 0 (none) to 9 (smallest), as zlib's levels");
  if (options.compression_level == 0 && options.compress)
    throw Error(ErrorKind::usage, "--compress with --compression-level 0: level 0 means no compression; give one of them");
  layer_ = load_layer({options.config_path, options.weights_path, options.layer, options.keras_version});
  spdlog::info("layer '{}' from {} ({}: {}): {}", layer_.weights->layer_name, options.weights_path,
               keras::to_string(layer_.version.version), layer_.version.reason, layer_.params.to_string());
  if (layer_.config.channels_first && (layer_.params.activation.kind == engine::Activation::softmax ||
                                       layer_.params.activation.kind == engine::Activation::log_softmax))
    spdlog::warn("{}: {} with channels_first runs over the last axis (W), not over channels, as Keras does",
                 layer_.config.source, engine::to_string(layer_.params.activation.kind));
  if (!options.reference_engine) {
    fast_ = std::make_unique<engine::FastConv3d>(layer_.params, layer_.weights->kernel, layer_.weights->bias);
    engine_name_ = fast_->describe();
  }
  pool_ = std::make_unique<engine::ThreadPool>(options.threads);
}

LayerRunner::~LayerRunner() = default;

int LayerRunner::threads() const { return pool_->size(); }

namespace {

OutputRequest output_request(const RunOptions& options, const std::string& output, bool channels_first) {
  OutputRequest request;
  request.path = output;
  request.split_channels = options.split_channels;
  request.compress = options.compress || options.compression_level > 0;
  request.compression_level = options.compression_level;
  request.axes = options.axes;
  request.channels_first = channels_first;
  return request;
}

}  // namespace

std::vector<std::string> LayerRunner::planned_outputs(const std::string& output) const {
  return planned_output_paths(output_request(options_, output, layer_.config.channels_first), layer_.config.filters);
}

LayerInput LayerRunner::read(const std::vector<std::string>& inputs) const {
  LayerInput input = read_layer_input(inputs, options_.axes, layer_.config.channels_first);
  if (input.ndhwc.dim(4) != layer_.input_channels)
    throw Error(ErrorKind::shape, input.description + ": " + std::to_string(input.ndhwc.dim(4)) +
                                      " input channels, but the layer's kernel " +
                                      dims_to_string(layer_.weights->kernel.dims()) + " with groups = " +
                                      std::to_string(layer_.config.groups) + " needs " +
                                      std::to_string(layer_.input_channels));
  return input;
}

LayerOutput LayerRunner::compute(LayerInput input, const std::string& output) {
  const engine::ConvPlan plan = plan_for_input(layer_.config, layer_.params, input.ndhwc.dims());
  const Dims out_dims{input.ndhwc.dim(0), plan.axis[0].out, plan.axis[1].out, plan.axis[2].out, layer_.params.oc};
  checked_element_count(out_dims, output + ": output");
  const bool channels_first = layer_.config.channels_first;
  spdlog::info("input {} {} -> output {}", input.description, dims_to_string(keras_layout(input.ndhwc.dims(), channels_first)),
               dims_to_string(keras_layout(out_dims, channels_first)));

  LayerOutput result;
  const auto start = std::chrono::steady_clock::now();
  if (fast_)
    result.ndhwc = fast_->run(input.ndhwc, *pool_);
  else
    result.ndhwc = engine::conv3d_reference(layer_.params, input.ndhwc, layer_.weights->kernel, layer_.weights->bias, *pool_);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  result.input_shape = keras_layout(input.ndhwc.dims(), channels_first);
  input.ndhwc = Tensor();  // the input is not needed for writing: keep peak memory at input + output
  result.output_shape = keras_layout(result.ndhwc.dims(), channels_first);
  result.gflops = engine::conv_flops(layer_.params, result.ndhwc.dim(0), plan.out_spatial()) /
                  std::max(result.seconds, 1e-9) * 1e-9;
  spdlog::info("computed in {:.3f} s ({:.2f} GFLOP/s, {} threads, engine {})", result.seconds, result.gflops,
               pool_->size(), engine_name_);
  if (input.geometry) result.geometry = output_geometry(*input.geometry, layer_.params, plan, options_.axes);
  return result;
}

void LayerRunner::write(const std::string& output, LayerOutput result, const std::vector<std::string>& staged_paths) const {
  write_layer_output(output_request(options_, output, layer_.config.channels_first), std::move(result.ndhwc),
                     result.geometry, staged_paths);
}

RunResult run_layer(const RunOptions& options) {
  LayerRunner runner(options);
  // Refuse existing outputs before any work.
  const std::vector<std::string> destinations = runner.planned_outputs(options.output);
  OutputTransaction transaction(destinations, options.force);

  LayerOutput output = runner.compute(runner.read(options.inputs), options.output);
  RunResult result;
  result.input_shape = output.input_shape;
  result.output_shape = output.output_shape;
  result.compute_seconds = output.seconds;
  result.gflops = output.gflops;
  result.engine = runner.engine_name();

  std::vector<std::string> staged;
  for (const auto& d : destinations) staged.push_back(transaction.staging_path(d));
  runner.write(options.output, std::move(output), staged);
  transaction.commit();
  // "out.h5:/features" names the dataset, not just the file.
  for (const auto& d : destinations) result.outputs.push_back(volume::with_volume_file(options.output, d));
  return result;
}

}  // namespace voxconv::pipeline
