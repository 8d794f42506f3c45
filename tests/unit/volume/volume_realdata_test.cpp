// Every volume under ../shared/realdata/volumes (see ../shared/realdata/SOURCES.md),
// read through read_volume. Expected numbers were obtained independently of ITK:
//  * NIfTI: python3 + nibabel 5.0 — img.shape, img.header['pixdim'], img.affine turned
//    into ITK's LPS convention (origin = (-a[0,3], -a[1,3], a[2,3]); direction column j =
//    a[:3,j] / |a[:3,j]| with rows 0 and 1 negated), and img.get_fdata()[x, y, z(, t)]
//    (nibabel applies scl_slope/scl_inter there).
//  * NRRD / MetaImage: the int16 / uint8 payload bytes read with python3 struct at
//    offset x + X * (y + Y * z) (attached .nrrd: file size - 54000).
// Each test skips when the shared tree is absent.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

struct Sample {
  int64_t x, y, z, c;
  double value;
};

struct RealVolume {
  const char* name;  // test name
  const char* path;  // under realdata/volumes/
  std::array<int64_t, 4> zyxc;
  std::array<double, 3> spacing;
  std::array<double, 3> origin;
  std::array<double, 9> direction;
  std::vector<Sample> samples;
  double value_tolerance = 0.0;
  double geometry_tolerance = 1e-4;
};

float at(const Tensor& t, int64_t x, int64_t y, int64_t z, int64_t c) {
  const int64_t Y = t.dim(2), X = t.dim(3), C = t.dim(4);
  return t.data()[((z * Y + y) * X + x) * C + c];
}

const std::array<double, 9> kIdentity = {1, 0, 0, 0, 1, 0, 0, 0, 1};

