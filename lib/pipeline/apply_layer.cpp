#include "pipeline/apply_layer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "core/error.hpp"
#include "engine/conv3d_fast.hpp"
#include "engine/conv3d_reference.hpp"
#include "engine/thread_pool.hpp"
#include "pipeline/layer_constraints.hpp"
#include "pipeline/layer_inputs.hpp"
#include "pipeline/layer_loader.hpp"
#include "pipeline/layer_outputs.hpp"
#include "pipeline/memory_limit.hpp"
#include "pipeline/output_files.hpp"
#include "pipeline/slab_run.hpp"

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

  LoadedLayer layer = load_layer({options.config_path, options.weights_path, options.layer, options.keras_version});
  check_activity_regularizer(layer.config);
  std::vector<std::string> constraints_applied;
  if (options.apply_constraints) {
    constraints_applied = apply_constraints(layer);
    for (const auto& line : constraints_applied) spdlog::info("{}", line);
  }
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

  // A volume that can be read in slabs is opened first (header only): whether it is read
  // whole depends on whether the run fits the memory limit.
  std::unique_ptr<volume::SlabReader> streamed = open_streamed_input(options.inputs, options.axes);
  LayerInput input;
  if (streamed) {
    input.geometry = streamed->geometry();
    input.description = options.inputs.front();
  } else {
    input = read_layer_input(options.inputs, options.axes, layer.config.channels_first);
  }
  const Dims in_dims = streamed ? streamed->dims() : input.ndhwc.dims();
  if (in_dims[4] != layer.input_channels)
    throw Error(ErrorKind::shape, input.description + ": " + std::to_string(in_dims[4]) +
                                      " input channels, but the layer's kernel " +
                                      dims_to_string(layer.weights->kernel.dims()) + " with groups = " +
                                      std::to_string(layer.config.groups) + " needs " +
                                      std::to_string(layer.input_channels));
  const engine::ConvPlan plan = plan_for_input(layer.config, layer.params, in_dims);
  const Dims out_dims{in_dims[0], plan.axis[0].out, plan.axis[1].out, plan.axis[2].out, layer.params.oc};
  checked_element_count(out_dims, options.output + ": output");
  spdlog::info("input {} {} -> output {}", input.description,
               dims_to_string(keras_layout(in_dims, layer.config.channels_first)),
               dims_to_string(keras_layout(out_dims, layer.config.channels_first)));

  const int64_t limit = options.memory_limit > 0 ? options.memory_limit : default_memory_limit();
  const SlabPlan slabs = plan_slabs(layer.params, in_dims, out_dims, layer.weights->kernel.size(), limit,
                                    options.slab_planes, streamed != nullptr, request);
  if (slabs.in_memory && streamed) {
    streamed.reset();
    input = read_layer_input(options.inputs, options.axes, layer.config.channels_first);
  }
  const Geometry geometry = input.geometry ? output_geometry(*input.geometry, layer.params, plan, options.axes) : Geometry{};
  std::vector<std::string> staged;
  for (const auto& d : destinations) staged.push_back(transaction.staging_path(d));
  engine::ThreadPool pool(options.threads);
  RunResult result;
  result.input_shape = keras_layout(in_dims, layer.config.channels_first);
  result.output_shape = keras_layout(out_dims, layer.config.channels_first);
  result.outputs = destinations;
  result.constraints_applied = std::move(constraints_applied);

  if (!slabs.in_memory) {
    if (options.reference_engine)
      throw Error(ErrorKind::usage, "--engine reference computes the whole output at once and cannot run in slabs "
                                    "(--memory-limit " + format_bytes(limit) + ", --slab-planes); use the fast engine");
    spdlog::info("output in {} slabs of {} planes, input {} (about {} resident; --memory-limit {})", slabs.slabs,
                 slabs.planes_per_slab, streamed ? "read in slabs" : "held whole", format_bytes(slabs.peak_bytes),
                 format_bytes(limit));
    const engine::FastConv3d fast(layer.params, layer.weights->kernel, layer.weights->bias);
    const auto start = std::chrono::steady_clock::now();
    const std::string path = input.description;
    const InputPlanes planes = streamed ? InputPlanes([&](int64_t first, int64_t last) {
      return read_input_planes(*streamed, path, first, last);
    })
                                        : planes_of(input.ndhwc);
    // The activity penalty sums over the output: slab by slab.
    std::optional<ActivityPenalty> penalty;
    const auto add_penalty = [&](const Tensor& slab) {
      auto part = activity_penalty(layer.config, slab);
      if (!part) return;
      if (!penalty) penalty = part;
      else penalty->sum += part->sum;
      penalty->value = penalty->sum / static_cast<double>(std::max<int64_t>(penalty->batch, 1));
    };
    run_in_slabs(fast, planes, in_dims, plan, slabs, request, geometry, staged, pool, add_penalty);
    result.activity_penalty = penalty;
    transaction.commit();
    result.compute_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.engine = fast.describe();
    result.slabs = slabs.slabs;
    result.gflops = engine::conv_flops(layer.params, out_dims[0], plan.out_spatial()) /
                    std::max(result.compute_seconds, 1e-9) * 1e-9;
    return result;
  }

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

  result.activity_penalty = activity_penalty(layer.config, dst);
  input.ndhwc = Tensor();  // the input is not needed for writing: keep peak memory at input + output
  result.compute_seconds = seconds;
  result.engine = engine_name;
  result.gflops = engine::conv_flops(layer.params, dst.dim(0), plan.out_spatial()) / std::max(seconds, 1e-9) * 1e-9;
  spdlog::info("computed in {:.3f} s ({:.2f} GFLOP/s, {} threads, engine {})", seconds, result.gflops, pool.size(),
               engine_name);

  write_layer_output(request, std::move(dst), geometry, staged);
  transaction.commit();
  return result;
}

}  // namespace voxconv::pipeline
