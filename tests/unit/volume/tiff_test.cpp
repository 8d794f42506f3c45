// TIFF stacks through ITK against fixtures written by Pillow
// (tests/data/tiff/make_tiff_fixtures.py): one page per z plane, values exact,
// spacing from the resolution tags; and a voxconv-written float32
// multi-component stack reads back unchanged.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

std::string fixture(const std::string &name) { return (testing::source_dir() / "tests/data/tiff" / name).string(); }

void expect_values(const Volume &v, const Tensor &expected_zyx) {
  ASSERT_EQ(v.data.dims(), (Dims{1, expected_zyx.dim(0), expected_zyx.dim(1), expected_zyx.dim(2), 1}));
  for (int64_t i = 0; i < expected_zyx.size(); ++i) ASSERT_EQ(v.data.data()[i], expected_zyx.data()[i]) << i;
}

TEST(Tiff, PillowUint16StackReadsPagesAsZPlanes) {
  const Volume v = read_volume(fixture("stack_u16.tif"));
  expect_values(v, read_npy(fixture("expected_stack_u16.npy")));
  EXPECT_NEAR(v.geometry.spacing[0], 0.5, 1e-6);  // 20 pixels per cm
  EXPECT_NEAR(v.geometry.spacing[1], 0.5, 1e-6);
}

TEST(Tiff, PillowFloat32StackIsExact) {
  expect_values(read_volume(fixture("stack_f32.tif")), read_npy(fixture("expected_stack_f32.npy")));
}

TEST(Tiff, WrittenStackReadsBack) {
  const testing::TempDir dir;
  for (const int64_t channels : {1, 3, 5}) {
    Tensor t({1, 4, 3, 5, channels});
    for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(i) * 0.25f - 3.0f;
    Geometry g;
    g.spacing = {0.5, 0.5, 2.0};
    const std::string path = dir.file("out" + std::to_string(channels) + ".tif");
    write_volume(path, t, g, false);
    const Volume back = read_volume(path);
    ASSERT_EQ(back.data.dims(), t.dims());
    for (int64_t i = 0; i < t.size(); ++i) ASSERT_EQ(back.data.data()[i], t.data()[i]) << i;
  }
}

TEST(Tiff, NotATiffNamesTheFile) {
  const testing::TempDir dir;
  const std::string path = dir.file("fake.tif");
  testing::write_bytes(path, "this is not a TIFF file at all");
  try {
    read_volume(path);
    FAIL() << "no error";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace voxconv::volume
