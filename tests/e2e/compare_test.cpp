// `voxconv compare` as CI jobs use it: exit 0 within tolerance, 1 out of it, 2 on bad
// input; the report names the worst voxels; --diff writes ACTUAL - EXPECTED.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "e2e/cli_checks.hpp"
#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

namespace fs = std::filesystem;

ProcessResult voxconv(const std::vector<std::string>& args) { return run_process(voxconv_binary(), args); }

std::string npy(const TempDir& dir, const std::string& name, FloatVector values, Dims dims = {}) {
  if (dims.empty()) dims = {static_cast<int64_t>(values.size())};
  const std::string path = dir / name;
  volume::write_npy(path, Tensor(dims, std::move(values)));
  return path;
}

// A (1, Z=4, Y=3, X=5, C=2) volume with distinct values and a non-trivial geometry.
Tensor volume_data(int64_t channels = 2, int64_t x = 5) {
  Tensor t({1, 4, 3, x, channels});
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = 0.25f * static_cast<float>(i % 17) - 1.0f;
  return t;
}

Geometry volume_geometry() {
  Geometry g;
  g.spacing = {0.5, 1.25, 2.0};
  g.origin = {-10.5, 3.25, 40.0};
  g.direction = {0, 1, 0, -1, 0, 0, 0, 0, 1};
  return g;
}

// Flat index of voxel (x, y, z), channel c in a (1, Z, Y, X, C) tensor.
int64_t at(const Tensor& t, int64_t x, int64_t y, int64_t z, int64_t c) {
  return ((z * t.dim(2) + y) * t.dim(3) + x) * t.dim(4) + c;
}

std::string write_vol(const TempDir& dir, const std::string& name, const Tensor& t, const Geometry& g = volume_geometry()) {
  const std::string path = dir / name;
  volume::write_volume(path, t, g, false);
  return path;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Bad input: exit 2 and one line on stderr naming `mention`.
TEST(Compare, ExitCodesAtTheToleranceEdge) {
  TempDir dir;
  const std::string expected = npy(dir, "e.npy", {1.0f, 2.0f, -4.0f});
  const std::string at_edge = npy(dir, "a.npy", {1.5f, 2.0f, -4.0f});  // |d| = 0.5 exactly
  const std::string above = npy(dir, "b.npy", {std::nextafter(1.5f, 2.0f), 2.0f, -4.0f});

  ProcessResult r = voxconv({"compare", expected, at_edge, "--atol", "0.5", "--rtol", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "max abs error: 0.5 at index [0]")) << r.out;
  EXPECT_TRUE(contains(r.out, "out of tolerance: 0 of 3")) << r.out;
  EXPECT_TRUE(contains(r.out, "result: same")) << r.out;

  r = voxconv({"compare", expected, above, "--atol", "0.5", "--rtol", "0"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "out of tolerance: 1 of 3")) << r.out;
  EXPECT_TRUE(contains(r.out, "index [0]: expected 1, actual 1.50000012")) << r.out;
  EXPECT_TRUE(contains(r.out, "result: DIFFERENT")) << r.out;

  // The relative part scales |expected|: 0.5 = 0.125 * |-4|.
  const std::string rel_edge = npy(dir, "c.npy", {1.0f, 2.0f, -4.5f});
  EXPECT_EQ(voxconv({"compare", expected, rel_edge, "--atol", "0", "--rtol", "0.125"}).exit_code, 0);
  EXPECT_EQ(voxconv({"compare", expected, rel_edge, "--atol", "0", "--rtol", "0.1249"}).exit_code, 1);
  // Defaults (numpy.isclose: atol 1e-8, rtol 1e-5) catch a difference of 0.5.
  EXPECT_EQ(voxconv({"compare", expected, at_edge}).exit_code, 1);
  EXPECT_EQ(voxconv({"compare", expected, expected}).exit_code, 0);
}

TEST(Compare, NaNEqualsOnlyNaNAtTheSamePlace) {
  TempDir dir;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::string e = npy(dir, "e.npy", {1.0f, nan, 3.0f, 4.0f}, {2, 2});
  const std::string same = npy(dir, "same.npy", {1.0f, nan, 3.0f, 4.0f}, {2, 2});
  const std::string moved = npy(dir, "moved.npy", {1.0f, 2.0f, nan, 4.0f}, {2, 2});
  EXPECT_EQ(voxconv({"compare", e, same, "--atol", "0"}).exit_code, 0);
  const ProcessResult r = voxconv({"compare", e, moved, "--atol", "1000"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "NaN on one side only: 2")) << r.out;
  EXPECT_TRUE(contains(r.out, "index [0, 1]: expected nan, actual 2")) << r.out;
  EXPECT_TRUE(contains(r.out, "index [1, 0]: expected 3, actual nan")) << r.out;
}

TEST(Compare, ArrayShapesMustMatch) {
  TempDir dir;
  const std::string a = npy(dir, "a.npy", {1, 2, 3, 4, 5, 6}, {2, 3});
  const std::string b = npy(dir, "b.npy", {1, 2, 3, 4, 5, 6}, {3, 2});
  const ProcessResult r = voxconv({"compare", a, b});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "shapes differ: expected array (2, 3), actual array (3, 2)")) << r.out;
}

