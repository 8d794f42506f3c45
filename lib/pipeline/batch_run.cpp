#include "pipeline/batch_run.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "core/error.hpp"
#include "pipeline/batch_report.hpp"
#include "pipeline/bounded_queue.hpp"
#include "pipeline/output_files.hpp"

namespace voxconv::pipeline {

const char* to_string(SampleStatus status) noexcept {
  switch (status) {
    case SampleStatus::pending: return "pending";
    case SampleStatus::ok: return "ok";
    case SampleStatus::skipped: return "skipped";
    case SampleStatus::failed: return "failed";
    case SampleStatus::not_run: return "not_run";
  }
  return "?";
}

BatchSummary summarize(const std::vector<SampleRecord>& records) {
  BatchSummary s;
  for (const auto& r : records) {
    switch (r.status) {
      case SampleStatus::ok: ++s.ok; break;
      case SampleStatus::skipped: ++s.skipped; break;
      case SampleStatus::failed: ++s.failed; s.internal = s.internal || r.internal; break;
      case SampleStatus::not_run: ++s.not_run; break;
      case SampleStatus::pending: break;
    }
  }
  return s;
}

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// One sample on its way through the stages.
struct Work {
  size_t slot = 0;
  SampleRecord record;
  std::unique_ptr<OutputTransaction> transaction;
  std::optional<LayerInput> input;
  std::optional<LayerOutput> output;
};

// Runs one step of a sample; a failure goes into the record (never out of the thread).
template <typename Step>
bool attempt(const BatchSample& sample, SampleRecord& record, Step&& step) {
  try {
    step();
    return true;
  } catch (const Error& e) {
    record.error = e.what();
    record.internal = e.kind() == ErrorKind::internal;
  } catch (const std::bad_alloc&) {
    record.error = sample.origin + ": not enough memory for this sample";
  } catch (const std::exception& e) {
    record.error = sample.origin + ": " + e.what();
    record.internal = true;
  }
  record.status = SampleStatus::failed;
  return false;
}

void create_output_folders(const BatchSample& sample) {
  for (const auto& destination : sample.destinations) {
    const std::filesystem::path folder = std::filesystem::path(destination).parent_path();
    if (folder.empty()) continue;
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) throw Error(ErrorKind::volume_write, destination + ": cannot create the folder " + folder.string() + ": " + ec.message());
  }
}

// Joins a thread however the scope is left.
struct Joiner {
  std::thread& thread;
  ~Joiner() {
    if (thread.joinable()) thread.join();
  }
};

// Closes the queues when the scope is left, before the threads are joined, so that an
// unexpected exception on the computing thread cannot leave a stage waiting forever.
struct QueueCloser {
  BoundedQueue<Work>& a;
  BoundedQueue<Work>& b;
  ~QueueCloser() {
    a.close();
    b.close();
  }
};

}  // namespace

