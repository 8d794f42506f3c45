// Larger than memory: with --memory-limit far below the output size, `run` computes and
// writes the output in slabs of depth planes; the files must equal the in-memory run's,
// byte for byte, on odd sizes, strides 2 and 3, dilation 2, same and valid padding,
// channels_first, .npy, multi-component and split-channel NIfTI, MetaImage and NRRD outputs
// (HDF5: the same values and geometry).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/cli_checks.hpp"
#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

const auto kCases = source_dir() / "tests/golden/cases";
constexpr int64_t kReserve = int64_t{64} << 20;  // README: what voxconv keeps for itself

ProcessResult voxconv(const std::vector<std::string>& args) { return run_process(voxconv_binary(), args); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Tensor noise(const Dims& dims, unsigned seed) {
  Tensor t(dims);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  for (float& v : t.values()) v = normal(rng);
  return t;
}

bool has_extension(const std::string& name, const std::string& extension) {
  return name.size() > extension.size() && name.compare(name.size() - extension.size(), extension.size(), extension) == 0;
}

// Files the slab writers promise byte for byte: .npy, plain NIfTI, MetaImage and NRRD with
// their detached data files. (.nii.gz and HDF5 are compared by their values.)
bool same_bytes_promised(const std::string& name) {
  for (const char* extension : {".npy", ".nii", ".mha", ".mhd", ".raw", ".nrrd", ".nhdr"})
    if (has_extension(name, extension)) return true;
  return false;
}

// Runs the golden case's layer on `input` in memory and in slabs (`slab_flags`), each into a
// folder of its own under the same name (a detached header names its data file); every file
// of the first run must have a twin with the same bytes where promised, and every volume the
// same values and geometry (read back, and by `voxconv compare` with no tolerance). An HDF5
// output "out.h5:/dataset" is compared by its dataset.
void expect_slabs_equal_whole(const std::string& case_name, const std::string& input, const std::string& out_name,
                              const std::vector<std::string>& slab_flags, const std::vector<std::string>& extra = {}) {
  SCOPED_TRACE(case_name + " -> " + out_name);
  const TempDir dir;
  const std::string whole_dir = dir / "whole", slab_dir = dir / "slab";
  std::filesystem::create_directory(whole_dir);
  std::filesystem::create_directory(slab_dir);
  const std::string config = (kCases / case_name / "config.json").string();
  const std::string weights = (kCases / case_name / "weights.h5").string();
  std::vector<std::string> args = {"run", "--config", config, "--weights", weights, "--input", input};
  args.insert(args.end(), extra.begin(), extra.end());
  auto whole_args = args, slab_args = args;
  whole_args.insert(whole_args.end(), {"--output", whole_dir + "/" + out_name});
  slab_args.insert(slab_args.end(), {"--output", slab_dir + "/" + out_name, "--threads", "2"});
  slab_args.insert(slab_args.end(), slab_flags.begin(), slab_flags.end());
  const auto whole = voxconv(whole_args);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const auto slab = voxconv(slab_args);
  ASSERT_EQ(slab.exit_code, 0) << slab.err;
  const size_t at = slab.out.find(" slabs");
  ASSERT_NE(at, std::string::npos) << "not computed in slabs: " << slab.out;
  EXPECT_GT(std::stoi(slab.out.substr(slab.out.rfind(' ', at - 1))), 1) << slab.out;
  EXPECT_EQ(whole.out.find(" slabs"), std::string::npos) << whole.out;
  const size_t colon = out_name.find(':');
  const std::string dataset = colon == std::string::npos ? "" : out_name.substr(colon);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(whole_dir)) {
    const std::string name = entry.path().filename().string();
    const std::string twin = slab_dir + "/" + name;
    ASSERT_TRUE(std::filesystem::exists(twin)) << twin;
    ++files;
    if (same_bytes_promised(name)) {
      EXPECT_TRUE(read_file(entry.path().string()) == read_file(twin)) << name << ": the bytes differ";
    }
    const std::string suffix = has_extension(name, ".h5") ? dataset : "";
    const std::string volume = entry.path().string() + suffix, twin_volume = twin + suffix;
    const volume::FileFormat format = volume::format_of(volume);
    if (format == volume::FileFormat::npy || format == volume::FileFormat::unknown) continue;  // .raw: with its header
    const auto x = volume::read_volume(volume), y = volume::read_volume(twin_volume);
    EXPECT_EQ(x.data.dims(), y.data.dims());
    EXPECT_EQ(0, std::memcmp(x.data.data(), y.data.data(), static_cast<size_t>(x.data.size()) * sizeof(float)));
    EXPECT_EQ(x.geometry.origin, y.geometry.origin);
    EXPECT_EQ(x.geometry.spacing, y.geometry.spacing);
    EXPECT_EQ(x.geometry.direction, y.geometry.direction);
    const auto compared = voxconv({"compare", "--atol", "0", "--rtol", "0", "--geometry-tol", "0", volume, twin_volume});
    EXPECT_EQ(compared.exit_code, 0) << compared.out << compared.err;
  }
  EXPECT_GT(files, 0);
  EXPECT_EQ(count_entries(slab_dir), files) << "temporary files left behind";
}