std::vector<RealVolume> real_volumes() {
  return {
      // Big-endian int16, qform = sform.
      {"anatomical_big_endian",
       "nibabel/anatomical.nii",
       {25, 41, 33, 1},
       {2, 2, 2},
       {-32, 40, -16},
       {1, 0, 0, 0, -1, 0, 0, 0, 1},
       {{16, 20, 12, 0, 11881}, {32, 40, 24, 0, 2971}, {1, 1, 1, 0, 4887}, {17, 23, 0, 0, 30393}, {22, 0, 0, 0, 8034}}},
      // scl_slope 0.07540696859359741, scl_inter 3100.76171875; raw int16 at (7,12,1,12) is
      // 32767, at (5,14,0,0) 5426, at (11,7,0,0) 10332 (nibabel dataobj.get_unscaled()).
      {"functional_scaled_4d",
       "nibabel/functional.nii",
       {3, 21, 17, 20},
       {4, 4, 8},
       {-32, 40, 0},
       {1, 0, 0, 0, -1, 0, 0, 0, 1},
       {{7, 12, 1, 12, 5571.621858656406},
        {5, 14, 0, 0, 3509.9199303388596},
        {11, 7, 0, 0, 3879.8665182590485},
        {8, 10, 1, 10, 3937.251221358776},
        {16, 20, 2, 19, 3129.3409598469734}},
       0.01},
      {"example4d",
       "nibabel/example4d.nii.gz",
       {24, 96, 128, 2},
       {2, 2, 2.199999},
       {-117.8551025, 35.7229424, -7.2487984},
       {1, 0, 0, 0, -0.9868557, 0.1616038, 0, 0.1616038, 0.9868557},
       {{64, 48, 12, 1, 266}, {64, 49, 0, 0, 1162}, {54, 21, 19, 1, 499}, {72, 49, 10, 0, 373}}},
      // NIfTI-2 (ITK 5.2 cannot read it; read_volume's own reader does).
      {"nifti2",
       "nibabel/example_nifti2.nii.gz",
       {12, 20, 32, 2},
       {2, 2, 2.1999991},
       {-117.8551025, 35.7229424, -7.2487984},
       {1, 0, 0, 0, -0.9868557, 0.1616038, 0, 0.1616038, 0.9868557},
       {{16, 10, 6, 1, 266},
        {31, 19, 11, 1, 457},
        {1, 1, 1, 1, 374},
        {17, 16, 4, 1, 757},
        {10, 13, 4, 0, 450},
        {21, 6, 8, 0, 442}}},
      // Big-endian float32.
      {"reoriented_big_endian_float",
       "nibabel/reoriented_anat_moved.nii",
       {22, 26, 21, 1},
       {4, 4, 4},
       {35.2978973, 47.9775848, -27.5994091},
       {-1, 0, 0, 0, -1, 0, 0, 0, 1},
       {{10, 13, 11, 0, 8117.22021484375},
        {12, 15, 4, 0, 21199.935546875},
        {7, 19, 12, 0, 10804.46875},
        {13, 5, 6, 0, 8552.796875}}},
      // qform 0 / sform 2, anisotropic.
      {"standard_uint8",
       "nibabel/standard.nii.gz",
       {7, 5, 4, 1},
       {1, 3, 2},
       {0, 0, 0},
       {-1, 0, 0, 0, -1, 0, 0, 0, 1},
       {{2, 2, 3, 0, 0}, {3, 4, 6, 0, 255}, {1, 1, 1, 0, 255}, {0, 0, 1, 0, 255}, {1, 2, 4, 0, 255}}},
      {"aniso_vox_oblique",
       "dipy/aniso_vox.nii.gz",
       {24, 58, 58, 1},
       {4, 4, 5},
       {-118.763443, -132.1981812, 22.8195553},
       {0.9999467, 0.0000015, 0.0103272, -0.0059985, 0.8140982, 0.5806962, -0.0084065, -0.5807272, 0.8140548},
       {{29, 29, 12, 0, 900}, {57, 57, 23, 0, 14}, {1, 1, 1, 0, 15}, {30, 27, 1, 0, 2149}, {38, 57, 23, 0, 12}}},
      // Trailing singleton 4th dimension, and an sform with shear and no qform (ITK 5.2
      // refuses it): the direction is the polar factor of the column-normalised sform,
      // numpy: U, S, Vt = svd(A / norm(A, axis=0)); U @ Vt, rows 0 and 1 negated. It
      // equals the unused quaternion dipy stored in the header to 1e-8.
      {"s0_trailing_singleton_sheared",
       "dipy/S0_10slices.nii.gz",
       {10, 128, 128, 1},
       {2, 2, 53.14132},
       {123.3592529, 102.8547363, -38.7558632},
       {-0.947516472, 0.052483528, -0.315369647, 0.052483528, -0.947516472, -0.315369647, -0.315369647, -0.315369647,
        0.895032945},
       {{64, 64, 5, 0, 386}, {127, 127, 9, 0, 0}, {1, 1, 1, 0, 16}, {58, 92, 7, 0, 4095}, {42, 44, 6, 0, 858}}},
      // qform 2 / sform 1, LSA.
      {"kmeans_t1",
       "itk_examples/KmeansTest_T1UCharRaw.nii.gz",
       {62, 128, 128, 1},
       {2, 2, 3},
       {0, 254, 0},
       {1, 0, 0, 0, 0, -1, 0, 1, 0},
       {{64, 64, 31, 0, 97}, {30, 44, 47, 0, 255}, {51, 80, 9, 0, 33}, {71, 81, 55, 0, 50}}},
      {"t1_crop_256",
       "brainchop/t1_crop.nii.gz",
       {256, 256, 256, 1},
       {1, 1, 1},
       {-127.5999985, 133.480011, 134.4799957},
       {1, 0, 0, 0, 0, -1, 0, -1, 0},
       {{128, 128, 128, 0, 83}, {99, 179, 114, 0, 255}, {108, 204, 183, 0, 12}, {148, 54, 86, 0, 140}}},
      // MetaImage header with detached .raw.
      {"metaimage_detached",
       "itk_examples/BrainProtonDensity3Slices.mha",
       {3, 217, 181, 1},
       {1, 1, 1},
       {0, 0, 0},
       kIdentity,
       {{0, 0, 0, 0, 7}, {90, 108, 1, 0, 228}, {100, 50, 2, 0, 160}, {180, 216, 2, 0, 1}, {45, 160, 0, 0, 203}}},
      // NRRD attached raw, attached gzip, detached header: the same ball (0 or 257).
      {"nrrd_attached",
       "pynrrd/BallBinary30x30x30.nrrd",
       {30, 30, 30, 1},
       {1, 1, 1},
       {0, 0, 0},
       kIdentity,
       {{15, 15, 15, 0, 257}, {0, 0, 0, 0, 0}, {15, 5, 15, 0, 257}, {10, 12, 20, 0, 257}, {29, 29, 29, 0, 0}}},
      {"nrrd_gzip",
       "pynrrd/BallBinary30x30x30_gz.nrrd",
       {30, 30, 30, 1},
       {1, 1, 1},
       {0, 0, 0},
       kIdentity,
       {{15, 15, 15, 0, 257}, {0, 0, 0, 0, 0}, {15, 5, 15, 0, 257}, {10, 12, 20, 0, 257}, {29, 29, 29, 0, 0}}},
      {"nrrd_detached",
       "pynrrd/BallBinary30x30x30.nhdr",
       {30, 30, 30, 1},
       {1, 1, 1},
       {0, 0, 0},
       kIdentity,
       {{15, 15, 15, 0, 257}, {0, 0, 0, 0, 0}, {15, 5, 15, 0, 257}, {10, 12, 20, 0, 257}, {29, 29, 29, 0, 0}}},
  };
}

