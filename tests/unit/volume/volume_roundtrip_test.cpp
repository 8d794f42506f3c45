// write_volume -> read_volume round trips for every output format, and the error paths
// of both (missing, truncated and malformed files, impossible outputs).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "volume/volume_io.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

using voxconv::testing::expect_error;
using voxconv::testing::rotated_geometry;
using voxconv::testing::TempDir;

Tensor noise(int64_t z, int64_t y, int64_t x, int64_t c, unsigned seed = 7) {
  Tensor t({1, z, y, x, c});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1000.0f, 1000.0f);
  for (float& v : t.values()) v = dist(rng);
  return t;
}


void expect_geometry_near(const Geometry& a, const Geometry& b, double tolerance) {
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(a.spacing[i], b.spacing[i], tolerance) << "spacing " << i;
    EXPECT_NEAR(a.origin[i], b.origin[i], tolerance) << "origin " << i;
  }
  for (size_t i = 0; i < 9; ++i) EXPECT_NEAR(a.direction[i], b.direction[i], tolerance) << "direction " << i;
}

struct RoundTrip {
  std::string extension;
  int64_t channels;
  bool compress;
  bool reflected;
};

std::string case_name(const RoundTrip& r) {
  std::string ext = r.extension.substr(1);
  for (char& ch : ext)
    if (ch == '.') ch = '_';
  return ext + "_c" + std::to_string(r.channels) + (r.compress ? "_compressed" : "") +
         (r.reflected ? "_reflected" : "");
}

class VolumeRoundTrip : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(VolumeRoundTrip, SameValuesChannelsAndGeometry) {
  const RoundTrip& r = GetParam();
  TempDir dir;
  const std::string path = dir.file("out" + r.extension);
  const Tensor data = noise(4, 5, 6, r.channels);
  const Geometry geometry = rotated_geometry(30.0, 20.0, r.reflected, {0.7, 1.3, 2.1}, {-10.5, 3.25, 7.0});
  write_volume(path, data, geometry, r.compress);
  const Volume back = read_volume(path);
  EXPECT_EQ(back.data.dims(), data.dims());
  EXPECT_EQ(back.data.values(), data.values());  // float32 all the way: bit-exact
  // NIfTI stores geometry as float32.
  expect_geometry_near(back.geometry, geometry, r.extension.rfind(".nii", 0) == 0 ? 1e-5 : 1e-9);
  EXPECT_TRUE(back.warnings.empty());
}

std::vector<RoundTrip> round_trips() {
  std::vector<RoundTrip> out;
  for (const char* ext : {".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd"})
    for (int64_t c : {1, 5})
      for (bool compress : {false, true}) out.push_back({ext, c, compress, false});
  for (const char* ext : {".nii", ".nrrd", ".mha"}) out.push_back({ext, 3, false, true});
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllFormats, VolumeRoundTrip, ::testing::ValuesIn(round_trips()),
                         [](const ::testing::TestParamInfo<RoundTrip>& param_info) {
                           return case_name(param_info.param);
                         });

TEST(VolumeWrite, CompressionReachesTheFile) {
  TempDir dir;
  const Tensor zeros({1, 16, 16, 16, 1});
  write_volume(dir.file("a.nrrd"), zeros, Geometry{}, true);
  EXPECT_NE(testing::read_bytes(dir.file("a.nrrd")).find("encoding: gzip"), std::string::npos);
  write_volume(dir.file("b.nrrd"), zeros, Geometry{}, false);
  EXPECT_NE(testing::read_bytes(dir.file("b.nrrd")).find("encoding: raw"), std::string::npos);
  write_volume(dir.file("c.mha"), zeros, Geometry{}, true);
  EXPECT_NE(testing::read_bytes(dir.file("c.mha")).find("CompressedData = True"), std::string::npos);
  write_volume(dir.file("d.nii.gz"), zeros, Geometry{}, true);
  const std::string gz = testing::read_bytes(dir.file("d.nii.gz"));
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_LT(gz.size(), 16u * 16 * 16 * 4);
}

