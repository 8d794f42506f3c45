// NIfTI files built byte by byte from the NIfTI-1/NIfTI-2 specifications, so that the
// expected values and geometry are known without any reader: NIfTI-2 (read by voxconv's
// own reader, ITK 5.2 cannot), either byte order, scaling, 4-D and vector channels, the
// ITK path for equivalent NIfTI-1 files, and the sheared-sform fallback.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "volume/volume_io.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

using voxconv::testing::expect_error;
using voxconv::testing::TempDir;

struct NiftiSpec {
  int version = 1;
  bool big_endian = false;
  std::array<int64_t, 8> dim{3, 4, 3, 2, 1, 1, 1, 1};
  int datatype = 4;  // int16
  std::array<double, 8> pixdim{1, 1.5, 2.0, 2.5, 1, 1, 1, 1};
  double slope = 0.0, inter = 0.0;
  int qform_code = 0, sform_code = 1;
  std::array<double, 3> quatern{0, 0, 0};
  std::array<double, 3> qoffset{0, 0, 0};
  std::array<std::array<double, 4>, 3> srow{{{1.5, 0, 0, 10}, {0, 2.0, 0, -20}, {0, 0, 2.5, 30}}};
};

class Bytes {
 public:
  Bytes(size_t size, bool big) : b_(size, '\0'), big_(big) {}
  template <typename T>
  void put(size_t offset, T value) {
    char tmp[sizeof(T)];
    std::memcpy(tmp, &value, sizeof(T));
    if (big_) std::reverse(tmp, tmp + sizeof(T));  // tests run on little-endian hosts
    std::memcpy(&b_[offset], tmp, sizeof(T));
  }
  void text(size_t offset, const char* s, size_t n) { std::memcpy(&b_[offset], s, n); }
  void append_value(int datatype, double v) {
    const size_t at = b_.size();
    switch (datatype) {
      case 2:
        b_.push_back(static_cast<char>(static_cast<uint8_t>(v)));
        break;
      case 4:
        b_.resize(at + 2);
        put(at, static_cast<int16_t>(v));
        break;
      case 512:
        b_.resize(at + 2);
        put(at, static_cast<uint16_t>(v));
        break;
      case 8:
        b_.resize(at + 4);
        put(at, static_cast<int32_t>(v));
        break;
      case 16:
        b_.resize(at + 4);
        put(at, static_cast<float>(v));
        break;
      case 64:
        b_.resize(at + 8);
        put(at, v);
        break;
      default:
        ADD_FAILURE() << "datatype " << datatype;
    }
  }
  const std::string& str() const { return b_; }

 private:
  std::string b_;
  bool big_;
};

