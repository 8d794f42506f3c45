#include "pipeline/memory_limit.hpp"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include "core/error.hpp"

namespace voxconv::pipeline {

int64_t parse_memory_size(const std::string& text, const std::string& flag) {
  const auto bad = [&]() -> int64_t {
    throw Error(ErrorKind::usage, flag + " = " + text + ": expected a size such as 2G, 512M or 1.5GiB");
  };
  size_t used = 0;
  double number = 0.0;
  try {
    number = std::stod(text, &used);
  } catch (const std::exception&) {
    return bad();
  }
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && unit.back() == 'B') unit.pop_back();
  if (unit.size() > 1 && unit.back() == 'I') unit.pop_back();
  double scale = 1.0;
  if (unit == "K") scale = 1024.0;
  else if (unit == "M") scale = 1024.0 * 1024.0;
  else if (unit == "G") scale = 1024.0 * 1024.0 * 1024.0;
  else if (unit == "T") scale = 1024.0 * 1024.0 * 1024.0 * 1024.0;
  else if (!unit.empty() && unit != "B") return bad();
  const double bytes = number * scale;
  if (!std::isfinite(bytes) || bytes < 1.0 || bytes > 9.0e18) return bad();
  return static_cast<int64_t>(bytes);
}

int64_t default_memory_limit() {
  int64_t available = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
  // cgroup v2's memory.max ("max" when unlimited) bounds what the kernel lets us keep.
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  std::string value;
  if (cgroup >> value && value != "max") {
    try {
      const int64_t limit = std::stoll(value);
      if (limit > 0 && limit < available) available = limit;
    } catch (const std::exception&) {
    }
  }
  return available / 5 * 4;
}

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) value /= 1024.0, ++unit;
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

}  // namespace voxconv::pipeline
