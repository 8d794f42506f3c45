// NumPy .npy arrays (format versions 1.0, 2.0, 3.0), written from the specification in
// numpy/lib/format.py rather than through a dependency. Input files are treated as
// hostile: every length and count is checked against the file size before anything is
// allocated, and every problem becomes one ErrorKind::volume_read line naming the file.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <string>
#include <system_error>
#include <vector>

#include "core/error.hpp"
#include "core/sizes.hpp"
#include "volume/npy_header.hpp"
#include "volume/raw_convert.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::volume {
namespace {

using detail::host_is_little_endian;
using detail::ScalarKind;
using detail::ScalarType;

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// NumPy itself refuses headers over 10000 bytes by default; real headers are < 200.
// Our cap is looser but still keeps a hostile length field from driving an allocation.
constexpr uint32_t kMaxHeaderLen = 1u << 20;
// Elements converted per chunk, so a float64 file does not need a second full copy.
constexpr size_t kChunkElements = size_t{1} << 20;

[[noreturn]] void fail_read(const std::string& path, const std::string& problem) {
  throw Error(ErrorKind::volume_read, path + ": " + problem);
}

[[noreturn]] void fail_write(const std::string& path, const std::string& problem) {
  throw Error(ErrorKind::volume_write, path + ": " + problem);
}

std::string errno_text() { return std::generic_category().message(errno); }

// ---------------------------------------------------------------------------------------
// Header: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// The grammar accepted here is the subset NumPy writes (plus Python 2's "3L" integers);
// anything else (structured dtypes, nested tuples, expressions) is rejected.

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  Dims shape;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  NpyHeader parse() {
    NpyHeader header;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    skip_space();
    while (peek() != '}') {
      const std::string key = parse_string();
      expect(':');
      if (key == "descr") {
        skip_space();
        if (peek() != '\'' && peek() != '"')
          bad("'descr' is not a simple dtype string (structured dtypes are not supported)");
        header.descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        header.fortran_order = parse_bool();
        have_order = true;
      } else if (key == "shape") {
        header.shape = parse_shape();
        have_shape = true;
      } else {
        bad("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
      } else if (peek() != '}') {
        bad("expected ',' or '}'");
      }
    }
    ++pos_;  // '}'
    skip_space();
    if (pos_ != s_.size()) bad("trailing characters after the dictionary");
    if (!have_descr) bad("key 'descr' missing");
    if (!have_order) bad("key 'fortran_order' missing");
    if (!have_shape) bad("key 'shape' missing");
    return header;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail_read(path_, "bad .npy header: " + what + " (at character " + std::to_string(pos_) + ")");
  }

  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  void expect(char c) {
    skip_space();
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++pos_;
  }

  std::string parse_string() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') bad("expected a quoted string");
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\') ++pos_;  // keep the escaped character literally
      if (pos_ < s_.size()) out += s_[pos_++];
    }
    if (pos_ >= s_.size()) bad("unterminated string");
    ++pos_;
    return out;
  }

  bool parse_bool() {
    skip_space();
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    bad("expected True or False");
  }

  int64_t parse_int() {
    skip_space();
    if (!std::isdigit(static_cast<unsigned char>(peek()))) bad("expected a non-negative integer");
    int64_t value = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      const int digit = peek() - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) bad("shape dimension overflows 64 bits");
      value = value * 10 + digit;
      ++pos_;
    }
    if (peek() == 'L' || peek() == 'l') ++pos_;  // Python 2 long literal
    return value;
  }

  Dims parse_shape() {
    expect('(');
    Dims dims;
    skip_space();
    while (peek() != ')') {
      dims.push_back(parse_int());
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
      } else if (peek() != ')') {
        bad("expected ',' or ')' in shape");
      }
      if (dims.size() > 64) bad("shape has more than 64 dimensions");
    }
    ++pos_;  // ')'
    return dims;
  }

  const std::string& s_;
  const std::string& path_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------
// dtypes

