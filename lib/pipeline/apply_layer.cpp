#include "pipeline/apply_layer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/error.hpp"
#include "engine/conv3d_fast.hpp"
#include "engine/conv3d_reference.hpp"
#include "engine/thread_pool.hpp"
#include "pipeline/layer_constraints.hpp"
#include "pipeline/layer_outputs.hpp"
#include "pipeline/memory_limit.hpp"
#include "pipeline/output_files.hpp"
#include "pipeline/slab_run.hpp"
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
  layer_ =
      load_layer({options.config_path, options.weights_path, options.layer, options.keras_version, options.model_path});
  check_activity_regularizer(layer_.config);
  if (options.apply_constraints) {
    constraints_applied_ = apply_constraints(layer_);
    for (const auto& line : constraints_applied_) spdlog::info("{}", line);
  }
  spdlog::info("layer '{}' from {} ({}: {}): {}", layer_.weights->layer_name, layer_.weights->file.path,
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

void LayerRunner::check_input_channels(const std::string& description, int64_t channels) const {
  if (channels != layer_.input_channels)
    throw Error(ErrorKind::shape, description + ": " + std::to_string(channels) +
                                      " input channels, but the layer's kernel " +
                                      dims_to_string(layer_.weights->kernel.dims()) + " with groups = " +
                                      std::to_string(layer_.config.groups) + " needs " +
                                      std::to_string(layer_.input_channels));
}

LayerInput LayerRunner::read(const std::vector<std::string>& inputs) const {
  LayerInput input = read_layer_input(inputs, options_.axes, layer_.config.channels_first);
  check_input_channels(input.description, input.ndhwc.dim(4));
  return input;
}

engine::ConvPlan LayerRunner::plan(const Dims& in_dims, const std::string& output, Dims* out_dims) const {
  const engine::ConvPlan plan = plan_for_input(layer_.config, layer_.params, in_dims);
  *out_dims = {in_dims[0], plan.axis[0].out, plan.axis[1].out, plan.axis[2].out, layer_.params.oc};
  checked_element_count(*out_dims, output + ": output");
  return plan;
}

LayerOutput LayerRunner::compute(LayerInput input, const std::string& output) {
  Dims out_dims;
  const engine::ConvPlan plan = this->plan(input.ndhwc.dims(), output, &out_dims);
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
  result.activity_penalty = activity_penalty(layer_.config, result.ndhwc);
  spdlog::info("computed in {:.3f} s ({:.2f} GFLOP/s, {} threads, engine {})", result.seconds, result.gflops,
               pool_->size(), engine_name_);
  if (input.geometry) result.geometry = output_geometry(*input.geometry, layer_.params, plan, options_.axes);
  return result;
}

void LayerRunner::write(const std::string& output, LayerOutput result, const std::vector<std::string>& staged_paths) const {
  write_layer_output(output_request(options_, output, layer_.config.channels_first), std::move(result.ndhwc),
                     result.geometry, staged_paths);
}

std::optional<LayerOutput> LayerRunner::run_if_over_limit(const std::vector<std::string>& inputs,
                                                          const std::string& output,
                                                          const std::vector<std::string>& staged_paths,
                                                          LayerInput* input) {
  // A volume that can be read in slabs is opened first (header only): whether it is read
  // whole depends on whether the run fits the memory limit.
  std::unique_ptr<volume::SlabReader> streamed = open_streamed_input(inputs, options_.axes);
  if (streamed) {
    input->geometry = streamed->geometry();
    input->description = inputs.front();
    check_input_channels(input->description, streamed->dims()[4]);
  } else {
    *input = read(inputs);
  }
  const Dims in_dims = streamed ? streamed->dims() : input->ndhwc.dims();
  Dims out_dims;
  const engine::ConvPlan plan = this->plan(in_dims, output, &out_dims);
  const OutputRequest request = output_request(options_, output, layer_.config.channels_first);
  const int64_t limit = options_.memory_limit > 0 ? options_.memory_limit : default_memory_limit();
  const SlabPlan slabs = plan_slabs(layer_.params, in_dims, out_dims, layer_.weights->kernel.size(), limit,
                                    options_.slab_planes, streamed != nullptr, request);
  if (slabs.in_memory) {
    if (streamed) *input = read(inputs);  // fits: read it whole after all
    return std::nullopt;
  }
  if (!fast_)
    throw Error(ErrorKind::usage, "--engine reference computes the whole output at once and cannot run in slabs "
                                  "(--memory-limit " + format_bytes(limit) + ", --slab-planes); use the fast engine");
  spdlog::info("output in {} slabs of {} planes, input {} (about {} resident; --memory-limit {})", slabs.slabs,
               slabs.planes_per_slab, streamed ? "read in slabs" : "held whole", format_bytes(slabs.peak_bytes),
               format_bytes(limit));
  const bool channels_first = layer_.config.channels_first;
  LayerOutput result;
  result.input_shape = keras_layout(in_dims, channels_first);
  result.output_shape = keras_layout(out_dims, channels_first);
  result.slabs = slabs.slabs;
  if (input->geometry) result.geometry = output_geometry(*input->geometry, layer_.params, plan, options_.axes);
  const std::string path = input->description;
  const InputPlanes planes = streamed ? InputPlanes([&](int64_t first, int64_t last) {
    return read_input_planes(*streamed, path, first, last);
  })
                                      : planes_of(input->ndhwc);
  // The activity penalty sums over the output: slab by slab.
  const auto add_penalty = [&](const Tensor& slab) {
    auto part = activity_penalty(layer_.config, slab);
    if (!part) return;
    if (!result.activity_penalty) result.activity_penalty = part;
    else result.activity_penalty->sum += part->sum;
    result.activity_penalty->value = result.activity_penalty->sum / static_cast<double>(std::max<int64_t>(part->batch, 1));
  };
  const auto start = std::chrono::steady_clock::now();
  run_in_slabs(*fast_, planes, in_dims, plan, slabs, request, result.geometry, staged_paths, *pool_, add_penalty);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.gflops = engine::conv_flops(layer_.params, out_dims[0], plan.out_spatial()) / std::max(result.seconds, 1e-9) * 1e-9;
  *input = LayerInput();
  return result;
}

RunResult run_layer(const RunOptions& options) {
  LayerRunner runner(options);
  // Refuse existing outputs before any work.
  const std::vector<std::string> destinations = runner.planned_outputs(options.output);
  OutputTransaction transaction(destinations, options.force);
  std::vector<std::string> staged;
  for (const auto& d : destinations) staged.push_back(transaction.staging_path(d));

  RunResult result;
  transaction.write_staged([&] {
    LayerInput input;
    std::optional<LayerOutput> output = runner.run_if_over_limit(options.inputs, options.output, staged, &input);
    const bool written = output.has_value();
    if (!written) output = runner.compute(std::move(input), options.output);
    result.input_shape = output->input_shape;
    result.output_shape = output->output_shape;
    result.compute_seconds = output->seconds;
    result.gflops = output->gflops;
    result.engine = runner.engine_name();
    result.slabs = output->slabs;
    result.constraints_applied = runner.constraints_applied();
    result.activity_penalty = output->activity_penalty;
    if (!written) runner.write(options.output, std::move(*output), staged);
  });
  transaction.commit();
  // "out.h5:/features" names the dataset, not just the file.
  for (const auto& d : destinations) result.outputs.push_back(volume::with_volume_file(options.output, d));
  return result;
}

}  // namespace voxconv::pipeline
