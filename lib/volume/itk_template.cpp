#include "volume/itk_template.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.hpp"

namespace voxconv::volume::detail {
namespace {

// A name no other writer uses: pid for other processes, a counter for other threads.
std::string scratch_stem() {
  static std::atomic<uint64_t> counter{0};
  return ".voxconv-itk-header-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Removes the scratch files on every way out.
struct RemoveOnExit {
  std::filesystem::path file, companion;
  ~RemoveOnExit() {
    std::error_code ec;
    std::filesystem::remove(file, ec);
    std::filesystem::remove(companion, ec);
  }
};

// Beside the output, where there is room for it; else (a writable file in a read-only folder)
// the system's temporary folder. The headers do not depend on the folder.
std::filesystem::path template_folder(const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    const std::filesystem::path temp = std::filesystem::temp_directory_path(ec);
    if (!ec) return temp;
  }
  return folder;
}

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

ItkTemplate itk_template(const std::string& path, const std::string& extension, int64_t channels,
                         const Geometry& geometry) {
  const std::string stem = scratch_stem();
  const std::filesystem::path folder = template_folder(path);
  const RemoveOnExit remove{folder / (stem + extension), folder / (stem + ".raw")};
  const std::string scratch = remove.file.string();
  try {
    write_volume_itk(scratch, Tensor({1, 1, 1, 1, channels}), geometry, false);
  } catch (const Error& e) {
    // Say what went wrong for `path`, not for the scratch file (as write_volume would).
    std::string message = e.what();
    for (size_t at = message.find(scratch); at != std::string::npos; at = message.find(scratch, at + path.size()))
      message.replace(at, scratch.size(), path);
    throw Error(ErrorKind::volume_write, message);
  }
  ItkTemplate t;
  t.stem = stem;
  if (!std::filesystem::exists(remove.file))
    throw Error(ErrorKind::volume_write, path + ": cannot read back ITK's header from " + scratch);
  t.bytes = read_all(remove.file);
  if (std::filesystem::exists(remove.companion)) t.companion = read_all(remove.companion);
  return t;
}

}  // namespace voxconv::volume::detail
