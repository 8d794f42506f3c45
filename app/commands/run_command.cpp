// `voxconv run`: flags -> pipeline::run_layer (one layer) or pipeline::run_model (a whole
// model: --model without --layer) -> a line per written file.
#include <iostream>
#include <memory>

#include "command.hpp"
#include "core/error.hpp"
#include "core/tensor.hpp"
#include "pipeline/apply_layer.hpp"
#include "pipeline/apply_model.hpp"

namespace voxconv::app {

namespace {

int run_whole_model(const pipeline::RunOptions& run, bool argmax, const std::string& normalize, const GlobalFlags& flags) {
  pipeline::ModelRunOptions options;
  options.model_path = run.model_path;
  options.inputs = run.inputs;
  options.output = run.output;
  options.threads = run.threads;
  options.axes = run.axes;
  options.split_channels = run.split_channels;
  options.force = run.force;
  options.compress = run.compress;
  options.keras_version = run.keras_version;
  options.reference_engine = run.reference_engine;
  options.argmax = argmax;
  options.normalize = pipeline::parse_normalization(normalize);
  const auto result = pipeline::run_model(options);
  if (!flags.quiet) {
    for (const auto& path : result.outputs) std::cout << "wrote " << path << "\n";
    std::cout << "output shape " << dims_to_string(result.output_shape) << (argmax ? " (argmax labels written)" : "")
              << ", computed in " << result.compute_seconds << " s\n";
  }
  return kExitOk;
}

}  // namespace

Command add_run_command(CLI::App& app, const GlobalFlags& flags) {
  struct State {
    pipeline::RunOptions run;
    std::string axes = "zyx", keras, engine = "fast", normalize = "none";
    bool argmax = false;
  };
  auto s = std::make_shared<State>();
  CLI::App* cmd = app.add_subcommand("run", "Run a Conv3D layer, or a whole model (--model), on a volume or a .npy array");
  auto* config = cmd->add_option("--config", s->run.config_path, "Layer config JSON (get_config(), serialized layer or model config)");
  auto* weights = cmd->add_option("--weights", s->run.weights_path, "HDF5 weights (Keras 2 model/save_weights, Keras 3 .weights.h5, plain)");
  cmd->add_option("--model", s->run.model_path, "Whole saved model (Keras 2 .h5 or Keras 3 .keras) instead of --config/--weights")
      ->excludes(config)
      ->excludes(weights);
  cmd->add_option("--layer", s->run.layer, "Layer name in the weights or model file (needed when it holds several Conv3D)");
  cmd->add_option("--input", s->run.inputs, "Input volume(s), stacked as channels in order, or one .npy")->required();
  cmd->add_option("--output", s->run.output, "Output volume or .npy")->required();
  cmd->add_option("--threads", s->run.threads, "Threads (0 = all cores)");
  cmd->add_option("--axes", s->axes, "Keras (dim1, dim2, dim3) = ITK (z,y,x) [zyx] or (x,y,z) [xyz]");
  cmd->add_flag("--split-channels", s->run.split_channels, "One volume per filter: STEM_000.EXT, ...");
  cmd->add_flag("--force", s->run.force, "Replace existing outputs");
  cmd->add_flag("--compress", s->run.compress, "Compress NRRD/MetaImage outputs (.nii.gz is always compressed)");
  cmd->add_option("--keras", s->keras, "Keras version rules to follow (2 or 3); default: detected");
  cmd->add_option("--engine", s->engine, "fast (default) or reference (the simple oracle)")
      ->check(CLI::IsMember({"fast", "reference"}));
  cmd->add_flag("--argmax", s->argmax, "Whole model: write the label of the largest output channel (uint8/uint16)");
  cmd->add_option("--normalize", s->normalize, "Whole model: scale the input first: minmax, zscore or none (default)");
  return {cmd, [s, &flags]() {
            require_layer_source(s->run.model_path, s->run.config_path, s->run.weights_path, true);
            s->run.axes = pipeline::parse_axis_order(s->axes);
            s->run.keras_version = parse_keras_flag(s->keras);
            s->run.reference_engine = s->engine == "reference";
            if (!s->run.model_path.empty() && s->run.layer.empty()) return run_whole_model(s->run, s->argmax, s->normalize, flags);
            if (s->argmax || s->normalize != "none")
              throw Error(ErrorKind::usage, "--argmax and --normalize apply to a whole model (--model without --layer)");
            const auto result = pipeline::run_layer(s->run);
            if (!flags.quiet) {
              for (const auto& path : result.outputs) std::cout << "wrote " << path << "\n";
              std::cout << "output shape " << dims_to_string(result.output_shape) << ", computed in "
                        << result.compute_seconds << " s\n";
            }
            return kExitOk;
          }};
}

}  // namespace voxconv::app
