#include "volume/nifti_direct.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "core/error.hpp"
#include "core/sizes.hpp"
#include "volume/payload_check.hpp"
#include "volume/raw_convert.hpp"

namespace voxconv::volume::detail {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw Error(ErrorKind::volume_read, path + ": " + problem);
}

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

GzFile open_gz(const std::string& path) {
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) fail(path, "cannot open");
  gzbuffer(f.get(), 1u << 18);
  return f;
}

// zlib's description of the stream's error, or "". zlib starts it with the file name,
// which the message names already.
std::string gz_problem(gzFile_s* f, const std::string& path) {
  int code = Z_OK;
  const char* text = gzerror(f, &code);
  if (code == Z_OK || text == nullptr || *text == '\0') return "";
  std::string what = text;
  if (what.compare(0, path.size() + 2, path + ": ") == 0) what.erase(0, path.size() + 2);
  return " (zlib: " + what + ")";
}

// True when the gzip/zlib stream is damaged (not merely short).
bool gz_corrupt(gzFile_s* f) {
  int code = Z_OK;
  gzerror(f, &code);
  return code == Z_DATA_ERROR || code == Z_STREAM_ERROR || code == Z_MEM_ERROR;
}

// Reads exactly n bytes or throws naming what was being read.
void read_exact(gzFile_s* f, unsigned char* dst, uint64_t n, const std::string& path, const char* what) {
  constexpr uint64_t kMax = uint64_t{1} << 26;  // gzread takes an unsigned int
  uint64_t done = 0;
  while (done < n) {
    const auto want = static_cast<unsigned>(std::min(n - done, kMax));
    const int got = gzread(f, dst + done, want);
    if (got <= 0)
      fail(path, std::string("truncated file: ") + what + " ends after " + std::to_string(done) + " of " +
                     std::to_string(n) + " bytes" + gz_problem(f, path));
    done += static_cast<uint64_t>(got);
  }
}

// Fixed-offset fields of a header in a given byte order.
class Fields {
 public:
  Fields(const unsigned char* bytes, bool big) : b_(bytes), big_(big) {}

  template <typename T>
  T get(size_t offset) const {
    unsigned char tmp[sizeof(T)];
    std::memcpy(tmp, b_ + offset, sizeof(T));
    if (big_ == host_is_little_endian()) std::reverse(tmp, tmp + sizeof(T));
    T value;
    std::memcpy(&value, tmp, sizeof(T));
    return value;
  }
  double f32(size_t offset) const { return static_cast<double>(get<float>(offset)); }
  double f64(size_t offset) const { return get<double>(offset); }
  int64_t i16(size_t offset) const { return get<int16_t>(offset); }
  int64_t i32(size_t offset) const { return get<int32_t>(offset); }
  int64_t i64(size_t offset) const { return get<int64_t>(offset); }

 private:
  const unsigned char* b_;
  bool big_;
};

ScalarType scalar_type(int datatype, bool big_endian, const std::string& path) {
  ScalarType t;
  switch (datatype) {
    case 2:
      t = {ScalarKind::unsigned_int, 1, false};
      break;  // uint8
    case 4:
      t = {ScalarKind::signed_int, 2, false};
      break;  // int16
    case 8:
      t = {ScalarKind::signed_int, 4, false};
      break;  // int32
    case 16:
      t = {ScalarKind::floating, 4, false};
      break;  // float32
    case 64:
      t = {ScalarKind::floating, 8, false};
      break;  // float64
    case 256:
      t = {ScalarKind::signed_int, 1, false};
      break;  // int8
    case 512:
      t = {ScalarKind::unsigned_int, 2, false};
      break;  // uint16
    case 768:
      t = {ScalarKind::unsigned_int, 4, false};
      break;  // uint32
    case 1024:
      t = {ScalarKind::signed_int, 8, false};
      break;  // int64
    case 1280:
      t = {ScalarKind::unsigned_int, 8, false};
      break;  // uint64
    default:
      fail(path, "NIfTI datatype " + std::to_string(datatype) +
                     " is not supported here (complex, RGB and float128 images cannot become channels)");
  }
  t.swap = t.size > 1 && big_endian == host_is_little_endian();
  return t;
}

using Mat3 = std::array<std::array<double, 3>, 3>;

