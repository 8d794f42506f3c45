// Hostile inputs and failures end to end: files that crash or hang the libraries voxconv
// uses, interrupted runs and full disks. Each must end with exit code 2 (or the signal),
// one line naming the file, and no output or temporary file left behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "e2e/cli_checks.hpp"
#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

namespace fs = std::filesystem;

const std::string kConfig = (source_dir() / "configs/brainchop_model5ae_layer21.json").string();
const fs::path kHazards = source_dir() / "tests/fuzz/libhdf5_hazards";
const std::string kInput = (source_dir() / "data/t1_crop.nii.gz").string();

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

// A whole model file goes through the same child process: info --model, a model's layer
// and a whole-model run each end with one line naming it, and write nothing.
TEST(LibraryHazards, HdfHangInAModelFileIsStoppedByTheTimeout) {
  TempDir dir;
  const std::string model = (kHazards / "hang_global_heap_protect.h5").string();
  const std::vector<std::vector<std::string>> commands = {
      {"info", "--model", model},
      {"run", "--model", model, "--layer", "conv", "--input", kInput, "--output", dir / "layer.nii.gz"},
      {"run", "--model", model, "--input", kInput, "--output", dir / "model.nii.gz"}};
  for (const auto& args : commands) {
    const auto r = run_process(voxconv_binary(), args, "", {"VOXCONV_HDF5_TIMEOUT=1"});
    expect_one_line_naming(r, model, "no answer after 1 s");
  }
  EXPECT_EQ(count_entries(dir.path()), 0);
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

// ---- interrupted runs --------------------------------------------------------------------

const std::string kWeights = (source_dir() / "data/model5ae.h5").string();

// A (1, 1, n, n, n) channels_first input for layer "21" (1 -> 5 channels, 3x3x3 valid).
std::string cube_input(const TempDir& dir, int64_t n) {
  Tensor t({1, 1, n, n, n});
  uint64_t state = 88172645463325252ull;  // xorshift: noise that gzip cannot shrink much
  for (int64_t i = 0; i < t.size(); ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    t.data()[i] = static_cast<float>(state % 100000) / 100000.0f;
  }
  const std::string path = dir / "input.npy";
  volume::write_npy(path, t);
  return path;
}

bool has_staging_folder(const std::string& folder) {
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().filename().string().rfind(".voxconv-partial-", 0) == 0) return true;
  return false;
}

// Entries of `folder` other than `keep`.
std::vector<std::string> other_entries(const std::string& folder, const std::vector<std::string>& keep) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) out.push_back(name);
  }
  return out;
}