TEST(Compare, VolumesInDifferentFormatsWithTheSameContentAreTheSame) {
  TempDir dir;
  const Tensor t = volume_data();
  const std::string nii = write_vol(dir, "e.nii.gz", t);
  const std::string nrrd = write_vol(dir, "a.nrrd", t);
  ProcessResult r = voxconv({"compare", nii, nrrd, "--atol", "0", "--rtol", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "volume 5x3x4 (x, y, z), 2 channels")) << r.out;
  EXPECT_TRUE(contains(r.out, "geometry: same within")) << r.out;

  Tensor changed = volume_data();
  changed.data()[at(changed, 2, 1, 3, 1)] += 0.75f;
  changed.data()[at(changed, 4, 0, 0, 0)] += 0.5f;
  const std::string mha = write_vol(dir, "a.mha", changed);
  r = voxconv({"compare", nii, mha, "--atol", "0.1"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "out of tolerance: 2 of 120")) << r.out;
  EXPECT_TRUE(contains(r.out, "max abs error: 0.75 at voxel (x 2, y 1, z 3) channel 1")) << r.out;
  // Worst first.
  const size_t first = r.out.find("  voxel (x 2, y 1, z 3) channel 1:");
  const size_t second = r.out.find("  voxel (x 4, y 0, z 0) channel 0:");
  EXPECT_NE(first, std::string::npos) << r.out;
  EXPECT_NE(second, std::string::npos) << r.out;
  EXPECT_LT(first, second);
  EXPECT_EQ(voxconv({"compare", nii, mha, "--atol", "0.75"}).exit_code, 0);
}

TEST(Compare, GeometryOutsideTheToleranceIsADifference) {
  TempDir dir;
  const Tensor t = volume_data();
  const std::string e = write_vol(dir, "e.nii", t);
  Geometry moved = volume_geometry();
  moved.origin[2] += 0.01;
  const std::string a = write_vol(dir, "a.nii", t, moved);
  ProcessResult r = voxconv({"compare", e, a});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "geometry: origin differs: expected (-10.5, 3.25, 40), actual (-10.5, 3.25, 40.0")) << r.out;
  EXPECT_TRUE(contains(r.out, "out of tolerance: 0 of 120")) << r.out;  // values are still compared
  EXPECT_EQ(voxconv({"compare", e, a, "--geometry-tol", "0.02"}).exit_code, 0);

  Geometry stretched = volume_geometry();
  stretched.spacing[0] = 0.6;
  r = voxconv({"compare", e, write_vol(dir, "s.nii", t, stretched)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "geometry: spacing differs")) << r.out;

  Geometry turned = volume_geometry();
  turned.direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  r = voxconv({"compare", e, write_vol(dir, "t.nii", t, turned)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "geometry: direction differs")) << r.out;
}

