#include "pipeline/layer_inputs.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstring>
#include <utility>

#include "core/error.hpp"
#include "volume/slab_reader.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::pipeline {

namespace {

void require_finite(const Tensor& t, const std::string& path) {
  const int64_t bad = find_non_finite(t);
  if (bad >= 0)
    throw Error(ErrorKind::volume_read, path + ": contains " + (std::isnan(t.data()[bad]) ? "NaN" : "infinity") +
                                            " (element " + std::to_string(bad) + "); voxconv refuses non-finite input");
}

bool same_geometry(const Geometry& a, const Geometry& b) {
  for (int i = 0; i < 3; ++i) {
    if (std::abs(a.spacing[i] - b.spacing[i]) > 1e-4 * std::abs(a.spacing[i])) return false;
    if (std::abs(a.origin[i] - b.origin[i]) > 1e-3 * std::max(1.0, a.spacing[i])) return false;
  }
  for (int i = 0; i < 9; ++i)
    if (std::abs(a.direction[i] - b.direction[i]) > 1e-4) return false;
  return true;
}

LayerInput read_npy_input(const std::string& path, bool channels_first) {
  Tensor array = volume::read_npy(path);
  require_finite(array, path);
  if (array.rank() == 4) array = Tensor(Dims{1, array.dim(0), array.dim(1), array.dim(2), array.dim(3)}, std::move(array.values()));
  if (array.rank() != 5)
    throw Error(ErrorKind::shape, path + ": array of shape " + dims_to_string(array.dims()) +
                                      ": a Conv3D input must be 5D (batch first) or 4D (one sample)");
  LayerInput in;
  in.ndhwc = channels_first ? transpose(array, {0, 2, 3, 4, 1}) : std::move(array);
  in.description = path;
  return in;
}

}  // namespace

LayerInput read_layer_input(const std::vector<std::string>& paths, AxisOrder axes, bool channels_first) {
  if (paths.empty()) throw Error(ErrorKind::usage, "no --input given");
  size_t npy_count = 0;
  for (const auto& p : paths)
    if (volume::format_of(p) == volume::FileFormat::npy) ++npy_count;
  if (npy_count > 0) {
    if (paths.size() > 1)
      throw Error(ErrorKind::usage, paths[0] + ": a .npy input is the whole Keras input array; give it as the only --input");
    return read_npy_input(paths[0], channels_first);
  }

  std::vector<volume::Volume> volumes;
  int64_t channels = 0;
  for (const auto& path : paths) {
    volume::Volume v = volume::read_volume(path);
    for (const auto& warning : v.warnings) spdlog::warn("{}", warning);
    require_finite(v.data, path);
    if (!volumes.empty()) {
      const Tensor& first = volumes.front().data;
      if (v.data.dim(1) != first.dim(1) || v.data.dim(2) != first.dim(2) || v.data.dim(3) != first.dim(3))
        throw Error(ErrorKind::shape, path + ": size " + std::to_string(v.data.dim(3)) + "x" + std::to_string(v.data.dim(2)) +
                                          "x" + std::to_string(v.data.dim(1)) + " differs from " + paths[0] + " (" +
                                          std::to_string(first.dim(3)) + "x" + std::to_string(first.dim(2)) + "x" +
                                          std::to_string(first.dim(1)) + "); stacked inputs must share one grid");
      if (!same_geometry(v.geometry, volumes.front().geometry))
        spdlog::warn("{}: geometry differs from {} ({} vs {}); using the first one's", path, paths[0],
                     to_string(v.geometry), to_string(volumes.front().geometry));
    }
    channels += v.data.dim(4);
    volumes.push_back(std::move(v));
  }

  LayerInput in;
  in.geometry = volumes.front().geometry;
  for (size_t i = 0; i < paths.size(); ++i) in.description += (i ? ", " : "") + paths[i];
  if (volumes.size() == 1) {  // nothing to stack: keep the reader's buffer
    in.ndhwc = swap_itk_keras_layout(std::move(volumes.front().data), axes);
    return in;
  }
  const Tensor& first = volumes.front().data;
  Tensor stacked(Dims{1, first.dim(1), first.dim(2), first.dim(3), channels});
  const int64_t voxels = first.dim(1) * first.dim(2) * first.dim(3);
  int64_t offset = 0;
  for (const auto& v : volumes) {
    const int64_t c = v.data.dim(4);
    const float* src = v.data.data();
    float* dst = stacked.data() + offset;
    for (int64_t i = 0; i < voxels; ++i) std::memcpy(dst + i * channels, src + i * c, static_cast<size_t>(c) * sizeof(float));
    offset += c;
  }
  volumes.clear();
  in.ndhwc = swap_itk_keras_layout(std::move(stacked), axes);
  return in;
}

std::unique_ptr<volume::SlabReader> open_streamed_input(const std::vector<std::string>& paths, AxisOrder axes) {
  if (paths.size() != 1 || axes != AxisOrder::zyx) return nullptr;
  return volume::open_volume_slab_reader(paths[0]);
}

Tensor read_input_planes(volume::SlabReader& reader, const std::string& path, int64_t first, int64_t last) {
  Tensor planes = reader.read(first, last);
  const int64_t bad = find_non_finite(planes);
  if (bad >= 0) {
    const int64_t at = bad + first * (planes.size() / std::max<int64_t>(1, last - first));
    throw Error(ErrorKind::volume_read, path + ": contains " + (std::isnan(planes.data()[bad]) ? "NaN" : "infinity") +
                                            " (element " + std::to_string(at) + "); voxconv refuses non-finite input");
  }
  return planes;
}

}  // namespace voxconv::pipeline