double det3(const Mat3& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

// Nearest orthogonal matrix (polar factor) by Higham's iteration X <- (X + X^-T) / 2;
// the same as U V^T from an SVD, which is what nibabel uses to derive a qform.
bool polar_factor(Mat3& x) {
  for (int iteration = 0; iteration < 100; ++iteration) {
    const double d = det3(x);
    if (!std::isfinite(d) || std::fabs(d) < 1e-12) return false;
    Mat3 inv_t;  // (X^-1)^T = cofactor(X) / det
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) {
        const int r1 = (r + 1) % 3, r2 = (r + 2) % 3, c1 = (c + 1) % 3, c2 = (c + 2) % 3;
        inv_t[r][c] = (x[r1][c1] * x[r2][c2] - x[r1][c2] * x[r2][c1]) / d;
      }
    double change = 0.0;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) {
        const double next = 0.5 * (x[r][c] + inv_t[r][c]);
        change = std::max(change, std::fabs(next - x[r][c]));
        x[r][c] = next;
      }
    if (change < 1e-15) return true;
  }
  return true;
}

// Columns scaled to unit length; false when one is zero or not finite.
bool normalise_columns(Mat3& m) {
  for (int c = 0; c < 3; ++c) {
    const double norm = std::sqrt(m[0][c] * m[0][c] + m[1][c] * m[1][c] + m[2][c] * m[2][c]);
    if (!(norm > 0.0) || !std::isfinite(norm)) return false;
    for (int r = 0; r < 3; ++r) m[r][c] /= norm;
  }
  return true;
}

bool is_orthonormal(const Mat3& m) {
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      const double dot = m[0][a] * m[0][b] + m[1][a] * m[1][b] + m[2][a] * m[2][b];
      if (std::fabs(dot - (a == b ? 1.0 : 0.0)) > 1e-4) return false;
    }
  return true;
}

// nifti_quatern_to_mat44 without the voxel sizes: a rotation, third column times qfac.
Mat3 quaternion_rotation(const NiftiHeader& h) {
  double b = h.quatern[0], c = h.quatern[1], d = h.quatern[2];
  double a = 1.0 - (b * b + c * c + d * d);
  if (a < 1e-7) {  // special case from the NIfTI reference code
    a = 1.0 / std::sqrt(b * b + c * c + d * d);
    b *= a;
    c *= a;
    d *= a;
    a = 0.0;
  } else {
    a = std::sqrt(a);
  }
  const double qfac = h.pixdim[0] < 0 ? -1.0 : 1.0;
  Mat3 r{};
  r[0] = {a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c) * qfac};
  r[1] = {2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b) * qfac};
  r[2] = {2 * (b * d - a * c), 2 * (c * d + a * b), (a * a + d * d - c * c - b * b) * qfac};
  return r;
}

}  // namespace

int64_t nifti_bytes_per_value(int datatype) {
  switch (datatype) {
    case 2:
    case 256:
      return 1;
    case 4:
    case 512:
      return 2;
    case 8:
    case 16:
    case 768:
      return 4;
    case 64:
    case 1024:
    case 1280:
    case 32:
      return 8;  // 32: complex64
    case 128:
      return 3;  // RGB24
    case 2304:
      return 4;  // RGBA32
    case 1536:
    case 1792:
      return 16;  // float128, complex128
    case 2048:
      return 32;  // complex256
    default:
      return 0;
  }
}

