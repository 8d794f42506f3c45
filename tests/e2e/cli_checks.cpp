#include "e2e/cli_checks.hpp"

#include <gtest/gtest.h>

namespace voxconv::testing {

void expect_bad_input(const ProcessResult& r, const std::string& mention) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(mention), std::string::npos) << "stderr: " << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
}

void expect_one_line_naming(const ProcessResult& r, const std::string& file, const std::string& mention) {
  EXPECT_NE(r.err.find(file), std::string::npos) << "does not name " << file << ": " << r.err;
  expect_bad_input(r, mention);
}

}  // namespace voxconv::testing
