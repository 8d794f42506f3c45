#include "volume/nifti_stream_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "volume/itk_template.hpp"
#include "volume/positional_file.hpp"

namespace voxconv::volume::detail {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw Error(ErrorKind::volume_write, path + ": " + problem);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// NIfTI-1 header fields this writer reads or changes (byte offsets, native byte order as ITK writes them).
constexpr size_t kSizeofHdrOffset = 0;
constexpr size_t kDimOffset = 40;  // int16 dim[8]
constexpr size_t kDatatypeOffset = 70;
constexpr size_t kVoxOffsetOffset = 108;  // float
constexpr size_t kMagicOffset = 344;
constexpr size_t kHeaderSize = 348;
constexpr int16_t kFloat32Datatype = 16;

template <typename T>
T field(const std::string& header, size_t offset) {
  T value;
  std::memcpy(&value, header.data() + offset, sizeof(T));
  return value;
}

template <typename T>
void set_field(std::string& header, size_t offset, T value) {
  std::memcpy(header.data() + offset, &value, sizeof(T));
}

// The bytes before the voxels (348-byte header, extension flag, any extensions) exactly as
// ITK 5.2 writes them for this geometry and component count. Sizes enter the header only
// through dim[1..3] (the tests compare whole files with ITK's), so ITK writes a 1x1x1 image
// and those three fields are patched.
std::string itk_header(const std::string& path, int64_t z, int64_t y, int64_t x, int64_t channels,
                       const Geometry& geometry) {
  const std::string bytes = itk_template(path, ".nii", channels, geometry).bytes;
  const auto unexpected = [&path](const std::string& what) {
    throw Error(ErrorKind::internal, path + ": ITK 5.2 wrote an unexpected NIfTI header (" + what + ")");
  };
  const size_t voxel_bytes = static_cast<size_t>(channels) * sizeof(float);
  if (bytes.size() < kHeaderSize + 4 + voxel_bytes) unexpected("file of " + std::to_string(bytes.size()) + " bytes");
  if (field<int32_t>(bytes, kSizeofHdrOffset) != static_cast<int32_t>(kHeaderSize)) unexpected("sizeof_hdr");
  if (std::memcmp(bytes.data() + kMagicOffset, "n+1", 4) != 0) unexpected("magic");
  // The voxels of the 1x1x1 image end the file, right after the header bytes.
  const size_t header_bytes = bytes.size() - voxel_bytes;
  if (field<float>(bytes, kVoxOffsetOffset) != static_cast<float>(header_bytes))
    unexpected("vox_offset " + std::to_string(field<float>(bytes, kVoxOffsetOffset)) + " in a file of " +
               std::to_string(bytes.size()) + " bytes");
  // A vector image is 5D with the components in dim[5]; a scalar one is 3D.
  const bool vector = channels > 1;
  const int16_t expected_dims[6] = {static_cast<int16_t>(vector ? 5 : 3), 1, 1, 1, 1, static_cast<int16_t>(channels)};
  for (size_t i = 0; i < (vector ? 6u : 4u); ++i)
    if (field<int16_t>(bytes, kDimOffset + 2 * i) != expected_dims[i]) unexpected("dim[" + std::to_string(i) + "]");
  if (field<int16_t>(bytes, kDatatypeOffset) != kFloat32Datatype) unexpected("datatype");

  std::string header = bytes.substr(0, header_bytes);
  set_field(header, kDimOffset + 2, static_cast<int16_t>(x));
  set_field(header, kDimOffset + 4, static_cast<int16_t>(y));
  set_field(header, kDimOffset + 6, static_cast<int16_t>(z));
  return header;
}

// The output file, plain or gzip. Every failed write or close throws naming the file; a file
// not finished (an exception on the way) is closed and removed.
class OutputFile {
 public:
  OutputFile(const std::string& path, bool gzip, int level) : path_(path) {
    errno = 0;
    if (gzip) {
      // "wb" is znzlib's mode in nifti_image_write: zlib's default level.
      const std::string mode = level >= 0 && level <= 9 ? "wb" + std::to_string(level) : std::string("wb");
      gz_ = gzopen(path.c_str(), mode.c_str());
      if (gz_ == nullptr) fail(path_, "cannot create the file" + errno_text(errno));
      gzbuffer(gz_, 1u << 18);  // fewer write calls; the decompressed bytes do not depend on it
    } else {
      plain_ = std::fopen(path.c_str(), "wb");
      if (plain_ == nullptr) fail(path_, "cannot create the file" + errno_text(errno));
    }
  }
  ~OutputFile() {
    if (gz_ == nullptr && plain_ == nullptr) return;
    if (gz_ != nullptr) gzclose(gz_);
    if (plain_ != nullptr) std::fclose(plain_);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const void* bytes, size_t size) {
    errno = 0;
    if (gz_ != nullptr) {
      // gzwrite takes an unsigned length; callers pass at most a chunk.
      const int written = gzwrite(gz_, bytes, static_cast<unsigned>(size));
      if (written <= 0 || static_cast<size_t>(written) != size) fail(path_, "cannot write" + gz_error_text());
    } else if (std::fwrite(bytes, 1, size, plain_) != size) {
      fail(path_, "cannot write" + errno_text(errno));
    }
  }

