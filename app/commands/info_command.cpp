// `voxconv info`: flags -> pipeline::summarize_layer (one layer) or pipeline::summarize_model
// (--model without --layer) -> text or JSON on stdout.
#include <iostream>
#include <memory>

#include "command.hpp"
#include "core/error.hpp"
#include "pipeline/layer_summary.hpp"
#include "pipeline/model_summary.hpp"

namespace voxconv::app {

Command add_info_command(CLI::App& app, const GlobalFlags&) {
  struct State {
    pipeline::SummaryOptions info;
    std::string shape, keras;
    bool json = false;
  };
  auto s = std::make_shared<State>();
  CLI::App* cmd = app.add_subcommand("info", "Summarize a Conv3D layer (shapes, parameters, FLOPs, weights) or every layer of a model (--model)");
  auto* config = cmd->add_option("--config", s->info.source.config_path, "Layer config JSON");
  auto* weights = cmd->add_option("--weights", s->info.source.weights_path, "HDF5 weights");
  cmd->add_option("--model", s->info.source.model_path, "Whole saved model (Keras 2 .h5 or Keras 3 .keras)")
      ->excludes(config)
      ->excludes(weights);
  cmd->add_option("--layer", s->info.source.layer, "Layer name in the weights or model file");
  cmd->add_option("--input-shape", s->shape, "Input D,H,W,C");
  cmd->add_option("--keras", s->keras, "Keras version rules (2 or 3)");
  cmd->add_flag("--json", s->json, "Print JSON");
  return {cmd, [s]() {
            require_layer_source(s->info.source.model_path, s->info.source.config_path, s->info.source.weights_path, false);
            s->info.source.forced_version = parse_keras_flag(s->keras);
            if (!s->shape.empty()) s->info.input_shape = pipeline::parse_input_shape(s->shape);
            const bool whole_model = !s->info.source.model_path.empty() && s->info.source.layer.empty();
            if (whole_model && !s->shape.empty())
              throw Error(ErrorKind::usage, "--input-shape applies to one layer; info --model lists the model's own shapes");
            const auto summary = whole_model ? pipeline::summarize_model(s->info.source.model_path, s->info.source.forced_version)
                                             : pipeline::summarize_layer(s->info);
            std::cout << (s->json ? summary.json + "\n" : summary.text);
            return kExitOk;
          }};
}

}  // namespace voxconv::app