class RealData : public ::testing::TestWithParam<RealVolume> {};

TEST_P(RealData, ShapeGeometryAndValues) {
  const RealVolume& r = GetParam();
  const auto path = testing::realdata(std::string("volumes/") + r.path);
  VOXCONV_REQUIRE_REALDATA(path);
  const Volume v = read_volume(path.string());
  EXPECT_EQ(v.data.dims(), (Dims{1, r.zyxc[0], r.zyxc[1], r.zyxc[2], r.zyxc[3]}));
  ASSERT_EQ(v.data.rank(), 5u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(v.geometry.spacing[i], r.spacing[i], 1e-5) << "spacing " << i;
    EXPECT_NEAR(v.geometry.origin[i], r.origin[i], r.geometry_tolerance) << "origin " << i;
  }
  for (size_t i = 0; i < 9; ++i) EXPECT_NEAR(v.geometry.direction[i], r.direction[i], 1e-5) << "direction " << i;
  for (const Sample& s : r.samples)
    EXPECT_NEAR(at(v.data, s.x, s.y, s.z, s.c), s.value, r.value_tolerance)
        << "voxel (" << s.x << ", " << s.y << ", " << s.z << ") channel " << s.c;
}

INSTANTIATE_TEST_SUITE_P(SharedVolumes, RealData, ::testing::ValuesIn(real_volumes()),
                         [](const ::testing::TestParamInfo<RealVolume>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(RealDataSums, WholeVolumesMatchRawBytes) {
  // Sums of the raw payloads (python3 struct): 3682296 for the int16 ball, 14725708 for
  // the uint8 MetaImage. A sum catches a wrong element anywhere.
  const auto ball = testing::realdata("volumes/pynrrd/BallBinary30x30x30.nrrd");
  const auto mha = testing::realdata("volumes/itk_examples/BrainProtonDensity3Slices.mha");
  VOXCONV_REQUIRE_REALDATA(ball);
  VOXCONV_REQUIRE_REALDATA(mha);
  const auto sum = [](const Tensor& t) {
    double s = 0;
    for (float f : t.values()) s += f;
    return s;
  };
  EXPECT_EQ(sum(read_volume(ball.string()).data), 3682296.0);
  EXPECT_EQ(sum(read_volume(mha.string()).data), 14725708.0);
}

TEST(RealDataWarnings, OnlyTheShearedSformWarns) {
  const auto s0 = testing::realdata("volumes/dipy/S0_10slices.nii.gz");
  const auto anatomical = testing::realdata("volumes/nibabel/anatomical.nii");
  VOXCONV_REQUIRE_REALDATA(s0);
  VOXCONV_REQUIRE_REALDATA(anatomical);
  const Volume sheared = read_volume(s0.string());
  ASSERT_EQ(sheared.warnings.size(), 1u);
  EXPECT_NE(sheared.warnings[0].find("shear"), std::string::npos) << sheared.warnings[0];
  EXPECT_TRUE(read_volume(anatomical.string()).warnings.empty());
}

TEST(RealDataErrors, FourDimensionalNrrdWithThreeDimensionalSpace) {
  // sizes 1 1 1 1 with "space directions: ... none" and no kinds: ITK 5.2's NrrdImageIO
  // refuses it ("#independent axes (4) doesn't match dimension of space"); read_volume
  // passes that on as one clear line.
  const auto path = testing::realdata("volumes/pynrrd/test_simple4d_raw.nrrd");
  VOXCONV_REQUIRE_REALDATA(path);
  testing::expect_error([&] { read_volume(path.string()); }, ErrorKind::volume_read, path.string(), "independent axes");
}

TEST(RealDataErrors, RawPayloadIsNotAVolume) {
  const auto path = testing::realdata("volumes/pynrrd/BallBinary30x30x30.raw");
  VOXCONV_REQUIRE_REALDATA(path);
  testing::expect_error([&] { read_volume(path.string()); }, ErrorKind::volume_read, path.string(),
                        "unsupported extension");
}

}  // namespace
}  // namespace voxconv::volume
