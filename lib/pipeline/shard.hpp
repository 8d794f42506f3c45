#pragma once
// Deterministic slices of a batch for array jobs: shard I of N (0-based) takes the samples
// whose 0-based row k has k mod N == I, so N shards together take every row exactly once
// and neighbouring rows (often similar in size) are spread over the shards.
//
// Where I/N comes from, first match wins:
//   --shard I/N
//   Slurm arrays: I = (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP
//     (MIN 0 and STEP 1 when unset), N = SLURM_ARRAY_TASK_COUNT; so --array=0-3 and
//     --array=1-4 both give shards 0..3 of 4
//   Kubernetes indexed Jobs: I = JOB_COMPLETION_INDEX, N = --shard-count or VOXCONV_SHARD_COUNT
//   else the whole batch (0/1).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace voxconv::pipeline {

struct Shard {
  int64_t index = 0;
  int64_t count = 1;
  std::string source;  // how it was chosen, for the log: "--shard 1/4", "SLURM_ARRAY_TASK_ID=3 ..."

  bool takes(int64_t row) const { return row % count == index; }
};

// "I/N" with 0 <= I < N. Throws ErrorKind::usage.
Shard parse_shard(const std::string& text);

// Environment variable lookup; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

// `flag`: the --shard text (empty: not given); `count_flag`: --shard-count (0: not given).
// Throws ErrorKind::usage naming the flag or variable that does not make sense.
Shard resolve_shard(const std::string& flag, int64_t count_flag, const EnvLookup& env);

}  // namespace voxconv::pipeline
