// HDF5 datasets as volumes. Files are treated as hostile: the dataset path is walked link
// by link and only hard links are followed (a soft or external link could point anywhere),
// external and virtual storage is refused, and sizes are checked before allocating.
// Debian's HDF5 is built thread-safe, so the batch's reading and writing threads may both
// call it.
#include "volume/hdf5_volume.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "core/error.hpp"
#include "hdf5/hdf5_basics.hpp"
#include "volume/slab_writer.hpp"

namespace voxconv::volume::detail {

namespace {

using hdf5::Handle;

// A failed HDF5 call: the problem plus HDF5's innermost message.
[[noreturn]] void fail_hdf5(ErrorKind kind, const std::string& where, const std::string& problem) {
  const std::string detail = hdf5::take_error();
  throw Error(kind, where + ": " + problem + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
}

// A problem found by voxconv's own checks.
[[noreturn]] void fail(ErrorKind kind, const std::string& where, const std::string& problem) {
  hdf5::take_error();  // clear the stack
  throw Error(kind, where + ": " + problem);
}

// "/a/b" from "scan.h5:/a/b"; fails when the path names no dataset.
std::string dataset_of(const std::string& path, ErrorKind kind) {
  const std::string file = volume_file_of(path);
  if (file == path) fail(kind, path, "name the dataset too, as " + path + ":/path/to/dataset");
  const std::string dataset = path.substr(file.size() + 1);
  if (dataset.size() < 2 || dataset.back() == '/' || dataset.find("//") != std::string::npos)
    fail(kind, path, "\"" + dataset + "\" is not a dataset path such as /group/volume");
  return dataset;
}

const char* link_type_name(H5L_type_t type) {
  switch (type) {
    case H5L_TYPE_SOFT: return "a soft link";
    case H5L_TYPE_EXTERNAL: return "an external link";
    default: return "a user-defined link";
  }
}

// Every component of `dataset` must exist as a hard link, checked before it is traversed.
void require_hard_links(hid_t file, const std::string& dataset, const std::string& where) {
  for (size_t slash = dataset.find('/', 1);; slash = dataset.find('/', slash + 1)) {
    const std::string prefix = dataset.substr(0, slash);
    const htri_t exists = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    if (exists < 0) fail_hdf5(ErrorKind::volume_read, where, "cannot look up " + prefix);
    if (exists == 0) fail(ErrorKind::volume_read, where, "no object " + prefix + " in the file");
    H5L_info_t info{};
    if (H5Lget_info(file, prefix.c_str(), &info, H5P_DEFAULT) < 0)
      fail_hdf5(ErrorKind::volume_read, where, "cannot look up " + prefix);
    if (info.type != H5L_TYPE_HARD)
      fail(ErrorKind::volume_read, where,
           prefix + " is " + link_type_name(info.type) + "; voxconv follows hard links only");
    if (slash == std::string::npos) return;
  }
}

// A numeric attribute of the dataset as doubles; nullopt when absent.
std::optional<std::vector<double>> read_numbers(hid_t dataset, const char* name, const std::string& where) {
  const htri_t exists = H5Aexists(dataset, name);
  if (exists < 0) fail_hdf5(ErrorKind::volume_read, where, std::string("cannot read attribute \"") + name + "\"");
  if (exists == 0) return std::nullopt;
  const Handle attribute(H5Aopen(dataset, name, H5P_DEFAULT), H5Aclose);
  const Handle type(attribute.valid() ? H5Aget_type(attribute.get()) : H5I_INVALID_HID, H5Tclose);
  const Handle space(attribute.valid() ? H5Aget_space(attribute.get()) : H5I_INVALID_HID, H5Sclose);
  if (!type.valid() || !space.valid())
    fail_hdf5(ErrorKind::volume_read, where, std::string("cannot read attribute \"") + name + "\"");
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT)
    fail(ErrorKind::volume_read, where, std::string("attribute \"") + name + "\" is not numbers");
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0 || count > 64) fail(ErrorKind::volume_read, where, std::string("attribute \"") + name + "\" has an odd shape");
  std::vector<double> values(static_cast<size_t>(count));
  if (count > 0 && H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, values.data()) < 0)
    fail_hdf5(ErrorKind::volume_read, where, std::string("cannot read attribute \"") + name + "\"");
  return values;
}

std::string list(const std::vector<double>& values) {
  std::string text = "(";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + std::to_string(values[i]);
  return text + ")";
}

