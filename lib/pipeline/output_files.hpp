#pragma once
// Outputs appear whole or not at all. Files are written into a hidden staging folder
// beside the destination and renamed into place on commit(); anything left uncommitted
// is removed. Formats that write companion files (.mhd + .raw, .nhdr + .raw) move as a
// set. Existing files are never replaced unless `force`.
#include <string>
#include <vector>

namespace voxconv::pipeline {

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

  // Renames every staged file into its destination folder.
  void commit();

  // Removes every staging folder (also done by the destructor); safe from a signal path.
  void abort() noexcept;

 private:
  std::string staging_dir_for(const std::string& destination);

  std::vector<std::string> destinations_;
  std::vector<std::pair<std::string, std::string>> staging_dirs_;  // (final folder, staging folder)
  bool force_;
  bool committed_ = false;
};

// Staging folders are named after this machine and the writing process. Removes those in
// `folder` left by processes of this machine that no longer run (killed mid-write, e.g. an
// interrupted batch); never touches another machine's (a shared disk under an array job).
// Returns the removed paths.
std::vector<std::string> remove_stale_staging(const std::string& folder);

}  // namespace voxconv::pipeline
