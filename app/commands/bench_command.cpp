// `voxconv bench`: flags -> pipeline::bench_layer -> one JSON line.
#include <iostream>
#include <memory>

#include "command.hpp"
#include "pipeline/layer_bench.hpp"
#include "pipeline/layer_summary.hpp"

namespace voxconv::app {

Command add_bench_command(CLI::App& app, const GlobalFlags&) {
  struct State {
    pipeline::BenchOptions bench;
    std::string shape, keras, engine = "fast";
  };
  auto s = std::make_shared<State>();
  CLI::App* cmd = app.add_subcommand("bench", "Time a layer on random data; prints one JSON line");
  cmd->add_option("--config", s->bench.source.config_path, "Layer config JSON")->required();
  cmd->add_option("--weights", s->bench.source.weights_path, "HDF5 weights (default: random weights)");
  cmd->add_option("--layer", s->bench.source.layer, "Layer name in the config/weights file");
  cmd->add_option("--input-shape", s->shape, "Input D,H,W,C")->required();
  cmd->add_option("--threads", s->bench.threads, "Threads (0 = all cores)");
  cmd->add_option("--repeat", s->bench.repeat, "Timed runs after one warm-up (median reported)");
  cmd->add_option("--engine", s->engine, "fast (default) or reference")->check(CLI::IsMember({"fast", "reference"}));
  cmd->add_option("--keras", s->keras, "Keras version rules (2 or 3)");
  return {cmd, [s]() {
            s->bench.source.forced_version = parse_keras_flag(s->keras);
            s->bench.input_shape = pipeline::parse_input_shape(s->shape);
            s->bench.reference_engine = s->engine == "reference";
            std::cout << pipeline::to_json_line(pipeline::bench_layer(s->bench)) << "\n";
            return kExitOk;
          }};
}

}  // namespace voxconv::app
