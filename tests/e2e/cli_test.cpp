// The command-line contract: exit codes, one-line errors naming the file, and no
// output created or changed on failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/cli_checks.hpp"
#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

namespace fs = std::filesystem;

const std::string kConfig = (source_dir() / "configs/brainchop_model5ae_layer21.json").string();
const std::string kWeights = (source_dir() / "data/model5ae.h5").string();

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& content) { std::ofstream(path, std::ios::binary) << content; }

// A (1, 1, 8, 8, 8) channels_first input for layer "21" (1 -> 5 channels, 3x3x3 valid).
std::string small_input(const TempDir& dir, float fill_nan_at = -1) {
  Tensor t({1, 1, 8, 8, 8});
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>((i * 37) % 11) - 5.0f;
  if (fill_nan_at >= 0) t.data()[static_cast<int64_t>(fill_nan_at)] = std::numeric_limits<float>::quiet_NaN();
  const std::string path = dir / (fill_nan_at >= 0 ? "nan_input.npy" : "input.npy");
  volume::write_npy(path, t);
  return path;
}

ProcessResult voxconv(const std::vector<std::string>& args) { return run_process(voxconv_binary(), args); }

TEST(Cli, HelpAndVersionExitZero) {
  auto r = voxconv({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("run"), std::string::npos);
  r = voxconv({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("voxconv"), std::string::npos);
  r = voxconv({"run", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--split-channels"), std::string::npos);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(voxconv({}).exit_code, 2);
  EXPECT_EQ(voxconv({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(voxconv({"run", "--config", kConfig}).exit_code, 2);  // missing required flags
  EXPECT_EQ(voxconv({"run", "--bogus"}).exit_code, 2);
}

TEST(Cli, RunWritesTheOutputAndRefusesToOverwriteIt) {
  TempDir dir;
  const std::string input = small_input(dir);
  const std::string out = dir / "features.npy";
  auto r = voxconv({"run", "--config", kConfig, "--weights", kWeights, "--input", input, "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(out), std::string::npos);
  const Tensor result = volume::read_npy(out);
  EXPECT_EQ(result.dims(), (Dims{1, 5, 6, 6, 6}));  // channels_first, valid 3x3x3
  const std::string before = read_file(out);

  r = voxconv({"run", "--config", kConfig, "--weights", kWeights, "--input", input, "--output", out});
  expect_bad_input(r, "already exists");
  EXPECT_EQ(read_file(out), before);

  r = voxconv({"run", "--config", kConfig, "--weights", kWeights, "--input", input, "--output", out, "--force", "--threads", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(out), before);  // same bytes with 1 thread as with all
  EXPECT_EQ(count_entries(dir.path()), 2);  // input + output: no temporary left behind
}

TEST(Cli, ThreadCountsGiveIdenticalBytes) {
  TempDir dir;
  const std::string input = small_input(dir);
  std::string first;
  for (const char* threads : {"1", "2", "3", "8"}) {
    const std::string out = dir / (std::string("t") + threads + ".npy");
    auto r = voxconv({"run", "--config", kConfig, "--weights", kWeights, "--input", input, "--output", out, "--threads", threads});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (first.empty()) first = read_file(out);
    else EXPECT_EQ(read_file(out), first) << threads << " threads";
  }
}

struct BadRun {
  const char* name;
  std::function<std::vector<std::string>(const TempDir&)> args;  // run arguments
  const char* mention;
};

TEST(Cli, BadInputsGiveOneLineErrorsAndNoOutput) {
  const auto with = [](std::string config, std::string weights, std::string input, std::string output) {
    return std::vector<std::string>{"run", "--config", config, "--weights", weights, "--input", input, "--output", output};
  };
  const BadRun cases[] = {
      {"malformed_json",
       [&](const TempDir& d) {
         write_file(d / "c.json", "{\"filters\": 5, ");
         return with(d / "c.json", kWeights, small_input(d), d / "out.npy");
       },
       "c.json: malformed JSON"},
      {"missing_key",
       [&](const TempDir& d) {
         write_file(d / "c.json", R"({"name": "21", "kernel_size": 3})");
         return with(d / "c.json", kWeights, small_input(d), d / "out.npy");
       },
       "\"filters\""},
      {"wrong_type",
       [&](const TempDir& d) {
         write_file(d / "c.json", R"({"name": "21", "filters": 5, "kernel_size": "3"})");
         return with(d / "c.json", kWeights, small_input(d), d / "out.npy");
       },
       "\"kernel_size\""},
      {"kernel_shape_mismatch",
       [&](const TempDir& d) {
         write_file(d / "c.json", R"({"name": "21", "filters": 5, "kernel_size": 5, "data_format": "channels_first"})");
         return with(d / "c.json", kWeights, small_input(d), d / "out.npy");
       },
       "(3, 3, 3, 1, 5)"},
      {"not_hdf5",
       [&](const TempDir& d) {
         write_file(d / "w.h5", "this is not HDF5");
         return with(kConfig, d / "w.h5", small_input(d), d / "out.npy");
       },
       "w.h5"},
      {"missing_weights", [&](const TempDir& d) { return with(kConfig, d / "none.h5", small_input(d), d / "out.npy"); },
       "none.h5"},
      {"unknown_layer",
       [&](const TempDir& d) {
         auto a = with(kConfig, kWeights, small_input(d), d / "out.npy");
         a.insert(a.end(), {"--layer", "nope"});
         return a;
       },
       "nope"},
      {"missing_input", [&](const TempDir& d) { return with(kConfig, kWeights, d / "absent.nii.gz", d / "out.npy"); },
       "absent.nii.gz"},
      {"truncated_volume",
       [&](const TempDir& d) {
         const std::string t1 = (source_dir() / "data/t1_crop.nii.gz").string();
         write_file(d / "cut.nii.gz", read_file(t1).substr(0, 200000));
         return with(kConfig, kWeights, d / "cut.nii.gz", d / "out.nii.gz");
       },
       "cut.nii.gz"},
      {"nan_input", [&](const TempDir& d) { return with(kConfig, kWeights, small_input(d, 100), d / "out.npy"); },
       "NaN"},
      {"channel_mismatch",
       [&](const TempDir& d) {
         Tensor two({1, 8, 8, 8, 1});
         volume::write_volume(d / "a.nii", two, Geometry{}, false);
         volume::write_volume(d / "b.nii", two, Geometry{}, false);
         auto a = with(kConfig, kWeights, d / "a.nii", d / "out.npy");
         a.insert(a.end(), {"--input", d / "b.nii"});
         return a;
       },
       "2 input channels"},
      {"kernel_larger_than_input",
       [&](const TempDir& d) {
         volume::write_npy(d / "tiny.npy", Tensor({1, 1, 2, 8, 8}));
         return with(kConfig, kWeights, d / "tiny.npy", d / "out.npy");
       },
       "kernel_size"},
      {"npy_wrong_rank",
       [&](const TempDir& d) {
         volume::write_npy(d / "r3.npy", Tensor({8, 8, 8}));
         return with(kConfig, kWeights, d / "r3.npy", d / "out.npy");
       },
       "r3.npy"},
      {"output_folder_missing",
       [&](const TempDir& d) { return with(kConfig, kWeights, small_input(d), d / "no/such/dir/out.npy"); },
       "does not exist"},
      {"unknown_output_format",
       [&](const TempDir& d) { return with(kConfig, kWeights, small_input(d), d / "out.xyz"); }, "out.xyz"},
      {"bad_threads",
       [&](const TempDir& d) {
         auto a = with(kConfig, kWeights, small_input(d), d / "out.npy");
         a.insert(a.end(), {"--threads", "-1"});
         return a;
       },
       "--threads"},
      {"bad_axes",
       [&](const TempDir& d) {
         auto a = with(kConfig, kWeights, small_input(d), d / "out.npy");
         a.insert(a.end(), {"--axes", "yxz"});
         return a;
       },
       "--axes"},
      {"strides_with_dilation",
       [&](const TempDir& d) {
         write_file(d / "c.json", R"({"name": "21", "filters": 5, "kernel_size": 3, "strides": 2, "dilation_rate": 2, "data_format": "channels_first"})");
         return with(d / "c.json", kWeights, small_input(d), d / "out.npy");
       },
       "dilation_rate"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const auto args = c.args(dir);
    const int before = count_entries(dir.path());
    const ProcessResult r = voxconv(args);
    expect_bad_input(r, c.mention);
    EXPECT_EQ(count_entries(dir.path()), before) << "a file appeared or vanished";
  }
}

TEST(Cli, InfoReportsShapesParametersAndWeights) {
  auto r = voxconv({"info", "--config", kConfig, "--weights", kWeights, "--input-shape", "256,256,256,1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["count_params"], 3 * 3 * 3 * 1 * 5 + 5);
  EXPECT_EQ(j["output_shape"], nlohmann::json::parse("[null, 5, 254, 254, 254]"));
  EXPECT_EQ(j["data_format"], "channels_first");
  EXPECT_DOUBLE_EQ(j["flops_per_sample"].get<double>(), 2.0 * 254 * 254 * 254 * 5 * 27);
  ASSERT_EQ(j["weights"].size(), 2u);
  EXPECT_EQ(j["weights"][0]["name"], "21/kernel:0");
  EXPECT_EQ(j["weights"][0]["file_dataset"], "/model_weights/21/21/kernel:0");
  r = voxconv({"info", "--config", kConfig, "--input-shape", "16,16,16,1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(None, 5, 14, 14, 14)"), std::string::npos) << r.out;
  r = voxconv({"info", "--config", kConfig});
  expect_bad_input(r, "input channel count is unknown");
  r = voxconv({"info", "--config", kConfig, "--input-shape", "16,16,x,1"});
  expect_bad_input(r, "--input-shape");
}

}  // namespace
}  // namespace voxconv::testing

namespace voxconv::testing {
namespace {

nlohmann::json bench_json(const ProcessResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one JSON line expected: " << r.out;
  return nlohmann::json::parse(r.out);
}

// `bench` times the layer on random data; the numbers vary, the contract does not.
TEST(Cli, BenchPrintsOneJsonLineForEachEngine) {
  for (const std::string engine : {"fast", "reference"}) {
    const auto j = bench_json(voxconv({"bench", "--config", kConfig, "--input-shape", "12,10,9,1", "--threads", "2",
                                       "--repeat", "3", "--engine", engine}));
    EXPECT_EQ(j["engine"], engine);
    EXPECT_EQ(j["threads"], 2);
    EXPECT_EQ(j["repeat"], 3);
    EXPECT_GT(j["median_s"].get<double>(), 0.0);
    EXPECT_LE(j["min_s"].get<double>(), j["median_s"].get<double>());
    EXPECT_GT(j["gflops"].get<double>(), 0.0);
    EXPECT_GT(j["peak_rss_mb"].get<double>(), 1.0);
    // layer "21" is 3x3x3 valid, 1 -> 5 channels (channels_first in the file; bench is NDHWC)
    EXPECT_EQ(j["output_shape"], nlohmann::json({1, 10, 8, 7, 5}));
    if (engine == "reference") {
      EXPECT_EQ(j["kernel"], "reference");
    }
  }
  // With the real weights the channel count must match them.
  const auto j = bench_json(voxconv({"bench", "--config", kConfig, "--weights", kWeights, "--input-shape", "6,6,6,1"}));
  EXPECT_EQ(j["output_shape"], nlohmann::json({1, 4, 4, 4, 5}));
}

TEST(Cli, BenchRefusesBadOptions) {
  expect_bad_input(voxconv({"bench", "--config", kConfig, "--input-shape", "6,6,6"}), "--input-shape");
  expect_bad_input(voxconv({"bench", "--config", kConfig, "--input-shape", "6,6,6,1", "--repeat", "0"}), "--repeat");
  expect_bad_input(voxconv({"bench", "--config", kConfig, "--weights", kWeights, "--input-shape", "6,6,6,3"}),
                   "channels");
  expect_bad_input(voxconv({"bench", "--config", kConfig, "--input-shape", "2,2,2,1"}), "kernel_size");
  expect_bad_input(voxconv({"bench", "--config", kConfig, "--input-shape", "100000,100000,100000,1"}), "input-shape");
}

}  // namespace
}  // namespace voxconv::testing