NiftiHeader read_nifti_header(const std::string& path) {
  GzFile f = open_gz(path);
  unsigned char raw[540] = {};
  const int got = gzread(f.get(), raw, sizeof raw);
  if (gz_corrupt(f.get())) fail(path, "corrupt compressed data" + gz_problem(f.get(), path));
  if (got < 4) fail(path, "too short for a NIfTI header" + gz_problem(f.get(), path));

  NiftiHeader h;
  const auto size_as = [&raw](bool big) { return Fields(raw, big).i32(0); };
  if (size_as(false) == 348 || size_as(true) == 348) {
    h.version = 1;
    h.big_endian = size_as(true) == 348;
    h.header_size = 348;
  } else if (size_as(false) == 540 || size_as(true) == 540) {
    h.version = 2;
    h.big_endian = size_as(true) == 540;
    h.header_size = 540;
  } else {
    fail(path, "not a NIfTI file (header size field is neither 348 nor 540)");
  }
  if (got < h.header_size)
    fail(path, "truncated NIfTI header (" + std::to_string(got) + " of " + std::to_string(h.header_size) + " bytes)");
  const Fields in(raw, h.big_endian);

  if (h.version == 1) {
    if (std::memcmp(raw + 344, "n+1\0", 4) != 0) {
      if (std::memcmp(raw + 344, "ni1\0", 4) == 0) fail(path, "two-file NIfTI (.hdr/.img) is not supported");
      fail(path, "not a NIfTI-1 file (bad magic; Analyze 7.5 is not supported)");
    }
    for (size_t i = 0; i < 8; ++i) h.dim[i] = in.i16(40 + 2 * i);
    h.datatype = static_cast<int>(in.i16(70));
    for (size_t i = 0; i < 8; ++i) h.pixdim[i] = in.f32(76 + 4 * i);
    const double offset = in.f32(108);
    if (!std::isfinite(offset) || offset < 0 || offset > 1e15) fail(path, "bad vox_offset in the NIfTI header");
    h.vox_offset = static_cast<int64_t>(offset);
    h.scl_slope = in.f32(112);
    h.scl_inter = in.f32(116);
    h.qform_code = static_cast<int>(in.i16(252));
    h.sform_code = static_cast<int>(in.i16(254));
    for (size_t i = 0; i < 3; ++i) h.quatern[i] = in.f32(256 + 4 * i);
    for (size_t i = 0; i < 3; ++i) h.qoffset[i] = in.f32(268 + 4 * i);
    for (size_t r = 0; r < 3; ++r)
      for (size_t c = 0; c < 4; ++c) h.srow[r][c] = in.f32(280 + 16 * r + 4 * c);
  } else {
    if (std::memcmp(raw + 4, "n+2\0", 4) != 0) {
      if (std::memcmp(raw + 4, "ni2\0", 4) == 0) fail(path, "two-file NIfTI-2 (.hdr/.img) is not supported");
      fail(path, "not a NIfTI-2 file (bad magic)");
    }
    h.datatype = static_cast<int>(in.i16(12));
    for (size_t i = 0; i < 8; ++i) h.dim[i] = in.i64(16 + 8 * i);
    for (size_t i = 0; i < 8; ++i) h.pixdim[i] = in.f64(104 + 8 * i);
    h.vox_offset = in.i64(168);
    h.scl_slope = in.f64(176);
    h.scl_inter = in.f64(184);
    h.qform_code = static_cast<int>(in.i32(344));
    h.sform_code = static_cast<int>(in.i32(348));
    for (size_t i = 0; i < 3; ++i) h.quatern[i] = in.f64(352 + 8 * i);
    for (size_t i = 0; i < 3; ++i) h.qoffset[i] = in.f64(376 + 8 * i);
    for (size_t r = 0; r < 3; ++r)
      for (size_t c = 0; c < 4; ++c) h.srow[r][c] = in.f64(400 + 32 * r + 8 * c);
  }
  if (h.dim[0] < 1 || h.dim[0] > 7) fail(path, "bad NIfTI dim[0] = " + std::to_string(h.dim[0]));
  for (int64_t i = 1; i <= h.dim[0]; ++i)
    if (h.dim[static_cast<size_t>(i)] < 1)
      fail(path, "NIfTI dim[" + std::to_string(i) + "] = " + std::to_string(h.dim[static_cast<size_t>(i)]) +
                     " (must be at least 1)");
  if (h.vox_offset < h.header_size)
    fail(path, "vox_offset " + std::to_string(h.vox_offset) + " lies inside the header");
  return h;
}

NiftiHeader check_nifti_file(const std::string& path) {
  const NiftiHeader header = read_nifti_header(path);
  // NIfTI-2 is always read directly: refuse a datatype that reader cannot convert first.
  if (header.version == 2) (void)scalar_type(header.datatype, header.big_endian, path);
  const uint64_t payload = nifti_payload_bytes(header, path);
  checked_element_count(Dims(header.dim.begin() + 1, header.dim.begin() + 1 + header.dim[0]), path);
  check_payload(path, path, 0, is_gzip_file(path) ? Compression::zlib_or_gzip : Compression::none,
                static_cast<uint64_t>(header.vox_offset) + payload);
  return header;
}

