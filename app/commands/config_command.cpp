// `voxconv config`: flags -> pipeline::normalized_config -> the JSON on stdout.
#include <iostream>
#include <memory>

#include "command.hpp"
#include "pipeline/normalized_config.hpp"

namespace voxconv::app {

Command add_config_command(CLI::App& app, const GlobalFlags&) {
  struct State {
    pipeline::NormalizedConfigOptions options;
    std::string keras;
  };
  auto s = std::make_shared<State>();
  CLI::App* cmd = app.add_subcommand("config", "Print the layer's complete get_config() in Keras 2 or 3 spelling");
  cmd->add_option("--config", s->options.source.config_path, "Layer config JSON")->required();
  cmd->add_option("--layer", s->options.source.layer, "Conv3D layer of a model config");
  cmd->add_option("--weights", s->options.source.weights_path, "HDF5 weights (only to detect the Keras version)");
  cmd->add_option("--keras", s->keras, "Keras version to write (2 or 3); default: the one that wrote the config");
  cmd->add_flag("--serialized", s->options.serialized,
                "Print keras.layers.serialize(layer) ({\"class_name\": \"Conv3D\", \"config\": ...}) instead");
  return {cmd, [s]() {
            s->options.source.forced_version = parse_keras_flag(s->keras);
            std::cout << pipeline::normalized_config(s->options).json << "\n";
            return kExitOk;
          }};
}

}  // namespace voxconv::app