// Smooth data that compresses, so that zlib's levels give different sizes.
Tensor ramp(int64_t channels) {
  Tensor t({1, 24, 24, 24, channels});
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>((i / 7) % 300) * 0.5f;
  return t;
}

TEST(VolumeWrite, CompressionLevelChangesTheSizeNotTheValues) {
  TempDir dir;
  for (const char* ext : {".nii.gz", ".nrrd", ".mha"}) {
    for (int64_t channels : {1, 3}) {
      SCOPED_TRACE(std::string(ext) + " with " + std::to_string(channels) + " channels");
      const Tensor data = ramp(channels);
      std::vector<size_t> sizes;
      for (int level : {0, 1, 9}) {
        const std::string path = dir.file("l" + std::to_string(level) + "_c" + std::to_string(channels) + ext);
        write_volume(path, data, Geometry{}, WriteOptions{level > 0, level});
        EXPECT_EQ(read_volume(path).data.values(), data.values());
        sizes.push_back(testing::read_bytes(path).size());
      }
      const size_t raw = static_cast<size_t>(data.size()) * sizeof(float);
      EXPECT_GE(sizes[0], raw);  // level 0: stored (gzip) or not compressed at all
      EXPECT_LT(sizes[1], raw / 2);
      EXPECT_LT(sizes[2], sizes[1]);
    }
  }
  EXPECT_THROW(write_volume(dir.file("bad.nii.gz"), ramp(1), Geometry{}, WriteOptions{true, 10}), Error);
}

TEST(VolumeWrite, DetachedFormatsWriteTwoFiles) {
  TempDir dir;
  write_volume(dir.file("a.nhdr"), noise(2, 3, 4, 2), Geometry{}, false);
  EXPECT_TRUE(std::filesystem::exists(dir.file("a.raw")));
  write_volume(dir.file("b.mhd"), noise(2, 3, 4, 2), Geometry{}, false);
  EXPECT_TRUE(std::filesystem::exists(dir.file("b.raw")));
}

TEST(VolumeWrite, FloatNiftiScalingIsApplied) {
  // ITK applies scl_slope/scl_inter to float32 data too: patch them into a written file.
  TempDir dir;
  const std::string path = dir.file("scaled.nii");
  const Tensor data = noise(3, 4, 5, 1);
  write_volume(path, data, Geometry{}, false);
  std::string bytes = testing::read_bytes(path);
  const float slope = 2.0f, inter = 10.0f;  // little-endian header written on this host
  std::memcpy(&bytes[112], &slope, 4);
  std::memcpy(&bytes[116], &inter, 4);
  testing::write_bytes(path, bytes);
  const Volume back = read_volume(path);
  ASSERT_EQ(back.data.size(), data.size());
  for (int64_t i = 0; i < data.size(); ++i) EXPECT_NEAR(back.data.data()[i], data.data()[i] * 2.0f + 10.0f, 1e-3f) << i;
}