uint64_t nifti_payload_bytes(const NiftiHeader& h, const std::string& path) {
  const int64_t per_value = nifti_bytes_per_value(h.datatype);
  if (per_value == 0) fail(path, "unknown NIfTI datatype " + std::to_string(h.datatype));
  Dims sizes(h.dim.begin() + 1, h.dim.begin() + 1 + h.dim[0]);
  sizes.push_back(per_value);
  const std::optional<int64_t> bytes = checked_product(sizes);
  // vox_offset is added to it: keep headroom so that sum cannot overflow either.
  if (!bytes || !checked_add(*bytes, h.vox_offset)) fail(path, "NIfTI dimensions overflow the byte count");
  return static_cast<uint64_t>(*bytes);
}

Geometry nifti_geometry(const NiftiHeader& h, const std::string& path, std::vector<std::string>& warnings) {
  Geometry g;
  for (size_t i = 0; i < 3; ++i) {
    const double s = std::fabs(h.pixdim[i + 1]);
    g.spacing[i] = s > 0 && std::isfinite(s) ? s : 1.0;
  }

  // ITK's preference: an orthonormal sform, else the qform; with neither code set,
  // identity at the origin. ITK 5.2 refuses a sheared sform without a qform; newer
  // ITK (SFORM_Permissive) and nibabel use the nearest rotation, as done here.
  Mat3 m{};
  std::array<double, 3> offset{};
  bool have = false;
  if (h.sform_code > 0) {
    for (size_t r = 0; r < 3; ++r) {
      for (size_t c = 0; c < 3; ++c) m[r][c] = h.srow[r][c];
      offset[r] = h.srow[r][3];
    }
    const bool usable = normalise_columns(m);
    if (usable && is_orthonormal(m)) {
      have = true;
    } else if (h.qform_code <= 0) {
      if (!usable || !polar_factor(m)) fail(path, "degenerate sform (a zero or dependent column) and no qform");
      warnings.push_back(path + ": sform has shear; direction taken as its nearest rotation");
      have = true;
    }
  }
  if (!have && h.qform_code > 0) {
    m = quaternion_rotation(h);
    offset = h.qoffset;
    have = true;
  }
  if (!have) return g;  // no transform: identity at the origin, as ITK does

  // RAS (NIfTI) -> LPS (ITK): negate the first two rows.
  for (size_t r = 0; r < 3; ++r)
    for (size_t c = 0; c < 3; ++c) g.direction[r * 3 + c] = (r < 2 ? -1.0 : 1.0) * m[r][c];
  g.origin = {-offset[0], -offset[1], offset[2]};
  return g;
}

bool nifti_rescales(const NiftiHeader& h) {
  // NIfTI: scale only when scl_slope is non-zero (and finite); a non-finite intercept
  // counts as 0, as nibabel reads it.
  const double slope = h.scl_slope;
  const double inter = std::isfinite(h.scl_inter) ? h.scl_inter : 0.0;
  const double eps = std::numeric_limits<double>::epsilon();
  return std::isfinite(slope) && std::fabs(slope) > eps && (std::fabs(slope - 1.0) > eps || std::fabs(inter) > eps);
}

namespace {

class NiftiPlaneReader final : public SlabReader {
 public:
  NiftiPlaneReader(const std::string& path, const NiftiHeader& h, const Geometry& geometry)
      : path_(path), h_(h), geometry_(geometry), type_(scalar_type(h.datatype, h.big_endian, path)), file_(open_gz(path)) {
    std::array<int64_t, 8> d{};
    for (size_t i = 1; i < 8; ++i) d[i] = static_cast<int64_t>(i) <= h.dim[0] ? h.dim[i] : 1;
    if (d[6] != 1 || d[7] != 1 || (d[4] > 1 && d[5] > 1))
      fail(path, "NIfTI dimensions beyond the 4th or 5th cannot become channels");
    dims_ = {1, d[3], d[2], d[1], d[4] * d[5]};
    checked_element_count(dims_, path);
  }
  const Dims& dims() const override { return dims_; }
  const Geometry& geometry() const override { return geometry_; }

