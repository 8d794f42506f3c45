// HDF5 datasets as inputs and outputs of `run` and `compare`, against an independent
// golden (tests/golden/cases/vol_zyx_same_k3, its input written to HDF5 by h5py).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kCase = source_dir() / "tests/golden/cases/vol_zyx_same_k3";

std::string hdf5_fixture(const std::string& name) { return (source_dir() / "tests/data/hdf5" / name).string(); }

ProcessResult voxconv(const std::vector<std::string>& args) {
  return run_process(voxconv_binary(), args, "", {"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"});
}

std::vector<std::string> golden_layer(std::vector<std::string> args) {
  std::vector<std::string> all{"run", "--config", (kCase / "config.json").string(), "--weights", (kCase / "weights.h5").string()};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

std::string exact(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Hdf5Volumes, GoldenInputReadFromHdf5MatchesTheIndependentReference) {
  const nlohmann::json spec = nlohmann::json::parse(std::ifstream(kCase / "case.json"));
  TempDir dir;
  const ProcessResult r = voxconv(golden_layer({"--input", hdf5_fixture("golden_vol_zyx_same_k3.h5") + ":/scan", "--output",
                                                dir / "out.npy"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const ProcessResult c = voxconv({"compare", (kCase / "expected.npy").string(), dir / "out.npy", "--rtol",
                                   exact(spec["rtol"]), "--atol", exact(spec["atol"])});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
}

TEST(Hdf5Volumes, Hdf5OutputHoldsWhatTheNiftiOutputHolds) {
  TempDir dir;
  const std::string input = (kCase / "input.nii.gz").string();
  ProcessResult r = voxconv(golden_layer({"--input", input, "--output", dir / "out.h5:/features/layer"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "wrote " + dir.path() + "/out.h5:/features/layer")) << r.out;
  ASSERT_EQ(voxconv(golden_layer({"--input", input, "--output", dir / "out.nii"})).exit_code, 0);
  // Values exactly; geometry as far as NIfTI's float32 fields keep it.
  r = voxconv({"compare", dir / "out.nii", dir / "out.h5:/features/layer", "--atol", "0", "--rtol", "0",
               "--geometry-tol", "1e-5"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The file exists now: it is not replaced without --force, also for another dataset name.
  r = voxconv(golden_layer({"--input", input, "--output", dir / "out.h5:/other"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "out.h5: already exists")) << r.err;
  r = voxconv(golden_layer({"--input", input, "--output", dir / "x.h5:/f", "--split-channels"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "one (z, y, x, filters) dataset")) << r.err;
  // compare --diff into HDF5.
  r = voxconv({"compare", dir / "out.nii", dir / "out.h5:/features/layer", "--diff", dir / "d.h5:/diff"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const volume::Volume diff = volume::read_volume(dir / "d.h5:/diff");
  for (float v : diff.data.values()) ASSERT_EQ(v, 0.0f);
}

TEST(Hdf5Volumes, BadDatasetsExitTwoNamingFileAndDataset) {
  TempDir dir;
  const std::string soft = hdf5_fixture("bad_links.h5") + ":/soft";
  const ProcessResult r = voxconv(golden_layer({"--input", soft, "--output", dir / "o.nii"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "voxconv: " + soft + ": /soft is a soft link; voxconv follows hard links only\n");
  EXPECT_EQ(count_entries(dir.path()), 0);
}

TEST(Hdf5Volumes, BatchOfHdf5Volumes) {
  TempDir dir;
  const std::string a = hdf5_fixture("golden_vol_zyx_same_k3.h5") + ":/scan";
  const std::string manifest = dir / "m.csv";
  std::ofstream(manifest) << "input,id\n" << a << ",one\n" << a << ",two\n";
  const std::vector<std::string> args = golden_layer({"--manifest", manifest, "--output", dir / "out/{stem}_{id}.h5:/features"});
  ProcessResult r = voxconv(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "2 written")) << r.out;
  EXPECT_TRUE(fs::exists(dir / "out/golden_vol_zyx_same_k3_one.h5"));
  EXPECT_EQ(volume::read_volume(dir / "out/golden_vol_zyx_same_k3_two.h5:/features").data.dims(), (Dims{1, 7, 8, 9, 2}));
  r = voxconv(args);
  EXPECT_TRUE(contains(r.out, "0 written, 2 skipped")) << r.out;
}

}  // namespace
}  // namespace voxconv::testing