TEST(VolumeWrite, Errors) {
  TempDir dir;
  const Tensor good = noise(2, 2, 2, 1);
  const std::string unknown = dir.file("a.png");
  expect_error([&] { write_volume(unknown, good, Geometry{}, false); }, ErrorKind::volume_write, unknown, "extension");
  const std::string npy = dir.file("a.npy");
  expect_error([&] { write_volume(npy, good, Geometry{}, false); }, ErrorKind::volume_write, npy);
  const std::string nii = dir.file("a.nii");
  expect_error(
      [&] {
        write_volume(nii, Tensor({2, 2, 2, 1}), Geometry{}, false);
      },
      ErrorKind::volume_write, nii, "(1, Z, Y, X, C)");
  expect_error([&] { write_volume(nii, Tensor({2, 2, 2, 2, 1}), Geometry{}, false); }, ErrorKind::volume_write, nii);
  expect_error(
      [&] {
        write_volume(nii, Tensor({1, 2, 0, 2, 1}), Geometry{}, false);
      },
      ErrorKind::volume_write, nii, "empty");
  Geometry bad_spacing;
  bad_spacing.spacing = {1, 0, 1};
  expect_error([&] { write_volume(nii, good, bad_spacing, false); }, ErrorKind::volume_write, nii, "spacing");
  Geometry singular;
  singular.direction = {1, 0, 0, 1, 0, 0, 0, 0, 1};
  for (const char* ext : {".nii", ".nrrd", ".mha"}) {
    const std::string path = dir.file(std::string("singular") + ext);
    expect_error([&] { write_volume(path, good, singular, false); }, ErrorKind::volume_write, path);
  }
  for (const char* ext : {".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd"}) {
    const std::string path = dir.file(std::string("missing/dir/a") + ext);
    expect_error([&] { write_volume(path, good, Geometry{}, false); }, ErrorKind::volume_write, path, "does not exist");
  }
  const std::string directory = dir.file("d.nii");
  std::filesystem::create_directory(directory);
  expect_error([&] { write_volume(directory, good, Geometry{}, false); }, ErrorKind::volume_write, directory);
}

TEST(VolumeRead, MissingDirectoryUnknownAndGarbage) {
  TempDir dir;
  const std::string missing = dir.file("missing.nii.gz");
  expect_error([&] { read_volume(missing); }, ErrorKind::volume_read, missing, "no such file");
  const std::string directory = dir.file("dir.nii");
  std::filesystem::create_directory(directory);
  expect_error([&] { read_volume(directory); }, ErrorKind::volume_read, directory, "directory");
  const std::string png = dir.file("a.png");
  testing::write_bytes(png, "\x89PNG....");
  expect_error([&] { read_volume(png); }, ErrorKind::volume_read, png, "unsupported extension");
  const std::string npy = dir.file("a.npy");
  testing::write_bytes(npy, "x");
  expect_error([&] { read_volume(npy); }, ErrorKind::volume_read, npy, ".npy");
  for (const char* ext : {".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd"}) {
    SCOPED_TRACE(ext);
    const std::string garbage = dir.file(std::string("garbage") + ext);
    testing::write_bytes(garbage, "this is not an image file at all\nreally not\n");
    expect_error([&] { read_volume(garbage); }, ErrorKind::volume_read, garbage);
    const std::string empty = dir.file(std::string("empty") + ext);
    testing::write_bytes(empty, "");
    expect_error([&] { read_volume(empty); }, ErrorKind::volume_read, empty);
  }
}

// The file that holds the voxels: the header itself, or the detached data file.
std::string data_file_of(const TempDir& dir, const std::string& header) {
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string p = entry.path().string();
    if (p != header && entry.path().stem().string().rfind("vol", 0) == 0) return p;
  }
  return header;
}

class VolumeTruncated : public ::testing::TestWithParam<std::pair<const char*, bool>> {};

TEST_P(VolumeTruncated, IsAVolumeReadError) {
  const auto& [extension, compress] = GetParam();
  TempDir dir;
  const std::string path = dir.file(std::string("vol") + extension);
  write_volume(path, noise(16, 16, 16, 2), Geometry{}, compress);
  ASSERT_NO_THROW(read_volume(path));
  const std::string data = data_file_of(dir, path);
  testing::copy_truncated(data, data + ".part", 1, 2);
  std::filesystem::rename(data + ".part", data);
  expect_error([&] { read_volume(path); }, ErrorKind::volume_read, path);
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, VolumeTruncated,
    ::testing::Values(std::pair<const char*, bool>{".nii", false}, std::pair<const char*, bool>{".nii.gz", true},
                      std::pair<const char*, bool>{".nrrd", false}, std::pair<const char*, bool>{".nrrd", true},
                      std::pair<const char*, bool>{".nhdr", false}, std::pair<const char*, bool>{".nhdr", true},
                      std::pair<const char*, bool>{".mha", false}, std::pair<const char*, bool>{".mha", true},
                      std::pair<const char*, bool>{".mhd", false}, std::pair<const char*, bool>{".mhd", true}),
    [](const ::testing::TestParamInfo<std::pair<const char*, bool>>& param_info) {
      std::string name = std::string(param_info.param.first + 1) + (param_info.param.second ? "_compressed" : "");
      std::replace(name.begin(), name.end(), '.', '_');
      return name;
    });