  Tensor read(int64_t z0, int64_t z1) override {
    const int64_t plane = dims_[2] * dims_[3], channels = dims_[4], voxels = dims_[1] * plane;
    if (z0 < 0 || z1 > dims_[1] || z0 >= z1)
      throw Error(ErrorKind::internal, path_ + ": planes " + std::to_string(z0) + ".." + std::to_string(z1));
    const int64_t n = (z1 - z0) * plane;
    Tensor out({1, z1 - z0, dims_[2], dims_[3], channels});
    raw_.resize(static_cast<size_t>(n) * type_.size);
    values_.resize(static_cast<size_t>(n));
    for (int64_t c = 0; c < channels; ++c) {
      const auto at = static_cast<z_off_t>(h_.vox_offset + (c * voxels + z0 * plane) * static_cast<int64_t>(type_.size));
      if (gzseek(file_.get(), at, SEEK_SET) != at)
        fail(path_, "truncated file: no voxel data at byte " + std::to_string(at) + gz_problem(file_.get(), path_));
      read_exact(file_.get(), raw_.data(), raw_.size(), path_, "voxel data");
      convert_to_float(type_, raw_.data(), values_.data(), values_.size());
      float* dst = out.data() + c;
      for (int64_t i = 0; i < n; ++i) dst[i * channels] = values_[static_cast<size_t>(i)];
    }
    return out;
  }

 private:
  std::string path_;
  NiftiHeader h_;
  Geometry geometry_;
  ScalarType type_;
  GzFile file_;
  Dims dims_;
  std::vector<unsigned char> raw_;
  std::vector<float> values_;
};

}  // namespace

std::unique_ptr<SlabReader> open_nifti_plane_reader(const std::string& path, const NiftiHeader& header,
                                                    const Geometry& geometry) {
  if (nifti_rescales(header)) throw Error(ErrorKind::internal, path + ": scaled NIfTI data are read whole");
  return std::make_unique<NiftiPlaneReader>(path, header, geometry);
}

Volume read_nifti_direct(const std::string& path, const NiftiHeader& h) {
  std::array<int64_t, 8> d{};
  for (size_t i = 1; i < 8; ++i) d[i] = static_cast<int64_t>(i) <= h.dim[0] ? h.dim[i] : 1;
  if (d[6] != 1 || d[7] != 1) fail(path, "NIfTI dimensions 6 and 7 must be 1");
  const int64_t x = d[1], y = d[2], z = d[3], t = d[4], k = d[5];
  if (t > 1 && k > 1)
    fail(path, "image with " + std::to_string(t) + " time points and " + std::to_string(k) +
                   " entries along axis 5: only one of them can become the channels");
  const ScalarType type = scalar_type(h.datatype, h.big_endian, path);
  const int64_t channels = t * k;
  const int64_t voxels = checked_element_count({z, y, x}, path);
  checked_element_count({1, z, y, x, channels}, path);  // memory guard before allocating

  Volume volume;
  volume.geometry = nifti_geometry(h, path, volume.warnings);
  volume.data = Tensor({1, z, y, x, channels});

  GzFile f = open_gz(path);
  if (gzseek(f.get(), static_cast<z_off_t>(h.vox_offset), SEEK_SET) != static_cast<z_off_t>(h.vox_offset))
    fail(path, "truncated file: no voxel data at vox_offset " + std::to_string(h.vox_offset) + gz_problem(f.get(), path));

  // NIfTI stores channel after channel (x fastest, the 4th/5th dimension slowest);
  // the tensor wants them interleaved.
  const bool rescale = nifti_rescales(h);
  const double slope = h.scl_slope, inter = std::isfinite(h.scl_inter) ? h.scl_inter : 0.0;
  constexpr int64_t kChunk = int64_t{1} << 20;
  std::vector<unsigned char> raw(static_cast<size_t>(std::min(voxels, kChunk)) * type.size);
  std::vector<float> values(static_cast<size_t>(std::min(voxels, kChunk)));
  float* dst = volume.data.data();
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t v0 = 0; v0 < voxels; v0 += kChunk) {
      const int64_t n = std::min(kChunk, voxels - v0);
      read_exact(f.get(), raw.data(), static_cast<uint64_t>(n) * type.size, path, "voxel data");
      convert_to_float(type, raw.data(), values.data(), static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        const float value = values[static_cast<size_t>(i)];
        dst[(v0 + i) * channels + c] = rescale ? static_cast<float>(static_cast<double>(value) * slope + inter) : value;
      }
    }
  }
  return volume;
}

}  // namespace voxconv::volume::detail
