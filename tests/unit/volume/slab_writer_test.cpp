// Slab writers against the whole-volume writers: blocks written in any order give the
// file write_volume (ITK) and write_npy give, byte for byte after decompression (NIfTI,
// MetaImage, NRRD with their detached data files, .npy), or the same values, geometry and
// attributes in a chunked dataset (HDF5).
#include "volume/slab_writer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "volume/nifti_stream_writer.hpp"
#include "volume/volume_io.hpp"
#include "hdf5_inspect.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

using voxconv::testing::decompressed;
using voxconv::testing::expect_error;
using voxconv::testing::inspect;
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

// Writes `t` in blocks of 1..3 planes along `axis` (of `block_planes` planes when > 0), in
// shuffled order.
void write_in_slabs(SlabWriter& writer, const Tensor& t, size_t axis, unsigned seed, int64_t block_planes = 0) {
  std::mt19937 rng(seed);
  std::vector<std::pair<int64_t, int64_t>> blocks;
  for (int64_t first = 0; first < t.dim(axis);) {
    const int64_t depth = block_planes > 0 ? block_planes : std::uniform_int_distribution<int64_t>(1, 3)(rng);
    const int64_t last = std::min(t.dim(axis), first + depth);
    blocks.emplace_back(first, last);
    first = last;
  }
  std::shuffle(blocks.begin(), blocks.end(), rng);
  std::swap(blocks.front(), *std::max_element(blocks.begin(), blocks.end()));  // the last block first
  for (const auto& [first, last] : blocks) writer.write(planes(t, axis, first, last), first);
  writer.finish();
}

std::set<std::string> names_in(const std::filesystem::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.insert(entry.path().filename().string());
  return names;
}

void expect_same_volume(const Volume& back, const Tensor& values, const Geometry& geometry) {
  ASSERT_EQ(back.data.dims(), values.dims());
  EXPECT_TRUE(std::equal(values.values().begin(), values.values().end(), back.data.values().begin()));
  EXPECT_EQ(back.geometry.spacing, geometry.spacing);
  EXPECT_EQ(back.geometry.origin, geometry.origin);
  EXPECT_EQ(back.geometry.direction, geometry.direction);
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
      expect_same_volume(read_volume(got), volume, read_volume(want).geometry);
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

// ITK writes each file in a folder of its own and the slabs go to the same name in another:
// a detached header names its data file, so the names must match for the bytes to.
TEST(SlabWriter, MetaImageAndNrrdEqualItkWithTheirDataFiles) {
  const TempDir dir;
  const Geometry geometry = rotated_geometry(-30.0, 50.0, true, {0.45, 1.7, 3.3}, {8.25, -60.0, 0.5});
  int run = 0;
  for (const Dims& size : {Dims{7, 5, 9}, Dims{1, 4, 1}, Dims{6, 1, 3}})
    for (const int64_t channels : {1, 2, 5})
      for (const std::string name : {"v.mha", "v.mhd", "v.nrrd", "v.nhdr", "v.with.dots.mhd", "V.NRRD", "V.NHDR"}) {
        SCOPED_TRACE(dims_to_string(size) + " x" + std::to_string(channels) + " " + name);
        const Tensor volume = noise({1, size[0], size[1], size[2], channels}, static_cast<unsigned>(++run));
        const std::filesystem::path itk = dir.path() / ("itk" + std::to_string(run));
        const std::filesystem::path slabs = dir.path() / ("slabs" + std::to_string(run));
        std::filesystem::create_directories(itk);
        std::filesystem::create_directories(slabs);
        detail::write_volume_itk((itk / name).string(), volume, geometry, false);
        write_in_slabs(*open_volume_slab_writer((slabs / name).string(), volume.dims(), geometry), volume, 1,
                       static_cast<unsigned>(run));
        // The same files (a detached header's "<stem>.raw" too), nothing else left beside them.
        const std::set<std::string> files = names_in(itk);
        ASSERT_EQ(names_in(slabs), files);
        const std::string extension = std::filesystem::path(name).extension().string();
        const bool detached = extension == ".mhd" || extension == ".nhdr";
        EXPECT_EQ(files.size(), detached ? 2u : 1u);
        for (const std::string& file : files)
          EXPECT_EQ(read_bytes((slabs / file).string()), read_bytes((itk / file).string())) << file;
        expect_same_volume(read_volume((slabs / name).string()), volume, read_volume((itk / name).string()).geometry);
      }
}

// Blocks of any depth (HDF5 rewrites chunks they share), and blocks of a fixed depth that
// the chunks divide; with and without gzip.
TEST(SlabWriter, Hdf5ReadsBackAsWriteVolumeGivesInAChunkedDataset) {
  const TempDir dir;
  const Geometry geometry = rotated_geometry(15.0, -75.0, false, {1.25, 0.5, 2.0}, {-3.0, 14.5, 99.0});
  int run = 0;
  for (const int64_t channels : {1, 3})
    for (const int64_t block_planes : {0, 3, 4})
      for (const WriteOptions options : {WriteOptions{false, -1}, WriteOptions{true, -1}, WriteOptions{false, 7}}) {
        SCOPED_TRACE("x" + std::to_string(channels) + " blocks of " + std::to_string(block_planes) + " planes, gzip " +
                     std::to_string(options.compress) + " level " + std::to_string(options.compression_level));
        const Tensor volume = noise({1, 11, 6, 7, channels}, static_cast<unsigned>(++run));
        const std::string whole = dir.file("whole" + std::to_string(run) + ".h5") + ":/features/a";
        const std::string got = dir.file("slabs" + std::to_string(run) + ".h5") + ":/features/a";
        write_volume(whole, volume, geometry, options);
        write_in_slabs(*open_volume_slab_writer(got, volume.dims(), geometry, options, block_planes), volume, 1,
                       static_cast<unsigned>(run), block_planes);
        const Volume want = read_volume(whole);
        expect_same_volume(read_volume(got), want.data, want.geometry);
        expect_same_volume(want, volume, geometry);
        const testing::Written w = inspect(volume_file_of(got), "/features/a");
        EXPECT_EQ(w.dims, inspect(volume_file_of(whole), "/features/a").dims);
        EXPECT_TRUE(w.float32);
        ASSERT_TRUE(w.chunked);
        ASSERT_EQ(w.chunk.size(), w.dims.size());
        if (block_planes > 0) {
          EXPECT_EQ(block_planes % static_cast<int64_t>(w.chunk[0]), 0) << w.chunk[0];
        }
        for (size_t a = 1; a < w.dims.size(); ++a) EXPECT_EQ(w.chunk[a], w.dims[a]);  // whole planes, small here
        EXPECT_EQ(w.gzip, options.compress || options.compression_level > 0);
        EXPECT_EQ(w.spacing, (std::vector<double>(geometry.spacing.begin(), geometry.spacing.end())));
      }
}

// A writer given up before finish() leaves no HDF5 file (the others leave theirs to the
// caller's staging folder).
TEST(SlabWriter, UnfinishedHdf5FileIsRemoved) {
  const TempDir dir;
  {
    auto writer = open_volume_slab_writer(dir.file("a.h5") + ":/v", {1, 4, 3, 3, 1}, Geometry{}, {}, 2);
    writer->write(Tensor({1, 2, 3, 3, 1}), 0);
    EXPECT_TRUE(std::filesystem::exists(dir.file("a.h5")));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("a.h5")));
  EXPECT_THROW(open_volume_slab_writer(dir.file("b.h5"), {1, 4, 3, 3, 1}, Geometry{}), Error);  // no dataset named
  EXPECT_FALSE(std::filesystem::exists(dir.file("b.h5")));
}

