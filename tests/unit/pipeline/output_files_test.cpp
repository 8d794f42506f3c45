#include "pipeline/output_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace voxconv::pipeline {
namespace {

namespace fs = std::filesystem;

struct Folder {
  fs::path path = fs::temp_directory_path() / ("voxconv_out_" + std::to_string(::getpid()) + "_" +
                                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Folder() { fs::create_directories(path); }
  ~Folder() { fs::remove_all(path); }
  std::string operator/(const char* name) const { return (path / name).string(); }
  size_t entries() const { return static_cast<size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator())); }
};

std::string content(const std::string& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(OutputTransaction, CommitMovesStagedFilesAndCompanionsIntoPlace) {
  Folder dir;
  {
    OutputTransaction t({dir / "a.mhd"}, false);
    const std::string staged = t.staging_path(dir / "a.mhd");
    EXPECT_NE(staged, dir / "a.mhd");
    std::ofstream(staged) << "header";
    std::ofstream(fs::path(staged).parent_path() / "a.raw") << "data";  // a companion file the writer made
    EXPECT_FALSE(fs::exists(dir / "a.mhd"));
    t.commit();
  }
  EXPECT_EQ(content(dir / "a.mhd"), "header");
  EXPECT_EQ(content(dir / "a.raw"), "data");
  EXPECT_EQ(dir.entries(), 2u);  // no staging folder left
}

TEST(OutputTransaction, AbandonedTransactionLeavesNothing) {
  Folder dir;
  {
    OutputTransaction t({dir / "b.nii"}, false);
    std::ofstream(t.staging_path(dir / "b.nii")) << "half written";
  }
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(OutputTransaction, RefusesExistingOutputsUnlessForced) {
  Folder dir;
  std::ofstream(dir / "c.nii") << "precious";
  EXPECT_THROW(OutputTransaction({dir / "c.nii"}, false), Error);
  EXPECT_EQ(content(dir / "c.nii"), "precious");
  {
    OutputTransaction t({dir / "c.nii"}, true);
    std::ofstream(t.staging_path(dir / "c.nii")) << "new";
    t.commit();
  }
  EXPECT_EQ(content(dir / "c.nii"), "new");
}

TEST(OutputTransaction, CompanionConflictMovesNothing) {
  Folder dir;
  std::ofstream(dir / "d.raw") << "someone else's raw";
  OutputTransaction t({dir / "d.mhd"}, false);
  const std::string staged = t.staging_path(dir / "d.mhd");
  std::ofstream(staged) << "header";
  std::ofstream(fs::path(staged).parent_path() / "d.raw") << "data";
  EXPECT_THROW(t.commit(), Error);
  EXPECT_FALSE(fs::exists(dir / "d.mhd"));
  EXPECT_EQ(content(dir / "d.raw"), "someone else's raw");
}

TEST(OutputTransaction, MissingFolderAndFolderAsFileAreErrors) {
  Folder dir;
  EXPECT_THROW(OutputTransaction({dir / "nope/x.nii"}, false), Error);
  EXPECT_THROW(OutputTransaction({dir.path.string()}, true), Error);
}

}  // namespace
}  // namespace voxconv::pipeline