TEST(Compare, VolumeSizeAndChannelMismatchesAreDifferences) {
  TempDir dir;
  const std::string e = write_vol(dir, "e.nii", volume_data());
  ProcessResult r = voxconv({"compare", e, write_vol(dir, "c.nii", volume_data(3))});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "channels differ: expected 2, actual 3")) << r.out;
  r = voxconv({"compare", e, write_vol(dir, "x.nii", volume_data(2, 6))});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "shapes differ: expected volume 5x3x4 (x, y, z), 2 channels, actual volume 6x3x4")) << r.out;
}

TEST(Compare, BadInputExitsTwoWithOneLine) {
  TempDir dir;
  const std::string a = npy(dir, "a.npy", {1, 2});
  const std::string v = write_vol(dir, "v.nii", volume_data());
  expect_bad_input(voxconv({"compare", a, dir / "missing.npy"}), "missing.npy");
  expect_bad_input(voxconv({"compare", a, v}), "cannot compare");
  expect_bad_input(voxconv({"compare", a, dir / "notes.txt"}), "notes.txt: unknown file format");
  expect_bad_input(voxconv({"compare", a, a, "--atol", "-1"}), "--atol");
  const std::string garbage = dir / "garbage.nii";
  std::ofstream(garbage) << "not a volume";
  expect_bad_input(voxconv({"compare", v, garbage}), "garbage.nii");
  EXPECT_EQ(voxconv({"compare", a}).exit_code, 2);  // ACTUAL missing
}

TEST(Compare, DiffWritesActualMinusExpectedWithTheExpectedGeometry) {
  TempDir dir;
  const Tensor t = volume_data();
  Tensor changed = volume_data();
  changed.data()[at(changed, 1, 2, 3, 0)] += 2.0f;
  const std::string e = write_vol(dir, "e.nii.gz", t);
  Geometry shifted = volume_geometry();
  shifted.origin[0] += 5.0;
  const std::string a = write_vol(dir, "a.nii.gz", changed, shifted);
  const std::string diff = dir / "diff.nrrd";
  ProcessResult r = voxconv({"compare", e, a, "--diff", diff});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "written to " + diff)) << r.out;
  const volume::Volume d = volume::read_volume(diff);
  ASSERT_EQ(d.data.dims(), t.dims());
  for (int64_t i = 0; i < t.size(); ++i)
    EXPECT_EQ(d.data.data()[i], i == at(t, 1, 2, 3, 0) ? 2.0f : 0.0f) << "element " << i;
  EXPECT_EQ(d.geometry.origin, volume_geometry().origin);
  EXPECT_EQ(d.geometry.spacing, volume_geometry().spacing);

  // An existing diff is kept unless --force.
  const auto before = fs::last_write_time(diff);
  expect_bad_input(voxconv({"compare", e, e, "--diff", diff}), "already exists");
  EXPECT_EQ(fs::last_write_time(diff), before);
  EXPECT_EQ(voxconv({"compare", e, e, "--diff", diff, "--force"}).exit_code, 0);
  const volume::Volume zero = volume::read_volume(diff);
  for (int64_t i = 0; i < zero.data.size(); ++i) ASSERT_EQ(zero.data.data()[i], 0.0f);

  // The kind of the diff follows the inputs; no diff when the shapes differ.
  expect_bad_input(voxconv({"compare", e, a, "--diff", dir / "d.npy"}), "d.npy");
  r = voxconv({"compare", e, write_vol(dir, "c.nii", volume_data(3)), "--diff", dir / "none.nii"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "no difference file written")) << r.out;
  EXPECT_FALSE(fs::exists(dir / "none.nii"));

  const std::string x = npy(dir, "x.npy", {1, 2, 3}), y = npy(dir, "y.npy", {1, 2.5f, 3});
  EXPECT_EQ(voxconv({"compare", x, y, "--diff", dir / "xy.npy"}).exit_code, 1);
  EXPECT_EQ(volume::read_npy(dir / "xy.npy").values(), (FloatVector{0, 0.5f, 0}));
  EXPECT_EQ(count_entries(dir.path()), 7);  // no staging folders left behind
}

}  // namespace
}  // namespace voxconv::testing