TEST(VolumeRead, TruncatedNiftiGzFromTheFirstHalf) {
  // The case the brief names: the first half of a generated .nii.gz, which ITK 5.2 alone
  // would read as garbage without an error.
  TempDir dir;
  const std::string whole = dir.file("whole.nii.gz");
  write_volume(whole, noise(32, 32, 32, 1), Geometry{}, true);
  const std::string half = dir.file("half.nii.gz");
  testing::copy_truncated(whole, half, 1, 2);
  expect_error([&] { read_volume(half); }, ErrorKind::volume_read, half, "truncated");
  // A corrupted byte in the middle of the compressed stream is caught as well.
  std::string bytes = testing::read_bytes(whole);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  const std::string corrupt = dir.file("corrupt.nii.gz");
  testing::write_bytes(corrupt, bytes);
  expect_error([&] { read_volume(corrupt); }, ErrorKind::volume_read, corrupt);
}

TEST(VolumeRead, TwoDimensionalImagesHaveDepthOne) {
  // Hand-written 2-D headers with six uint8 voxels 1..6.
  TempDir dir;
  const std::string mha = dir.file("two.mha");
  testing::write_bytes(mha, std::string("ObjectType = Image\nNDims = 2\nDimSize = 3 2\nElementSpacing = 0.5 2\n"
                                        "Offset = 1 2\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n") +
                                "\x01\x02\x03\x04\x05\x06");
  const std::string nrrd = dir.file("two.nrrd");
  testing::write_bytes(nrrd, std::string("NRRD0004\ntype: uint8\ndimension: 2\nsizes: 3 2\nspacings: 0.5 2\n"
                                         "encoding: raw\n\n") +
                                 "\x01\x02\x03\x04\x05\x06");
  for (const std::string& path : {mha, nrrd}) {
    SCOPED_TRACE(path);
    const Volume v = read_volume(path);
    EXPECT_EQ(v.data.dims(), (Dims{1, 1, 2, 3, 1}));
    EXPECT_EQ(v.data.values(), (FloatVector{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(v.geometry.spacing, (std::array<double, 3>{0.5, 2, 1}));
  }
  EXPECT_EQ(read_volume(mha).geometry.origin, (std::array<double, 3>{1, 2, 0}));
  // Three of the six bytes: MetaIO alone would fill the rest with garbage.
  const std::string short_mha = dir.file("short.mha");
  testing::write_bytes(short_mha, std::string("ObjectType = Image\nNDims = 2\nDimSize = 3 2\nElementType = MET_UCHAR\n"
                                              "ElementDataFile = LOCAL\n\x01\x02\x03"));
  expect_error([&] { read_volume(short_mha); }, ErrorKind::volume_read, short_mha, "truncated");
}

TEST(VolumeRead, MissingDetachedDataFile) {
  TempDir dir;
  for (const char* ext : {".nhdr", ".mhd"}) {
    const std::string path = dir.file(std::string("vol") + ext);
    write_volume(path, noise(2, 3, 4, 1), Geometry{}, false);
    std::filesystem::remove(dir.file("vol.raw"));
    expect_error([&] { read_volume(path); }, ErrorKind::volume_read, path);
  }
}

}  // namespace
}  // namespace voxconv::volume
