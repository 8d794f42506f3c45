#include "pipeline/layer_outputs.hpp"

#include <cstdio>
#include <filesystem>
#include <utility>

#include "core/error.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::pipeline {

volume::WriteOptions write_options(const OutputRequest& request) {
  return {request.compress, request.compression_level};
}

std::pair<std::string, std::string> split_extension(const std::string& path) {
  const std::filesystem::path p(path);
  std::string name = p.filename().string();
  std::string ext = p.extension().string();
  if (ext == ".gz" || ext == ".GZ") {
    const std::string inner = std::filesystem::path(p.stem()).extension().string();
    ext = inner + ext;
  }
  const std::string stem = path.substr(0, path.size() - ext.size());
  return {stem, ext};
}

std::vector<std::string> planned_output_paths(const OutputRequest& request, int64_t filters) {
  const volume::FileFormat format = volume::format_of(request.path);
  if (format == volume::FileFormat::unknown)
    throw Error(ErrorKind::usage, request.path + ": unknown output format (use " +
                                      std::string(volume::supported_extensions()) + ")");
  // An HDF5 volume is a dataset in a file of its own: the file is what gets created.
  if (!request.split_channels) return {volume::volume_file_of(request.path)};
  if (format == volume::FileFormat::npy)
    throw Error(ErrorKind::usage, request.path + ": --split-channels writes volumes; a .npy output holds the whole array");
  if (format == volume::FileFormat::hdf5)
    throw Error(ErrorKind::usage, request.path + ": --split-channels writes one file per filter; an HDF5 output holds "
                                                 "every filter in one (z, y, x, filters) dataset");
  const auto [stem, ext] = split_extension(request.path);
  std::vector<std::string> paths;
  for (int64_t f = 0; f < filters; ++f) {
    char index[32];
    std::snprintf(index, sizeof index, "_%03lld", static_cast<long long>(f));
    paths.push_back(stem + index + ext);
  }
  return paths;
}

Geometry output_geometry(const Geometry& input, const engine::Conv3dParams& p, const engine::ConvPlan& plan,
                         AxisOrder axes) {
  return shifted_geometry(input, itk_grid_shift(engine::conv_grid_shift(p, plan), axes));
}

void write_layer_output(const OutputRequest& request, Tensor ndhwc, const Geometry& geometry,
                        const std::vector<std::string>& staged_paths) {
  if (volume::format_of(request.path) == volume::FileFormat::npy) {
    volume::write_npy(staged_paths.at(0), request.channels_first ? transpose(ndhwc, {0, 4, 1, 2, 3}) : std::move(ndhwc));
    return;
  }
  if (ndhwc.dim(0) != 1)
    throw Error(ErrorKind::usage, request.path + ": a batch of " + std::to_string(ndhwc.dim(0)) +
                                      " samples cannot be one volume; write a .npy output");
  const Tensor itk_layout = swap_itk_keras_layout(std::move(ndhwc), request.axes);
  const volume::WriteOptions options = write_options(request);
  if (!request.split_channels) {
    volume::write_volume(volume::with_volume_file(request.path, staged_paths.at(0)), itk_layout, geometry, options);
    return;
  }
  const int64_t filters = itk_layout.dim(4);
  const int64_t voxels = itk_layout.size() / filters;
  for (int64_t f = 0; f < filters; ++f) {
    Tensor channel(Dims{1, itk_layout.dim(1), itk_layout.dim(2), itk_layout.dim(3), 1});
    const float* src = itk_layout.data() + f;
    float* dst = channel.data();
    for (int64_t i = 0; i < voxels; ++i) dst[i] = src[i * filters];
    volume::write_volume(staged_paths.at(static_cast<size_t>(f)), channel, geometry, options);
  }
}

}  // namespace voxconv::pipeline