  // Closing flushes what is buffered, so a full disk often shows up only here.
  void close() {
    errno = 0;
    if (gz_ != nullptr) {
      gzFile gz = gz_;
      gz_ = nullptr;
      const int status = gzclose(gz);
      if (status != Z_OK) {
        const int saved_errno = errno;
        remove_file();
        fail(path_, "cannot finish writing" +
                        (status == Z_ERRNO ? errno_text(saved_errno) : " (zlib error " + std::to_string(status) + ")"));
      }
    } else if (plain_ != nullptr) {
      std::FILE* plain = plain_;
      plain_ = nullptr;
      if (std::fclose(plain) != 0) {
        const int saved_errno = errno;
        remove_file();
        fail(path_, "cannot finish writing" + errno_text(saved_errno));
      }
    }
  }

 private:
  static std::string errno_text(int error) {
    return error != 0 ? std::string(": ") + std::strerror(error) : std::string();
  }
  std::string gz_error_text() const {
    const int saved_errno = errno;
    int code = Z_OK;
    const char* text = gzerror(gz_, &code);
    if (code == Z_ERRNO) return errno_text(saved_errno);
    return text != nullptr && *text != '\0' ? std::string(" (zlib: ") + text + ")" : std::string();
  }
  void remove_file() const {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  std::string path_;
  gzFile gz_ = nullptr;
  std::FILE* plain_ = nullptr;
};

// Planes of each component go to their place in the payload; ".nii.gz" is assembled in an
// uncompressed file beside the output and compressed at the end, because gzip streams
// cannot be written out of order.
class NiftiSlabWriter final : public SlabWriter {
 public:
  NiftiSlabWriter(const std::string& path, const Dims& zyxc, const Geometry& geometry, int compression_level)
      : path_(path),
        level_(compression_level),
        gzip_(ends_with(path, ".gz")),
        raw_path_(gzip_ ? path + ".voxconv-uncompressed" : path),
        dims_(zyxc),
        header_(itk_header(path, zyxc.at(1), zyxc.at(2), zyxc.at(3), zyxc.at(4), geometry)),
        raw_(raw_path_) {
    raw_.write_at(0, header_.data(), header_.size());
    const uint64_t payload = static_cast<uint64_t>(dims_[1] * dims_[2] * dims_[3] * dims_[4]) * sizeof(float);
    raw_.write_at(header_.size() + payload - 1, "", 1);  // the full length up front
  }
  ~NiftiSlabWriter() override {
    if (gzip_) {
      std::error_code ec;
      std::filesystem::remove(raw_path_, ec);
    }
  }

