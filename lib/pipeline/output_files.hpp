#pragma once
// Outputs appear whole or not at all. Files are written into a hidden staging folder
// beside the destination and renamed into place on commit(); anything left uncommitted
// is removed. Formats that write companion files (.mhd + .raw, .nhdr + .raw) move as a
// set. Existing files are never replaced unless `force`.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace voxconv::pipeline {

// The folder that holds file `path` ("." for a bare file name): where staged and
// temporary files go, so that the final rename stays within one file system.
std::filesystem::path folder_of(const std::string& path);

// Removes the staging folders of every live OutputTransaction and makes new ones fail:
// for a signal handler thread (app/) before the process ends on Ctrl-C or SIGTERM. Outputs
// already committed stay; a commit in progress finishes first.
void abort_all_output_transactions() noexcept;

class OutputTransaction {
 public:
  // Checks up front that every destination's folder exists and is writable and that no
  // destination exists (unless force). Throws ErrorKind::volume_write or usage.
  OutputTransaction(std::vector<std::string> destinations, bool force);
  ~OutputTransaction();
  OutputTransaction(const OutputTransaction&) = delete;
  OutputTransaction& operator=(const OutputTransaction&) = delete;

  // Where to write the file that will become `destination`.
  std::string staging_path(const std::string& destination);

  // Runs `write` (which writes the staged files); a voxconv::Error it throws is thrown
  // again in destination terms, so the message names the user's file.
  template <typename Write>
  void write_staged(Write&& write) const {
    try {
      std::forward<Write>(write)();
    } catch (const Error& e) {
      throw Error(e.kind(), in_destination_terms(e.what()));
    }
  }

  // Renames every staged file into its destination folder.
  void commit();

  // Removes every staging folder (also done by the destructor).
  void abort() noexcept;
  void abort_locked() noexcept;  // the same with the registry's lock held (output_files.cpp)

  // `message` with every staged path replaced by its destination, so that an error raised
  // while writing names the user's file rather than the hidden staging folder.
  std::string in_destination_terms(std::string message) const;

 private:
  std::string staging_dir_for(const std::string& destination);
  void check_destinations() const;

  std::vector<std::string> destinations_;
  std::vector<std::pair<std::string, std::string>> staging_dirs_;  // (final folder, staging folder)
  std::vector<std::pair<std::string, std::string>> staged_;        // (staging path, destination)
  bool force_;
  bool committed_ = false;
};

// Staging folders are named after this machine and the writing process. Removes those in
// `folder` left by processes of this machine that no longer run (killed mid-write, e.g. an
// interrupted batch); never touches another machine's (a shared disk under an array job).
// Returns the removed paths.
std::vector<std::string> remove_stale_staging(const std::string& folder);

}  // namespace voxconv::pipeline
