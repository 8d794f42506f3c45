#include "pipeline/shard.hpp"

#include <cstdlib>

#include "core/error.hpp"

namespace voxconv::pipeline {

namespace {

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::usage, message); }

// A whole decimal number, or nullopt.
std::optional<int64_t> parse_integer(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  int64_t value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return text[0] == '-' ? -value : value;
}

int64_t env_integer(const EnvLookup& env, const std::string& name, std::optional<int64_t> fallback) {
  const std::optional<std::string> text = env(name);
  if (!text) {
    if (fallback) return *fallback;
    fail(name + " is not set");
  }
  const std::optional<int64_t> value = parse_integer(*text);
  if (!value) fail(name + " = '" + *text + "': not a whole number");
  return *value;
}

Shard from_slurm(const EnvLookup& env) {
  const int64_t id = env_integer(env, "SLURM_ARRAY_TASK_ID", std::nullopt);
  if (!env("SLURM_ARRAY_TASK_COUNT"))
    fail("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shard I/N");
  const int64_t count = env_integer(env, "SLURM_ARRAY_TASK_COUNT", std::nullopt);
  const int64_t min = env_integer(env, "SLURM_ARRAY_TASK_MIN", 0);
  const int64_t step = env_integer(env, "SLURM_ARRAY_TASK_STEP", 1);
  const std::string seen = "SLURM_ARRAY_TASK_ID=" + std::to_string(id) + ", SLURM_ARRAY_TASK_MIN=" +
                           std::to_string(min) + ", SLURM_ARRAY_TASK_STEP=" + std::to_string(step) +
                           ", SLURM_ARRAY_TASK_COUNT=" + std::to_string(count);
  if (count < 1 || step < 1) fail(seen + ": not a Slurm array this can split");
  const int64_t offset = id - min;
  if (offset < 0 || offset % step != 0 || offset / step >= count)
    fail(seen + ": the task is not one of COUNT evenly spaced ids from MIN; use a range such as --array=0-" +
         std::to_string(count - 1) + " or give --shard I/N");
  Shard shard;
  shard.index = offset / step;
  shard.count = count;
  shard.source = seen;
  return shard;
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  const std::optional<int64_t> index = slash == std::string::npos ? std::nullopt : parse_integer(text.substr(0, slash));
  const std::optional<int64_t> count = slash == std::string::npos ? std::nullopt : parse_integer(text.substr(slash + 1));
  if (!index || !count) fail("--shard = '" + text + "': expected I/N, e.g. 0/4 (I counts from 0)");
  if (*count < 1) fail("--shard = '" + text + "': N must be >= 1");
  if (*index < 0 || *index >= *count)
    fail("--shard = '" + text + "': I counts from 0 and must be below N (0.." + std::to_string(*count - 1) + ")");
  Shard shard;
  shard.index = *index;
  shard.count = *count;
  shard.source = "--shard " + text;
  return shard;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Shard resolve_shard(const std::string& flag, int64_t count_flag, const EnvLookup& env) {
  if (count_flag < 0) fail("--shard-count = " + std::to_string(count_flag) + ": must be >= 1");
  if (!flag.empty()) {
    if (count_flag > 0) fail("--shard-count goes with JOB_COMPLETION_INDEX; --shard I/N already gives the count");
    return parse_shard(flag);
  }
  if (env("SLURM_ARRAY_TASK_ID")) return from_slurm(env);
  if (env("JOB_COMPLETION_INDEX")) {
    const int64_t index = env_integer(env, "JOB_COMPLETION_INDEX", std::nullopt);
    int64_t count = count_flag;
    std::string count_source = "--shard-count";
    if (count == 0) {
      if (!env("VOXCONV_SHARD_COUNT"))
        fail("JOB_COMPLETION_INDEX is set but not the number of shards: give --shard-count N (the Job's completions) "
             "or set VOXCONV_SHARD_COUNT");
      count = env_integer(env, "VOXCONV_SHARD_COUNT", std::nullopt);
      count_source = "VOXCONV_SHARD_COUNT";
    }
    if (count < 1) fail(count_source + " = " + std::to_string(count) + ": must be >= 1");
    if (index < 0 || index >= count)
      fail("JOB_COMPLETION_INDEX=" + std::to_string(index) + " is outside 0.." + std::to_string(count - 1) + " (" +
           count_source + " = " + std::to_string(count) + ")");
    Shard shard;
    shard.index = index;
    shard.count = count;
    shard.source = "JOB_COMPLETION_INDEX=" + std::to_string(index) + ", " + count_source + "=" + std::to_string(count);
    return shard;
  }
  if (count_flag > 0) fail("--shard-count needs JOB_COMPLETION_INDEX in the environment; else give --shard I/N");
  Shard whole;
  whole.source = "the whole batch";
  return whole;
}

}  // namespace voxconv::pipeline
