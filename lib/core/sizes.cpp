#include "core/sizes.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.hpp"

namespace voxconv {
namespace {

constexpr uint64_t kUnknown = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kCheckFrom = uint64_t{64} << 20;

// "Key:   123 kB" from a /proc file, in bytes; kUnknown when absent.
uint64_t proc_field_bytes(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0 || line.size() <= key.size() || line[key.size()] != ':') continue;
    std::istringstream fields(line.substr(key.size() + 1));
    uint64_t value = 0;
    std::string unit;
    if (!(fields >> value)) return kUnknown;
    fields >> unit;
    return unit == "kB" ? value * 1024 : value;
  }
  return kUnknown;
}

// A number from a cgroup file ("max" or absent: kUnknown).
uint64_t file_number(const std::string& path) {
  std::ifstream in(path);
  uint64_t value = 0;
  if (!(in >> value)) return kUnknown;
  return value;
}

// The cgroup's limit minus its usage, cgroup v2 (unified) or v1 (memory controller).
uint64_t cgroup_room() {
  std::ifstream in("/proc/self/cgroup");
  std::string line, v2_path, v1_path;
  while (std::getline(in, line)) {
    if (line.compare(0, 3, "0::") == 0) v2_path = line.substr(3);
    const size_t memory = line.find(":memory:");
    if (memory != std::string::npos) v1_path = line.substr(memory + 8);
  }
  uint64_t room = kUnknown;
  const auto consider = [&room](uint64_t limit, uint64_t usage) {
    if (limit == kUnknown || limit >= (uint64_t{1} << 60)) return;  // "max" or v1's "unlimited"
    room = std::min(room, usage == kUnknown || usage > limit ? (usage == kUnknown ? limit : 0) : limit - usage);
  };
  for (const std::string& dir : {"/sys/fs/cgroup" + v2_path, std::string("/sys/fs/cgroup")})
    consider(file_number(dir + "/memory.max"), file_number(dir + "/memory.current"));
  if (!v1_path.empty())
    consider(file_number("/sys/fs/cgroup/memory" + v1_path + "/memory.limit_in_bytes"),
             file_number("/sys/fs/cgroup/memory" + v1_path + "/memory.usage_in_bytes"));
  return room;
}

uint64_t address_space_room() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return kUnknown;
  const uint64_t used = proc_field_bytes("/proc/self/status", "VmSize");
  if (used == kUnknown) return limit.rlim_cur;
  return used >= limit.rlim_cur ? 0 : limit.rlim_cur - used;
}

uint64_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return uint64_t{64} << 30;  // unknown: assume 64 GiB
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
}

}  // namespace

std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

std::optional<int64_t> checked_add(int64_t a, int64_t b) {
  int64_t out = 0;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

std::optional<int64_t> checked_product(const std::vector<int64_t>& sizes) {
  int64_t product = 1;
  bool zero = false;
  for (int64_t s : sizes) {
    if (s < 0) return std::nullopt;
    if (s == 0) zero = true;
    // Overflow is judged on the non-zero sizes: (0, 2^40, 2^40) is no array at all, but
    // still a header to refuse.
    const auto next = checked_mul(product, s == 0 ? 1 : s);
    if (!next) return std::nullopt;
    product = *next;
  }
  return zero ? 0 : product;
}

uint64_t available_memory_bytes() {
  uint64_t room = proc_field_bytes("/proc/meminfo", "MemAvailable");
  room = std::min(room, cgroup_room());
  room = std::min(room, address_space_room());
  return room == kUnknown ? physical_memory() : room;
}

void check_memory(uint64_t bytes, const std::string& what, const std::string& for_what) {
  if (bytes < kCheckFrom) return;
  const uint64_t available = available_memory_bytes();
  if (bytes > available)
    throw Error(ErrorKind::resource, what + ": needs " + human_bytes(bytes) + " (" + for_what + "), more than the " +
                                         human_bytes(available) + " of memory available");
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < sizeof units / sizeof units[0]) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  if (unit == 0) std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  else std::snprintf(text, sizeof text, value < 10 ? "%.1f %s" : "%.0f %s", value, units[unit]);
  return text;
}

}  // namespace voxconv
