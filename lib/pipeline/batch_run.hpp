#pragma once
// `voxconv run` over many samples with the layer loaded once. Three stages overlap: a
// reader thread reads sample k+1 while the calling thread computes sample k on the pool and
// a writer thread writes sample k-1. Each hand-over holds at most one sample, and a stage
// waits for room before it starts, so at most two inputs and two outputs are in memory.
// Every sample is computed exactly as run_layer computes it, so the outputs are the same
// bytes as one `run` per sample.
//
// A sample whose outputs all exist is skipped (unless `force`), so a re-run resumes an
// interrupted batch; a sample with some of its files (an interrupted --split-channels
// commit) is computed again and its files replaced. A failed sample (unreadable input,
// wrong channel count, unwritable output, ...) is recorded and the batch goes on, or, with
// `fail_fast`, stops: samples after the first failure are "not_run".
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "pipeline/apply_layer.hpp"
#include "pipeline/batch_plan.hpp"

namespace voxconv::pipeline {

enum class SampleStatus { pending, ok, skipped, failed, not_run };
const char* to_string(SampleStatus status) noexcept;

struct SampleRecord {
  SampleStatus status = SampleStatus::pending;
  std::string error;      // the one-line message of a failed sample
  bool internal = false;  // the failure is a bug in voxconv (ErrorKind::internal)
  Dims input_shape;       // Keras arrays, when known
  Dims output_shape;
  double read_seconds = 0.0;
  double compute_seconds = 0.0;
  double write_seconds = 0.0;
};

struct BatchSummary {
  int64_t ok = 0;
  int64_t skipped = 0;
  int64_t failed = 0;
  int64_t not_run = 0;
  bool internal = false;  // some failure was a bug
  double seconds = 0.0;
};

BatchSummary summarize(const std::vector<SampleRecord>& records);

// Told about progress, in sample order, from one thread at a time.
class BatchObserver {
 public:
  virtual ~BatchObserver() = default;
  virtual void started(const BatchPlan& plan) = 0;
  // `done`: samples finished so far (this one included), of plan.samples.size().
  virtual void sample_done(const BatchSample& sample, const SampleRecord& record, size_t done) = 0;
  virtual void finished(const BatchPlan& plan, const BatchSummary& summary) = 0;
};

struct BatchSettings {
  bool force = false;      // recompute and replace existing outputs
  bool fail_fast = false;  // stop at the first failed sample
  std::string report_path;  // JSON report, rewritten as samples finish; empty: none
  std::string config_path, weights_path;  // for the report
};

struct BatchOutcome {
  BatchSummary summary;
  std::vector<SampleRecord> records;  // one per plan.samples, same order
};

// Creates missing output folders. Throws voxconv::Error only for problems of the whole
// batch (the report cannot be written); a sample's problems are in its record.
BatchOutcome run_batch(LayerRunner& runner, const BatchPlan& plan, const BatchSettings& settings,
                       BatchObserver& observer);

}  // namespace voxconv::pipeline