// An odd-sized input with the case's channel count and layout.
std::string npy_input(const TempDir& dir, const std::string& case_name, int64_t depth, int64_t* bytes) {
  const Tensor small = volume::read_npy((kCases / case_name / "input.npy").string());
  const auto& config = read_file((kCases / case_name / "config.json").string());
  const bool channels_first = config.find("channels_first") != std::string::npos;
  const int64_t channels = channels_first ? small.dim(1) : small.dim(4);
  const Dims dims = channels_first ? Dims{1, channels, depth, 9, 11} : Dims{1, depth, 9, 11, channels};
  const std::string path = dir / (case_name + ".npy");
  volume::write_npy(path, noise(dims, static_cast<unsigned>(depth)));
  *bytes = channels * depth * 9 * 11 * 4;
  return path;
}

TEST(Slabs, NpyOutputsEqualTheInMemoryRun) {
  const TempDir inputs;
  for (const char* name : {"stride2_same_k3_odd", "stride3_valid_k2", "dilation2_same_k3", "dilation2_valid_k3",
                           "cf_stride_mixed_same", "groups2_stride2_cf", "k5_same", "k1_pointwise"}) {
    int64_t bytes = 0;
    const std::string input = npy_input(inputs, name, 29, &bytes);
    for (const char* planes : {"1", "3"}) expect_slabs_equal_whole(name, input, "out.npy", {"--slab-planes", planes});
  }
}

// A rotated, anisotropic one-channel volume of odd size.
std::string nifti_input(const TempDir& dir, const Dims& dims, int64_t* bytes) {
  volume::Volume v{noise(dims, 5), {}, {}};
  v.geometry.spacing = {0.9, 1.1, 2.5};
  v.geometry.origin = {-20.0, 4.5, 11.0};
  v.geometry.direction = {0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0};
  const std::string path = dir / "input.nii.gz";
  volume::write_volume(path, v.data, v.geometry, false);
  *bytes = v.data.size() * 4;
  return path;
}

TEST(Slabs, NiftiOutputsEqualTheInMemoryRun) {
  const TempDir inputs;
  int64_t bytes = 0;
  const std::string input = nifti_input(inputs, {1, 23, 9, 13, 1}, &bytes);
  expect_slabs_equal_whole("vol_stride2_rotated_geometry", input, "out.nii.gz", {"--slab-planes", "2"});  // 1 -> 2
  expect_slabs_equal_whole("vol_zyx_same_k3", input, "out.nii", {"--slab-planes", "4"});
  expect_slabs_equal_whole("vol_split_channels", input, "split.nii.gz", {"--slab-planes", "3"}, {"--split-channels"});
}