// Polls `ready` every 2 ms for up to 60 s; false when the process ended first.
template <typename Ready>
bool wait_until(RunningProcess& p, const std::string& folder, Ready ready) {
  for (int i = 0; i < 30000; ++i) {
    if (ready()) return true;
    if (p.err_so_far().find("wrote ") != std::string::npos) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    (void)folder;
  }
  return false;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// SIGINT while the output is being written (80 MB of gzip): the staging folder goes, the
// existing file that --force would have replaced is left as it was, exit by the signal.
TEST(Interrupted, SigintWhileWritingRemovesTheUnfinishedOutputAndKeepsTheOldFile) {
  TempDir dir;
  const std::string input = cube_input(dir, 160);
  const std::string out = dir / "out.nii.gz";
  std::ofstream(out) << "an earlier result";
  RunningProcess p(voxconv_binary(),
                   {"run", "--config", kConfig, "--weights", kWeights, "--input", input, "--output", out, "--force"},
                   {});
  ASSERT_TRUE(wait_until(p, dir.path(), [&] { return has_staging_folder(dir.path()); }))
      << "the run ended before writing: " << p.err_so_far();
  p.send_signal(SIGINT);
  const ProcessResult r = p.wait();
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.err;
  EXPECT_EQ(r.err, "voxconv: interrupted by SIGINT: unfinished outputs removed\n");
  EXPECT_EQ(other_entries(dir.path(), {"input.npy", "out.nii.gz"}), std::vector<std::string>{});
  EXPECT_EQ(read_all(out), "an earlier result");
}

// SIGTERM while computing (the reference engine on one thread): nothing was written yet and
// nothing appears.
TEST(Interrupted, SigtermWhileComputingLeavesNothing) {
  TempDir dir;
  const std::string input = cube_input(dir, 128);
  const std::string out = dir / "out.npy";
  RunningProcess p(voxconv_binary(),
                   {"-v", "run", "--config", kConfig, "--weights", kWeights, "--input", input, "--output", out,
                    "--engine", "reference", "--threads", "1"},
                   {});
  // -v logs the shapes just before the convolution starts.
  ASSERT_TRUE(wait_until(p, dir.path(), [&] { return p.err_so_far().find(" -> output ") != std::string::npos; }))
      << p.err_so_far();
  p.send_signal(SIGTERM);
  const ProcessResult r = p.wait();
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_NE(r.err.find("voxconv: interrupted by SIGTERM: unfinished outputs removed\n"), std::string::npos) << r.err;
  EXPECT_EQ(other_entries(dir.path(), {"input.npy"}), std::vector<std::string>{});
}

// SIGTERM while the output is computed and written slab by slab to a MetaImage with a detached
// data file (the header and its .raw sit in the staging folder): neither appears.
TEST(Interrupted, SigtermWhileWritingSlabsLeavesNeitherHeaderNorDataFile) {
  TempDir dir;
  const std::string input = cube_input(dir, 160);
  RunningProcess p(voxconv_binary(),
                   {"-vv", "run", "--config", kConfig, "--weights", kWeights, "--input", input, "--output",
                    dir / "out.mhd", "--slab-planes", "1", "--threads", "1"},
                   {});
  // -vv logs each slab as it is computed; the third means the first two are in the files.
  ASSERT_TRUE(wait_until(p, dir.path(), [&] { return p.err_so_far().find("slab: output planes 2..3") != std::string::npos; }))
      << p.err_so_far();
  std::vector<std::string> staged;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    if (entry.path().filename().string().rfind(".voxconv-partial-", 0) == 0) staged = other_entries(entry.path(), {});
  std::sort(staged.begin(), staged.end());
  EXPECT_EQ(staged, (std::vector<std::string>{"out.mhd", "out.raw"}));
  p.send_signal(SIGTERM);
  const ProcessResult r = p.wait();
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_NE(r.err.find("voxconv: interrupted by SIGTERM: unfinished outputs removed\n"), std::string::npos) << r.err;
  EXPECT_EQ(other_entries(dir.path(), {"input.npy"}), std::vector<std::string>{});
}

// ---- full disk -------------------------------------------------------------------------------

// Every output format, with a file-size limit far below the output (EFBIG, as on a full disk):
// exit 2, one line naming the output, no file and no staging folder left.
TEST(FullDisk, EveryFormatFailsCleanly) {
  struct Case {
    std::string output;
    std::vector<std::string> extra;
    std::string produces;  // the first file the run would create
  };
  const Case cases[] = {
      {"o.npy", {}, "o.npy"},
      {"o.nii", {}, "o.nii"},          // 5 components: the streamed NIfTI writer
      {"o.nii.gz", {}, "o.nii.gz"},    // the same, gzip
      {"s.nii", {"--split-channels"}, "s_000.nii"},  // one component: ITK's NIfTI writer
      {"o.nrrd", {}, "o.nrrd"},
      {"o.nhdr", {}, "o.nhdr"},
      {"o.mha", {}, "o.mha"},           // ITK 5.2 reports success here: voxconv reads it back
      {"o.mhd", {}, "o.mhd"},
      {"o.h5:/v", {}, "o.h5:/v"},       // HDF5 1.10 crashed at exit after this (hdf5_basics.cpp)
      // In slabs: files are given their full length up front, so the limit shows before computing (HDF5:
      // when a slab reaches past it).
      {"p.npy", {"--slab-planes", "4"}, "p.npy"},
      {"p.nii", {"--slab-planes", "4"}, "p.nii"},
      {"p.nii.gz", {"--slab-planes", "4"}, "p.nii.gz"},
      {"p.mha", {"--slab-planes", "4"}, "p.mha"},
      {"p.mhd", {"--slab-planes", "4"}, "p.raw"},  // the data file is what cannot grow
      {"p.nrrd", {"--slab-planes", "4"}, "p.nrrd"},
      {"p.nhdr", {"--slab-planes", "4"}, "p.raw"},
      {"p.h5:/v", {"--slab-planes", "4"}, "p.h5:/v"},
      {"q.h5:/v", {"--slab-planes", "4", "--compress"}, "q.h5:/v"},
  };
  TempDir dir;
  const std::string input = cube_input(dir, 40);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.output);
    std::vector<std::string> args{"run", "--config", kConfig, "--weights", kWeights, "--input", input,
                                  "--output", dir / c.output};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    ProcessOptions options;
    options.file_size_limit = 50 * 1024;  // the output needs about 1 MB
    const ProcessResult r = run_process(voxconv_binary(), args, options);
    expect_one_line_naming(r, dir / c.produces, "");
    EXPECT_EQ(other_entries(dir.path(), {"input.npy"}), std::vector<std::string>{});
  }
}

}  // namespace
}  // namespace voxconv::testing
