// voxconv command line: parse flags, call the library, report. Every error becomes
// one line on stderr and an exit code here, in one place:
//   0 ok, 1 compare found a difference, 2 usage or bad input, 3 internal error.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <new>
#include <string>

#include "core/error.hpp"
#include "pipeline/apply_layer.hpp"
#include "pipeline/layer_bench.hpp"
#include "pipeline/layer_summary.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 2;
constexpr int kExitInternal = 3;

int exit_code_for(voxconv::ErrorKind kind) {
  return kind == voxconv::ErrorKind::internal ? kExitInternal : kExitBadInput;
}

std::optional<voxconv::keras::KerasVersion> parse_keras_flag(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "2") return voxconv::keras::KerasVersion::keras2;
  if (text == "3") return voxconv::keras::KerasVersion::keras3;
  throw voxconv::Error(voxconv::ErrorKind::usage, "--keras = " + text + ": must be 2 or 3");
}

void setup_logging(int verbosity, bool quiet) {
  auto logger = spdlog::stderr_logger_mt("voxconv");
  logger->set_pattern("voxconv: %l: %v");
  spdlog::set_default_logger(logger);
  if (quiet) spdlog::set_level(spdlog::level::err);
  else if (verbosity >= 2) spdlog::set_level(spdlog::level::debug);
  else if (verbosity == 1) spdlog::set_level(spdlog::level::info);
  else spdlog::set_level(spdlog::level::warn);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"voxconv: run Keras Conv3D layers on 3D volumes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("voxconv ") + VOXCONV_VERSION);
  int verbosity = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbosity, "More log output (-vv for debug)");
  app.add_flag("-q,--quiet", quiet, "Only errors");

  voxconv::pipeline::RunOptions run;
  std::string run_axes = "zyx", run_keras;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a Conv3D layer on a volume or a .npy array");
  run_cmd->add_option("--config", run.config_path, "Layer config JSON (get_config(), serialized layer or model config)")->required();
  run_cmd->add_option("--weights", run.weights_path, "HDF5 weights (Keras 2 model/save_weights, Keras 3 .weights.h5, plain)")->required();
  run_cmd->add_option("--layer", run.layer, "Layer name in the weights file (needed when it holds several Conv3D)");
  run_cmd->add_option("--input", run.inputs, "Input volume(s), stacked as channels in order, or one .npy")->required();
  run_cmd->add_option("--output", run.output, "Output volume or .npy")->required();
  run_cmd->add_option("--threads", run.threads, "Threads (0 = all cores)");
  run_cmd->add_option("--axes", run_axes, "Keras (dim1, dim2, dim3) = ITK (z,y,x) [zyx] or (x,y,z) [xyz]");
  run_cmd->add_flag("--split-channels", run.split_channels, "One volume per filter: STEM_000.EXT, ...");
  run_cmd->add_flag("--force", run.force, "Replace existing outputs");
  run_cmd->add_flag("--compress", run.compress, "Compress NRRD/MetaImage outputs (.nii.gz is always compressed)");
  run_cmd->add_option("--keras", run_keras, "Keras version rules to follow (2 or 3); default: detected");
  std::string run_engine = "fast";
  run_cmd->add_option("--engine", run_engine, "fast (default) or reference (the simple oracle)")
      ->check(CLI::IsMember({"fast", "reference"}));

  voxconv::pipeline::SummaryOptions info;
  std::string info_shape, info_keras;
  bool info_json = false;
  CLI::App* info_cmd = app.add_subcommand("info", "Summarize a Conv3D layer: shapes, parameters, FLOPs, weights");
  info_cmd->add_option("--config", info.source.config_path, "Layer config JSON")->required();
  info_cmd->add_option("--weights", info.source.weights_path, "HDF5 weights");
  info_cmd->add_option("--layer", info.source.layer, "Layer name in the weights file");
  info_cmd->add_option("--input-shape", info_shape, "Input D,H,W,C");
  info_cmd->add_option("--keras", info_keras, "Keras version rules (2 or 3)");
  info_cmd->add_flag("--json", info_json, "Print JSON");

  voxconv::pipeline::BenchOptions bench;
  std::string bench_shape, bench_keras, bench_engine = "fast";
  CLI::App* bench_cmd = app.add_subcommand("bench", "Time a layer on random data; prints one JSON line");
  bench_cmd->add_option("--config", bench.source.config_path, "Layer config JSON")->required();
  bench_cmd->add_option("--weights", bench.source.weights_path, "HDF5 weights (default: random weights)");
  bench_cmd->add_option("--layer", bench.source.layer, "Layer name in the config/weights file");
  bench_cmd->add_option("--input-shape", bench_shape, "Input D,H,W,C")->required();
  bench_cmd->add_option("--threads", bench.threads, "Threads (0 = all cores)");
  bench_cmd->add_option("--repeat", bench.repeat, "Timed runs after one warm-up (median reported)");
  bench_cmd->add_option("--engine", bench_engine, "fast (default) or reference")->check(CLI::IsMember({"fast", "reference"}));
  bench_cmd->add_option("--keras", bench_keras, "Keras version rules (2 or 3)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::cerr << "voxconv: " << e.what() << " (see voxconv --help)\n";
    return kExitBadInput;
  }
  setup_logging(verbosity, quiet);

  try {
    if (run_cmd->parsed()) {
      run.axes = voxconv::pipeline::parse_axis_order(run_axes);
      run.keras_version = parse_keras_flag(run_keras);
      run.reference_engine = run_engine == "reference";
      const auto result = voxconv::pipeline::run_layer(run);
      if (!quiet) {
        for (const auto& path : result.outputs) std::cout << "wrote " << path << "\n";
        std::cout << "output shape " << voxconv::dims_to_string(result.output_shape) << ", computed in "
                  << result.compute_seconds << " s\n";
      }
    } else if (info_cmd->parsed()) {
      info.source.forced_version = parse_keras_flag(info_keras);
      if (!info_shape.empty()) info.input_shape = voxconv::pipeline::parse_input_shape(info_shape);
      const auto summary = voxconv::pipeline::summarize_layer(info);
      std::cout << (info_json ? summary.json + "\n" : summary.text);
    } else if (bench_cmd->parsed()) {
      bench.source.forced_version = parse_keras_flag(bench_keras);
      bench.input_shape = voxconv::pipeline::parse_input_shape(bench_shape);
      bench.reference_engine = bench_engine == "reference";
      std::cout << voxconv::pipeline::to_json_line(voxconv::pipeline::bench_layer(bench)) << "\n";
    }
    return kExitOk;
  } catch (const voxconv::Error& e) {
    std::cerr << (e.kind() == voxconv::ErrorKind::internal ? "voxconv: internal error: " : "voxconv: ") << e.what() << "\n";
    return exit_code_for(e.kind());
  } catch (const std::bad_alloc&) {
    std::cerr << "voxconv: not enough memory for this run\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "voxconv: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}
