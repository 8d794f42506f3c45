#pragma once
// --report FILE.json: what a batch did, per sample: inputs, outputs, shapes, seconds for
// read/compute/write, status and error. Rewritten atomically as samples finish, so an
// interrupted batch leaves a report of what it had done ("complete": false).
#include <string>
#include <vector>

#include "pipeline/batch_run.hpp"

namespace voxconv::pipeline {

struct ReportHeader {
  std::string config_path;
  std::string weights_path;
  std::string engine;
  int threads = 0;
};

std::string batch_report_json(const BatchPlan& plan, const std::vector<SampleRecord>& records,
                              const ReportHeader& header, bool complete);

// The report's folder must exist and be writable; the report itself is replaced by each
// run. Throws ErrorKind::usage.
void check_report_path(const std::string& path);

// Writes `text` to a temporary file beside `path` and renames it into place.
// Throws ErrorKind::volume_write.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace voxconv::pipeline
