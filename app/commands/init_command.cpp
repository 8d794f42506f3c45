// `voxconv init`: flags -> pipeline::init_weights -> what was written.
#include <iostream>
#include <memory>

#include "command.hpp"
#include "pipeline/init_weights.hpp"
#include "pipeline/layer_summary.hpp"

namespace voxconv::app {

Command add_init_command(CLI::App& app, const GlobalFlags& flags) {
  struct State {
    pipeline::InitOptions init;
    std::string shape, seed, keras;
  };
  auto s = std::make_shared<State>();
  CLI::App* cmd = app.add_subcommand("init", "Create a layer's kernel and bias from its initializers (Keras' build)");
  cmd->add_option("--config", s->init.source.config_path, "Layer config JSON")->required();
  cmd->add_option("--layer", s->init.source.layer, "Conv3D layer of a model config");
  cmd->add_option("--input-shape", s->shape, "Input D,H,W,C (C sets the kernel's input channels)")->required();
  cmd->add_option("--seed", s->seed, "Seed of voxconv's random generator (same seed, same values)")->required();
  cmd->add_option("--output", s->init.output, "Weights file: NAME.h5 (Keras 2 save_weights layout) or NAME.weights.h5 (--keras 3)")
      ->required();
  cmd->add_option("--keras", s->keras, "Keras version whose layout to write (2 or 3); default: detected from the config");
  cmd->add_flag("--force", s->init.force, "Replace an existing output");
  return {cmd, [s, &flags]() {
            s->init.source.forced_version = parse_keras_flag(s->keras);
            s->init.input_shape = pipeline::parse_input_shape(s->shape);
            s->init.seed = pipeline::parse_seed(s->seed);
            const auto result = pipeline::init_weights(s->init);
            if (!flags.quiet) {
              std::cout << "wrote " << result.output << " (" << keras::to_string(result.layout) << ")\n";
              for (const auto& w : result.weights)
                std::cout << "  " << w.keras_name << " " << dims_to_string(w.shape) << " <- " << w.initializer << ": "
                          << w.distribution << "\n";
            }
            return kExitOk;
          }};
}

}  // namespace voxconv::app
