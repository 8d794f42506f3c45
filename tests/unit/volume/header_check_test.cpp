// NRRD and MetaImage headers that read_volume refuses before ITK reads them.
#include "volume/header_check.hpp"

#include <gtest/gtest.h>

#include "volume/volume_io.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

using testing::expect_error;
using testing::TempDir;

const std::string kNrrd = "NRRD0004\ntype: uint8\nencoding: raw\n";

TEST(HeaderCheck, NrrdSizesThatCannotBeAVolume) {
  TempDir dir;
  const auto check = [&](const std::string& name, const std::string& header, ErrorKind kind, const std::string& say) {
    SCOPED_TRACE(name);
    const std::string path = dir.file(name + ".nrrd");
    testing::write_bytes(path, header + "\n" + std::string(64, '\0'));
    expect_error([&] { read_volume(path); }, kind, path, say);
  };
  // 10^12 voxels: refused for memory before ITK or voxconv allocate anything.
  check("huge", kNrrd + "dimension: 3\nsizes: 10000 10000 10000\n", ErrorKind::resource, "of memory available");
  check("overflow", kNrrd + "dimension: 3\nsizes: 4294967296 4294967296 4294967296\n", ErrorKind::volume_read,
        "overflow");
  check("zero", kNrrd + "dimension: 3\nsizes: 4 0 4\n", ErrorKind::volume_read, "sizes entry '0'");
  check("count", kNrrd + "dimension: 3\nsizes: 4 4\n", ErrorKind::volume_read, "2 entries for 3 dimensions");
  check("dimension", kNrrd + "dimension: 99\nsizes: 4 4 4\n", ErrorKind::volume_read, "dimension '99'");
  check("short", kNrrd + "dimension: 3\nsizes: 8 8 8\n", ErrorKind::volume_read, "truncated");
}

TEST(HeaderCheck, NrrdDetachedDataFileMissingOrShort) {
  TempDir dir;
  const std::string nhdr = dir.file("a.nhdr");
  testing::write_bytes(nhdr, kNrrd + "dimension: 3\nsizes: 4 4 4\ndata file: a.raw\n");
  expect_error([&] { read_volume(nhdr); }, ErrorKind::volume_read, nhdr, "not found");
  testing::write_bytes(dir.file("a.raw"), std::string(63, '\0'));
  expect_error([&] { read_volume(nhdr); }, ErrorKind::volume_read, nhdr, "truncated");
  testing::write_bytes(dir.file("a.raw"), std::string(64, '\x07'));
  EXPECT_EQ(read_volume(nhdr).data.values().at(63), 7.0f);
}

TEST(HeaderCheck, MetaImageSizesThatCannotBeAVolume) {
  TempDir dir;
  const auto check = [&](const std::string& name, const std::string& header, ErrorKind kind, const std::string& say) {
    SCOPED_TRACE(name);
    const std::string path = dir.file(name + ".mha");
    testing::write_bytes(path, "ObjectType = Image\n" + header + "ElementType = MET_UCHAR\nElementDataFile = LOCAL\n" +
                                   std::string(64, '\0'));
    expect_error([&] { read_volume(path); }, kind, path, say);
  };
  check("huge", "NDims = 3\nDimSize = 10000 10000 10000\n", ErrorKind::resource, "of memory available");
  check("ndims", "NDims = 11\nDimSize = 1 1 1 1 1 1 1 1 1 1 1\n", ErrorKind::volume_read, "NDims '11'");
  check("negative", "NDims = 3\nDimSize = 4 -4 4\n", ErrorKind::volume_read, "DimSize entry '-4'");
  check("channels", "NDims = 3\nDimSize = 4 4 4\nElementNumberOfChannels = 0\n", ErrorKind::volume_read,
        "ElementNumberOfChannels '0'");
  check("channels_huge", "NDims = 3\nDimSize = 1000 1000 1000\nElementNumberOfChannels = 1000000\n",
        ErrorKind::resource, "of memory available");
}

}  // namespace
}  // namespace voxconv::volume
