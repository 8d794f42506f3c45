#include "pipeline/shard.hpp"

#include <gtest/gtest.h>

#include <map>

#include "core/error.hpp"

namespace voxconv::pipeline {
namespace {

EnvLookup env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

void expect_usage_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "accepted; expected an error mentioning " << part;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Shard, ParsesZeroBasedIndexOverCount) {
  const Shard s = parse_shard("2/5");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(parse_shard("0/1").count, 1);
  for (const char* bad : {"5/5", "-1/3", "1/0", "1", "a/b", "1/2/3", "/3", "1/"})
    expect_usage_error([bad] { parse_shard(bad); }, "--shard");
}

TEST(Shard, ShardsPartitionTheRowsExactly) {
  for (int64_t n = 1; n <= 9; ++n) {
    std::vector<int> taken(50, 0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t row = 0; row < 50; ++row)
        if (parse_shard(std::to_string(i) + "/" + std::to_string(n)).takes(row)) ++taken[static_cast<size_t>(row)];
    for (int64_t row = 0; row < 50; ++row) EXPECT_EQ(taken[static_cast<size_t>(row)], 1) << "row " << row << ", N " << n;
  }
}

TEST(Shard, FlagWinsOverTheEnvironment) {
  const Shard s = resolve_shard("1/3", 0, env({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.source, "--shard 1/3");
  const Shard whole = resolve_shard("", 0, env({}));
  EXPECT_EQ(whole.index, 0);
  EXPECT_EQ(whole.count, 1);
}

TEST(Shard, SlurmArraysFromZeroOrOneOrWithASteps) {
  // --array=0-3
  Shard s = resolve_shard("", 0, env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "4"},
                                      {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "3"}}));
  EXPECT_EQ(s.index, 3);
  EXPECT_EQ(s.count, 4);
  // --array=1-4: task 1 is shard 0
  s = resolve_shard("", 0, env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}, {"SLURM_ARRAY_TASK_MIN", "1"}}));
  EXPECT_EQ(s.index, 0);
  EXPECT_NE(s.source.find("SLURM_ARRAY_TASK_ID=1"), std::string::npos) << s.source;
  // --array=10-16:3 -> ids 10, 13, 16
  s = resolve_shard("", 0, env({{"SLURM_ARRAY_TASK_ID", "16"}, {"SLURM_ARRAY_TASK_COUNT", "3"},
                                {"SLURM_ARRAY_TASK_MIN", "10"}, {"SLURM_ARRAY_TASK_STEP", "3"}}));
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 3);
  // No MIN (old Slurm): the id itself.
  s = resolve_shard("", 0, env({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}));
  EXPECT_EQ(s.index, 2);
}

TEST(Shard, SlurmArraysThatCannotBeSplitAreRefused) {
  expect_usage_error([] { resolve_shard("", 0, env({{"SLURM_ARRAY_TASK_ID", "2"}})); }, "SLURM_ARRAY_TASK_COUNT is not");
  // --array=1,3,7: ids are not evenly spaced from MIN
  expect_usage_error([] {
    resolve_shard("", 0, env({{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"}}));
  }, "--array=0-2");
  expect_usage_error([] {
    resolve_shard("", 0, env({{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}));
  }, "SLURM_ARRAY_TASK_ID = 'x'");
}

TEST(Shard, KubernetesIndexedJobsNeedACount) {
  Shard s = resolve_shard("", 4, env({{"JOB_COMPLETION_INDEX", "3"}}));
  EXPECT_EQ(s.index, 3);
  EXPECT_EQ(s.count, 4);
  s = resolve_shard("", 0, env({{"JOB_COMPLETION_INDEX", "0"}, {"VOXCONV_SHARD_COUNT", "2"}}));
  EXPECT_EQ(s.index, 0);
  EXPECT_EQ(s.count, 2);
  expect_usage_error([] { resolve_shard("", 0, env({{"JOB_COMPLETION_INDEX", "1"}})); }, "--shard-count");
  expect_usage_error([] { resolve_shard("", 2, env({{"JOB_COMPLETION_INDEX", "2"}})); }, "outside 0..1");
  expect_usage_error([] { resolve_shard("", 2, env({})); }, "JOB_COMPLETION_INDEX");
  expect_usage_error([] { resolve_shard("0/2", 2, env({})); }, "--shard-count");
  // Slurm wins when both are set.
  EXPECT_EQ(resolve_shard("", 0, env({{"JOB_COMPLETION_INDEX", "1"}, {"SLURM_ARRAY_TASK_ID", "0"},
                                       {"SLURM_ARRAY_TASK_COUNT", "2"}})).index,
            0);
}

}  // namespace
}  // namespace voxconv::pipeline
