#include "pipeline/slab_run.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "core/error.hpp"
#include "pipeline/memory_limit.hpp"
#include "volume/slab_writer.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::pipeline {

namespace {

constexpr int64_t kFloat = sizeof(float);

int64_t product(const Dims& dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t a = from; a < to; ++a) p *= dims[a];
  return p;
}

bool npy_output(const OutputRequest& request) { return volume::format_of(request.path) == volume::FileFormat::npy; }

// Bytes alive while a slab of `planes` output planes is computed and written: its input
// planes (a copy), the output slab, and one more slab-sized buffer (a channels_first or
// per-filter copy, or the NIfTI writer's per-component buffer).
int64_t slab_bytes(const engine::Conv3dParams& p, const Dims& in_dims, const Dims& out_dims, int64_t planes) {
  const int64_t in_plane = product(in_dims, 2, 5) * in_dims[0] * kFloat;
  const int64_t out_plane = product(out_dims, 2, 5) * out_dims[0] * kFloat;
  const int64_t in_planes = std::min(in_dims[1], (planes - 1) * p.strides[0] + (p.kernel[0] - 1) * p.dilation[0] + 1);
  return in_planes * in_plane + 2 * planes * out_plane;
}

}  // namespace

SlabPlan plan_slabs(const engine::Conv3dParams& params, const Dims& in_dims, const Dims& out_dims,
                    int64_t weight_values, int64_t limit, int64_t forced_planes, bool input_streamed,
                    const OutputRequest& request) {
  const int64_t input_bytes = checked_element_count(in_dims, "input") * kFloat;
  const int64_t fixed = kProgramReserveBytes + (input_streamed ? 0 : input_bytes) + 2 * weight_values * kFloat;
  const int64_t whole = kProgramReserveBytes + input_bytes + 2 * weight_values * kFloat +
                        checked_element_count(out_dims, "output") * kFloat;
  SlabPlan result;
  result.peak_bytes = whole;
  if (whole <= limit && forced_planes <= 0) return result;

  const int64_t depth = out_dims[1];
  const int64_t one_plane = fixed + slab_bytes(params, in_dims, out_dims, 1);
  const std::string numbers = "input " + format_bytes(checked_element_count(in_dims, "input") * kFloat) + " + output " +
                              format_bytes(checked_element_count(out_dims, "output") * kFloat) + " + " +
                              format_bytes(kProgramReserveBytes) + " for voxconv";
  if (one_plane > limit && forced_planes <= 0)
    throw Error(ErrorKind::usage, "--memory-limit " + format_bytes(limit) + " is too small: " + numbers +
                                      " does not fit, and slabs of one output plane still need " +
                                      format_bytes(one_plane) +
                                      (input_streamed ? "" : " (this input is held whole: only NIfTI inputs without "
                                                             "scaling, one channel if gzipped, are read in slabs)"));
  const bool npy = npy_output(request);
  const std::string why = forced_planes > 0 ? "--slab-planes asks for slabs"
                                            : "the output (" + numbers + ") does not fit --memory-limit " + format_bytes(limit);
  const volume::FileFormat format = volume::format_of(request.path);
  if (!npy && !volume::volume_slab_writable(request.path, write_options(request))) {
    if (format == volume::FileFormat::metaimage || format == volume::FileFormat::nrrd)
      throw Error(ErrorKind::usage, request.path + ": " + why + ", and compressed MetaImage and NRRD outputs cannot be "
                                                               "written in slabs; drop --compress and "
                                                               "--compression-level, or write .nii.gz or FILE.h5:/dataset");
    throw Error(ErrorKind::usage, request.path + ": " + why +
                                      ", and only NIfTI (.nii, .nii.gz), MetaImage (.mha, .mhd), NRRD (.nrrd, .nhdr), "
                                      "HDF5 (FILE.h5:/dataset) and .npy outputs can be written in slabs");
  }
  if (!npy && request.axes != AxisOrder::zyx)
    throw Error(ErrorKind::usage, request.path + ": " + why + ", and volumes are written in slabs with --axes zyx only");
  int64_t planes = 1;
  if (forced_planes > 0) planes = std::min(forced_planes, depth);
  else while (planes < depth && fixed + slab_bytes(params, in_dims, out_dims, planes * 2) <= limit) planes *= 2;
  if (forced_planes <= 0)
    while (planes < depth && fixed + slab_bytes(params, in_dims, out_dims, planes + 1) <= limit) ++planes;
  result.in_memory = false;
  result.planes_per_slab = planes;
  result.slabs = (depth + planes - 1) / planes;
  result.peak_bytes = fixed + slab_bytes(params, in_dims, out_dims, planes);
  return result;
}

