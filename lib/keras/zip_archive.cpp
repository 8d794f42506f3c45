#include "keras/zip_archive.hpp"

#include <zip.h>

#include <filesystem>

#include "core/error.hpp"

namespace voxconv::keras {

struct ZipArchive::Handle {
  zip_t* archive = nullptr;
  ~Handle() {
    if (archive) zip_discard(archive);  // read-only: nothing to write back
  }
};

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::config, path + ": " + what);
}

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

}  // namespace

ZipArchive::ZipArchive(std::string path, std::unique_ptr<Handle> handle)
    : path_(std::move(path)), handle_(std::move(handle)) {}
ZipArchive::~ZipArchive() = default;
ZipArchive::ZipArchive(ZipArchive&&) noexcept = default;
ZipArchive& ZipArchive::operator=(ZipArchive&&) noexcept = default;

ZipArchive ZipArchive::open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "no such file");
  if (!std::filesystem::is_regular_file(path, ec)) fail(path, "not a regular file");
  int code = 0;
  auto handle = std::make_unique<Handle>();
  handle->archive = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!handle->archive) fail(path, "not a readable zip archive (a .keras file is one): " + zip_error_text(code));
  return ZipArchive(path, std::move(handle));
}

std::vector<std::string> ZipArchive::names() const {
  std::vector<std::string> out;
  const zip_int64_t count = zip_get_num_entries(handle_->archive, 0);
  for (zip_int64_t i = 0; i < count; ++i)
    if (const char* name = zip_get_name(handle_->archive, static_cast<zip_uint64_t>(i), 0)) out.emplace_back(name);
  return out;
}

bool ZipArchive::contains(const std::string& name) const {
  return zip_name_locate(handle_->archive, name.c_str(), 0) >= 0;
}

std::vector<char> ZipArchive::read(const std::string& name, uint64_t max_bytes) const {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat(handle_->archive, name.c_str(), 0, &stat) != 0) fail(path_, "has no member " + name);
  if (!(stat.valid & ZIP_STAT_SIZE)) fail(path_, name + ": the archive does not record its size");
  if (stat.size > max_bytes)
    fail(path_, name + " is " + std::to_string(stat.size) + " bytes uncompressed, more than the " +
                    std::to_string(max_bytes) + " voxconv reads");
  zip_file_t* file = zip_fopen(handle_->archive, name.c_str(), 0);
  if (!file) fail(path_, "cannot open member " + name + ": " + zip_strerror(handle_->archive));
  std::vector<char> bytes(static_cast<size_t>(stat.size));
  zip_int64_t got = 0;
  if (!bytes.empty()) got = zip_fread(file, bytes.data(), bytes.size());
  // One more byte must not come: the member is exactly as long as it says.
  char extra = 0;
  const zip_int64_t more = got == static_cast<zip_int64_t>(bytes.size()) ? zip_fread(file, &extra, 1) : 0;
  std::string problem;
  if (got < 0 || more < 0) problem = zip_file_strerror(file);
  zip_fclose(file);
  if (!problem.empty()) fail(path_, "cannot read member " + name + ": " + problem);
  if (got != static_cast<zip_int64_t>(bytes.size()) || more != 0)
    fail(path_, "member " + name + " is not as long as the archive says (corrupt archive?)");
  return bytes;
}

}  // namespace voxconv::keras
