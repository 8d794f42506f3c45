// Slab readers against read_volume: every slab split of the planes gives read_volume's
// values bit for bit and its geometry, on real files (../shared/realdata, skipped when
// absent), the bundled T1, and files written here; files it cannot read in slabs (scaled
// values, multi-channel gzip, other formats) give no reader.
#include "volume/slab_reader.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "core/error.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

// Reads `path` in slabs of 1..4 planes and compares with read_volume.
void expect_slabs_equal_whole(const std::string& path) {
  SCOPED_TRACE(path);
  const auto reader = open_volume_slab_reader(path);
  ASSERT_NE(reader, nullptr);
  const Volume whole = read_volume(path);
  ASSERT_EQ(reader->dims(), whole.data.dims());
  EXPECT_EQ(reader->geometry().spacing, whole.geometry.spacing);
  EXPECT_EQ(reader->geometry().origin, whole.geometry.origin);
  EXPECT_EQ(reader->geometry().direction, whole.geometry.direction);
  std::mt19937 rng(7);
  const int64_t plane = whole.data.size() / whole.data.dim(1);
  for (int64_t z0 = 0; z0 < whole.data.dim(1);) {
    const int64_t z1 = std::min(whole.data.dim(1), z0 + std::uniform_int_distribution<int64_t>(1, 4)(rng));
    const Tensor slab = reader->read(z0, z1);
    ASSERT_EQ(slab.size(), (z1 - z0) * plane);
    ASSERT_EQ(0, std::memcmp(slab.data(), whole.data.data() + z0 * plane, static_cast<size_t>(slab.size()) * 4))
        << "planes " << z0 << ".." << z1;
    z0 = z1;
  }
}

std::string realdata(const std::string& name) { return testing::realdata("volumes/" + name).string(); }

TEST(SlabReader, RealNiftiFilesEqualReadVolume) {
  int found = 0;
  for (const char* name : {"nibabel/anatomical.nii", "nibabel/reoriented_anat_moved.nii", "nibabel/standard.nii.gz",
                           "dipy/aniso_vox.nii.gz", "dipy/S0_10slices.nii.gz",
                           "itk_examples/KmeansTest_T1UCharRaw.nii.gz"}) {
    if (!std::filesystem::exists(realdata(name))) continue;
    expect_slabs_equal_whole(realdata(name));
    ++found;
  }
  if (found == 0) GTEST_SKIP() << "../shared/realdata is absent";
}

TEST(SlabReader, BundledT1EqualsReadVolume) {
  expect_slabs_equal_whole((testing::source_dir() / "data/t1_crop.nii.gz").string());
}

TEST(SlabReader, WrittenVectorAndScalarFilesEqualReadVolume) {
  const testing::TempDir dir;
  const Geometry g = testing::rotated_geometry(30.0, 10.0, true);
  for (const int64_t channels : {1, 3}) {
    Tensor t({1, 7, 5, 6, channels});
    std::mt19937 rng(static_cast<unsigned>(channels));
    std::normal_distribution<float> normal;
    for (float& v : t.values()) v = normal(rng);
    const std::string path = dir.file("v" + std::to_string(channels) + ".nii");
    write_volume(path, t, g, false);
    expect_slabs_equal_whole(path);
  }
}

TEST(SlabReader, FilesReadWholeGiveNoReader) {
  const testing::TempDir dir;
  Tensor t({1, 3, 4, 5, 2});
  const std::string gz = dir.file("two.nii.gz"), nrrd = dir.file("a.nrrd");
  write_volume(gz, t, Geometry{}, false);
  write_volume(nrrd, t, Geometry{}, false);
  EXPECT_EQ(open_volume_slab_reader(gz), nullptr);    // gzip with 2 channels
  EXPECT_EQ(open_volume_slab_reader(nrrd), nullptr);  // not NIfTI
  if (std::filesystem::exists(realdata("nibabel/functional.nii"))) {
    EXPECT_EQ(open_volume_slab_reader(realdata("nibabel/functional.nii")), nullptr);  // scl_slope
  }
  EXPECT_THROW(open_volume_slab_reader(dir.file("missing.nii")), Error);
}

TEST(SlabReader, TruncatedFileNamesTheFile) {
  const testing::TempDir dir;
  Tensor t({1, 6, 4, 5, 1});
  const std::string whole = dir.file("whole.nii"), cut = dir.file("cut.nii");
  write_volume(whole, t, Geometry{}, false);
  testing::copy_truncated(whole, cut, 3, 4);
  try {
    open_volume_slab_reader(cut);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace voxconv::volume