BatchOutcome run_batch(LayerRunner& runner, const BatchPlan& plan, const BatchSettings& settings,
                       BatchObserver& observer) {
  const auto start = Clock::now();
  const size_t count = plan.samples.size();
  BatchOutcome outcome;
  outcome.records.resize(count);
  const ReportHeader header{settings.config_path, settings.weights_path, runner.engine_name(), runner.threads()};
  if (!settings.report_path.empty()) {
    check_report_path(settings.report_path);
    write_file_atomically(settings.report_path, batch_report_json(plan, outcome.records, header, false));
  }
  // What killed runs on this machine left half-written in the output folders.
  std::set<std::string> folders;
  for (const auto& sample : plan.samples)
    for (const auto& destination : sample.destinations) {
      const std::filesystem::path folder = std::filesystem::path(destination).parent_path();
      folders.insert(folder.empty() ? "." : folder.string());
    }
  for (const auto& folder : folders)
    for (const auto& stale : remove_stale_staging(folder))
      spdlog::info("removed {}, left by an interrupted voxconv run", stale);
  observer.started(plan);

  // With --fail-fast, the slot of the first failure: later samples are not run.
  constexpr size_t kNone = std::numeric_limits<size_t>::max();
  std::atomic<size_t> first_failure{kNone};
  const auto failed_at = [&](size_t slot) {
    if (!settings.fail_fast) return;
    size_t seen = first_failure.load();
    while (slot < seen && !first_failure.compare_exchange_weak(seen, slot)) {
    }
  };
  const auto stopped_before = [&](size_t slot) { return slot > first_failure.load(); };

  BoundedQueue<Work> to_compute(1), to_write(1);

  std::thread reader([&] {
    for (size_t slot = 0; slot < count && !stopped_before(slot); ++slot) {
      if (!to_compute.wait_for_room()) break;
      const BatchSample& sample = plan.samples[slot];
      Work work;
      work.slot = slot;
      const OutputState state = output_state(sample);
      if (state == OutputState::complete && !settings.force) {
        work.record.status = SampleStatus::skipped;
      } else {
        const bool ok = attempt(sample, work.record, [&] {
          create_output_folders(sample);
          // A partial set is an interrupted commit of this very sample: replace it.
          work.transaction = std::make_unique<OutputTransaction>(sample.destinations,
                                                                 settings.force || state == OutputState::partial);
          const auto t0 = Clock::now();
          work.input = runner.read(sample.inputs);
          work.record.read_seconds = since(t0);
        });
        if (!ok) failed_at(slot);
      }
      if (!to_compute.push(std::move(work))) break;
    }
    to_compute.close();
  });
  Joiner join_reader{reader};

  std::thread writer([&] {
    auto last_report = Clock::now();
    size_t done = 0;
    while (std::optional<Work> work = to_write.pop()) {
      const BatchSample& sample = plan.samples[work->slot];
      SampleRecord& record = work->record;
      if (stopped_before(work->slot)) {
        record = SampleRecord{};
        record.status = SampleStatus::not_run;
      } else if (work->output) {
        const bool ok = attempt(sample, record, [&] {
          const auto t0 = Clock::now();
          std::vector<std::string> staged;
          for (const auto& d : sample.destinations) staged.push_back(work->transaction->staging_path(d));
          work->transaction->write_staged([&] { runner.write(sample.output, std::move(*work->output), staged); });
          work->output.reset();
          work->transaction->commit();
          record.write_seconds = since(t0);
          record.status = SampleStatus::ok;
        });
        if (!ok) failed_at(work->slot);
      }
      work->transaction.reset();  // removes what a failed sample staged
      outcome.records[work->slot] = record;
      try {
        observer.sample_done(sample, record, ++done);
        if (!settings.report_path.empty() && since(last_report) >= 1.0) {
          write_file_atomically(settings.report_path, batch_report_json(plan, outcome.records, header, false));
          last_report = Clock::now();
        }
      } catch (const std::exception& e) {
        spdlog::warn("{}", e.what());
      }
    }
  });
  Joiner join_writer{writer};
  QueueCloser close_queues{to_compute, to_write};

  while (std::optional<Work> work = to_compute.pop()) {
    const BatchSample& sample = plan.samples[work->slot];
    if (work->input && stopped_before(work->slot)) {
      work->input.reset();
    } else if (work->input) {
      to_write.wait_for_room();
      const bool ok = attempt(sample, work->record, [&] {
        const auto t0 = Clock::now();
        LayerOutput output = runner.compute(std::move(*work->input), sample.output);
        work->record.compute_seconds = since(t0);
        work->record.input_shape = output.input_shape;
        work->record.output_shape = output.output_shape;
        work->output = std::move(output);
      });
      work->input.reset();
      if (!ok) failed_at(work->slot);
    }
    to_write.push(std::move(*work));
  }
  to_write.close();
  writer.join();
  reader.join();

  for (auto& record : outcome.records)
    if (record.status == SampleStatus::pending) record.status = SampleStatus::not_run;
  outcome.summary = summarize(outcome.records);
  outcome.summary.seconds = since(start);
  observer.finished(plan, outcome.summary);
  if (!settings.report_path.empty())
    write_file_atomically(settings.report_path, batch_report_json(plan, outcome.records, header, true));
  return outcome;
}

}  // namespace voxconv::pipeline
