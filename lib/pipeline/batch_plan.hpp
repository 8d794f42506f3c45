#pragma once
// What a batch run will do, known before any sample is read: every sample's inputs and
// output files, checked for clashes, and the slice this process runs (--shard).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/batch_manifest.hpp"
#include "pipeline/shard.hpp"

namespace voxconv::pipeline {

struct BatchSpec {
  std::string manifest_path;             // --manifest
  std::vector<std::string> input_files;  // --batch-input
  std::vector<std::string> input_globs;  // --batch-glob
  std::string output_template;           // --output (a pattern; may be empty with an output column)
};

bool is_batch(const BatchSpec& spec);

struct BatchSample {
  int64_t index = 0;   // 0-based row in the whole manifest
  std::string origin;  // "cohort.csv:5" or the input file
  std::vector<std::string> inputs;
  std::string output;                     // as written in the manifest or expanded from --output
  std::vector<std::string> destinations;  // the files it produces (one per filter with --split-channels)
};

struct BatchPlan {
  std::vector<BatchSample> samples;  // this shard's, in manifest order
  int64_t total = 0;                 // samples in the whole manifest
  Shard shard;
};

// `destinations_of(output)` gives the files one output stands for (LayerRunner::planned_outputs).
// Throws ErrorKind::usage: manifest errors, rows without an output, two samples writing the
// same file (over the whole manifest, so that shards cannot collide either).
BatchPlan plan_batch(const BatchSpec& spec, const Shard& shard,
                     const std::function<std::vector<std::string>(const std::string&)>& destinations_of);

// Whether a sample's outputs exist: none, some (an interrupted commit of several files), all.
enum class OutputState { missing, partial, complete };
OutputState output_state(const BatchSample& sample);

}  // namespace voxconv::pipeline
