// voxconv command line: the subcommands register their flags (commands/*.cpp); every error
// becomes one line on stderr and an exit code here, in one place:
//   0 ok, 1 compare found a difference, 2 usage or bad input, 3 internal error.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "command.hpp"
#include "core/error.hpp"
#include "interrupt.hpp"

namespace voxconv::app {

std::optional<keras::KerasVersion> parse_keras_flag(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "2") return keras::KerasVersion::keras2;
  if (text == "3") return keras::KerasVersion::keras3;
  throw Error(ErrorKind::usage, "--keras = " + text + ": must be 2 or 3");
}

void require_layer_source(const std::string& model, const std::string& config, const std::string& weights,
                          bool weights_required) {
  if (!model.empty()) return;  // CLI11 already refused --config/--weights beside it
  if (config.empty()) throw Error(ErrorKind::usage, "give --model MODEL, or --config CONFIG.json" +
                                                        std::string(weights_required ? " and --weights WEIGHTS.h5" : ""));
  if (weights_required && weights.empty()) throw Error(ErrorKind::usage, "--config needs --weights WEIGHTS.h5 (or give --model MODEL)");
}

}  // namespace voxconv::app

namespace {

using namespace voxconv::app;

void setup_logging(const GlobalFlags& flags) {
  auto logger = spdlog::stderr_logger_mt("voxconv");
  logger->set_pattern("voxconv: %l: %v");
  spdlog::set_default_logger(logger);
  if (flags.quiet) spdlog::set_level(spdlog::level::err);
  else if (flags.verbosity >= 2) spdlog::set_level(spdlog::level::debug);
  else if (flags.verbosity == 1) spdlog::set_level(spdlog::level::info);
  else spdlog::set_level(spdlog::level::warn);
}

}  // namespace

int main(int argc, char** argv) {
  install_interrupt_cleanup();  // first: every thread started later inherits the signal mask
  CLI::App app{"voxconv: run Keras Conv3D layers on 3D volumes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("voxconv ") + VOXCONV_VERSION);
  GlobalFlags flags;
  app.add_flag("-v,--verbose", flags.verbosity, "More log output (-vv for debug)");
  app.add_flag("-q,--quiet", flags.quiet, "Only errors");

  const std::vector<Command> commands = {
      add_run_command(app, flags),
      add_info_command(app, flags),
      add_bench_command(app, flags),
      add_config_command(app, flags),
      add_init_command(app, flags),
      add_compare_command(app, flags),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::cerr << "voxconv: " << e.what() << " (see voxconv --help)\n";
    return kExitBadInput;
  }
  setup_logging(flags);

  try {
    for (const auto& command : commands)
      if (command.cli->parsed()) return command.execute();
    return kExitBadInput;  // unreachable: require_subcommand(1)
  } catch (const voxconv::Error& e) {
    const bool internal = e.kind() == voxconv::ErrorKind::internal;
    std::cerr << (internal ? "voxconv: internal error: " : "voxconv: ") << e.what() << "\n";
    return internal ? kExitInternal : kExitBadInput;
  } catch (const std::bad_alloc&) {
    std::cerr << "voxconv: not enough memory for this run\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "voxconv: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
