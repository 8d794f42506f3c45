// The streamed NIfTI writer for multi-component volumes against ITK 5.2's own writer: the
// same bytes after decompression for odd shapes, several component counts and rotated,
// reflected, scaled and shifted geometry; read_volume gives the data back; write failures
// are volume_write errors naming the file.
#include "volume/nifti_stream_writer.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "volume/volume_io.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

using voxconv::testing::decompressed;
using voxconv::testing::expect_error;
using voxconv::testing::rotated_geometry;
using voxconv::testing::TempDir;

Tensor noise(int64_t z, int64_t y, int64_t x, int64_t c, unsigned seed) {
  Tensor t({1, z, y, x, c});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1000.0f, 1000.0f);
  for (float& v : t.values()) v = dist(rng);
  return t;
}


bool is_gzip(const std::string& path) {
  const std::string bytes = testing::read_bytes(path);
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

// No helper files left beside the outputs.
void expect_only(const TempDir& dir, const std::vector<std::string>& names) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) found.push_back(entry.path().filename());
  std::sort(found.begin(), found.end());
  std::vector<std::string> expected = names;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(found, expected);
}

struct StreamCase {
  std::array<int64_t, 4> zyxc;
  const char* extension;
  bool reflected;
};

std::string case_name(const StreamCase& s) {
  std::string ext = s.extension + 1;
  for (char& ch : ext)
    if (ch == '.') ch = '_';
  return "z" + std::to_string(s.zyxc[0]) + "_y" + std::to_string(s.zyxc[1]) + "_x" + std::to_string(s.zyxc[2]) + "_c" +
         std::to_string(s.zyxc[3]) + "_" + ext + (s.reflected ? "_reflected" : "");
}

class NiftiStreamWriter : public ::testing::TestWithParam<StreamCase> {};

TEST_P(NiftiStreamWriter, SameBytesAsItkAndSameVolumeBack) {
  const StreamCase& s = GetParam();
  TempDir dir;
  const Tensor data = noise(s.zyxc[0], s.zyxc[1], s.zyxc[2], s.zyxc[3], static_cast<unsigned>(s.zyxc[3]));
  const Geometry geometry = rotated_geometry(30.0 + static_cast<double>(s.zyxc[0]), -20.0, s.reflected);
  const std::string itk = dir.file(std::string("itk") + s.extension);
  const std::string streamed = dir.file(std::string("streamed") + s.extension);
  const std::string public_api = dir.file(std::string("public") + s.extension);
  ASSERT_TRUE(detail::nifti_stream_writable(streamed, data));

  detail::write_volume_itk(itk, data, geometry, false);
  detail::write_nifti_vectors_streamed(streamed, data, geometry);
  write_volume(public_api, data, geometry, false);

  const std::string reference = decompressed(itk);
  const size_t header_bytes = 352;
  ASSERT_EQ(reference.size(), header_bytes + static_cast<size_t>(data.size()) * sizeof(float));
  const std::string gz_suffix = ".gz";
  const bool gzip = std::string(s.extension).find(gz_suffix) != std::string::npos;
  for (const std::string& path : {streamed, public_api}) {
    EXPECT_EQ(is_gzip(path), gzip) << path;
    const std::string bytes = decompressed(path);
    ASSERT_EQ(bytes.size(), reference.size()) << path;
    EXPECT_TRUE(bytes.compare(0, header_bytes, reference, 0, header_bytes) == 0) << path << ": header differs";
    EXPECT_TRUE(bytes == reference) << path << ": payload differs";
  }

  const Volume from_itk = read_volume(itk);
  const Volume back = read_volume(public_api);
  EXPECT_EQ(back.data.dims(), data.dims());
  EXPECT_EQ(back.data.values(), data.values());  // float32 all the way: bit-exact
  EXPECT_EQ(back.geometry.spacing, from_itk.geometry.spacing);
  EXPECT_EQ(back.geometry.origin, from_itk.geometry.origin);
  EXPECT_EQ(back.geometry.direction, from_itk.geometry.direction);
  // One slice included: read_volume keeps the z geometry that ITK 5.2 alone would drop.
  {
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_NEAR(back.geometry.spacing[i], geometry.spacing[i], 1e-5);
      EXPECT_NEAR(back.geometry.origin[i], geometry.origin[i], 1e-4);
    }
    for (size_t i = 0; i < 9; ++i) EXPECT_NEAR(back.geometry.direction[i], geometry.direction[i], 1e-5);
  }
  EXPECT_TRUE(back.warnings.empty());
  expect_only(dir, {"itk" + std::string(s.extension), "streamed" + std::string(s.extension),
                    "public" + std::string(s.extension)});
}