// Header + 4 extension bytes + values (file order: x fastest).
std::string build_nifti(const NiftiSpec& s, const std::vector<double>& values) {
  const size_t header = s.version == 1 ? 348 : 540;
  const size_t offset = header + 4;
  Bytes b(offset, s.big_endian);
  b.put<int32_t>(0, static_cast<int32_t>(header));
  const int bitpix = s.datatype == 2 ? 8 : s.datatype == 4 || s.datatype == 512 ? 16 : s.datatype == 64 ? 64 : 32;
  if (s.version == 1) {
    for (size_t i = 0; i < 8; ++i) b.put<int16_t>(40 + 2 * i, static_cast<int16_t>(s.dim[i]));
    b.put<int16_t>(70, static_cast<int16_t>(s.datatype));
    b.put<int16_t>(72, static_cast<int16_t>(bitpix));
    for (size_t i = 0; i < 8; ++i) b.put<float>(76 + 4 * i, static_cast<float>(s.pixdim[i]));
    b.put<float>(108, static_cast<float>(offset));
    b.put<float>(112, static_cast<float>(s.slope));
    b.put<float>(116, static_cast<float>(s.inter));
    b.put<int16_t>(252, static_cast<int16_t>(s.qform_code));
    b.put<int16_t>(254, static_cast<int16_t>(s.sform_code));
    for (size_t i = 0; i < 3; ++i) b.put<float>(256 + 4 * i, static_cast<float>(s.quatern[i]));
    for (size_t i = 0; i < 3; ++i) b.put<float>(268 + 4 * i, static_cast<float>(s.qoffset[i]));
    for (size_t r = 0; r < 3; ++r)
      for (size_t c = 0; c < 4; ++c) b.put<float>(280 + 16 * r + 4 * c, static_cast<float>(s.srow[r][c]));
    b.text(344, "n+1\0", 4);
  } else {
    b.text(4, "n+2\0\r\n\032\n", 8);
    b.put<int16_t>(12, static_cast<int16_t>(s.datatype));
    b.put<int16_t>(14, static_cast<int16_t>(bitpix));
    for (size_t i = 0; i < 8; ++i) b.put<int64_t>(16 + 8 * i, s.dim[i]);
    for (size_t i = 0; i < 8; ++i) b.put<double>(104 + 8 * i, s.pixdim[i]);
    b.put<int64_t>(168, static_cast<int64_t>(offset));
    b.put<double>(176, s.slope);
    b.put<double>(184, s.inter);
    b.put<int32_t>(344, s.qform_code);
    b.put<int32_t>(348, s.sform_code);
    for (size_t i = 0; i < 3; ++i) b.put<double>(352 + 8 * i, s.quatern[i]);
    for (size_t i = 0; i < 3; ++i) b.put<double>(376 + 8 * i, s.qoffset[i]);
    for (size_t r = 0; r < 3; ++r)
      for (size_t c = 0; c < 4; ++c) b.put<double>(400 + 32 * r + 8 * c, s.srow[r][c]);
  }
  for (double v : values) b.append_value(s.datatype, v);
  return b.str();
}

int64_t element_count(const NiftiSpec& s) {
  int64_t n = 1;
  for (int64_t i = 1; i <= s.dim[0]; ++i) n *= s.dim[static_cast<size_t>(i)];
  return n;
}

std::vector<double> ramp(int64_t n) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = static_cast<double>((i * 37) % 200);  // non-negative: also fits unsigned types
  return v;
}

// The value the reader must return for voxel (x, y, z), channel c: NIfTI keeps the
// channel (4th or 5th dimension) slowest.
double file_value(const NiftiSpec& s, const std::vector<double>& v, int64_t x, int64_t y, int64_t z, int64_t c) {
  const int64_t X = s.dim[1], Y = s.dim[2], Z = s.dim[3];
  return v[static_cast<size_t>(((c * Z + z) * Y + y) * X + x)];
}

void expect_values(const Volume& vol, const NiftiSpec& s, const std::vector<double>& v, double slope, double inter) {
  const int64_t X = s.dim[1], Y = s.dim[2], Z = s.dim[3];
  const int64_t C = vol.data.dim(4);
  for (int64_t z = 0; z < Z; ++z)
    for (int64_t y = 0; y < Y; ++y)
      for (int64_t x = 0; x < X; ++x)
        for (int64_t c = 0; c < C; ++c)
          ASSERT_NEAR(vol.data.data()[((z * Y + y) * X + x) * C + c], file_value(s, v, x, y, z, c) * slope + inter,
                      1e-3)
              << x << "," << y << "," << z << " c" << c;
}

struct Variant {
  const char* name;
  int version;
  bool big_endian;
  int datatype;
};

class BuiltNifti : public ::testing::TestWithParam<Variant> {};

