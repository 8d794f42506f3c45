#pragma once
// --output in a batch: one file name pattern, filled in per sample.
//   {stem}   the first input's file name without its extension ("t1" for t1.nii.gz, "scan"
//            for the HDF5 volume scan.h5:/ct)
//   {name}   the first input's file name ("t1.nii.gz")
//   {dir}    the first input's folder ("." when the name has none)
//   {index}  the sample's 0-based row in the manifest (or position in the file list)
//   {COLUMN} any other manifest column or JSON key, e.g. {subject}
//   {{ }}    literal braces
#include <string>

#include "pipeline/batch_manifest.hpp"

namespace voxconv::pipeline {

// Checks the braces once, before any sample. Throws ErrorKind::usage.
void check_output_template(const std::string& pattern);

// True when the pattern has at least one placeholder.
bool has_placeholders(const std::string& pattern);

// The output of `row`. Throws ErrorKind::usage naming the pattern, the row and the
// placeholder when the row has no such field.
std::string expand_output_template(const std::string& pattern, const ManifestRow& row);

}  // namespace voxconv::pipeline
