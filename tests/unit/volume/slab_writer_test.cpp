// Slab writers against the whole-volume writers: blocks written in any order give the
// file write_volume (ITK) and write_npy give, byte for byte after decompression.
#include "volume/slab_writer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "volume/nifti_stream_writer.hpp"
#include "volume/volume_io.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

using voxconv::testing::decompressed;
using voxconv::testing::read_bytes;
using voxconv::testing::rotated_geometry;
using voxconv::testing::TempDir;

Tensor noise(const Dims& dims, unsigned seed) {
  Tensor t(dims);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
  for (float& v : t.values()) v = dist(rng);
  return t;
}

// Planes [first, last) of `t` along `axis`.
Tensor planes(const Tensor& t, size_t axis, int64_t first, int64_t last) {
  Dims dims = t.dims();
  int64_t outer = 1, inner = 1;
  for (size_t a = 0; a < axis; ++a) outer *= dims[a];
  for (size_t a = axis + 1; a < dims.size(); ++a) inner *= dims[a];
  const int64_t full = dims[axis];
  dims[axis] = last - first;
  Tensor out(dims);
  for (int64_t o = 0; o < outer; ++o)
    std::copy_n(t.data() + (o * full + first) * inner, (last - first) * inner, out.data() + o * (last - first) * inner);
  return out;
}

// Writes `t` in blocks of 1..3 planes along `axis`, last block first.
void write_in_slabs(SlabWriter& writer, const Tensor& t, size_t axis, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::pair<int64_t, int64_t>> blocks;
  for (int64_t first = 0; first < t.dim(axis);) {
    const int64_t last = std::min(t.dim(axis), first + std::uniform_int_distribution<int64_t>(1, 3)(rng));
    blocks.emplace_back(first, last);
    first = last;
  }
  std::reverse(blocks.begin(), blocks.end());
  for (const auto& [first, last] : blocks) writer.write(planes(t, axis, first, last), first);
  writer.finish();
}

TEST(SlabWriter, NiftiEqualsItkForEveryComponentCount) {
  const TempDir dir;
  const Geometry geometry = rotated_geometry(20.0, -35.0, true, {0.7, 1.3, 2.1}, {-12.5, 40.0, 3.25});
  for (const int64_t channels : {1, 2, 5})
    for (const std::string ext : {".nii", ".nii.gz"}) {
      SCOPED_TRACE(std::to_string(channels) + ext);
      const Tensor volume = noise({1, 7, 5, 9, channels}, static_cast<unsigned>(channels));
      const std::string want = dir.file("itk" + std::to_string(channels) + ext);
      const std::string got = dir.file("slabs" + std::to_string(channels) + ext);
      detail::write_volume_itk(want, volume, geometry, false);
      write_in_slabs(*open_volume_slab_writer(got, volume.dims(), geometry), volume, 1, 3);
      EXPECT_EQ(decompressed(got), decompressed(want));
      EXPECT_FALSE(std::filesystem::exists(got + ".voxconv-uncompressed"));
      const Volume back = read_volume(got);
      ASSERT_EQ(back.data.dims(), volume.dims());
      EXPECT_TRUE(std::equal(volume.values().begin(), volume.values().end(), back.data.values().begin()));
    }
}

TEST(SlabWriter, NpyEqualsWriteNpyAlongAnyAxis) {
  const TempDir dir;
  const Tensor array = noise({2, 5, 3, 4, 6}, 9);
  const std::string want = dir.file("whole.npy");
  write_npy(want, array);
  for (size_t axis : {0u, 1u, 2u, 4u}) {
    SCOPED_TRACE(axis);
    const std::string got = dir.file("slabs" + std::to_string(axis) + ".npy");
    write_in_slabs(*open_npy_slab_writer(got, array.dims(), axis), array, axis, static_cast<unsigned>(axis));
    EXPECT_EQ(read_bytes(got), read_bytes(want));
  }
}

TEST(SlabWriter, BlocksThatDoNotFitAndOtherFormatsAreRefused) {
  const TempDir dir;
  const Geometry geometry = rotated_geometry(0.0, 0.0, false, {1.0, 1.0, 1.0}, {0.0, 0.0, 0.0});
  auto writer = open_volume_slab_writer(dir.file("a.nii"), {1, 4, 3, 3, 2}, geometry);
  EXPECT_THROW(writer->write(Tensor({1, 2, 3, 3, 2}), 3), Error);  // planes 3..5 of 4
  EXPECT_THROW(writer->write(Tensor({1, 1, 3, 4, 2}), 0), Error);  // wrong width
  EXPECT_THROW(open_volume_slab_writer(dir.file("a.nrrd"), {1, 4, 3, 3, 2}, geometry), Error);
  EXPECT_FALSE(volume_slab_writable("a.mha"));
  EXPECT_TRUE(volume_slab_writable("a.nii.gz"));
}

}  // namespace
}  // namespace voxconv::volume
