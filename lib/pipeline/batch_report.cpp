#include "pipeline/batch_report.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "pipeline/output_files.hpp"

namespace voxconv::pipeline {

namespace fs = std::filesystem;

namespace {

// Seconds rounded to microseconds: enough, and stable to read.
double rounded(double seconds) { return static_cast<double>(static_cast<int64_t>(seconds * 1e6 + 0.5)) / 1e6; }

}  // namespace

std::string batch_report_json(const BatchPlan& plan, const std::vector<SampleRecord>& records,
                              const ReportHeader& header, bool complete) {
  using json = nlohmann::ordered_json;  // keys in the order written: easier to read
  json samples = json::array();
  for (size_t i = 0; i < plan.samples.size(); ++i) {
    const BatchSample& s = plan.samples[i];
    const SampleRecord& r = records.at(i);
    json entry = {{"index", s.index},
                  {"source", s.origin},
                  {"inputs", s.inputs},
                  {"output", s.output},
                  {"outputs", s.destinations},
                  {"status", to_string(r.status)}};
    entry["error"] = r.error.empty() ? json(nullptr) : json(r.error);
    entry["input_shape"] = r.input_shape.empty() ? json(nullptr) : json(r.input_shape);
    entry["output_shape"] = r.output_shape.empty() ? json(nullptr) : json(r.output_shape);
    entry["seconds"] = {{"read", rounded(r.read_seconds)},
                        {"compute", rounded(r.compute_seconds)},
                        {"write", rounded(r.write_seconds)}};
    samples.push_back(std::move(entry));
  }
  const BatchSummary summary = summarize(records);
  json report = {{"complete", complete},
                 {"config", header.config_path},
                 {"weights", header.weights_path},
                 {"engine", header.engine},
                 {"threads", header.threads},
                 {"shard", {{"index", plan.shard.index}, {"count", plan.shard.count}, {"source", plan.shard.source}}},
                 {"manifest_samples", plan.total},
                 {"summary",
                  {{"samples", plan.samples.size()},
                   {"ok", summary.ok},
                   {"skipped", summary.skipped},
                   {"failed", summary.failed},
                   {"not_run", summary.not_run},
                   {"pending", static_cast<int64_t>(plan.samples.size()) - summary.ok - summary.skipped -
                                   summary.failed - summary.not_run}}},
                 {"samples", std::move(samples)}};
  return report.dump(2) + "\n";
}

void check_report_path(const std::string& path) {
  std::error_code ec;
  const fs::path folder = folder_of(path);
  if (fs::is_directory(path, ec)) throw Error(ErrorKind::usage, "--report " + path + ": is a folder, not a file name");
  if (!fs::is_directory(folder, ec))
    throw Error(ErrorKind::usage, "--report " + path + ": the folder " + folder.string() + " does not exist");
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    throw Error(ErrorKind::usage, "--report " + path + ": the folder " + folder.string() + " is not writable");
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary =
      (folder_of(path) / ("." + fs::path(path).filename().string() + ".partial-" + std::to_string(::getpid()))).string();
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (file == nullptr) throw Error(ErrorKind::volume_write, path + ": cannot write: " + std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const int saved = errno;
  const bool closed = std::fclose(file) == 0;
  std::error_code ec;
  if (!written || !closed) {
    fs::remove(temporary, ec);
    throw Error(ErrorKind::volume_write, path + ": cannot write: " + std::strerror(written ? errno : saved));
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    const std::string problem = ec.message();
    fs::remove(temporary, ec);
    throw Error(ErrorKind::volume_write, path + ": cannot move into place: " + problem);
  }
}

}  // namespace voxconv::pipeline
