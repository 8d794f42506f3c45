#include "pipeline/batch_progress.hpp"

#include <cmath>
#include <string>

namespace voxconv::pipeline {

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
  char text[48];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  else
    std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
  return text;
}

namespace {

std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", s);
  return text;
}

}  // namespace

void ProgressPrinter::started(const BatchPlan& plan) {
  total_ = plan.samples.size();
  start_ = std::chrono::steady_clock::now();
  if (quiet_) return;
  std::string line = "voxconv: batch of " + std::to_string(total_) + (total_ == 1 ? " sample" : " samples");
  if (plan.shard.count > 1)
    line += " (shard " + std::to_string(plan.shard.index) + "/" + std::to_string(plan.shard.count) + " of " +
            std::to_string(plan.total) + ", from " + plan.shard.source + ")";
  std::fprintf(stream_, "%s\n", line.c_str());
  if (terminal_) draw_bar(0);
  std::fflush(stream_);
}

void ProgressPrinter::draw_bar(size_t done) {
  constexpr size_t kWidth = 30;
  const size_t filled = total_ == 0 ? kWidth : done * kWidth / total_;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = "\r\x1b[K[" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "] " +
                     std::to_string(done) + "/" + std::to_string(total_);
  if (computed_ > 0 && elapsed > 0) {
    const double rate = static_cast<double>(computed_) / elapsed;
    char text[64];
    std::snprintf(text, sizeof text, "  %.2f samples/s", rate);
    line += text;
    if (done < total_) line += "  ETA " + format_duration(static_cast<double>(total_ - done) / rate);
  }
  if (failed_ > 0) line += "  " + std::to_string(failed_) + " failed";
  std::fputs(line.c_str(), stream_);
}

void ProgressPrinter::sample_done(const BatchSample& sample, const SampleRecord& record, size_t done) {
  if (record.status == SampleStatus::ok || record.status == SampleStatus::failed) ++computed_;
  if (record.status == SampleStatus::failed) ++failed_;
  const std::string position = "[" + std::to_string(done) + "/" + std::to_string(total_) + "] ";
  std::string line;
  switch (record.status) {
    case SampleStatus::ok:
      line = position + "ok " + sample.origin + " -> " + sample.output + " (read " + seconds_text(record.read_seconds) +
             ", compute " + seconds_text(record.compute_seconds) + ", write " + seconds_text(record.write_seconds) + ")";
      break;
    case SampleStatus::skipped: line = position + "skipped " + sample.origin + ": " + sample.output + " exists"; break;
    case SampleStatus::failed:
      // Errors name their file; say which row it was when that is not the file itself.
      line = position + "FAILED " + (record.error.rfind(sample.origin, 0) == 0 ? "" : sample.origin + ": ") + record.error;
      break;
    case SampleStatus::not_run: line = position + "not run " + sample.origin + " (--fail-fast)"; break;
    case SampleStatus::pending: break;
  }
  const bool show = record.status == SampleStatus::failed || (!quiet_ && !terminal_);
  if (terminal_ && !quiet_) std::fputs("\r\x1b[K", stream_);
  if (show) std::fprintf(stream_, "voxconv: %s\n", line.c_str());
  if (terminal_ && !quiet_) draw_bar(done);
  std::fflush(stream_);
}

void ProgressPrinter::finished(const BatchPlan&, const BatchSummary&) {
  if (terminal_ && !quiet_) {
    std::fputs("\n", stream_);
    std::fflush(stream_);
  }
}

}  // namespace voxconv::pipeline
