#include "pipeline/batch_progress.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace voxconv::pipeline {
namespace {

// What a ProgressPrinter writes, captured through a temporary FILE*.
class Captured {
 public:
  Captured() : file_(std::tmpfile()) {}
  ~Captured() { std::fclose(file_); }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buffer[4096];
    size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) out.append(buffer, n);
    return out;
  }

 private:
  std::FILE* file_;
};

BatchPlan plan_of(size_t n) {
  BatchPlan plan;
  for (size_t i = 0; i < n; ++i) {
    BatchSample s;
    s.index = static_cast<int64_t>(i);
    s.origin = "m.csv:" + std::to_string(i + 2);
    s.output = "out/" + std::to_string(i) + ".nii";
    plan.samples.push_back(s);
  }
  plan.total = static_cast<int64_t>(n);
  return plan;
}

SampleRecord record(SampleStatus status, const std::string& error = "") {
  SampleRecord r;
  r.status = status;
  r.error = error;
  r.read_seconds = 0.25;
  r.compute_seconds = 1.5;
  r.write_seconds = 0.125;
  return r;
}

TEST(ProgressPrinter, PlainLinesWhenNotATerminal) {
  Captured out;
  ProgressPrinter p(out.file(), false, false);
  const BatchPlan plan = plan_of(3);
  p.started(plan);
  p.sample_done(plan.samples[0], record(SampleStatus::ok), 1);
  p.sample_done(plan.samples[1], record(SampleStatus::failed, "in1.nii: no such file"), 2);
  p.sample_done(plan.samples[2], record(SampleStatus::skipped), 3);
  p.finished(plan, BatchSummary{});
  EXPECT_EQ(out.text(),
            "voxconv: batch of 3 samples\n"
            "voxconv: [1/3] ok m.csv:2 -> out/0.nii (read 0.25 s, compute 1.50 s, write 0.12 s)\n"
            "voxconv: [2/3] FAILED m.csv:3: in1.nii: no such file\n"
            "voxconv: [3/3] skipped m.csv:4: out/2.nii exists\n");
}

TEST(ProgressPrinter, QuietShowsOnlyFailures) {
  Captured out;
  ProgressPrinter p(out.file(), true, true);
  const BatchPlan plan = plan_of(2);
  p.started(plan);
  p.sample_done(plan.samples[0], record(SampleStatus::ok), 1);
  p.sample_done(plan.samples[1], record(SampleStatus::failed, "m.csv:3: out of memory"), 2);
  p.finished(plan, BatchSummary{});
  EXPECT_EQ(out.text(), "voxconv: [2/2] FAILED m.csv:3: out of memory\n");
}

TEST(ProgressPrinter, TerminalBarWithRateAndEta) {
  Captured out;
  ProgressPrinter p(out.file(), true, false);
  const BatchPlan plan = plan_of(4);
  p.started(plan);
  p.sample_done(plan.samples[0], record(SampleStatus::ok), 1);
  const std::string text = out.text();
  EXPECT_NE(text.find("\r\x1b[K[#######-----------------------] 1/4"), std::string::npos) << text;
  EXPECT_NE(text.find("samples/s  ETA "), std::string::npos) << text;
  EXPECT_EQ(text.find("[1/4] ok"), std::string::npos) << "no per-sample lines on a terminal";
  p.sample_done(plan.samples[1], record(SampleStatus::failed, "m.csv:3: bad"), 2);
  const std::string more = out.text();
  EXPECT_NE(more.find("\r\x1b[Kvoxconv: [2/4] FAILED m.csv:3: bad\n"), std::string::npos) << more;
  EXPECT_NE(more.find("2/4"), std::string::npos);
  EXPECT_NE(more.find("1 failed"), std::string::npos);
}

TEST(FormatDuration, MinutesAndHours) {
  EXPECT_EQ(format_duration(0.4), "0:00");
  EXPECT_EQ(format_duration(65), "1:05");
  EXPECT_EQ(format_duration(3723), "1:02:03");
}

}  // namespace
}  // namespace voxconv::pipeline
