#pragma once
// A fresh folder per test (named after the test), removed afterwards, with a helper that
// writes a file into it. Shared by the pipeline unit tests that read files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace voxconv::testing {

struct TestFolder {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("voxconv_pipeline_" + std::to_string(::getpid()) + "_" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TestFolder() { std::filesystem::create_directories(path); }
  ~TestFolder() { std::filesystem::remove_all(path); }
  TestFolder(const TestFolder&) = delete;
  TestFolder& operator=(const TestFolder&) = delete;
  std::string write(const std::string& name, const std::string& content) const {
    const std::string file = (path / name).string();
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }
};

}  // namespace voxconv::testing
