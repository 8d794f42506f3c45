#include "volume/header_check.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "core/sizes.hpp"
#include "core/tensor.hpp"
#include "volume/payload_check.hpp"

namespace voxconv::volume::detail {
namespace {

// Headers are small; a "header" larger than this is not one.
constexpr size_t kMaxHeaderBytes = size_t{1} << 20;
constexpr int64_t kMaxNrrdDimensions = 16;      // NRRD_DIM_MAX
constexpr int64_t kMaxMetaImageDimensions = 10;  // MetaIO's arrays
constexpr int64_t kMaxChannels = int64_t{1} << 20;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw Error(ErrorKind::volume_read, path + ": " + problem);
}

std::string trim(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A whole non-negative decimal integer that fits int64, else nullopt.
std::optional<int64_t> parse_int(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Sizes of a field such as "sizes: 30 30 30": exactly `count` integers >= 1.
std::vector<int64_t> parse_sizes(const std::string& path, const std::string& field, const std::string& value,
                                 int64_t count) {
  const std::vector<std::string> parts = words(value);
  if (static_cast<int64_t>(parts.size()) != count)
    fail(path, field + " has " + std::to_string(parts.size()) + " entries for " + std::to_string(count) +
                   " dimensions");
  std::vector<int64_t> sizes;
  for (const std::string& p : parts) {
    const std::optional<int64_t> n = parse_int(p);
    if (!n || *n < 1) fail(path, field + " entry '" + p + "' is not a size >= 1");
    sizes.push_back(*n);
  }
  return sizes;
}

// Overflow and the memory the voxels need as float32 (the ITK reader's buffer and voxconv's
// tensor: twice that), before ITK allocates anything.
void check_voxel_count(const std::string& path, const std::vector<int64_t>& sizes, int64_t components) {
  std::vector<int64_t> all = sizes;
  all.push_back(components);
  const std::optional<int64_t> count = checked_product(all);
  if (!count || !checked_mul(*count, 2 * static_cast<int64_t>(sizeof(float))))
    fail(path, "sizes " + dims_to_string(all) + " overflow 64-bit sizes");
  check_memory(static_cast<uint64_t>(*count) * 2 * sizeof(float), path,
               std::to_string(*count) + " voxel values as float32, read by ITK and copied");
}

// The header: the bytes up to the first empty line (NRRD) or up to `stop_after` (MetaImage),
// and where it ends.
struct HeaderText {
  std::vector<std::string> lines;
  uint64_t end = 0;  // offset of the first byte after the header
};

HeaderText read_header(const std::string& path, bool blank_line_ends, const std::string& last_key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  std::string head(kMaxHeaderBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  HeaderText h;
  size_t pos = 0;
  while (pos < head.size()) {
    const size_t newline = head.find('\n', pos);
    const size_t end = newline == std::string::npos ? head.size() : newline;
    const std::string line = head.substr(pos, end - pos);
    pos = newline == std::string::npos ? head.size() : newline + 1;
    if (blank_line_ends && trim(line).empty()) break;
    h.lines.push_back(line);
    if (!last_key.empty() && lower(trim(line)).compare(0, last_key.size(), last_key) == 0) break;
  }
  h.end = pos;
  return h;
}

int64_t nrrd_type_bytes(const std::string& type) {
  static const std::map<std::string, int64_t> sizes = {
      {"signed char", 1}, {"int8", 1}, {"int8_t", 1}, {"uchar", 1}, {"unsigned char", 1}, {"uint8", 1},
      {"uint8_t", 1}, {"short", 2}, {"short int", 2}, {"signed short", 2}, {"signed short int", 2}, {"int16", 2},
      {"int16_t", 2}, {"ushort", 2}, {"unsigned short", 2}, {"unsigned short int", 2}, {"uint16", 2},
      {"uint16_t", 2}, {"int", 4}, {"signed int", 4}, {"int32", 4}, {"int32_t", 4}, {"uint", 4},
      {"unsigned int", 4}, {"uint32", 4}, {"uint32_t", 4}, {"longlong", 8}, {"long long", 8}, {"long long int", 8},
      {"signed long long", 8}, {"signed long long int", 8}, {"int64", 8}, {"int64_t", 8}, {"ulonglong", 8},
      {"unsigned long long", 8}, {"unsigned long long int", 8}, {"uint64", 8}, {"uint64_t", 8}, {"float", 4},
      {"double", 8}};
  const auto it = sizes.find(type);
  return it == sizes.end() ? 0 : it->second;
}

}  // namespace

void check_nrrd_header(const std::string& path) {
  const HeaderText h = read_header(path, true, "");
  if (h.lines.empty() || h.lines.front().compare(0, 4, "NRRD") != 0) return;  // ITK says what it is not
  std::map<std::string, std::string> fields;
  for (size_t i = 1; i < h.lines.size(); ++i) {
    const std::string& line = h.lines[i];
    if (!line.empty() && line[0] == '#') continue;
    const size_t colon = line.find(": ");
    if (colon == std::string::npos || line.compare(colon, 3, ":=") == 0) continue;  // key:=value pairs
    fields[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 2));
  }
  const auto field = [&fields](const char* name) -> std::optional<std::string> {
    const auto it = fields.find(name);
    return it == fields.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  const std::optional<std::string> dimension_text = field("dimension");
  const std::optional<std::string> sizes_text = field("sizes");
  if (!dimension_text || !sizes_text) return;  // ITK reports the missing field
  const std::optional<int64_t> dimension = parse_int(*dimension_text);
  if (!dimension || *dimension < 1 || *dimension > kMaxNrrdDimensions)
    fail(path, "NRRD dimension '" + *dimension_text + "' is not 1.." + std::to_string(kMaxNrrdDimensions));
  const std::vector<int64_t> sizes = parse_sizes(path, "NRRD sizes", *sizes_text, *dimension);
  check_voxel_count(path, sizes, 1);

  // Data the header promises, for the encodings whose length is known without decoding it.
  const int64_t type_bytes = nrrd_type_bytes(lower(field("type").value_or("")));
  const std::string encoding = lower(field("encoding").value_or(""));
  const bool gzip = encoding == "gzip" || encoding == "gz";
  if (type_bytes == 0 || (encoding != "raw" && !gzip)) return;
  if (field("line skip").value_or("0") != "0") return;
  const std::string skip_text = field("byte skip").value_or("0");
  const std::optional<int64_t> skip = parse_int(skip_text);  // -1 (data at the end) is not parsed: skipped
  if (!skip || (gzip && *skip != 0)) return;
  std::vector<int64_t> all = sizes;
  all.push_back(type_bytes);
  const auto bytes = static_cast<uint64_t>(*checked_product(all));  // <= the count checked above * 8

  std::string data_file = path;
  uint64_t offset = h.end;
  std::optional<std::string> detached = field("data file");
  if (!detached) detached = field("datafile");
  if (detached) {
    if (words(*detached).size() != 1 || lower(*detached) == "list" || detached->find('%') != std::string::npos)
      return;  // several data files: ITK reads them
    std::filesystem::path p(*detached);
    if (p.is_relative()) p = std::filesystem::path(path).parent_path() / p;
    data_file = p.string();
    offset = 0;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(data_file, ec)) fail(path, "data file " + data_file + " not found");
  }
  check_payload(path, data_file, offset + static_cast<uint64_t>(*skip),
                gzip ? Compression::zlib_or_gzip : Compression::none, bytes);
}

void check_metaimage_header(const std::string& path) {
  const HeaderText h = read_header(path, false, "elementdatafile");
  std::map<std::string, std::string> fields;
  for (const std::string& line : h.lines) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    fields[lower(trim(line.substr(0, eq)))] = trim(line.substr(eq + 1));
  }
  const auto ndims_it = fields.find("ndims");
  const auto dimsize_it = fields.find("dimsize");
  if (ndims_it == fields.end() || dimsize_it == fields.end()) return;  // ITK reports the missing field
  const std::optional<int64_t> ndims = parse_int(ndims_it->second);
  if (!ndims || *ndims < 1 || *ndims > kMaxMetaImageDimensions)
    fail(path, "MetaImage NDims '" + ndims_it->second + "' is not 1.." + std::to_string(kMaxMetaImageDimensions));
  const std::vector<int64_t> sizes = parse_sizes(path, "MetaImage DimSize", dimsize_it->second, *ndims);
  int64_t channels = 1;
  if (const auto it = fields.find("elementnumberofchannels"); it != fields.end()) {
    const std::optional<int64_t> n = parse_int(it->second);
    if (!n || *n < 1 || *n > kMaxChannels)
      fail(path, "MetaImage ElementNumberOfChannels '" + it->second + "' is not 1.." + std::to_string(kMaxChannels));
    channels = *n;
  }
  check_voxel_count(path, sizes, channels);
}

}  // namespace voxconv::volume::detail
