#include "pipeline/output_files.hpp"

#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "core/error.hpp"

namespace voxconv::pipeline {

namespace fs = std::filesystem;

fs::path folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

namespace {

constexpr char kStagingPrefix[] = ".voxconv-partial-";

// This machine's name, reduced to characters safe in a file name.
std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "host";
  std::string safe;
  for (const char* c = name; *c != '\0'; ++c) {
    const unsigned char u = static_cast<unsigned char>(*c);
    safe += (std::isalnum(u) || *c == '.' || *c == '_') ? *c : '_';
  }
  return safe;
}

// "<prefix><host>-<pid>-": staging folders of one process on this machine start with it.
std::string staging_stem(const std::string& host, pid_t pid) {
  return kStagingPrefix + host + "-" + std::to_string(pid) + "-";
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

std::vector<std::string> remove_stale_staging(const std::string& folder) {
  std::vector<std::string> removed;
  const std::string prefix = kStagingPrefix + host_name() + "-";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0 || !entry.is_directory(ec)) continue;
    // "<pid>-XXXXXX" follows the prefix.
    const size_t dash = name.find('-', prefix.size());
    if (dash == std::string::npos || dash == prefix.size()) continue;
    const std::string digits = name.substr(prefix.size(), dash - prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const auto pid = static_cast<pid_t>(std::stol(digits));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // still running, or unknown
    fs::remove_all(entry.path(), ec);
    if (!ec) removed.push_back(entry.path().string());
  }
  return removed;
}

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
  std::string pattern = (folder / (staging_stem(host_name(), ::getpid()) + "XXXXXX")).string();
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
  // Companions (.raw beside .mhd/.nhdr) first and the named destinations last: whoever sees a
  // destination (a resumed batch deciding what is done) sees a complete set.
  const auto is_destination = [this](const fs::path& target) {
    for (const auto& d : destinations_)
      if (fs::path(d).lexically_normal() == target.lexically_normal()) return true;
    return false;
  };
  std::vector<std::pair<fs::path, fs::path>> moves;  // (staged, target), listed before anything moves
  for (const auto& [final_dir, staging] : staging_dirs_)
    for (const auto& entry : fs::directory_iterator(staging, ec))
      moves.emplace_back(entry.path(), fs::path(final_dir) / entry.path().filename());
  for (const bool destinations_pass : {false, true}) {
    for (const auto& [staged, target] : moves) {
      if (is_destination(target) != destinations_pass) continue;
      fs::rename(staged, target, ec);
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