// Both versions and byte orders; NIfTI-1 goes through ITK, NIfTI-2 through our reader,
// and they must agree.
TEST_P(BuiltNifti, ScalarScaledAndFourD) {
  const Variant& p = GetParam();
  TempDir dir;
  NiftiSpec s;
  s.version = p.version;
  s.big_endian = p.big_endian;
  s.datatype = p.datatype;
  // 3-D, sform only: LPS geometry = sform with rows 0 and 1 negated.
  std::vector<double> v = ramp(element_count(s));
  testing::write_bytes(dir.file("a.nii"), build_nifti(s, v));
  Volume vol = read_volume(dir.file("a.nii"));
  EXPECT_EQ(vol.data.dims(), (Dims{1, 2, 3, 4, 1}));
  expect_values(vol, s, v, 1.0, 0.0);
  EXPECT_EQ(vol.geometry.spacing, (std::array<double, 3>{1.5, 2.0, 2.5}));
  EXPECT_EQ(vol.geometry.origin, (std::array<double, 3>{-10, 20, 30}));
  EXPECT_EQ(vol.geometry.direction, (std::array<double, 9>{-1, 0, 0, 0, -1, 0, 0, 0, 1}));

  // 4-D with scaling: the time points become channels.
  s.dim = {4, 4, 3, 2, 3, 1, 1, 1};
  s.slope = 0.5;
  s.inter = -7.0;
  v = ramp(element_count(s));
  testing::write_bytes(dir.file("b.nii"), build_nifti(s, v));
  vol = read_volume(dir.file("b.nii"));
  EXPECT_EQ(vol.data.dims(), (Dims{1, 2, 3, 4, 3}));
  expect_values(vol, s, v, 0.5, -7.0);

  // Trailing singleton 4th dimension: one channel.
  s.dim = {4, 4, 3, 2, 1, 1, 1, 1};
  v = ramp(element_count(s));
  testing::write_bytes(dir.file("c.nii"), build_nifti(s, v));
  vol = read_volume(dir.file("c.nii"));
  EXPECT_EQ(vol.data.dims(), (Dims{1, 2, 3, 4, 1}));
  expect_values(vol, s, v, 0.5, -7.0);

  // Vector pixels in dim[5] (intent unset): components become channels.
  s.dim = {5, 4, 3, 2, 1, 2, 1, 1};
  s.slope = 0.0;  // 0 means no scaling
  v = ramp(element_count(s));
  testing::write_bytes(dir.file("d.nii"), build_nifti(s, v));
  vol = read_volume(dir.file("d.nii"));
  EXPECT_EQ(vol.data.dims(), (Dims{1, 2, 3, 4, 2}));
  expect_values(vol, s, v, 1.0, 0.0);

  // Time points and vector components at once cannot both become channels.
  s.dim = {5, 4, 3, 2, 2, 3, 1, 1};
  testing::write_bytes(dir.file("e.nii"), build_nifti(s, ramp(element_count(s))));
  expect_error([&] { read_volume(dir.file("e.nii")); }, ErrorKind::volume_read, dir.file("e.nii"));

  // Cut short: a read error, never garbage.
  s.dim = {3, 4, 3, 2, 1, 1, 1, 1};
  const std::string full = build_nifti(s, ramp(element_count(s)));
  testing::write_bytes(dir.file("f.nii"), full.substr(0, full.size() - 3));
  expect_error([&] { read_volume(dir.file("f.nii")); }, ErrorKind::volume_read, dir.file("f.nii"), "truncated");
}

INSTANTIATE_TEST_SUITE_P(
    Versions, BuiltNifti,
    ::testing::Values(Variant{"nifti1_le_int16", 1, false, 4}, Variant{"nifti1_be_int16", 1, true, 4},
                      Variant{"nifti1_be_float64", 1, true, 64}, Variant{"nifti2_le_int16", 2, false, 4},
                      Variant{"nifti2_be_int16", 2, true, 4}, Variant{"nifti2_le_uint16", 2, false, 512},
                      Variant{"nifti2_be_float32", 2, true, 16}, Variant{"nifti2_le_float64", 2, false, 64},
                      Variant{"nifti2_le_uint8", 2, false, 2}),
    [](const ::testing::TestParamInfo<Variant>& param_info) { return std::string(param_info.param.name); });

