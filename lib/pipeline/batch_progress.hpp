#pragma once
// How a batch shows its progress on stderr: a progress bar with rate and ETA redrawn in
// place when stderr is a terminal, one plain line per sample otherwise (logs of batch
// systems). Failures are always shown, also with --quiet.
#include <chrono>
#include <cstdio>

#include "pipeline/batch_run.hpp"

namespace voxconv::pipeline {

class ProgressPrinter : public BatchObserver {
 public:
  ProgressPrinter(std::FILE* stream, bool terminal, bool quiet) : stream_(stream), terminal_(terminal), quiet_(quiet) {}
  void started(const BatchPlan& plan) override;
  void sample_done(const BatchSample& sample, const SampleRecord& record, size_t done) override;
  void finished(const BatchPlan& plan, const BatchSummary& summary) override;

 private:
  void draw_bar(size_t done);

  std::FILE* stream_;
  bool terminal_;
  bool quiet_;
  size_t total_ = 0;
  size_t computed_ = 0;  // samples that were read and computed (skipped ones take no time)
  size_t failed_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// "1:05", "1:02:03": whole seconds.
std::string format_duration(double seconds);

}  // namespace voxconv::pipeline
