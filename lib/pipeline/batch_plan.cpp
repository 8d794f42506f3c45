#include "pipeline/batch_plan.hpp"

#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "pipeline/output_template.hpp"

namespace voxconv::pipeline {

namespace fs = std::filesystem;

bool is_batch(const BatchSpec& spec) {
  return !spec.manifest_path.empty() || !spec.input_files.empty() || !spec.input_globs.empty();
}

BatchPlan plan_batch(const BatchSpec& spec, const Shard& shard,
                     const std::function<std::vector<std::string>(const std::string&)>& destinations_of) {
  const int sources = (spec.manifest_path.empty() ? 0 : 1) + (spec.input_files.empty() && spec.input_globs.empty() ? 0 : 1);
  if (sources != 1) throw Error(ErrorKind::usage, "give the batch's samples either with --manifest or with --batch-input/--batch-glob");
  if (!spec.output_template.empty()) check_output_template(spec.output_template);
  const std::vector<ManifestRow> rows = spec.manifest_path.empty()
                                            ? rows_from_files(spec.input_files, spec.input_globs)
                                            : read_manifest(spec.manifest_path);

  BatchPlan plan;
  plan.total = static_cast<int64_t>(rows.size());
  plan.shard = shard;
  std::map<std::string, const ManifestRow*> writers;  // normalized destination -> the row writing it
  for (const ManifestRow& row : rows) {
    BatchSample sample;
    sample.index = row.index;
    sample.origin = row.origin;
    sample.inputs = row.inputs;
    sample.output = row.output;
    if (sample.output.empty()) {
      if (spec.output_template.empty())
        throw Error(ErrorKind::usage, row.origin + ": no output: give it an output column value, or give --output "
                                                   "with placeholders such as out/{stem}_features.nii.gz");
      if (rows.size() > 1 && !has_placeholders(spec.output_template))
        throw Error(ErrorKind::usage, "--output '" + spec.output_template +
                                          "': a batch needs a placeholder ({stem}, {name}, {dir}, {index} or a manifest "
                                          "column) so that each sample gets its own file");
      sample.output = expand_output_template(spec.output_template, row);
    }
    try {
      sample.destinations = destinations_of(sample.output);
    } catch (const Error& e) {
      throw Error(e.kind(), row.origin + ": " + e.what());
    }
    for (const auto& destination : sample.destinations) {
      const std::string key = fs::path(destination).lexically_normal().string();
      const auto [it, inserted] = writers.emplace(key, &row);
      if (!inserted)
        throw Error(ErrorKind::usage, row.origin + " and " + it->second->origin + " both write " + destination +
                                          " (use {stem}, {dir}, {index} or a manifest column in --output)");
    }
    if (shard.takes(row.index)) plan.samples.push_back(std::move(sample));
  }
  return plan;
}

OutputState output_state(const BatchSample& sample) {
  size_t present = 0;
  std::error_code ec;
  for (const auto& destination : sample.destinations)
    if (fs::exists(destination, ec)) ++present;
  if (present == 0) return OutputState::missing;
  return present == sample.destinations.size() ? OutputState::complete : OutputState::partial;
}

}  // namespace voxconv::pipeline