TEST(BuiltNiftiGeometry, QformOnlyBothVersionsAgreeWithItk) {
  // A qform for a 90-degree rotation about z (quatern_d = sin(45 deg)) and qfac = -1:
  // RAS columns (0,1,0), (-1,0,0), (0,0,-1); in LPS rows 0 and 1 negated.
  TempDir dir;
  for (int version : {1, 2}) {
    NiftiSpec s;
    s.version = version;
    s.sform_code = 0;
    s.qform_code = 1;
    s.pixdim[0] = -1;
    s.quatern = {0, 0, std::sqrt(0.5)};
    s.qoffset = {5, 6, 7};
    const std::string path = dir.file("q" + std::to_string(version) + ".nii");
    testing::write_bytes(path, build_nifti(s, ramp(element_count(s))));
    const Volume vol = read_volume(path);
    const std::array<double, 9> expected = {0, 1, 0, -1, 0, 0, 0, 0, -1};
    for (size_t i = 0; i < 9; ++i) EXPECT_NEAR(vol.geometry.direction[i], expected[i], 1e-6) << version << " " << i;
    EXPECT_NEAR(vol.geometry.origin[0], -5, 1e-6);
    EXPECT_NEAR(vol.geometry.origin[1], -6, 1e-6);
    EXPECT_NEAR(vol.geometry.origin[2], 7, 1e-6);
  }
}

TEST(BuiltNiftiGeometry, ShearedSformWithoutQformUsesNearestRotation) {
  // ITK 5.2 refuses this header; read_volume reads it and says what it approximated.
  // The sform has in-plane axes x, y and a slice axis tilted in y. Expected: the polar
  // factor of the column-normalised 3x3 part, by python3 numpy:
  //   A = [[1.5,0,0],[0,2,1.25],[0,0,2.5]]; R = A / norm(A, axis=0); U,S,Vt = svd(R);
  //   P = U @ Vt; P[:2] *= -1   (LPS)
  TempDir dir;
  for (int version : {1, 2}) {
    NiftiSpec s;
    s.version = version;
    s.srow = {{{1.5, 0, 0, 10}, {0, 2.0, 1.25, -20}, {0, 0, 2.5, 30}}};
    const std::string path = dir.file("s" + std::to_string(version) + ".nii");
    const std::vector<double> v = ramp(element_count(s));
    testing::write_bytes(path, build_nifti(s, v));
    const Volume vol = read_volume(path);
    ASSERT_EQ(vol.warnings.size(), 1u);
    EXPECT_NE(vol.warnings[0].find("shear"), std::string::npos);
    const std::array<double, 9> expected = {-1, 0, 0, 0, -0.9732489895, -0.2297529205, 0, -0.2297529205, 0.9732489895};
    for (size_t i = 0; i < 9; ++i) EXPECT_NEAR(vol.geometry.direction[i], expected[i], 1e-6) << version << " " << i;
    expect_values(vol, s, v, 1.0, 0.0);
  }
}

TEST(BuiltNiftiErrors, HeadersThatCannotBeRead) {
  TempDir dir;
  NiftiSpec s;
  const std::string good = build_nifti(s, ramp(element_count(s)));
  const auto check = [&](const std::string& name, std::string bytes, const std::string& contains) {
    SCOPED_TRACE(name);
    const std::string path = dir.file(name + ".nii");
    testing::write_bytes(path, bytes);
    expect_error([&] { read_volume(path); }, ErrorKind::volume_read, path, contains);
  };
  std::string b = good;
  b.replace(344, 4, std::string("ni1\0", 4));
  check("two_file", b, "two-file");
  b = good;
  b[0] = 100;
  check("bad_size", b, "not a NIfTI");
  check("short_header", good.substr(0, 200), "truncated NIfTI header");
  NiftiSpec zero = s;
  zero.dim = {3, 4, 0, 2, 1, 1, 1, 1};
  check("zero_dim", build_nifti(zero, {}), "dim[2]");
  NiftiSpec rgb = s;
  rgb.version = 2;
  rgb.datatype = 128;
  check("rgb_nifti2", build_nifti(rgb, {}), "datatype");
  NiftiSpec huge = s;
  huge.version = 2;
  huge.dim = {3, 1000000, 1000000, 1000000, 1, 1, 1, 1};
  try {
    testing::write_bytes(dir.file("huge.nii"), build_nifti(huge, {}));
    read_volume(dir.file("huge.nii"));
    ADD_FAILURE() << "no error for an absurd NIfTI-2 size";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource) << e.what();  // caught before allocating
  }
}

}  // namespace
}  // namespace voxconv::volume
