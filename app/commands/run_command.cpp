// `voxconv run`: flags -> pipeline::run_layer -> a line per written file.
#include <iomanip>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "core/tensor.hpp"
#include "pipeline/apply_layer.hpp"
#include "pipeline/memory_limit.hpp"

namespace voxconv::app {

Command add_run_command(CLI::App& app, const GlobalFlags& flags) {
  struct State {
    pipeline::RunOptions run;
    std::string axes = "zyx", keras, engine = "fast", memory_limit;
  };
  auto s = std::make_shared<State>();
  CLI::App* cmd = app.add_subcommand("run", "Run a Conv3D layer on a volume or a .npy array");
  cmd->add_option("--config", s->run.config_path, "Layer config JSON (get_config(), serialized layer or model config)")->required();
  cmd->add_option("--weights", s->run.weights_path, "HDF5 weights (Keras 2 model/save_weights, Keras 3 .weights.h5, plain)")->required();
  cmd->add_option("--layer", s->run.layer, "Layer name in the weights file (needed when it holds several Conv3D)");
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
  cmd->add_option("--memory-limit", s->memory_limit,
                  "Memory the run may use, e.g. 2G (default: 80% of RAM); larger outputs are computed in slabs");
  cmd->add_option("--slab-planes", s->run.slab_planes,
                  "Compute the output in slabs of N depth planes whatever the memory limit (tests, tuning)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--apply-constraints", s->run.apply_constraints,
                "Apply kernel/bias constraints to the weights first, as Keras does after a training step");
  return {cmd, [s, &flags]() {
            if (!s->memory_limit.empty()) s->run.memory_limit = pipeline::parse_memory_size(s->memory_limit);
            s->run.axes = pipeline::parse_axis_order(s->axes);
            s->run.keras_version = parse_keras_flag(s->keras);
            s->run.reference_engine = s->engine == "reference";
            const auto result = pipeline::run_layer(s->run);
            if (!flags.quiet) {
              for (const auto& path : result.outputs) std::cout << "wrote " << path << "\n";
              std::cout << "output shape " << dims_to_string(result.output_shape) << ", computed in "
                        << result.compute_seconds << " s";
              if (result.slabs > 0) std::cout << " in " << result.slabs << " slabs";
              std::cout << "\n";
              for (const auto& line : result.constraints_applied) std::cout << "constraint " << line << "\n";
              if (const auto& p = result.activity_penalty)
                std::cout << std::setprecision(10) << "activity regularizer " << p->regularizer << ": loss " << p->value
                          << " (sum " << p->sum << " over the batch of " << p->batch
                          << ", divided by the batch size as tf.keras 2.x and Keras >= 3.14 do; Keras 2.2.4 and "
                             "Keras 3.0-3.13 report the sum)\n";
            }
            return kExitOk;
          }};
}

}  // namespace voxconv::app
