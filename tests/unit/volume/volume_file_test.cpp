#include <gtest/gtest.h>

#include <string>

#include "volume/volume_io.hpp"

namespace voxconv::volume {
namespace {

TEST(FormatOf, RecognisesEveryExtensionCaseInsensitively) {
  EXPECT_EQ(format_of("a.nii"), FileFormat::nifti);
  EXPECT_EQ(format_of("dir/a.NII"), FileFormat::nifti);
  EXPECT_EQ(format_of("a.nii.gz"), FileFormat::nifti);
  EXPECT_EQ(format_of("A.Nii.Gz"), FileFormat::nifti);
  EXPECT_EQ(format_of("a.nrrd"), FileFormat::nrrd);
  EXPECT_EQ(format_of("a.NHDR"), FileFormat::nrrd);
  EXPECT_EQ(format_of("a.mha"), FileFormat::metaimage);
  EXPECT_EQ(format_of("x/y.z/a.MHD"), FileFormat::metaimage);
  EXPECT_EQ(format_of("a.npy"), FileFormat::npy);
  EXPECT_EQ(format_of("a.Npy"), FileFormat::npy);
  EXPECT_EQ(format_of("stack.tif"), FileFormat::tiff);
  EXPECT_EQ(format_of("stack.TIFF"), FileFormat::tiff);
}

TEST(FormatOf, RejectsOtherNames) {
  EXPECT_EQ(format_of("a.gz"), FileFormat::unknown);
  EXPECT_EQ(format_of("a.nii.bz2"), FileFormat::unknown);
  EXPECT_EQ(format_of("a.hdr"), FileFormat::unknown);
  EXPECT_EQ(format_of("a.img"), FileFormat::unknown);
  EXPECT_EQ(format_of("a.raw"), FileFormat::unknown);
  EXPECT_EQ(format_of("a"), FileFormat::unknown);
  EXPECT_EQ(format_of(""), FileFormat::unknown);
  EXPECT_EQ(format_of(".nii"), FileFormat::unknown);      // no stem
  EXPECT_EQ(format_of("dir/.nii"), FileFormat::unknown);  // no stem
  EXPECT_EQ(format_of("a.nii/b"), FileFormat::unknown);   // extension of a directory
  EXPECT_EQ(format_of("anii"), FileFormat::unknown);
}

TEST(SupportedExtensions, NamesEveryFormat) {
  const std::string text = supported_extensions();
  for (const char* ext : {".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd", ".tif", ".tiff", ".npy"})
    EXPECT_NE(text.find(ext), std::string::npos) << ext;
}

}  // namespace
}  // namespace voxconv::volume
