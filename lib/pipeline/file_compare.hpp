#pragma once
// `voxconv compare`: two volumes (any format voxconv reads) or two .npy arrays, compared on
// shape, channel count, geometry and values, the way golden-file checks in CI need it.
#include <optional>
#include <string>

#include "pipeline/array_compare.hpp"

namespace voxconv::pipeline {

struct CompareOptions {
  std::string expected_path;
  std::string actual_path;
  Tolerance tolerance;
  // Largest absolute difference allowed in each spacing, origin and direction component.
  double geometry_tolerance = 1e-4;
  std::string diff_path;  // empty: no difference file; else ACTUAL - EXPECTED is written there
  bool force = false;     // replace an existing diff file
  size_t worst_count = 5;  // how many of the worst values to list
};

struct CompareResult {
  bool same = false;        // shapes, geometry and every value within tolerance
  std::string report;       // the lines to print, each ending with '\n'
  std::optional<std::string> diff_written;  // the difference file, when written
};

// Throws voxconv::Error for bad input: unreadable files, a volume against a .npy array,
// bad tolerances, a diff path of the wrong kind or one that exists without `force`.
// Differences are not errors: they are in the result.
CompareResult compare_files(const CompareOptions& options);

}  // namespace voxconv::pipeline
