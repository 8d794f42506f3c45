#pragma once
// One voxconv subcommand: it registers its flags on the CLI and returns the action to run
// once parsing succeeded. Each command lives in commands/<name>_command.cpp, so adding one
// touches only its own file and the list in main.cpp.
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "keras/layer_config.hpp"

namespace voxconv::app {

constexpr int kExitOk = 0;
constexpr int kExitDifference = 1;  // `compare` found values out of tolerance
constexpr int kExitBadInput = 2;
constexpr int kExitInternal = 3;

struct GlobalFlags {
  int verbosity = 0;
  bool quiet = false;
};

struct Command {
  CLI::App* cli = nullptr;
  std::function<int()> execute;  // returns the exit code; throws voxconv::Error on failure
};

// "--keras 2|3" shared by the commands that read Keras files. Throws ErrorKind::usage.
std::optional<keras::KerasVersion> parse_keras_flag(const std::string& text);

// Either --model, or --config (with --weights when `weights_required`). Throws ErrorKind::usage.
void require_layer_source(const std::string& model, const std::string& config, const std::string& weights,
                          bool weights_required);

Command add_run_command(CLI::App& app, const GlobalFlags& flags);
Command add_info_command(CLI::App& app, const GlobalFlags& flags);
Command add_bench_command(CLI::App& app, const GlobalFlags& flags);
Command add_config_command(CLI::App& app, const GlobalFlags& flags);
Command add_init_command(CLI::App& app, const GlobalFlags& flags);
Command add_compare_command(CLI::App& app, const GlobalFlags& flags);

}  // namespace voxconv::app
