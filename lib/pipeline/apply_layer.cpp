#include "pipeline/apply_layer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "core/error.hpp"
#include "engine/conv3d_fast.hpp"
#include "engine/conv3d_reference.hpp"
#include "engine/thread_pool.hpp"
#include "pipeline/layer_inputs.hpp"
#include "pipeline/layer_loader.hpp"
#include "pipeline/layer_outputs.hpp"
#include "pipeline/output_files.hpp"

namespace voxconv::pipeline {

namespace {

Dims keras_layout(const Dims& ndhwc, bool channels_first) {
  if (!channels_first) return ndhwc;
  return {ndhwc[0], ndhwc[4], ndhwc[1], ndhwc[2], ndhwc[3]};
}

}  // namespace

RunResult run_layer(const RunOptions& options) {
  if (options.threads < 0) throw Error(ErrorKind::usage, "--threads = " + std::to_string(options.threads) + ": must be >= 0");
  OutputRequest request;
  request.path = options.output;
  request.split_channels = options.split_channels;
  request.compress = options.compress;
  request.axes = options.axes;

  const LoadedLayer layer = load_layer({options.config_path, options.weights_path, options.layer, options.keras_version});
  request.channels_first = layer.config.channels_first;
  spdlog::info("layer '{}' from {} ({}: {}): {}", layer.weights->layer_name, options.weights_path,
               keras::to_string(layer.version.version), layer.version.reason, layer.params.to_string());
  if (layer.config.channels_first && (layer.params.activation.kind == engine::Activation::softmax ||
                                      layer.params.activation.kind == engine::Activation::log_softmax))
    spdlog::warn("{}: {} with channels_first runs over the last axis (W), not over channels, as Keras does",
                 layer.config.source, engine::to_string(layer.params.activation.kind));

  // Refuse existing outputs before any work.
  const std::vector<std::string> destinations = planned_output_paths(request, layer.config.filters);
  OutputTransaction transaction(destinations, options.force);

  LayerInput input = read_layer_input(options.inputs, options.axes, layer.config.channels_first);
  if (input.ndhwc.dim(4) != layer.input_channels)
    throw Error(ErrorKind::shape, input.description + ": " + std::to_string(input.ndhwc.dim(4)) +
                                      " input channels, but the layer's kernel " +
                                      dims_to_string(layer.weights->kernel.dims()) + " with groups = " +
                                      std::to_string(layer.config.groups) + " needs " +
                                      std::to_string(layer.input_channels));
  const engine::ConvPlan plan = plan_for_input(layer.config, layer.params, input.ndhwc.dims());
  const Dims out_dims{input.ndhwc.dim(0), plan.axis[0].out, plan.axis[1].out, plan.axis[2].out, layer.params.oc};
  checked_element_count(out_dims, options.output + ": output");
  spdlog::info("input {} {} -> output {}", input.description,
               dims_to_string(keras_layout(input.ndhwc.dims(), layer.config.channels_first)),
               dims_to_string(keras_layout(out_dims, layer.config.channels_first)));

  engine::ThreadPool pool(options.threads);
  const auto start = std::chrono::steady_clock::now();
  Tensor dst;
  std::string engine_name = "reference";
  if (options.reference_engine) {
    dst = engine::conv3d_reference(layer.params, input.ndhwc, layer.weights->kernel, layer.weights->bias, pool);
  } else {
    const engine::FastConv3d fast(layer.params, layer.weights->kernel, layer.weights->bias);
    engine_name = fast.describe();
    dst = fast.run(input.ndhwc, pool);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  RunResult result;
  result.input_shape = keras_layout(input.ndhwc.dims(), layer.config.channels_first);
  input.ndhwc = Tensor();  // the input is not needed for writing: keep peak memory at input + output
  result.output_shape = keras_layout(dst.dims(), layer.config.channels_first);
  result.compute_seconds = seconds;
  result.engine = engine_name;
  result.gflops = engine::conv_flops(layer.params, dst.dim(0), plan.out_spatial()) / std::max(seconds, 1e-9) * 1e-9;
  spdlog::info("computed in {:.3f} s ({:.2f} GFLOP/s, {} threads, engine {})", seconds, result.gflops, pool.size(),
               engine_name);

  const Geometry geometry = input.geometry ? output_geometry(*input.geometry, layer.params, plan, options.axes) : Geometry{};
  std::vector<std::string> staged;
  for (const auto& d : destinations) staged.push_back(transaction.staging_path(d));
  try {
    write_layer_output(request, std::move(dst), geometry, staged);
  } catch (const Error& e) {  // say which output failed, not which staging file
    throw Error(e.kind(), transaction.in_destination_terms(e.what()));
  }
  transaction.commit();
  result.outputs = destinations;
  return result;
}

}  // namespace voxconv::pipeline