ScalarType parse_descr(const std::string& descr, const std::string& path) {
  const auto unsupported = [&]() -> ScalarType {
    fail_read(path, "unsupported dtype '" + descr +
                        "' (supported: bool, int8..int64, uint8..uint64, float16/32/64 of either byte order)");
  };
  if (descr.size() < 2) return unsupported();
  size_t i = 0;
  char order = '|';
  if (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=') order = descr[i++];
  const char kind_char = descr[i++];
  if (descr.size() != i + 1 || !std::isdigit(static_cast<unsigned char>(descr[i]))) return unsupported();
  const auto itemsize = static_cast<size_t>(descr[i] - '0');

  ScalarKind kind;
  switch (kind_char) {
    case 'b':
      kind = ScalarKind::boolean;
      if (itemsize != 1) return unsupported();
      break;
    case 'i':
    case 'u':
      kind = kind_char == 'i' ? ScalarKind::signed_int : ScalarKind::unsigned_int;
      if (itemsize != 1 && itemsize != 2 && itemsize != 4 && itemsize != 8) return unsupported();
      break;
    case 'f':
      kind = ScalarKind::floating;
      if (itemsize != 2 && itemsize != 4 && itemsize != 8) return unsupported();
      break;
    default:
      return unsupported();
  }
  // '|' (not applicable) and '=' (native) both mean the host's order.
  const bool little = host_is_little_endian();
  const bool file_little = order == '<' || ((order == '|' || order == '=') && little);
  return ScalarType{kind, itemsize, itemsize > 1 && file_little != little};
}

uint32_t little_u32(const unsigned char* p, size_t n) {
  uint32_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

// Python's repr of a shape tuple: "(3,)" for one dimension, "(2, 3)" for more.
std::string shape_repr(const Dims& dims) {
  std::string out = "(";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  if (dims.size() == 1) out += ',';
  return out + ")";
}

}  // namespace

namespace detail {

std::string npy_header(const std::string& path, const std::string& descr, const Dims& dims) {
  // Byte-for-byte what numpy.save writes for a C-order array (numpy >= 1.24): sorted keys,
  // spare spaces for in-place growth of the first axis, padding so that the data starts
  // at a multiple of 64, and a final newline.
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_repr(dims) + ", }";
  constexpr size_t kGrowthAxisMaxDigits = 21;
  const size_t first_digits = std::to_string(dims[0]).size();
  if (first_digits < kGrowthAxisMaxDigits) dict.append(kGrowthAxisMaxDigits - first_digits, ' ');
  const size_t hlen = dict.size() + 1;                           // + '\n'
  const size_t padlen = 64 - ((kMagicLen + 2 + 2 + hlen) % 64);  // magic, version, uint16 length
  const size_t total_header = hlen + padlen;
  if (total_header > 0xffff) fail_write(path, "shape too long for a version 1.0 header");

  std::string prefix(kMagic, kMagicLen);
  prefix += '\x01';
  prefix += '\x00';
  prefix += static_cast<char>(total_header & 0xff);
  prefix += static_cast<char>((total_header >> 8) & 0xff);
  dict.append(padlen, ' ');
  dict += '\n';
  return prefix + dict;
}

}  // namespace detail

Tensor read_npy(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail_read(path, "is a directory, not a .npy file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_read(path, "cannot open: " + errno_text());
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (end < 0) fail_read(path, "cannot determine the file size (not a regular file?)");
  const uint64_t file_size = static_cast<uint64_t>(end);
  in.seekg(0, std::ios::beg);

  unsigned char prefix[12] = {};
  if (file_size < 10 || !in.read(reinterpret_cast<char*>(prefix), 8))
    fail_read(path, "too short to be a .npy file (" + std::to_string(file_size) + " bytes)");
  if (std::memcmp(prefix, kMagic, kMagicLen) != 0) fail_read(path, "not a .npy file (bad magic string)");
  const int major = prefix[6];
  const int minor = prefix[7];
  size_t len_bytes;
  if (major == 1 && minor == 0) {
    len_bytes = 2;
  } else if ((major == 2 || major == 3) && minor == 0) {
    len_bytes = 4;
  } else {
    fail_read(path, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  if (!in.read(reinterpret_cast<char*>(prefix + 8), static_cast<std::streamsize>(len_bytes)))
    fail_read(path, "truncated .npy header");
  const uint32_t header_len = little_u32(prefix + 8, len_bytes);
  const uint64_t data_offset = 8 + len_bytes + uint64_t{header_len};
  if (header_len > kMaxHeaderLen)
    fail_read(path, "header length " + std::to_string(header_len) + " is implausibly large");
  if (data_offset > file_size)
    fail_read(path, "truncated .npy header (header length " + std::to_string(header_len) + ", file size " +
                        std::to_string(file_size) + ")");

  std::string header_text(header_len, '\0');
  if (!in.read(header_text.data(), static_cast<std::streamsize>(header_len))) fail_read(path, "truncated .npy header");
  const NpyHeader header = HeaderParser(header_text, path).parse();
  const ScalarType dtype = parse_descr(header.descr, path);
  if (header.shape.empty()) fail_read(path, "0-d (scalar) arrays are not supported");

  // Element and byte counts with overflow checks, then against what the file holds,
  // all before allocating.
  const std::optional<int64_t> elements = checked_product(header.shape);
  if (!elements) fail_read(path, "shape " + dims_to_string(header.shape) + " overflows the element count");
  const std::optional<int64_t> bytes = checked_mul(*elements, static_cast<int64_t>(dtype.size));
  if (!bytes) fail_read(path, "shape " + dims_to_string(header.shape) + " overflows the byte count");
  const auto count = static_cast<uint64_t>(*elements);
  const auto data_bytes = static_cast<uint64_t>(*bytes);
  if (file_size - data_offset < data_bytes)
    fail_read(path, "truncated: shape " + dims_to_string(header.shape) + " of '" + header.descr + "' needs " +
                        std::to_string(data_bytes) + " data bytes, the file holds " +
                        std::to_string(file_size - data_offset));
  checked_element_count(header.shape, path);  // memory guard (ErrorKind::resource)

  // A Fortran-order array is the C-order array of the reversed shape, transposed.
  Dims stored_dims = header.shape;
  if (header.fortran_order) std::reverse(stored_dims.begin(), stored_dims.end());
  Tensor stored(stored_dims);

  std::vector<unsigned char> chunk(std::min<uint64_t>(count, kChunkElements) * dtype.size);
  float* dst = stored.data();
  for (uint64_t done = 0; done < count;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(count - done, kChunkElements));
    if (!in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(n * dtype.size)))
      fail_read(path, "read error in the data");
    detail::convert_to_float(dtype, chunk.data(), dst + done, n);
    done += n;
  }
  if (!header.fortran_order || header.shape.size() < 2) return stored;
  std::vector<int> perm(header.shape.size());
  std::iota(perm.rbegin(), perm.rend(), 0);
  return transpose(stored, perm);
}

void write_npy_labels(const std::string& path, const LabelArray& labels) {
  if (labels.dims.empty()) fail_write(path, "0-d (scalar) arrays are not written as .npy");
  if (checked_element_count(labels.dims, path) != static_cast<int64_t>(labels.values.size()))
    fail_write(path, "array holds " + std::to_string(labels.values.size()) + " values for shape " +
                         dims_to_string(labels.dims));
  const std::string header = detail::npy_header(path, labels.as_uint8 ? "|u1" : "<u2", labels.dims);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail_write(path, "cannot open for writing: " + errno_text());
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  std::vector<unsigned char> chunk;
  const size_t width = labels.as_uint8 ? 1 : 2;
  for (size_t done = 0; done < labels.values.size();) {
    const size_t n = std::min(labels.values.size() - done, kChunkElements);
    chunk.resize(n * width);
    for (size_t i = 0; i < n; ++i) {
      const uint16_t v = labels.values[done + i];
      chunk[i * width] = static_cast<unsigned char>(v & 0xff);  // little-endian
      if (width == 2) chunk[i * width + 1] = static_cast<unsigned char>(v >> 8);
    }
    out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(chunk.size()));
    done += n;
  }
  out.close();
  if (!out) fail_write(path, "write failed: " + errno_text());
}

void write_npy(const std::string& path, const Tensor& array) {
  if (array.rank() == 0) fail_write(path, "0-d (scalar) arrays are not written as .npy");
  if (checked_element_count(array.dims(), path) != array.size())
    fail_write(path,
               "array holds " + std::to_string(array.size()) + " values for shape " + dims_to_string(array.dims()));
  const std::string header = detail::npy_header(path, "<f4", array.dims());

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail_write(path, "cannot open for writing: " + errno_text());
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  if (host_is_little_endian()) {
    out.write(reinterpret_cast<const char*>(array.data()), static_cast<std::streamsize>(array.size() * sizeof(float)));
  } else {
    std::vector<unsigned char> chunk;
    for (int64_t done = 0; done < array.size();) {
      const auto n = static_cast<size_t>(std::min<int64_t>(array.size() - done, static_cast<int64_t>(kChunkElements)));
      chunk.resize(n * sizeof(float));
      for (size_t i = 0; i < n; ++i) {
        std::memcpy(chunk.data() + 4 * i, array.data() + done + static_cast<int64_t>(i), 4);
        std::reverse(chunk.data() + 4 * i, chunk.data() + 4 * i + 4);
      }
      out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(chunk.size()));
      done += static_cast<int64_t>(n);
    }
  }
  out.close();
  if (!out) fail_write(path, "write failed: " + errno_text());
}

}  // namespace voxconv::volume
