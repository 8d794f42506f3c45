// HDF5 datasets as volumes: fixtures written by h5py (tests/data/hdf5/make_hdf5_fixtures.py)
// read with their values and geometry; voxconv's own files checked with the plain HDF5 C
// API; every refused file named with its dataset.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"
#include "hdf5_inspect.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

using voxconv::testing::expect_error;
using voxconv::testing::inspect;
using voxconv::testing::Written;
using voxconv::testing::TempDir;

std::string fixture(const std::string& name) { return (testing::source_dir() / "tests/data/hdf5" / name).string(); }

TEST(Hdf5Path, FormatAndFileOfADatasetPath) {
  EXPECT_EQ(format_of("scan.h5:/ct/volume"), FileFormat::hdf5);
  EXPECT_EQ(format_of("dir.x/Scan.HDF5:/v"), FileFormat::hdf5);
  EXPECT_EQ(format_of("scan.h5"), FileFormat::hdf5);  // the reader asks for the dataset
  EXPECT_EQ(format_of("a:b.nii"), FileFormat::nifti);
  EXPECT_EQ(format_of("dir/.h5:/v"), FileFormat::unknown);
  EXPECT_EQ(volume_file_of("out/f.h5:/features/a"), "out/f.h5");
  EXPECT_EQ(volume_file_of("out/f.nii.gz"), "out/f.nii.gz");
  EXPECT_EQ(with_volume_file("out/f.h5:/features", "tmp/.s/f.h5"), "tmp/.s/f.h5:/features");
  EXPECT_EQ(with_volume_file("out/f.nrrd", "tmp/f.nrrd"), "tmp/f.nrrd");
}

TEST(Hdf5Read, BigEndianInt16GzipChunksWithElementSize) {
  const Volume v = read_volume(fixture("good_int16_be_gzip.h5") + ":/ct/volume");
  ASSERT_EQ(v.data.dims(), (Dims{1, 10, 11, 12, 1}));
  for (int64_t i = 0; i < v.data.size(); ++i)
    ASSERT_EQ(v.data.data()[i], static_cast<float>((i * 37) % 200 - 100)) << "element " << i;
  EXPECT_EQ(v.geometry.spacing, (std::array<double, 3>{1.0, 1.5, 2.0}));  // element_size_um is (z, y, x)
  EXPECT_EQ(v.geometry.origin, (std::array<double, 3>{0, 0, 0}));
}

TEST(Hdf5Read, Float64FourDimensionalWithGeometry) {
  const Volume v = read_volume(fixture("good_float64_4d.h5") + ":/data");
  ASSERT_EQ(v.data.dims(), (Dims{1, 4, 5, 6, 3}));
  for (int64_t i = 0; i < v.data.size(); ++i)
    ASSERT_EQ(v.data.data()[i], static_cast<float>(static_cast<double>(i - 100) * 0.125)) << "element " << i;
  EXPECT_EQ(v.geometry.spacing, (std::array<double, 3>{0.5, 0.75, 1.25}));
  EXPECT_EQ(v.geometry.origin, (std::array<double, 3>{-1.0, 2.0, 3.0}));
  EXPECT_NEAR(v.geometry.direction[0], std::cos(M_PI / 6), 1e-12);
  EXPECT_NEAR(v.geometry.direction[1], -std::sin(M_PI / 6), 1e-12);
  EXPECT_EQ(v.geometry.direction[8], 1.0);
  const Volume u = read_volume(fixture("good_uint8.h5") + ":/v");
  ASSERT_EQ(u.data.dims(), (Dims{1, 3, 4, 5, 1}));
  EXPECT_EQ(u.data.data()[59], 59.0f);
  EXPECT_EQ(u.geometry.spacing, (std::array<double, 3>{1, 1, 1}));
}

