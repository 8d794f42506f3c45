#pragma once
// What the README promises about bad input, checked on a finished voxconv process.
#include <string>

#include "e2e/process.hpp"

namespace voxconv::testing {

// Exit code 2 and exactly one line on stderr that mentions `mention`.
void expect_bad_input(const ProcessResult& r, const std::string& mention);

// The same, the line also naming `file`.
void expect_one_line_naming(const ProcessResult& r, const std::string& file, const std::string& mention);

}  // namespace voxconv::testing