TEST(SlabWriter, BlocksThatDoNotFitAndOtherFormatsAreRefused) {
  const TempDir dir;
  const Geometry geometry = rotated_geometry(0.0, 0.0, false, {1.0, 1.0, 1.0}, {0.0, 0.0, 0.0});
  for (const std::string name : {"a.nii", "a.mha", "a.nhdr", "a.h5:/v"}) {
    SCOPED_TRACE(name);
    auto writer = open_volume_slab_writer(dir.file(name), {1, 4, 3, 3, 2}, geometry);
    EXPECT_THROW(writer->write(Tensor({1, 2, 3, 3, 2}), 3), Error);  // planes 3..5 of 4
    EXPECT_THROW(writer->write(Tensor({1, 1, 3, 4, 2}), 0), Error);  // wrong width
    EXPECT_THROW(writer->write(Tensor({1, 1, 3, 3, 1}), 0), Error);  // wrong channel count
  }
  const WriteOptions compress{true, -1};
  for (const std::string name : {"a.mha", "a.mhd", "a.nrrd", "a.nhdr"}) {
    EXPECT_TRUE(volume_slab_writable(name)) << name;
    EXPECT_FALSE(volume_slab_writable(name, compress)) << name;
    try {
      open_volume_slab_writer(dir.file("c" + name), {1, 4, 3, 3, 2}, geometry, compress);
      ADD_FAILURE() << name << " compressed was opened";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage);
      EXPECT_NE(std::string(e.what()).find(dir.file("c" + name)), std::string::npos) << e.what();
    }
  }
  // ITK 5.2 cannot write MetaImage under an upper-case name: refused as write_volume refuses it.
  for (const std::string name : {"U.MHA", "U.MHD"}) {
    std::string refused;
    try {
      write_volume(dir.file(name), Tensor({1, 4, 3, 3, 2}), geometry, false);
    } catch (const Error& e) {
      refused = e.what();
    }
    EXPECT_NE(refused.find(dir.file(name)), std::string::npos) << refused;
    expect_error([&] { open_volume_slab_writer(dir.file(name), {1, 4, 3, 3, 2}, geometry); }, ErrorKind::volume_write,
                 dir.file(name), refused.substr(refused.find(": ") + 2));
  }
  EXPECT_THROW(open_volume_slab_writer(dir.file("a.tif"), {1, 4, 3, 3, 2}, geometry), Error);
  EXPECT_FALSE(volume_slab_writable("a.tiff"));
  EXPECT_TRUE(volume_slab_writable("a.nii.gz", compress));
  EXPECT_TRUE(volume_slab_writable("a.h5:/v", compress));
}

}  // namespace
}  // namespace voxconv::volume
