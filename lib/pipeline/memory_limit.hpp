#pragma once
// `--memory-limit`: sizes as users write them, and the default share of this machine.
#include <cstdint>
#include <string>

namespace voxconv::pipeline {

// "2G", "512M", "1.5GiB", "300k", "1000000" (bytes); K/M/G/T are powers of 1024, with or
// without "B"/"iB". Throws ErrorKind::usage naming the flag for anything else or for 0.
int64_t parse_memory_size(const std::string& text, const std::string& flag = "--memory-limit");

// 80% of the memory this process may use: physical memory, or the cgroup's limit when one
// is set (containers, Slurm jobs).
int64_t default_memory_limit();

// "1.5 GiB"-style text for messages.
std::string format_bytes(int64_t bytes);

}  // namespace voxconv::pipeline