std::vector<StreamCase> stream_cases() {
  std::vector<StreamCase> out;
  for (const char* ext : {".nii", ".nii.gz"}) {
    out.push_back({{3, 5, 7, 2}, ext, false});
    out.push_back({{1, 4, 9, 5}, ext, true});
    out.push_back({{6, 1, 3, 16}, ext, false});
    out.push_back({{5, 3, 1, 5}, ext, true});
    out.push_back({{1, 1, 1, 2}, ext, false});
  }
  // More voxels than one 1 MiB chunk, with a partial last chunk.
  out.push_back({{65, 67, 61, 2}, ".nii.gz", false});
  out.push_back({{33, 67, 121, 3}, ".nii", true});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Shapes, NiftiStreamWriter, ::testing::ValuesIn(stream_cases()),
                         [](const ::testing::TestParamInfo<StreamCase>& param_info) {
                           return case_name(param_info.param);
                         });

// Scalar images take this writer only for a gzip level ITK 5.2 would ignore; the bytes
// after decompression are still ITK's.
TEST(NiftiStreamWriterScalar, SameBytesAsItkAtAnyLevel) {
  TempDir dir;
  for (const std::array<int64_t, 3>& zyx : {std::array<int64_t, 3>{3, 5, 7}, std::array<int64_t, 3>{1, 4, 9}}) {
    const Tensor data = noise(zyx[0], zyx[1], zyx[2], 1, 3);
    const Geometry geometry = rotated_geometry(25.0, 10.0, zyx[0] == 1);
    const std::string itk = dir.file("itk_" + std::to_string(zyx[0]) + ".nii.gz");
    detail::write_volume_itk(itk, data, geometry, false);
    for (int level : {0, 1, 9}) {
      const std::string path = dir.file("s_" + std::to_string(zyx[0]) + "_" + std::to_string(level) + ".nii.gz");
      ASSERT_TRUE(detail::nifti_stream_writable(path, data, level));
      write_volume(path, data, geometry, WriteOptions{false, level});
      EXPECT_TRUE(is_gzip(path));
      EXPECT_TRUE(decompressed(path) == decompressed(itk)) << path;
    }
  }
}

TEST(NiftiStreamWriterChoice, OnlyWhatItkWouldWriteTheSameWay) {
  const Tensor vectors({1, 2, 3, 4, 5});
  EXPECT_TRUE(detail::nifti_stream_writable("dir/a.nii", vectors));
  EXPECT_TRUE(detail::nifti_stream_writable("a.nii.gz", vectors));
  EXPECT_FALSE(detail::nifti_stream_writable("a.nii", Tensor({1, 2, 3, 4, 1})));  // scalar: ITK copies nothing
  EXPECT_FALSE(detail::nifti_stream_writable("a.nii.gz", Tensor({1, 2, 3, 4, 1})));
  EXPECT_TRUE(detail::nifti_stream_writable("a.nii.gz", Tensor({1, 2, 3, 4, 1}), 1));  // a level ITK ignores
  EXPECT_FALSE(detail::nifti_stream_writable("a.nii", Tensor({1, 2, 3, 4, 1}), 1));     // nothing to compress
  EXPECT_FALSE(detail::nifti_stream_writable("a.NII", vectors));                  // ITK refuses these names
  EXPECT_FALSE(detail::nifti_stream_writable("a.Nii.Gz", vectors));
  EXPECT_FALSE(detail::nifti_stream_writable("a.nrrd", vectors));
  EXPECT_FALSE(detail::nifti_stream_writable("a.nii", Tensor({1, 1, 1, 32768, 2})));  // beyond NIfTI-1's int16 dim
}

TEST(NiftiStreamWriterChoice, CompressFlagKeepsItkMeaning) {
  // ITK 5.2 writes NIfTI by the name alone: .nii stays plain even when compression is asked for.
  TempDir dir;
  const Tensor data = noise(2, 3, 4, 3, 1);
  write_volume(dir.file("a.nii"), data, Geometry{}, true);
  detail::write_volume_itk(dir.file("b.nii"), data, Geometry{}, true);
  EXPECT_FALSE(is_gzip(dir.file("a.nii")));
  EXPECT_EQ(testing::read_bytes(dir.file("a.nii")), testing::read_bytes(dir.file("b.nii")));
  write_volume(dir.file("c.nii.gz"), data, Geometry{}, false);
  EXPECT_TRUE(is_gzip(dir.file("c.nii.gz")));
}

