#include "pipeline/output_files.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "core/error.hpp"

namespace voxconv::pipeline {

namespace fs = std::filesystem;

namespace {
fs::path folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// Every live transaction, for abort_all_output_transactions. The lock also orders a
// commit against an interrupt: one of them runs to its end before the other starts.
std::mutex registry_mutex;
std::vector<OutputTransaction*>& registry() {
  static std::vector<OutputTransaction*> live;
  return live;
}
bool interrupted = false;  // guarded by registry_mutex
}  // namespace

void abort_all_output_transactions() noexcept {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  interrupted = true;
  for (OutputTransaction* t : registry()) t->abort_locked();
}

OutputTransaction::OutputTransaction(std::vector<std::string> destinations, bool force)
    : destinations_(std::move(destinations)), force_(force) {
  check_destinations();  // before registering: a constructor that throws has no destructor
  const std::lock_guard<std::mutex> lock(registry_mutex);
  registry().push_back(this);
}

void OutputTransaction::check_destinations() const {
  for (const auto& dest : destinations_) {
    if (dest.empty()) throw Error(ErrorKind::usage, "--output is empty");
    const fs::path folder = folder_of(dest);
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
      throw Error(ErrorKind::volume_write, dest + ": the output folder " + folder.string() + " does not exist");
    if (::access(folder.c_str(), W_OK | X_OK) != 0)
      throw Error(ErrorKind::volume_write, dest + ": the output folder " + folder.string() + " is not writable");
    if (fs::is_directory(dest, ec)) throw Error(ErrorKind::volume_write, dest + ": is a folder, not a file name");
    if (fs::exists(dest, ec) && !force_)
      throw Error(ErrorKind::volume_write, dest + ": already exists (use --force to replace it)");
  }
}

OutputTransaction::~OutputTransaction() {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  abort_locked();
  auto& live = registry();
  live.erase(std::remove(live.begin(), live.end(), this), live.end());
}

std::string OutputTransaction::staging_dir_for(const std::string& destination) {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  if (interrupted) throw Error(ErrorKind::volume_write, destination + ": interrupted before it was written");
  const fs::path folder = folder_of(destination);
  for (const auto& [final_dir, staging] : staging_dirs_)
    if (final_dir == folder.string()) return staging;
  // mkdtemp gives a fresh, private folder on the same file system, so rename is atomic.
  std::string pattern = (folder / (".voxconv-partial-" + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw Error(ErrorKind::volume_write, destination + ": cannot create a temporary folder in " + folder.string());
  staging_dirs_.emplace_back(folder.string(), pattern);
  return pattern;
}

std::string OutputTransaction::staging_path(const std::string& destination) {
  const std::string staged = (fs::path(staging_dir_for(destination)) / fs::path(destination).filename()).string();
  staged_.emplace_back(staged, destination);
  return staged;
}

std::string OutputTransaction::in_destination_terms(std::string message) const {
  const auto replace_all = [&message](const std::string& from, const std::string& to) {
    for (size_t at = message.find(from); at != std::string::npos; at = message.find(from, at + to.size()))
      message.replace(at, from.size(), to);
  };
  for (const auto& [staged, destination] : staged_) replace_all(staged, destination);
  // Companion files (.raw beside .mhd) and anything else in a staging folder.
  for (const auto& [final_dir, staging] : staging_dirs_) replace_all(staging, final_dir);
  return message;
}

void OutputTransaction::commit() {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  if (interrupted) throw Error(ErrorKind::volume_write, destinations_.front() + ": interrupted before it was written");
  std::error_code ec;
  // Check companions too before moving anything, so a conflict moves nothing.
  for (const auto& [final_dir, staging] : staging_dirs_) {
    for (const auto& entry : fs::directory_iterator(staging, ec)) {
      const fs::path target = fs::path(final_dir) / entry.path().filename();
      if (!force_ && fs::exists(target, ec))
        throw Error(ErrorKind::volume_write, target.string() + ": already exists (use --force to replace it)");
    }
  }
  for (const auto& [final_dir, staging] : staging_dirs_) {
    for (const auto& entry : fs::directory_iterator(staging, ec)) {
      const fs::path target = fs::path(final_dir) / entry.path().filename();
      fs::rename(entry.path(), target, ec);
      if (ec) throw Error(ErrorKind::volume_write, target.string() + ": cannot move the finished output into place: " + ec.message());
    }
  }
  committed_ = true;
  abort_locked();  // removes the now-empty staging folders
}

void OutputTransaction::abort() noexcept {
  const std::lock_guard<std::mutex> lock(registry_mutex);
  abort_locked();
}

void OutputTransaction::abort_locked() noexcept {
  for (const auto& [final_dir, staging] : staging_dirs_) {
    std::error_code ec;
    fs::remove_all(staging, ec);
  }
  staging_dirs_.clear();
}

}  // namespace voxconv::pipeline