InputPlanes planes_of(const Tensor& ndhwc) {
  return [&ndhwc](int64_t first, int64_t last) {
    const int64_t N = ndhwc.dim(0), ID = ndhwc.dim(1), in_plane = ndhwc.size() / std::max<int64_t>(1, N * ID);
    Tensor planes({N, last - first, ndhwc.dim(2), ndhwc.dim(3), ndhwc.dim(4)});
    for (int64_t n = 0; n < N; ++n)
      std::copy_n(ndhwc.data() + (n * ID + first) * in_plane, (last - first) * in_plane,
                  planes.data() + n * (last - first) * in_plane);
    return planes;
  };
}

void run_in_slabs(const engine::FastConv3d& conv, const InputPlanes& input, const Dims& in_dims, const engine::ConvPlan& plan,
                  const SlabPlan& slabs, const OutputRequest& request, const Geometry& geometry,
                  const std::vector<std::string>& staged_paths, engine::ThreadPool& pool,
                  const std::function<void(const Tensor&)>& on_slab) {
  const engine::Conv3dParams& p = conv.params();
  const int64_t N = in_dims[0], ID = in_dims[1];
  const Dims out_dims{N, plan.axis[0].out, plan.axis[1].out, plan.axis[2].out, p.oc};

  std::vector<std::unique_ptr<volume::SlabWriter>> writers;
  if (npy_output(request)) {
    const Dims keras = request.channels_first ? Dims{N, p.oc, out_dims[1], out_dims[2], out_dims[3]} : out_dims;
    writers.push_back(volume::open_npy_slab_writer(staged_paths.at(0), keras, request.channels_first ? 2 : 1));
  } else if (N != 1) {
    throw Error(ErrorKind::usage, request.path + ": a batch of " + std::to_string(N) +
                                      " samples cannot be one volume; write a .npy output");
  } else if (request.split_channels) {
    for (int64_t f = 0; f < p.oc; ++f)
      writers.push_back(volume::open_volume_slab_writer(staged_paths.at(static_cast<size_t>(f)),
                                                        {1, out_dims[1], out_dims[2], out_dims[3], 1}, geometry,
                                                        write_options(request), slabs.planes_per_slab));
  } else {
    // An HDF5 output is a dataset in the staged file.
    writers.push_back(volume::open_volume_slab_writer(volume::with_volume_file(request.path, staged_paths.at(0)),
                                                      out_dims, geometry, write_options(request),
                                                      slabs.planes_per_slab));
  }

  for (int64_t od0 = 0; od0 < out_dims[1]; od0 += slabs.planes_per_slab) {
    const int64_t od1 = std::min(out_dims[1], od0 + slabs.planes_per_slab);
    const auto [first, last] = engine::input_planes_for(p, plan, ID, od0, od1);
    // A window of padding only still needs a (zero) plane to point at.
    Tensor src = last > first ? input(first, last) : Tensor({N, 1, in_dims[2], in_dims[3], in_dims[4]});
    Tensor dst({N, od1 - od0, out_dims[2], out_dims[3], p.oc});
    conv.run_slab(src, {ID, first, od0, od1}, dst, pool);
    src = Tensor();
    if (on_slab) on_slab(dst);
    spdlog::debug("slab: output planes {}..{} of {}", od0, od1, out_dims[1]);
    if (npy_output(request) && request.channels_first) {
      writers[0]->write(transpose(dst, {0, 4, 1, 2, 3}), od0);
    } else if (request.split_channels) {
      const int64_t voxels = dst.size() / p.oc;
      Tensor channel({1, od1 - od0, out_dims[2], out_dims[3], 1});
      for (int64_t f = 0; f < p.oc; ++f) {
        for (int64_t i = 0; i < voxels; ++i) channel.data()[i] = dst.data()[i * p.oc + f];
        writers[static_cast<size_t>(f)]->write(channel, od0);
      }
    } else {
      writers[0]->write(dst, od0);
    }
  }
  for (auto& writer : writers) writer->finish();
}

}  // namespace voxconv::pipeline