// MetaImage and NRRD (attached and detached: the .raw moves with its header) and HDF5 (plain and
// gzip), odd sizes, stride 2 with same and valid padding, several filters, split channels.
TEST(Slabs, MetaImageNrrdAndHdf5OutputsEqualTheInMemoryRun) {
  const TempDir inputs;
  int64_t bytes = 0;
  const std::string input = nifti_input(inputs, {1, 23, 9, 13, 1}, &bytes);
  for (const char* out : {"out.mha", "out.mhd", "out.nrrd", "out.nhdr", "out.h5:/features/conv"}) {
    expect_slabs_equal_whole("vol_stride2_rotated_geometry", input, out, {"--slab-planes", "2"});  // 1 -> 2, same
    expect_slabs_equal_whole("vol_stride2_valid_k2_flipped", input, out, {"--slab-planes", "3"});  // 1 -> 3, valid
  }
  for (const char* out : {"split.mha", "split.mhd", "split.nrrd", "split.nhdr"})
    expect_slabs_equal_whole("vol_split_channels", input, out, {"--slab-planes", "4"}, {"--split-channels"});
  expect_slabs_equal_whole("vol_zyx_same_k3", input, "gz.h5:/v", {"--slab-planes", "5"}, {"--compress"});
  expect_slabs_equal_whole("vol_zyx_same_k3", input, "gz9.h5:/v", {"--slab-planes", "2"}, {"--compression-level", "9"});
}

// What users do: a memory limit far below the output's size, and here below the input's
// too: a gzipped one-channel NIfTI input is read slab by slab as well.
TEST(Slabs, MemoryLimitFarBelowTheOutputSize) {
  const TempDir inputs;
  int64_t bytes = 0;
  const Dims dims{1, 64, 48, 40, 1};
  const std::string input = nifti_input(inputs, dims, &bytes);
  const int64_t output_bytes = 64 * 48 * 40 * 2 * 4;  // the smaller output: 1 -> 2 filters, same size
  ASSERT_LT(output_bytes / 8, bytes);
  const std::string limit = std::to_string(kReserve + output_bytes / 8);
  expect_slabs_equal_whole("vol_zyx_same_k3", input, "out.nii.gz", {"--memory-limit", limit});
  expect_slabs_equal_whole("vol_split_channels", input, "split.nii", {"--memory-limit", limit}, {"--split-channels"});
  expect_slabs_equal_whole("vol_zyx_same_k3", input, "out.mhd", {"--memory-limit", limit});
  expect_slabs_equal_whole("vol_zyx_same_k3", input, "out.nrrd", {"--memory-limit", limit});
  expect_slabs_equal_whole("vol_zyx_same_k3", input, "out.h5:/features", {"--memory-limit", limit}, {"--compress"});
}

TEST(Slabs, RefusedBeforeStartingWhenTheyCannotWork) {
  const TempDir dir;
  int64_t bytes = 0;
  const std::string input = npy_input(dir, "k5_same", 41, &bytes);
  const std::string config = (kCases / "k5_same/config.json").string();
  const std::string weights = (kCases / "k5_same/weights.h5").string();
  const auto run = [&](const std::string& out, const std::string& limit, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--config", config, "--weights", weights, "--input", input,
                                     "--output", dir / out, "--memory-limit", limit};
    args.insert(args.end(), extra.begin(), extra.end());
    return voxconv(args);
  };
  // Not even one plane fits: the message names the numbers, nothing is written.
  auto r = run("a.npy", std::to_string(kReserve + bytes));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("too small"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("MiB"), std::string::npos) << r.err;
  // Formats that cannot be written in slabs, the reference engine, bad sizes.
  r = run("a.tif", "8G", {"--slab-planes", "2"});
  expect_one_line_naming(r, dir / "a.tif", "only NIfTI (.nii, .nii.gz), MetaImage (.mha, .mhd), NRRD (.nrrd, .nhdr)");
  // Compressed MetaImage and NRRD: refused before computing, whether asked for slabs or over the limit.
  for (const char* out : {"c.mha", "c.mhd", "c.nrrd", "c.nhdr"}) {
    r = run(out, "8G", {"--slab-planes", "2", "--compress"});
    expect_one_line_naming(r, dir / out, "drop --compress");
    r = run(out, std::to_string(kReserve + bytes + bytes / 2), {"--compression-level", "3"});
    expect_one_line_naming(r, dir / out, "or write .nii.gz or FILE.h5:/dataset");
    EXPECT_EQ(r.out, "");
  }
  r = run("a.npy", "8G", {"--slab-planes", "2", "--engine", "reference"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("reference"), std::string::npos) << r.err;
  for (const char* bad : {"0", "-5G", "lots", "2X", "1e30"}) {
    r = run("a.npy", bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--memory-limit"), std::string::npos) << r.err;
  }
  EXPECT_EQ(count_entries(dir.path()), 1) << "only the input may exist";
}

}  // namespace
}  // namespace voxconv::testing