TEST(Hdf5Read, RefusesWhatIsNotAVolumeNamingTheDataset) {
  const std::string links = fixture("bad_links.h5"), types = fixture("bad_types.h5"), attrs = fixture("bad_attributes.h5");
  const auto refuse = [](const std::string& path, const std::string& part) {
    expect_error([&] { read_volume(path); }, ErrorKind::volume_read, path, part);
  };
  refuse(links + ":/soft", "/soft is a soft link");
  refuse(links + ":/soft_group/v", "/soft_group is a soft link");
  refuse(links + ":/external", "/external is an external link");
  refuse(links + ":/missing", "no object /missing");
  refuse(links + ":/g", "/g is a group");
  refuse(links, "name the dataset");
  refuse(links + ":/g/", "not a dataset path");
  refuse(types + ":/strings", "holds no numbers");
  refuse(types + ":/compound", "holds no numbers");
  refuse(types + ":/rank2", "has shape (4, 5)");
  refuse(types + ":/rank5", "3-D (z, y, x) or 4-D");
  refuse(types + ":/empty", "empty");
  refuse(types + ":/external_storage", "external files");
  refuse(attrs + ":/two_spacings", "attribute \"spacing\"");
  refuse(attrs + ":/negative_spacing", "positive numbers");
  refuse(attrs + ":/text_origin", "attribute \"origin\" is not numbers");
  refuse(attrs + ":/singular_direction", "singular");
  refuse(fixture("bad_not_hdf5.h5") + ":/v", "not an HDF5 file");
  refuse(fixture("missing.h5") + ":/v", "no such file");
}

TEST(Hdf5Write, RoundTripWithGeometryAndOptionalCompression) {
  TempDir dir;
  Tensor data({1, 4, 5, 6, 3});
  for (int64_t i = 0; i < data.size(); ++i) data.data()[i] = static_cast<float>(i % 13) * 0.5f - 2.0f;
  Geometry g = testing::rotated_geometry(20.0, 10.0, true);
  const std::string plain = dir.file("a.h5") + ":/features/layer1";
  write_volume(plain, data, g, false);
  const Volume back = read_volume(plain);
  EXPECT_EQ(back.data.dims(), data.dims());
  EXPECT_EQ(back.data.values(), data.values());
  EXPECT_EQ(back.geometry.spacing, g.spacing);  // float64 attributes: exact
  EXPECT_EQ(back.geometry.origin, g.origin);
  EXPECT_EQ(back.geometry.direction, g.direction);
  const Written w = inspect(dir.file("a.h5"), "/features/layer1");
  EXPECT_EQ(w.dims, (std::vector<hsize_t>{4, 5, 6, 3}));
  EXPECT_TRUE(w.float32);
  EXPECT_FALSE(w.chunked);
  EXPECT_EQ(w.spacing, (std::vector<double>(g.spacing.begin(), g.spacing.end())));

  Tensor scalar({1, 30, 20, 10, 1});  // compressible: a ramp
  for (int64_t i = 0; i < scalar.size(); ++i) scalar.data()[i] = static_cast<float>(i / 50);
  write_volume(dir.file("b.h5") + ":/v", scalar, Geometry{}, WriteOptions{true, 9});
  const Written c = inspect(dir.file("b.h5"), "/v");
  EXPECT_EQ(c.dims, (std::vector<hsize_t>{30, 20, 10}));
  EXPECT_TRUE(c.chunked);
  EXPECT_LT(testing::read_bytes(dir.file("b.h5")).size(), static_cast<size_t>(scalar.size()) * 2);
  EXPECT_EQ(read_volume(dir.file("b.h5") + ":/v").data.values(), scalar.values());

  expect_error([&] { write_volume(dir.file("c.h5"), scalar, Geometry{}, false); }, ErrorKind::volume_write,
               dir.file("c.h5"), "name the dataset");
  expect_error([&] { write_volume(dir.file("no/d.h5") + ":/v", scalar, Geometry{}, false); }, ErrorKind::volume_write,
               dir.file("no/d.h5") + ":/v", "does not exist");
  EXPECT_FALSE(std::filesystem::exists(dir.file("c.h5")));
}

}  // namespace
}  // namespace voxconv::volume
