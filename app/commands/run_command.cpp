// `voxconv run`: flags -> pipeline::run_layer (one sample), pipeline::run_batch (a
// manifest or a list of files) or pipeline::run_model (a whole model: --model without
// --layer) -> a line per written file, or the batch's summary.
#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "core/error.hpp"
#include "core/tensor.hpp"
#include "pipeline/apply_layer.hpp"
#include "pipeline/apply_model.hpp"
#include "pipeline/batch_plan.hpp"
#include "pipeline/batch_progress.hpp"
#include "pipeline/batch_run.hpp"
#include "pipeline/memory_limit.hpp"
#include "pipeline/shard.hpp"

namespace voxconv::app {

namespace {

struct RunState {
  pipeline::RunOptions run;
  pipeline::BatchSpec batch;
  pipeline::BatchSettings settings;
  std::string axes = "zyx", keras, engine = "fast", shard, memory_limit, normalize = "none";
  int64_t shard_count = 0;
  bool keep_going = false, dry_run = false, argmax = false;
};

// --dry-run: one tab-separated line per sample of this shard: index, state of its outputs
// (todo, done, partial), output, input files.
void print_plan(const pipeline::BatchPlan& plan) {
  for (const auto& sample : plan.samples) {
    const pipeline::OutputState state = pipeline::output_state(sample);
    std::cout << sample.index << '\t'
              << (state == pipeline::OutputState::complete  ? "done"
                  : state == pipeline::OutputState::partial ? "partial"
                                                            : "todo")
              << '\t' << sample.output;
    for (const auto& input : sample.inputs) std::cout << '\t' << input;
    std::cout << '\n';
  }
}

// A whole model (--model without --layer): every layer in its path, one sample.
int run_whole_model(const RunState& s, const GlobalFlags& flags) {
  pipeline::ModelRunOptions options;
  static_cast<pipeline::VolumeRunOptions&>(options) = s.run;  // the flags both kinds of run take
  options.argmax = s.argmax;
  options.normalize = pipeline::parse_normalization(s.normalize);
  const auto result = pipeline::run_model(options);
  if (!flags.quiet) {
    for (const auto& path : result.outputs) std::cout << "wrote " << path << "\n";
    std::cout << "output shape " << dims_to_string(result.output_shape) << (s.argmax ? " (argmax labels written)" : "")
              << ", computed in " << result.compute_seconds << " s\n";
  }
  return kExitOk;
}

int run_batch_command(RunState& s, const GlobalFlags& flags) {
  if (!s.run.inputs.empty())
    throw Error(ErrorKind::usage, "--input stacks the channels of one sample; in a batch, give each sample's channel "
                                  "files as the input columns of --manifest");
  s.batch.output_template = s.run.output;
  const pipeline::Shard shard = pipeline::resolve_shard(s.shard, s.shard_count, pipeline::process_environment());
  pipeline::LayerRunner runner(s.run);  // the layer is loaded and its weights packed once
  const pipeline::BatchPlan plan =
      pipeline::plan_batch(s.batch, shard, [&runner](const std::string& output) { return runner.planned_outputs(output); });
  if (s.dry_run) {
    print_plan(plan);
    return kExitOk;
  }
  s.settings.force = s.run.force;
  s.settings.config_path = s.run.config_path;
  s.settings.weights_path = s.run.weights_path;
  pipeline::ProgressPrinter progress(stderr, ::isatty(STDERR_FILENO) == 1, flags.quiet);
  const pipeline::BatchOutcome outcome = pipeline::run_batch(runner, plan, s.settings, progress);
  const pipeline::BatchSummary& sum = outcome.summary;
  if (!flags.quiet)
    std::cout << "batch: " << plan.samples.size() << " samples: " << sum.ok << " written, " << sum.skipped
              << " skipped (outputs exist), " << sum.failed << " failed, " << sum.not_run << " not run, in "
              << pipeline::format_duration(sum.seconds) << "\n";
  if (sum.failed == 0) return kExitOk;
  return sum.internal ? kExitInternal : kExitBadInput;
}

int run_single_command(RunState& s, const GlobalFlags& flags) {
  const bool batch_flags = !s.settings.report_path.empty() || !s.shard.empty() || s.shard_count != 0 ||
                           s.settings.fail_fast || s.keep_going || s.dry_run;
  if (batch_flags)
    throw Error(ErrorKind::usage, "--report, --shard, --shard-count, --fail-fast, --keep-going and --dry-run are for "
                                  "batches (--manifest, --batch-input or --batch-glob)");
  if (s.run.inputs.empty())
    throw Error(ErrorKind::usage, "give --input FILE (one sample) or --manifest, --batch-input or --batch-glob (a batch)");
  if (s.run.output.empty()) throw Error(ErrorKind::usage, "--output is required");
  const auto result = pipeline::run_layer(s.run);
  if (!flags.quiet) {
    for (const auto& path : result.outputs) std::cout << "wrote " << path << "\n";
    std::cout << "output shape " << dims_to_string(result.output_shape) << ", computed in " << result.compute_seconds
              << " s";
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
}

}  // namespace

Command add_run_command(CLI::App& app, const GlobalFlags& flags) {
  auto s = std::make_shared<RunState>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a Conv3D layer, or a whole model (--model), on a volume or a .npy array, or a layer on a batch of them");
  auto* config = cmd->add_option("--config", s->run.config_path, "Layer config JSON (get_config(), serialized layer or model config)");
  auto* weights = cmd->add_option("--weights", s->run.weights_path, "HDF5 weights (Keras 2 model/save_weights, Keras 3 .weights.h5, plain)");
  cmd->add_option("--model", s->run.model_path, "Whole saved model (Keras 2 .h5 or Keras 3 .keras) instead of --config/--weights")
      ->excludes(config)
      ->excludes(weights);
  cmd->add_option("--layer", s->run.layer, "Layer name in the weights or model file (needed when it holds several Conv3D)");
  cmd->add_option("--input", s->run.inputs, "Input volume(s) of one sample, stacked as channels in order, or one .npy");
  cmd->add_option("--output", s->run.output,
                  "Output volume or .npy; in a batch a pattern such as out/{stem}_features.nii.gz "
                  "({stem} {name} {dir} {index} {COLUMN})");
  cmd->add_option("--threads", s->run.threads, "Threads (0 = all cores)");
  cmd->add_option("--axes", s->axes, "Keras (dim1, dim2, dim3) = ITK (z,y,x) [zyx] or (x,y,z) [xyz]");
  cmd->add_flag("--split-channels", s->run.split_channels, "One volume per filter: STEM_000.EXT, ...");
  cmd->add_flag("--force", s->run.force, "Replace existing outputs (a batch recomputes finished samples)");
  cmd->add_flag("--compress", s->run.compress, "Compress NRRD/MetaImage outputs (.nii.gz is always compressed)");
  cmd->add_option("--compression-level", s->run.compression_level,
                  "zlib level 0-9 for compressed outputs (.nii.gz; NRRD/MetaImage, where 1-9 implies --compress)");
  cmd->add_option("--keras", s->keras, "Keras version rules to follow (2 or 3); default: detected");
  cmd->add_option("--engine", s->engine, "fast (default) or reference (the simple oracle)")
      ->check(CLI::IsMember({"fast", "reference"}));
  cmd->add_option("--memory-limit", s->memory_limit,
                  "Memory a single run may use, e.g. 2G (default: 80% of RAM); larger outputs are computed in slabs");
  cmd->add_option("--slab-planes", s->run.slab_planes,
                  "Compute the output in slabs of N depth planes whatever the memory limit (tests, tuning)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--apply-constraints", s->run.apply_constraints,
                "Apply kernel/bias constraints to the weights first, as Keras does after a training step");
  cmd->add_flag("--argmax", s->argmax, "Whole model: write the label of the largest output channel (uint8/uint16)");
  cmd->add_option("--normalize", s->normalize, "Whole model: scale the input first: minmax, zscore or none (default)");

  const std::string batch = "Batch (many samples, layer loaded once; --output is then a pattern)";
  cmd->add_option("--manifest", s->batch.manifest_path,
                  "CSV with a header (input or input_*, optional output, other columns) or JSON lines; one row per sample")
      ->group(batch);
  cmd->add_option("--batch-input", s->batch.input_files, "One sample per file: --batch-input scans/*.nii.gz")->group(batch);
  cmd->add_option("--batch-glob", s->batch.input_globs, "One sample per file matching a quoted pattern, sorted by name")
      ->group(batch);
  CLI::Option* keep_going =
      cmd->add_flag("--keep-going", s->keep_going, "Report a failed sample and go on (the default); exit 2 at the end")
          ->group(batch);
  cmd->add_flag("--fail-fast", s->settings.fail_fast, "Stop at the first failed sample")->group(batch)->excludes(keep_going);
  cmd->add_option("--report", s->settings.report_path, "Write a JSON report per sample (rewritten as samples finish)")
      ->group(batch);
  cmd->add_option("--shard", s->shard,
                  "I/N: run the rows k with k mod N == I (I from 0); default from SLURM_ARRAY_TASK_ID/_MIN/_COUNT or "
                  "JOB_COMPLETION_INDEX")
      ->group(batch);
  cmd->add_option("--shard-count", s->shard_count, "N for JOB_COMPLETION_INDEX (Kubernetes indexed Jobs)")->group(batch);
  cmd->add_flag("--dry-run", s->dry_run, "Print this shard's samples (index, todo/done/partial, output, inputs); compute nothing")
      ->group(batch);

  return {cmd, [s, &flags]() {
            require_layer_source(s->run.model_path, s->run.config_path, s->run.weights_path, true);
            s->run.axes = pipeline::parse_axis_order(s->axes);
            s->run.keras_version = parse_keras_flag(s->keras);
            s->run.reference_engine = s->engine == "reference";
            if (!s->memory_limit.empty()) s->run.memory_limit = pipeline::parse_memory_size(s->memory_limit);
            const bool whole_model = !s->run.model_path.empty() && s->run.layer.empty();
            if (whole_model && pipeline::is_batch(s->batch))
              throw Error(ErrorKind::usage, "a batch runs one Conv3D layer (--model with --layer NAME); a whole model "
                                            "runs one sample per invocation");
            if (whole_model) return run_whole_model(*s, flags);
            if (s->argmax || s->normalize != "none")
              throw Error(ErrorKind::usage, "--argmax and --normalize apply to a whole model (--model without --layer)");
            return pipeline::is_batch(s->batch) ? run_batch_command(*s, flags) : run_single_command(*s, flags);
          }};
}

}  // namespace voxconv::app
