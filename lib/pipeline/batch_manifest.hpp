#pragma once
// The samples of a batch, from a manifest file or from a list of files.
//
// Manifest: CSV with a header line, or JSON lines (chosen by the first non-blank
// character: '{' means JSON lines). One row per sample.
//   CSV: columns named "input" or starting with "input" (input_t1, input2, ...) are the
//   sample's channel files in column order; an optional "output" column; any other column
//   is a field for the --output template ({subject}). Quoted fields ("a, b.nii") and
//   doubled quotes follow RFC 4180; blank lines are skipped.
//   JSON lines: {"input": "a.nii.gz" | ["t1.nii.gz", "flair.nii.gz"], "output": "...",
//   other keys (strings or numbers) are template fields}.
// Relative paths in a manifest are relative to the manifest's folder.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace voxconv::pipeline {

struct ManifestRow {
  int64_t index = 0;                          // 0-based position in the manifest or list
  std::string origin;                         // "cohort.csv:5" or the input file, for messages
  std::vector<std::string> inputs;            // channel files, in order
  std::string output;                         // empty when the row gives none
  std::map<std::string, std::string> fields;  // other columns, by header name
};

// Throws ErrorKind::usage with one line "FILE:LINE: problem" (or "FILE: problem").
std::vector<ManifestRow> read_manifest(const std::string& path);

// One sample per file: `files` as given, then each glob pattern's matches sorted by name.
// A pattern that matches nothing is an error (ErrorKind::usage).
std::vector<ManifestRow> rows_from_files(const std::vector<std::string>& files, const std::vector<std::string>& globs);

}  // namespace voxconv::pipeline
