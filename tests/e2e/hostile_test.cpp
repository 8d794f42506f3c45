// Hostile inputs and failures end to end: files that crash or hang the libraries voxconv
// uses, interrupted runs and full disks. Each must end with exit code 2 (or the signal),
// one line naming the file, and no output or temporary file left behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "e2e/process.hpp"
#include "test_paths.hpp"

namespace voxconv::testing {
namespace {

namespace fs = std::filesystem;

const std::string kConfig = (source_dir() / "configs/brainchop_model5ae_layer21.json").string();
const fs::path kHazards = source_dir() / "tests/fuzz/libhdf5_hazards";

void expect_one_line_naming(const ProcessResult& r, const std::string& file, const std::string& keyword) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(keyword), std::string::npos) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
}

// libhdf5 1.10.8 dies (SIGSEGV in H5HG_read) or loops forever on these bit-flipped Keras
// files (tests/fuzz/README.md); voxconv reads weights in a child process and refuses them.
TEST(LibraryHazards, HdfCrashBecomesAnError) {
  TempDir dir;
  const std::string weights = (kHazards / "segv_global_heap_read.h5").string();
  const auto r = run_process(voxconv_binary(), {"run", "--config", kConfig, "--weights", weights, "--input",
                                                (source_dir() / "data/t1_crop.nii.gz").string(), "--output",
                                                dir / "out.nii.gz"});
  expect_one_line_naming(r, weights, "the HDF5 library crashed or hung");
  EXPECT_EQ(count_entries(dir.path()), 0);
}

TEST(LibraryHazards, HdfHangIsStoppedByTheTimeout) {
  TempDir dir;
  const std::string weights = (kHazards / "hang_global_heap_protect.h5").string();
  const auto r = run_process(voxconv_binary(), {"info", "--config", kConfig, "--weights", weights}, "",
                             {"VOXCONV_HDF5_TIMEOUT=1"});
  expect_one_line_naming(r, weights, "no answer after 1 s");
}

// Sizes near the config's limits (each <= 2^31) must not overflow what info computes from
// them: the parameter count fits, the FLOPs do not fit 64 bits (UBSan caught the cast).
TEST(AbsurdSizes, InfoOnAHugeLayerPrintsFiniteNumbers) {
  TempDir dir;
  const std::string config = dir / "huge.json";
  std::ofstream(config) << R"({"filters": 1024, "kernel_size": [1024, 1024, 1024]})";
  const auto r = run_process(voxconv_binary(), {"info", "--config", config, "--input-shape", "2000,2000,2000,1024"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("parameters   1125899906843648"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FLOPs        2.09997e+24 per sample"), std::string::npos) << r.out;
}

TEST(AbsurdSizes, BenchRefusesAKernelLargerThanMemory) {
  TempDir dir;
  const std::string config = dir / "huge.json";
  std::ofstream(config) << R"({"filters": 1024, "kernel_size": [1024, 1024, 1024], "padding": "same"})";
  const auto r = run_process(voxconv_binary(), {"bench", "--config", config, "--input-shape", "8,8,8,1"});
  expect_one_line_naming(r, config + ": kernel: needs 4.0 TiB", "of memory available");
}

}  // namespace
}  // namespace voxconv::testing
