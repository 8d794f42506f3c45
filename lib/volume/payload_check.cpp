#include "volume/payload_check.hpp"

#include <zlib.h>

#include <cerrno>
#include <fstream>
#include <system_error>
#include <vector>

#include "core/error.hpp"

namespace voxconv::volume::detail {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw Error(ErrorKind::volume_read, path + ": " + problem);
}

std::string short_of(uint64_t needed, uint64_t have) {
  return "truncated file: the header promises " + std::to_string(needed) + " bytes, the file holds " +
         std::to_string(have);
}

}  // namespace

bool is_gzip_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  return in && magic[0] == 0x1f && magic[1] == 0x8b;
}

void check_payload(const std::string& path, const std::string& data_file, uint64_t offset, Compression compression,
                   uint64_t needed) {
  std::ifstream in(data_file, std::ios::binary);
  if (!in) fail(path, "cannot open data file " + data_file + ": " + std::generic_category().message(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (end < 0) fail(path, "cannot determine the size of " + data_file);
  const auto size = static_cast<uint64_t>(end);
  if (offset > size) fail(path, short_of(offset + needed, size));

  if (compression == Compression::none) {
    if (size - offset < needed) fail(path, short_of(needed, size - offset));
    return;
  }

  // Inflate and discard, counting the output; windowBits 15 + 32 accepts zlib and gzip
  // headers, and concatenated gzip members are followed as gzip readers do.
  in.seekg(static_cast<std::streamoff>(offset), std::ios::beg);
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) fail(path, "cannot initialise zlib");
  struct Guard {
    z_stream* s;
    ~Guard() { inflateEnd(s); }
  } guard{&zs};

  constexpr size_t kChunk = size_t{1} << 18;
  std::vector<unsigned char> input(kChunk), output(kChunk);
  uint64_t produced = 0;
  bool input_done = false;
  // Runs to the end of the compressed stream even past `needed`, so that its checksum
  // (gzip CRC-32 / zlib Adler-32) is verified: a flipped byte is caught, not just a cut.
  for (;;) {
    if (zs.avail_in == 0 && !input_done) {
      in.read(reinterpret_cast<char*>(input.data()), static_cast<std::streamsize>(input.size()));
      zs.next_in = input.data();
      zs.avail_in = static_cast<uInt>(in.gcount());
      input_done = in.gcount() == 0;
    }
    if (zs.avail_in == 0 && input_done) {
      if (produced < needed) fail(path, short_of(needed, produced) + " after decompression");
      fail(path, "truncated file: the compressed stream ends without its end marker and checksum");
    }
    zs.next_out = output.data();
    zs.avail_out = static_cast<uInt>(output.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced += output.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (produced >= needed) return;
      if (inflateReset(&zs) != Z_OK) fail(path, "cannot reset zlib");  // another gzip member may follow
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      fail(path, std::string("corrupt compressed data (zlib: ") + (zs.msg != nullptr ? zs.msg : "error") + ")");
    }
  }
}

}  // namespace voxconv::volume::detail
