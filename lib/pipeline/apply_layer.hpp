#pragma once
// `voxconv run`: load the layer once, read the input, convolve, write the outputs
// atomically. The only flow that touches files, engine and adapters together.
// LayerRunner holds the three steps (read, compute, write) so that run_layer chains them
// for one sample and the batch flow (batch_run.hpp) overlaps them over many.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/geometry.hpp"
#include "core/tensor.hpp"
#include "pipeline/layer_inputs.hpp"
#include "pipeline/layer_loader.hpp"
#include "pipeline/layer_losses.hpp"
#include "pipeline/run_options.hpp"

namespace voxconv::engine {
class FastConv3d;
class ThreadPool;
struct ConvPlan;
}  // namespace voxconv::engine

namespace voxconv::pipeline {

// One layer: from --config and --weights, or from the saved model's `layer`.
struct RunOptions : VolumeRunOptions {
  std::string config_path;
  std::string weights_path;
  std::string layer;
  int compression_level = -1;  // zlib 0..9 for compressed outputs; -1: the writer's default
  // Bytes the run may keep resident (--memory-limit); 0: default_memory_limit(). An output
  // that does not fit is computed and written in slabs of depth planes.
  int64_t memory_limit = 0;
  int64_t slab_planes = 0;  // > 0: slabs of this many output planes whatever the limit (--slab-planes)
  bool apply_constraints = false;  // kernel/bias constraints applied to the weights first (layer_constraints)
};

struct RunResult {
  std::vector<std::string> outputs;
  Dims input_shape;   // Keras input array shape
  Dims output_shape;  // Keras output array shape
  double compute_seconds = 0.0;
  double gflops = 0.0;
  std::string engine;  // e.g. "avx512/oc" or "reference"
  int64_t slabs = 0;    // output slabs when the output did not fit the memory limit, else 0
  std::vector<std::string> constraints_applied;          // one line per constrained weight
  std::optional<ActivityPenalty> activity_penalty;  // the activity regularizer's loss on the output
};

// The layer's output for one input, ready to be written.
struct LayerOutput {
  Tensor ndhwc;       // (N, dim1', dim2', dim3', filters)
  Geometry geometry;  // of the feature volume; meaningless for .npy inputs
  Dims input_shape;   // Keras input array shape
  Dims output_shape;  // Keras output array shape
  double seconds = 0.0;
  double gflops = 0.0;
  int64_t slabs = 0;  // > 0: computed in slabs and already written (ndhwc is empty)
  std::optional<ActivityPenalty> activity_penalty;  // the activity regularizer's loss on the output
};

// A layer loaded and its engine built once, for one input or many. Uses the options'
// layer, engine, threads, axes and output settings; ignores `inputs`, `output`, `force`.
class LayerRunner {
 public:
  explicit LayerRunner(const RunOptions& options);  // throws voxconv::Error
  ~LayerRunner();
  LayerRunner(const LayerRunner&) = delete;
  LayerRunner& operator=(const LayerRunner&) = delete;

  // The files `output` stands for (one per filter with --split-channels), known before any
  // work. Throws ErrorKind::usage for unsupported names.
  std::vector<std::string> planned_outputs(const std::string& output) const;

  // Reads the input files and checks their channel count against the layer.
  // Thread-safe with write() (not with itself).
  LayerInput read(const std::vector<std::string>& inputs) const;

  // Convolves, consuming the input (its memory is released before returning). `output`
  // names the destination in messages. Uses the thread pool: one caller at a time.
  LayerOutput compute(LayerInput input, const std::string& output);

  // Writes to the staged paths of planned_outputs(output), same order.
  void write(const std::string& output, LayerOutput result, const std::vector<std::string>& staged_paths) const;

  // A single run's read step with the memory limit (--memory-limit, --slab-planes): when the
  // output does not fit, computes it in slabs and writes it to `staged_paths` (the input
  // read slab by slab where its file allows) and returns what compute() would, with
  // `slabs` set. Otherwise reads the input whole into `input` and returns nullopt.
  std::optional<LayerOutput> run_if_over_limit(const std::vector<std::string>& inputs, const std::string& output,
                                               const std::vector<std::string>& staged_paths, LayerInput* input);

  // Lines saying which constraints --apply-constraints applied to the weights.
  const std::vector<std::string>& constraints_applied() const { return constraints_applied_; }

  const LoadedLayer& layer() const { return layer_; }
  const std::string& engine_name() const { return engine_name_; }
  int threads() const;

 private:
  RunOptions options_;
  LoadedLayer layer_;
  std::unique_ptr<engine::FastConv3d> fast_;  // absent for the reference engine
  std::unique_ptr<engine::ThreadPool> pool_;
  std::string engine_name_ = "reference";
  std::vector<std::string> constraints_applied_;

  void check_input_channels(const std::string& description, int64_t channels) const;
  engine::ConvPlan plan(const Dims& in_dims, const std::string& output, Dims* out_dims) const;
};

// Throws voxconv::Error; on any failure no output file exists or was changed.
RunResult run_layer(const RunOptions& options);

}  // namespace voxconv::pipeline
