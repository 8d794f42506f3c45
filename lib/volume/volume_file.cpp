// File formats by name. Only the extension decides: content sniffing is left to the
// reader of that format, so an unknown extension fails early with one clear message.
#include <algorithm>
#include <cctype>
#include <string>

#include "volume/volume_io.hpp"

namespace voxconv::volume {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

FileFormat format_of(const std::string& path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // The extension must follow a non-empty stem: ".nii" alone or "dir/.nii" is not a volume.
  const size_t slash = lower.find_last_of('/');
  const std::string name = slash == std::string::npos ? lower : lower.substr(slash + 1);
  const auto has = [&name](const char* ext) {
    const std::string e(ext);
    return name.size() > e.size() && ends_with(name, e);
  };
  if (has(".nii") || has(".nii.gz")) return FileFormat::nifti;
  if (has(".nrrd") || has(".nhdr")) return FileFormat::nrrd;
  if (has(".mha") || has(".mhd")) return FileFormat::metaimage;
  if (has(".tif") || has(".tiff")) return FileFormat::tiff;
  if (has(".npy")) return FileFormat::npy;
  return FileFormat::unknown;
}

const char* supported_extensions() {
  return ".nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd, .tif, .tiff (volumes); .npy (arrays)";
}

}  // namespace voxconv::volume
