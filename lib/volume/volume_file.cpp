// File formats by name. Only the extension (and for HDF5 the ":/dataset" part) decides: content sniffing is left to the
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

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Where the ":/dataset" part of an HDF5 volume path starts, or npos.
size_t hdf5_dataset_colon(const std::string& path) {
  const std::string lower = lowercase(path);
  for (const char* ext : {".h5:/", ".hdf5:/"}) {
    const size_t at = lower.find(ext);
    const size_t slash = at == std::string::npos ? std::string::npos : lower.rfind('/', at);
    const size_t stem_start = slash == std::string::npos ? 0 : slash + 1;
    if (at != std::string::npos && at > stem_start) return at + std::string(ext).size() - 2;
  }
  return std::string::npos;
}

}  // namespace

std::string volume_file_of(const std::string& path) {
  const size_t colon = hdf5_dataset_colon(path);
  return colon == std::string::npos ? path : path.substr(0, colon);
}

std::string with_volume_file(const std::string& path, const std::string& file) {
  const size_t colon = hdf5_dataset_colon(path);
  return colon == std::string::npos ? file : file + path.substr(colon);
}

FileFormat format_of(const std::string& path) {
  if (hdf5_dataset_colon(path) != std::string::npos) return FileFormat::hdf5;
  const std::string lower = lowercase(path);
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
  if (has(".h5") || has(".hdf5")) return FileFormat::hdf5;  // the dataset is missing: the reader says so
  return FileFormat::unknown;
}

const char* supported_extensions() {
  return ".nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd, .tif, .tiff, FILE.h5:/dataset (volumes); .npy (arrays)";
}

}  // namespace voxconv::volume