// Geometry from the optional attributes; defaults (spacing 1, origin 0, identity) otherwise.
Geometry read_geometry(hid_t dataset, const std::string& where) {
  Geometry g;
  const auto require = [&](const char* name, const std::vector<double>& v, size_t n, const char* order, bool positive) {
    bool ok = v.size() == n;
    for (double x : v) ok = ok && std::isfinite(x) && (!positive || x > 0);
    if (!ok)
      fail(ErrorKind::volume_read, where, std::string("attribute \"") + name + "\" = " + list(v) + ": expected " +
                                              std::to_string(n) + (positive ? " positive numbers " : " numbers ") + order);
  };
  if (const auto spacing = read_numbers(dataset, "spacing", where)) {
    require("spacing", *spacing, 3, "(x, y, z)", true);
    std::copy(spacing->begin(), spacing->end(), g.spacing.begin());
  } else if (const auto element = read_numbers(dataset, "element_size_um", where)) {
    require("element_size_um", *element, 3, "(z, y, x)", true);
    g.spacing = {(*element)[2], (*element)[1], (*element)[0]};
  }
  if (const auto origin = read_numbers(dataset, "origin", where)) {
    require("origin", *origin, 3, "(x, y, z)", false);
    std::copy(origin->begin(), origin->end(), g.origin.begin());
  }
  if (const auto direction = read_numbers(dataset, "direction", where)) {
    require("direction", *direction, 9, "(a row-major 3x3 matrix)", false);
    const auto& d = *direction;
    const double det = d[0] * (d[4] * d[8] - d[5] * d[7]) - d[1] * (d[3] * d[8] - d[5] * d[6]) +
                       d[2] * (d[3] * d[7] - d[4] * d[6]);
    if (!(std::abs(det) > 1e-6)) fail(ErrorKind::volume_read, where, "attribute \"direction\" is a singular matrix");
    std::copy(d.begin(), d.end(), g.direction.begin());
  }
  return g;
}

void check_file(const std::string& file, const std::string& where) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(status)) fail(ErrorKind::volume_read, where, "no such file");
  if (!std::filesystem::is_regular_file(status)) fail(ErrorKind::volume_read, where, "not a regular file");
  std::ifstream in(file, std::ios::binary);
  const auto size = std::filesystem::file_size(file, ec);
  if (!in || ec || !hdf5::has_signature(in, static_cast<uint64_t>(size)))
    fail(ErrorKind::volume_read, where, "not an HDF5 file");
}

}  // namespace

Volume read_hdf5_volume(const std::string& path) {
  hdf5::silence_errors();
  const std::string dataset_path = dataset_of(path, ErrorKind::volume_read);
  const std::string file_path = volume_file_of(path);
  check_file(file_path, path);
  const Handle file(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) fail_hdf5(ErrorKind::volume_read, path, "cannot open the HDF5 file");
  require_hard_links(file.get(), dataset_path, path);
  H5O_info_t object{};
  if (H5Oget_info_by_name2(file.get(), dataset_path.c_str(), &object, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    fail_hdf5(ErrorKind::volume_read, path, "cannot open " + dataset_path);
  if (object.type != H5O_TYPE_DATASET) fail(ErrorKind::volume_read, path, dataset_path + " is a group, not a dataset");

  const Handle dataset(H5Dopen2(file.get(), dataset_path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) fail_hdf5(ErrorKind::volume_read, path, "cannot open " + dataset_path);
  const Handle create(H5Dget_create_plist(dataset.get()), H5Pclose);
  if (!create.valid()) fail_hdf5(ErrorKind::volume_read, path, "cannot read how the dataset is stored");
  if (H5Pget_layout(create.get()) == H5D_VIRTUAL)
    fail(ErrorKind::volume_read, path, "is a virtual dataset (data in other files); voxconv reads only its own file");
  if (H5Pget_external_count(create.get()) != 0)
    fail(ErrorKind::volume_read, path, "keeps its data in external files; voxconv reads only its own file");
  const Handle type(H5Dget_type(dataset.get()), H5Tclose);
  const H5T_class_t type_class = type.valid() ? H5Tget_class(type.get()) : H5T_NO_CLASS;
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT)
    fail(ErrorKind::volume_read, path, "holds no numbers (only integer and float datasets are volumes)");

  const Handle space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) fail_hdf5(ErrorKind::volume_read, path, "cannot read the dataset's shape");
  std::vector<hsize_t> extent(static_cast<size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), extent.data(), nullptr);
  Dims shape(extent.begin(), extent.end());
  if (rank != 3 && rank != 4)
    fail(ErrorKind::volume_read, path, "has shape " + dims_to_string(shape) +
                                           ": a volume is 3-D (z, y, x) or 4-D (z, y, x, channels)");
  for (int64_t d : shape)
    if (d <= 0) fail(ErrorKind::volume_read, path, "has shape " + dims_to_string(shape) + ": empty");
  const Dims dims{1, shape[0], shape[1], shape[2], rank == 4 ? shape[3] : 1};
  checked_element_count(dims, path);

  Volume volume;
  volume.geometry = read_geometry(dataset.get(), path);
  volume.data = Tensor(dims);
  // HDF5 converts any integer or float type (either byte order) to float32.
  if (H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, volume.data.data()) < 0)
    fail_hdf5(ErrorKind::volume_read, path, "cannot read the values");
  return volume;
}