  void write(const Tensor& block, int64_t first_plane) override {
    check_block(path_, dims_, 1, block, first_plane);
    const int64_t y = dims_[2], x = dims_[3], channels = dims_[4];
    const int64_t voxels = block.dim(1) * y * x, volume = dims_[1] * y * x;
    chunk_.resize(static_cast<size_t>(voxels));
    for (int64_t c = 0; c < channels; ++c) {
      const float* src = block.data() + c;
      for (int64_t i = 0; i < voxels; ++i) chunk_[static_cast<size_t>(i)] = src[i * channels];
      const uint64_t at = header_.size() + static_cast<uint64_t>(c * volume + first_plane * y * x) * sizeof(float);
      raw_.write_at(at, chunk_.data(), chunk_.size() * sizeof(float));
    }
  }

  void finish() override {
    raw_.close();
    if (!gzip_) return;
    std::ifstream in(raw_path_, std::ios::binary);
    if (!in) fail(path_, "cannot read back " + raw_path_);
    OutputFile out(path_, true, level_);
    std::vector<char> buffer(size_t{1} << 20);
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      if (in.gcount() > 0) out.write(buffer.data(), static_cast<size_t>(in.gcount()));
    }
    if (!in.eof()) fail(path_, "cannot read back " + raw_path_);
    out.close();
    std::error_code ec;
    std::filesystem::remove(raw_path_, ec);
  }

 private:
  std::string path_;
  int level_;
  bool gzip_;
  std::string raw_path_;
  Dims dims_;
  std::string header_;
  PositionalFile raw_;
  std::vector<float> chunk_;
};

}  // namespace

bool nifti_stream_writable(const std::string& path, const Tensor& zyxc, int compression_level) {
  if (!ends_with(path, ".nii") && !ends_with(path, ".nii.gz")) return false;
  if (zyxc.rank() != 5 || zyxc.dim(4) < 1) return false;
  // A scalar image costs ITK no copy; only a gzip level ITK 5.2 would ignore needs this writer.
  if (zyxc.dim(4) == 1 && !(compression_level >= 0 && ends_with(path, ".nii.gz"))) return false;
  for (size_t axis = 1; axis < 5; ++axis)
    if (zyxc.dim(axis) > std::numeric_limits<int16_t>::max()) return false;
  return true;
}

std::unique_ptr<SlabWriter> open_nifti_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry,
                                                   int compression_level) {
  if (zyxc.size() != 5 || zyxc[0] != 1 || zyxc[1] < 1 || zyxc[2] < 1 || zyxc[3] < 1 || zyxc[4] < 1)
    fail(path, "expected a (1, Z, Y, X, C) volume, got shape " + dims_to_string(zyxc));
  for (size_t axis = 1; axis < 5; ++axis)
    if (zyxc[axis] > std::numeric_limits<int16_t>::max())
      fail(path, "size " + std::to_string(zyxc[axis]) + " does not fit a NIfTI-1 header (at most 32767)");
  return std::make_unique<NiftiSlabWriter>(path, zyxc, geometry, compression_level);
}

void write_nifti_vectors_streamed(const std::string& path, const Tensor& zyxc, const Geometry& geometry,
                                  int compression_level) {
  const int64_t z = zyxc.dim(1), y = zyxc.dim(2), x = zyxc.dim(3), channels = zyxc.dim(4);
  const std::string header = itk_header(path, z, y, x, channels, geometry);

  OutputFile out(path, ends_with(path, ".gz"), compression_level);  // nifti_image_write compresses by the name alone
  out.write(header.data(), header.size());
  // NIfTI's layout is component-planar: all of component 0 (x fastest), then component 1, ...
  // Values keep the host byte order, as ITK writes them and as the header says.
  const int64_t voxels = z * y * x;
  constexpr int64_t kChunkValues = int64_t{1} << 18;  // 1 MiB of float32
  std::vector<float> chunk(static_cast<size_t>(std::min(voxels, kChunkValues)));
  const float* const values = zyxc.data();
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t first = 0; first < voxels; first += kChunkValues) {
      const int64_t count = std::min(kChunkValues, voxels - first);
      const float* src = values + first * channels + c;
      for (int64_t i = 0; i < count; ++i) chunk[static_cast<size_t>(i)] = src[i * channels];
      out.write(chunk.data(), static_cast<size_t>(count) * sizeof(float));
    }
  }
  out.close();
}

}  // namespace voxconv::volume::detail