TEST(NiftiStreamWriterErrors, MissingDirectoryAndBadGeometry) {
  TempDir dir;
  const Tensor data = noise(2, 3, 4, 5, 2);
  for (const char* name : {"missing/a.nii", "missing/a.nii.gz"}) {
    const std::string path = dir.file(name);
    expect_error([&] { write_volume(path, data, Geometry{}, false); }, ErrorKind::volume_write, path, "does not exist");
  }
  Geometry singular;
  singular.direction = {1, 0, 0, 1, 0, 0, 0, 0, 1};
  const std::string path = dir.file("singular.nii.gz");
  expect_error([&] { write_volume(path, data, singular, false); }, ErrorKind::volume_write, path);
  // Uppercase names keep ITK's refusal.
  const std::string upper = dir.file("A.NII.GZ");
  expect_error([&] { write_volume(upper, data, Geometry{}, false); }, ErrorKind::volume_write, upper);
  expect_only(dir, {});
}

TEST(NiftiStreamWriterErrors, FullDiskNamesTheFileAndLeavesNothing) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  TempDir dir;
  const Tensor data = noise(8, 9, 10, 4, 3);
  for (const char* name : {"full.nii", "full.nii.gz"}) {
    const std::string path = dir.file(name);
    std::filesystem::create_symlink("/dev/full", path);
    expect_error([&] { write_volume(path, data, Geometry{}, false); }, ErrorKind::volume_write, path,
                 "No space left on device");
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path))) << path;
  }
  expect_only(dir, {});
}

TEST(NiftiStreamWriterErrors, UncreatableTargetNamesTheFile) {
  TempDir dir;
  // A name that leads nowhere: even root cannot create it.
  const std::string dangling = dir.file("dangling.nii.gz");
  std::filesystem::create_symlink(dir.file("gone/x.nii.gz"), dangling);
  expect_error([&] { write_volume(dangling, noise(2, 3, 4, 2, 4), Geometry{}, false); }, ErrorKind::volume_write,
               dangling, "cannot create");
  expect_only(dir, {"dangling.nii.gz"});
}

TEST(NiftiStreamWriterErrors, ReadOnlyTargetNamesTheFileAndKeepsIt) {
  TempDir dir;
  const std::string read_only = dir.file("read_only.nii");
  testing::write_bytes(read_only, "keep");
  std::filesystem::permissions(read_only, std::filesystem::perms::owner_read);
  if (std::ofstream(read_only, std::ios::app)) GTEST_SKIP() << "permissions are not enforced for this user (root)";
  expect_error([&] { write_volume(read_only, noise(2, 3, 4, 2, 4), Geometry{}, false); }, ErrorKind::volume_write,
               read_only, "Permission denied");
  EXPECT_EQ(testing::read_bytes(read_only), "keep");
  expect_only(dir, {"read_only.nii"});
}

TEST(NiftiStreamWriterFolders, WritableFileInReadOnlyFolder) {
  // No room beside the output for ITK's header: it is made in the temporary folder instead.
  TempDir dir;
  const Tensor data = noise(3, 4, 5, 3, 5);
  const std::string itk = dir.file("itk.nii.gz");
  detail::write_volume_itk(itk, data, rotated_geometry(10, 20, false), false);
  const std::filesystem::path folder = dir.path() / "read_only";
  std::filesystem::create_directory(folder);
  const std::string path = (folder / "out.nii.gz").string();
  testing::write_bytes(path, "old");
  std::filesystem::permissions(folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  const bool enforced = !std::ofstream((folder / "probe").string());
  if (enforced) {
    write_volume(path, data, rotated_geometry(10, 20, false), false);
    EXPECT_TRUE(decompressed(path) == decompressed(itk));
  }
  std::filesystem::permissions(folder, std::filesystem::perms::owner_all);
  if (!enforced) GTEST_SKIP() << "permissions are not enforced for this user (root)";
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.push_back(entry.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"out.nii.gz"});
}

}  // namespace
}  // namespace voxconv::volume