namespace {

// Removes the file unless dismissed: nothing half-written stays.
struct RemoveUnlessDone {
  std::string path;
  bool done = false;
  ~RemoveUnlessDone() {
    if (done) return;
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

void write_attribute(hid_t dataset, const char* name, const double* values, hsize_t count, const std::string& where) {
  const Handle space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  const Handle attribute(space.valid() ? H5Acreate2(dataset, name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT)
                                       : H5I_INVALID_HID,
                         H5Aclose);
  if (!attribute.valid() || H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, values) < 0)
    fail_hdf5(ErrorKind::volume_write, where, std::string("cannot write attribute \"") + name + "\"");
}

// A new file (replacing one that exists) holding an empty float32 dataset for a (1, Z, Y, X, C)
// volume, 3-D for one channel else 4-D, with the geometry attributes. Chunked when compressed
// (gzip) or when `chunked`; chunks then hold whole channels, at most 256 x 256 voxels of a plane,
// and as many planes as fit about 1 MiB; when `block_planes` > 0, a divisor of it, so that
// blocks written `block_planes` planes at a time fill whole chunks.
struct VolumeDataset {
  Handle file;
  Handle dataset;  // closed before the file
};

VolumeDataset create_volume_dataset(const std::string& path, const Dims& zyxc, const Geometry& geometry,
                                    const WriteOptions& options, bool chunked, int64_t block_planes) {
  hdf5::silence_errors();
  const std::string dataset_path = dataset_of(path, ErrorKind::volume_write);
  const std::string file_path = volume_file_of(path);
  const hsize_t z = static_cast<hsize_t>(zyxc.at(1)), y = static_cast<hsize_t>(zyxc.at(2)),
                x = static_cast<hsize_t>(zyxc.at(3)), c = static_cast<hsize_t>(zyxc.at(4));
  VolumeDataset out;
  out.file = Handle(H5Fcreate(file_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!out.file.valid()) fail_hdf5(ErrorKind::volume_write, path, "cannot create the file");
  const hsize_t dims[4] = {z, y, x, c};
  const int rank = c == 1 ? 3 : 4;
  const Handle space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
  const Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  const Handle create(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!space.valid() || !links.valid() || !create.valid() || H5Pset_create_intermediate_group(links.get(), 1) < 0)
    fail_hdf5(ErrorKind::volume_write, path, "cannot set the dataset up");
  const bool compress = options.compress || options.compression_level > 0;
  if (compress || chunked) {
    const hsize_t cx = std::min<hsize_t>(x, 256), cy = std::min<hsize_t>(y, 256);
    hsize_t cz = std::max<hsize_t>(1, std::min<hsize_t>(z, (hsize_t{1} << 18) / (cx * cy * c)));
    if (block_planes > 0) {
      const auto planes = static_cast<hsize_t>(block_planes);
      cz = std::min(cz, planes);
      while (planes % cz != 0) --cz;
    }
    const hsize_t chunk[4] = {cz, cy, cx, c};
    if (H5Pset_chunk(create.get(), rank, chunk) < 0)
      fail_hdf5(ErrorKind::volume_write, path, "cannot set up chunks");
    // gzip at the asked level; h5py's default (4) otherwise.
    const unsigned level = options.compression_level > 0 ? static_cast<unsigned>(options.compression_level) : 4u;
    if (compress && H5Pset_deflate(create.get(), level) < 0)
      fail_hdf5(ErrorKind::volume_write, path, "cannot set up gzip compression");
  }
  out.dataset = Handle(H5Dcreate2(out.file.get(), dataset_path.c_str(), H5T_IEEE_F32LE, space.get(), links.get(),
                                  create.get(), H5P_DEFAULT),
                       H5Dclose);
  if (!out.dataset.valid()) fail_hdf5(ErrorKind::volume_write, path, "cannot create " + dataset_path);
  write_attribute(out.dataset.get(), "spacing", geometry.spacing.data(), 3, path);
  write_attribute(out.dataset.get(), "origin", geometry.origin.data(), 3, path);
  write_attribute(out.dataset.get(), "direction", geometry.direction.data(), 9, path);
  return out;
}

// A full disk shows up here rather than when the handles close (which cannot report).
void flush(const VolumeDataset& written, const std::string& path) {
  if (H5Fflush(written.file.get(), H5F_SCOPE_LOCAL) < 0) fail_hdf5(ErrorKind::volume_write, path, "cannot finish writing");
}

// Blocks of planes written by hyperslab into a chunked dataset.
class Hdf5SlabWriter final : public SlabWriter {
 public:
  Hdf5SlabWriter(const std::string& path, const Dims& zyxc, const Geometry& geometry, const WriteOptions& options,
                 int64_t block_planes)
      : path_(path),
        dims_(zyxc),
        cleanup_{volume_file_of(path)},
        written_(create_volume_dataset(path, zyxc, geometry, options, true, block_planes)) {}

  void write(const Tensor& block, int64_t first_plane) override {
    check_block(path_, dims_, 1, block, first_plane);
    hdf5::silence_errors();
    const hsize_t start[4] = {static_cast<hsize_t>(first_plane), 0, 0, 0};
    const hsize_t count[4] = {static_cast<hsize_t>(block.dim(1)), static_cast<hsize_t>(dims_[2]),
                              static_cast<hsize_t>(dims_[3]), static_cast<hsize_t>(dims_[4])};
    const int rank = dims_[4] == 1 ? 3 : 4;
    const Handle file_space(H5Dget_space(written_.dataset.get()), H5Sclose);
    const Handle memory_space(H5Screate_simple(rank, count, nullptr), H5Sclose);
    if (!file_space.valid() || !memory_space.valid() ||
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0 ||
        H5Dwrite(written_.dataset.get(), H5T_NATIVE_FLOAT, memory_space.get(), file_space.get(), H5P_DEFAULT,
                 block.data()) < 0)
      fail_hdf5(ErrorKind::volume_write, path_,
                "cannot write planes " + std::to_string(first_plane) + ".." + std::to_string(first_plane + block.dim(1)));
  }

  void finish() override {
    hdf5::silence_errors();
    flush(written_, path_);
    written_.dataset.reset();
    written_.file.reset();
    cleanup_.done = true;
  }

 private:
  std::string path_;
  Dims dims_;
  RemoveUnlessDone cleanup_;  // destroyed after the handles below are closed
  VolumeDataset written_;
};

}  // namespace

void write_hdf5_volume(const std::string& path, const Tensor& zyxc, const Geometry& geometry,
                       const WriteOptions& options) {
  dataset_of(path, ErrorKind::volume_write);  // a bad name removes nothing
  RemoveUnlessDone cleanup{volume_file_of(path)};
  {
    const VolumeDataset written = create_volume_dataset(path, zyxc.dims(), geometry, options, false, 0);
    if (H5Dwrite(written.dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zyxc.data()) < 0)
      fail_hdf5(ErrorKind::volume_write, path, "cannot write the values");
    flush(written, path);
  }
  cleanup.done = true;
}

std::unique_ptr<SlabWriter> open_hdf5_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry,
                                                  const WriteOptions& options, int64_t block_planes) {
  if (zyxc.size() != 5 || zyxc[0] != 1 || zyxc[1] < 1 || zyxc[2] < 1 || zyxc[3] < 1 || zyxc[4] < 1)
    throw Error(ErrorKind::volume_write, path + ": expected a (1, Z, Y, X, C) volume, got shape " + dims_to_string(zyxc));
  hdf5::silence_errors();
  dataset_of(path, ErrorKind::volume_write);  // a bad name removes nothing
  return std::make_unique<Hdf5SlabWriter>(path, zyxc, geometry, options, block_planes);
}

}  // namespace voxconv::volume::detail
