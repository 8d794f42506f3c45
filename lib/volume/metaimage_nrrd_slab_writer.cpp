#include "volume/metaimage_nrrd_slab_writer.hpp"

#include <filesystem>
#include <optional>
#include <utility>

#include "core/error.hpp"
#include "volume/itk_template.hpp"
#include "volume/positional_file.hpp"

namespace voxconv::volume::detail {
namespace {

// How a format's text header names the sizes and the data file.
struct HeaderFields {
  const char* format;          // for messages
  const char* sizes_key;       // the line that lists the sizes, x first
  const char* data_file_key;   // the line that names the data file
  const char* attached_value;  // its value when the values follow the header; nullptr: the line is absent then
  bool channels_in_sizes;      // the component count leads the sizes (when > 1)
};

constexpr HeaderFields kMetaImage{"MetaImage", "DimSize = ", "ElementDataFile = ", "LOCAL", false};
constexpr HeaderFields kNrrd{"NRRD", "sizes: ", "data file: ", nullptr, true};

// [begin, end) of the value on the line that starts with `key`; nullopt when there is none.
std::optional<std::pair<size_t, size_t>> line_value(const std::string& text, const std::string& key,
                                                    const std::string& where) {
  std::optional<std::pair<size_t, size_t>> found;
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
    if (at != 0 && text[at - 1] != '\n') continue;
    const size_t end = text.find('\n', at);
    if (found || end == std::string::npos)
      throw Error(ErrorKind::internal, where + ": unexpected \"" + key + "\" line in ITK's header");
    found.emplace(at + key.size(), end);
  }
  return found;
}

std::string sizes_text(const HeaderFields& fields, int64_t channels, int64_t x, int64_t y, int64_t z) {
  std::string text = fields.channels_in_sizes && channels > 1 ? std::to_string(channels) + " " : "";
  return text + std::to_string(x) + " " + std::to_string(y) + " " + std::to_string(z);
}

// The file name's extension from its last dot (".mhd"), as ITK's writers take it.
std::string extension_of(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? std::string() : name.substr(dot);
}

// The values at their place after the header (attached) or in the data file (detached).
class RawValuesSlabWriter final : public SlabWriter {
 public:
  RawValuesSlabWriter(const std::string& path, const Dims& zyxc, const std::string& header,
                      const std::string& data_path)
      : dims_(zyxc),
        values_(data_path.empty() ? path : data_path),
        values_offset_(data_path.empty() ? header.size() : 0) {
    if (data_path.empty()) {
      values_.write_at(0, header.data(), header.size());
    } else {
      header_ = std::make_unique<PositionalFile>(path);
      header_->write_at(0, header.data(), header.size());
    }
    const uint64_t bytes = static_cast<uint64_t>(checked_element_count(zyxc, path)) * sizeof(float);
    values_.write_at(values_offset_ + bytes - 1, "", 1);  // the full length up front
  }

  void write(const Tensor& block, int64_t first_plane) override {
    check_block(values_.path(), dims_, 1, block, first_plane);
    // Values keep the host's byte order, as ITK writes them and as its header says.
    const uint64_t plane_values = static_cast<uint64_t>(dims_[2] * dims_[3] * dims_[4]);
    values_.write_at(values_offset_ + static_cast<uint64_t>(first_plane) * plane_values * sizeof(float), block.data(),
                     static_cast<size_t>(block.size()) * sizeof(float));
  }

  void finish() override {
    values_.close();
    if (header_) header_->close();
  }

 private:
  Dims dims_;
  PositionalFile values_;
  uint64_t values_offset_;
  std::unique_ptr<PositionalFile> header_;  // a detached header's file
};

std::unique_ptr<SlabWriter> open_writer(const HeaderFields& fields, const std::string& path, const Dims& zyxc,
                                        const Geometry& geometry) {
  if (zyxc.size() != 5 || zyxc[0] != 1 || zyxc[1] < 1 || zyxc[2] < 1 || zyxc[3] < 1 || zyxc[4] < 1)
    throw Error(ErrorKind::volume_write, path + ": expected a (1, Z, Y, X, C) volume, got shape " + dims_to_string(zyxc));
  const int64_t z = zyxc[1], y = zyxc[2], x = zyxc[3], channels = zyxc[4];
  const std::string extension = extension_of(path);
  const ItkTemplate itk = itk_template(path, extension, channels, geometry);
  const auto unexpected = [&](const std::string& what) {
    throw Error(ErrorKind::internal,
                path + ": ITK 5.2 wrote an unexpected " + fields.format + " header (" + what + ")");
  };
  const size_t value_bytes = static_cast<size_t>(channels) * sizeof(float);
  const bool detached = !itk.companion.empty();
  if (detached ? itk.companion.size() != value_bytes : itk.bytes.size() <= value_bytes)
    unexpected("a 1x1x1 image of " + std::to_string(itk.bytes.size()) + " + " + std::to_string(itk.companion.size()) +
               " bytes");
  std::string header = detached ? itk.bytes : itk.bytes.substr(0, itk.bytes.size() - value_bytes);

  // Patched from the end, so that the earlier line's place stays valid.
  const auto data_file = line_value(header, fields.data_file_key, path);
  const auto sizes = line_value(header, fields.sizes_key, path);
  if (!sizes || (data_file && data_file->first < sizes->first)) unexpected("no sizes before the data file");
  std::string data_path;
  if (detached) {
    if (!data_file) unexpected("detached values without a data file line");
    const std::string value = header.substr(data_file->first, data_file->second - data_file->first);
    // ITK names the data file after the header: "<stem>.raw" for "<stem>.mhd".
    if (value.compare(0, itk.stem.size(), itk.stem) != 0 || value.size() == itk.stem.size() ||
        value[itk.stem.size()] != '.' || value.find('/') != std::string::npos)
      unexpected("data file \"" + value + "\"");
    const std::string name = std::filesystem::path(path).filename().string();
    const std::string data_name = name.substr(0, name.size() - extension.size()) + value.substr(itk.stem.size());
    header.replace(data_file->first, data_file->second - data_file->first, data_name);
    data_path = (std::filesystem::path(path).parent_path() / data_name).string();
  } else if (fields.attached_value != nullptr
                 ? !data_file || header.compare(data_file->first, data_file->second - data_file->first,
                                                fields.attached_value) != 0
                 : data_file.has_value()) {
    unexpected("an attached header that names a data file");
  }
  if (header.compare(sizes->first, sizes->second - sizes->first, sizes_text(fields, channels, 1, 1, 1)) != 0)
    unexpected("sizes of a 1x1x1 image");
  header.replace(sizes->first, sizes->second - sizes->first, sizes_text(fields, channels, x, y, z));
  return std::make_unique<RawValuesSlabWriter>(path, zyxc, header, data_path);
}

}  // namespace

std::unique_ptr<SlabWriter> open_metaimage_slab_writer(const std::string& path, const Dims& zyxc,
                                                       const Geometry& geometry) {
  return open_writer(kMetaImage, path, zyxc, geometry);
}

std::unique_ptr<SlabWriter> open_nrrd_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry) {
  return open_writer(kNrrd, path, zyxc, geometry);
}

}  // namespace voxconv::volume::detail
