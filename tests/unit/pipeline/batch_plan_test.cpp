#include "pipeline/batch_plan.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "test_folder.hpp"

namespace voxconv::pipeline {
namespace {

namespace fs = std::filesystem;

using Folder = voxconv::testing::TestFolder;

std::vector<std::string> one_file(const std::string& output) { return {output}; }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

TEST(BatchPlan, ExpandsOutputsAndTakesTheShardsRows) {
  BatchSpec spec;
  spec.input_files = {"a/x.nii", "b/y.nii", "c/z.nii", "d/w.nii", "e/v.nii"};
  spec.output_template = "out/{stem}_{index}.nrrd";
  const BatchPlan all = plan_batch(spec, Shard{}, one_file);
  ASSERT_EQ(all.samples.size(), 5u);
  EXPECT_EQ(all.total, 5);
  EXPECT_EQ(all.samples[2].output, "out/z_2.nrrd");
  EXPECT_EQ(all.samples[2].destinations, std::vector<std::string>{"out/z_2.nrrd"});
  const BatchPlan second = plan_batch(spec, parse_shard("1/2"), one_file);
  ASSERT_EQ(second.samples.size(), 2u);
  EXPECT_EQ(second.total, 5);
  EXPECT_EQ(second.samples[0].index, 1);
  EXPECT_EQ(second.samples[1].index, 3);
  EXPECT_EQ(second.samples[1].output, "out/w_3.nrrd");
}

TEST(BatchPlan, TwoSamplesWritingOneFileAreRefusedNamingBoth) {
  Folder dir;
  BatchSpec spec;
  spec.manifest_path = dir.write("m.csv", "input,output\na/t1.nii,\nb/t1.nii,\nc/t2.nii,o/t1.nrrd\n");
  spec.output_template = "o/{stem}.nrrd";
  const std::string m = spec.manifest_path;
  EXPECT_EQ(error_of([&] { plan_batch(spec, Shard{}, one_file); }),
            m + ":3 and " + m + ":2 both write o/t1.nrrd (use {stem}, {dir}, {index} or a manifest column in --output)");
  // The check covers the whole manifest, not just the shard that runs (rows 2 and 3 are in
  // different shards of 2), so that shards cannot overwrite each other's files.
  EXPECT_THROW(plan_batch(spec, parse_shard("0/2"), one_file), Error);
  // Every file of a sample is checked (--split-channels writes several).
  spec.output_template = "o/{dir}";
  const auto split = [](const std::string& o) { return std::vector<std::string>{o + "_000.nii", o + "_001.nii"}; };
  EXPECT_NO_THROW(plan_batch(spec, Shard{}, split));
  spec.output_template = "o/{stem}";
  EXPECT_NE(error_of([&] { plan_batch(spec, Shard{}, split); }).find("both write o/t1_000.nii"), std::string::npos);
}

TEST(BatchPlan, EachSampleNeedsItsOwnOutput) {
  BatchSpec spec;
  spec.input_files = {"a.nii", "b.nii"};
  EXPECT_NE(error_of([&] { plan_batch(spec, Shard{}, one_file); }).find("a.nii: no output"), std::string::npos);
  spec.output_template = "out/features.nii";
  EXPECT_NE(error_of([&] { plan_batch(spec, Shard{}, one_file); }).find("needs a placeholder"), std::string::npos);
  spec.input_files = {"a.nii"};  // one sample may have a plain name
  EXPECT_EQ(plan_batch(spec, Shard{}, one_file).samples.at(0).output, "out/features.nii");
  spec.manifest_path = "m.csv";
  EXPECT_NE(error_of([&] { plan_batch(spec, Shard{}, one_file); }).find("either with --manifest"), std::string::npos);
}

TEST(BatchPlan, OutputStateSeesMissingPartialAndCompleteSets) {
  Folder dir;
  BatchSample s;
  s.destinations = {(dir.path / "f_000.nii").string(), (dir.path / "f_001.nii").string()};
  EXPECT_EQ(output_state(s), OutputState::missing);
  dir.write("f_000.nii", "x");
  EXPECT_EQ(output_state(s), OutputState::partial);
  dir.write("f_001.nii", "x");
  EXPECT_EQ(output_state(s), OutputState::complete);
}

}  // namespace
}  // namespace voxconv::pipeline
