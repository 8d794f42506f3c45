#include "keras/hdf5_file.hpp"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <utility>

#include "core/error.hpp"
#include "core/sizes.hpp"

namespace voxconv::keras::hdf5 {

namespace {

[[noreturn]] void fail_plain(const std::string& file, const std::string& what) {
  H5Eclear2(H5E_DEFAULT);
  throw Error(ErrorKind::weights, file + ": " + what);
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > start) parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

[[noreturn]] void fail_not_hdf5(const std::string& path, const char* head, size_t head_size) {
  if (head_size >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0)
    fail_plain(path, "not an HDF5 file (a zip archive; a .keras file keeps its weights in model.weights.h5)");
  fail_plain(path, "not an HDF5 file");
}

// Opens read-only with `fapl`; a failure quotes HDF5's innermost message.
Handle open_read_only(const std::string& path, hid_t fapl) {
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose);
  if (!file.valid()) {
    const std::string detail = ::voxconv::hdf5::take_error();
    fail_plain(path, "cannot open as HDF5 (truncated or corrupt file?)" + (detail.empty() ? "" : ": " + detail));
  }
  return file;
}

uint16_t swap_bytes(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }

float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// IEEE 754 binary16 -> binary32, exact (every half value is a float).
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return bits_to_float(sign | 0x7f800000u | (mantissa << 13));  // inf / NaN
  return bits_to_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

float bfloat16_to_float(uint16_t b) { return bits_to_float(static_cast<uint32_t>(b) << 16); }

enum class Half { ieee, bfloat16, other };

// Which 2-byte float layout an HDF5 float type describes.
Half half_layout(hid_t type) {
  size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
  if (H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0) return Half::other;
  if (H5Tget_precision(type) != 16 || H5Tget_offset(type) != 0) return Half::other;
  const size_t bias = H5Tget_ebias(type);
  if (spos == 15 && epos == 10 && esize == 5 && mpos == 0 && msize == 10 && bias == 15) return Half::ieee;
  if (spos == 15 && epos == 7 && esize == 8 && mpos == 0 && msize == 7 && bias == 127) return Half::bfloat16;
  return Half::other;
}

// deflate cannot shrink data more than about 1032:1; with shuffle and the other
// filters h5py offers a little more. A dataset stored smaller than this is not all there.
constexpr uint64_t kMaxCompressionRatio = 2048;

const char* non_finite_name(float v) {
  if (std::isnan(v)) return "NaN";
  return v > 0 ? "inf" : "-inf";
}

}  // namespace

// ---- Handle ------------------------------------------------------------------------

const char* to_string(LinkKind kind) noexcept {
  switch (kind) {
    case LinkKind::missing: return "missing";
    case LinkKind::group: return "a group";
    case LinkKind::dataset: return "a dataset";
    case LinkKind::other_object: return "an object that is neither group nor dataset";
    case LinkKind::soft_link: return "a soft link";
    case LinkKind::external_link: return "an external link";
    case LinkKind::user_link: return "a user-defined link";
  }
  return "?";
}

// ---- File --------------------------------------------------------------------------

File File::open(const std::string& path) {
  ::voxconv::hdf5::silence_errors();
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) fail_plain(path, "no such file");
  if (fs::is_directory(status)) fail_plain(path, "is a directory, not an HDF5 file");
  if (!fs::is_regular_file(status)) fail_plain(path, "not a regular file");
  const uint64_t size = fs::file_size(path, ec);
  if (ec) fail_plain(path, "cannot read: " + ec.message());

  std::ifstream in(path, std::ios::binary);
  if (!in) fail_plain(path, std::string("cannot read: ") + std::strerror(errno));
  std::array<char, 4> head{};
  const bool has_head = static_cast<bool>(in.read(head.data(), head.size()));
  if (!::voxconv::hdf5::has_signature(in, size)) fail_not_hdf5(path, head.data(), has_head ? head.size() : 0);
  in.close();

  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.valid()) fail_plain(path, "cannot create an HDF5 file-access property list");
  // Reading only: locking may fail on file systems without it (NFS); ignore that there.
  H5Pset_file_locking(fapl.get(), true, true);
  return File(path, open_read_only(path, fapl.get()));
}

File File::open_image(const std::string& name, const void* data, size_t size) {
  ::voxconv::hdf5::silence_errors();
  const auto* bytes = static_cast<const char*>(data);
  if (size == 0 || !::voxconv::hdf5::has_signature(bytes, size)) fail_not_hdf5(name, bytes, size);
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  // The core driver with a file image and no backing store: HDF5 reads the copy it keeps.
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), size_t{1} << 16, false) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<void*>(data), size) < 0)
    fail_plain(name, "cannot set up an in-memory HDF5 file");
  return File(name, open_read_only(name, fapl.get()));
}

void File::fail(const std::string& what) const {
  const std::string detail = ::voxconv::hdf5::take_error();
  throw Error(ErrorKind::weights, path_ + ": " + what + (detail.empty() ? "" : ": " + detail));
}

std::optional<File::LinkStop> File::first_non_hard_link(const std::string& object_path) const {
  std::string prefix;
  for (const std::string& part : split_path(object_path)) {
    prefix += "/" + part;
    // H5Lexists fails (rather than returning 0) when an earlier component is a dataset.
    const htri_t exists = H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return LinkStop{prefix, LinkKind::missing};
    }
    H5L_info_t info;
    if (H5Lget_info(file_.get(), prefix.c_str(), &info, H5P_DEFAULT) < 0) fail("cannot read link " + prefix);
    if (info.type == H5L_TYPE_SOFT) return LinkStop{prefix, LinkKind::soft_link};
    if (info.type == H5L_TYPE_EXTERNAL) return LinkStop{prefix, LinkKind::external_link};
    if (info.type != H5L_TYPE_HARD) return LinkStop{prefix, LinkKind::user_link};
  }
  return std::nullopt;
}

std::string File::first_non_hard_component(const std::string& object_path) const {
  const auto stop = first_non_hard_link(object_path);
  return stop && stop->kind != LinkKind::missing ? stop->prefix : "";
}

LinkKind File::link_kind(const std::string& object_path) const {
  if (const auto stop = first_non_hard_link(object_path)) return stop->kind;
  // Every component is a hard link, so opening cannot leave the file.
  Handle object(H5Oopen(file_.get(), object_path.empty() ? "/" : object_path.c_str(), H5P_DEFAULT), H5Oclose);
  if (!object.valid()) fail("cannot open " + object_path);
  switch (H5Iget_type(object.get())) {
    case H5I_GROUP: return LinkKind::group;
    case H5I_DATASET: return LinkKind::dataset;
    default: return LinkKind::other_object;
  }
}

Handle File::open_object(const std::string& object_path) const {
  if (const auto stop = first_non_hard_link(object_path)) {
    if (stop->kind == LinkKind::missing) fail(object_path + " does not exist");
    fail(stop->prefix + " is " + to_string(stop->kind) + ": only hard links are accepted");
  }
  Handle object(H5Oopen(file_.get(), object_path.c_str(), H5P_DEFAULT), H5Oclose);
  if (!object.valid()) fail("cannot open " + object_path);
  return object;
}

std::vector<Child> File::children(const std::string& group_path) const {
  Handle group = open_object(group_path);
  if (H5Iget_type(group.get()) != H5I_GROUP) fail(group_path + " is not a group");
  struct Collected {
    std::vector<std::pair<std::string, H5L_type_t>> links;
    bool failed = false;
  } collected;
  auto visit = [](hid_t, const char* name, const H5L_info_t* info, void* data) -> herr_t {
    auto* out = static_cast<Collected*>(data);
    try {
      out->links.emplace_back(name, info->type);
    } catch (...) {  // never let an exception cross the C library
      out->failed = true;
      return -1;
    }
    return 0;
  };
  hsize_t index = 0;
  if (H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, &index, visit, &collected) < 0 || collected.failed)
    fail("cannot list group " + group_path);

  std::vector<Child> out;
  const std::string prefix = group_path == "/" ? "/" : group_path + "/";
  for (const auto& [name, type] : collected.links) {
    LinkKind kind = LinkKind::user_link;
    if (type == H5L_TYPE_SOFT) kind = LinkKind::soft_link;
    else if (type == H5L_TYPE_EXTERNAL) kind = LinkKind::external_link;
    else if (type == H5L_TYPE_HARD) {
      Handle object(H5Oopen(group.get(), name.c_str(), H5P_DEFAULT), H5Oclose);
      if (!object.valid()) fail("cannot open " + prefix + name);
      const H5I_type_t id_type = H5Iget_type(object.get());
      kind = id_type == H5I_GROUP ? LinkKind::group : id_type == H5I_DATASET ? LinkKind::dataset : LinkKind::other_object;
    }
    out.push_back({name, kind});
  }
  return out;
}

bool File::has_attribute(const std::string& object_path, const std::string& name) const {
  Handle object = open_object(object_path);
  const htri_t exists = H5Aexists(object.get(), name.c_str());
  if (exists < 0) fail("cannot read attribute " + name + " of " + object_path);
  return exists > 0;
}

std::optional<std::vector<std::string>> File::read_strings(const std::string& object_path,
                                                           const std::string& name) const {
  Handle object = open_object(object_path);
  const std::string what = "attribute " + name + " of " + object_path;
  const htri_t exists = H5Aexists(object.get(), name.c_str());
  if (exists < 0) fail("cannot read " + what);
  if (exists == 0) return std::nullopt;

  Handle attr(H5Aopen(object.get(), name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fail("cannot open " + what);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (!type.valid() || !space.valid()) fail("cannot read the type of " + what);
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (points < 0) fail("cannot read the shape of " + what);
  const auto count = static_cast<size_t>(points);
  const H5T_class_t type_class = H5Tget_class(type.get());

  std::vector<std::string> out;
  if (type_class != H5T_STRING) {
    // Keras stores an empty list as np.asarray([]): float64, shape (0,).
    if (count == 0 && (type_class == H5T_FLOAT || type_class == H5T_INTEGER)) return out;
    fail(what + " has type " + describe_type(type.get()) + ": strings expected");
  }
  if (count == 0) return out;
  out.reserve(count);

  const htri_t is_variable = H5Tis_variable_str(type.get());
  if (is_variable < 0) fail("cannot read the type of " + what);
  if (is_variable > 0) {
    Handle memtype(H5Tcopy(H5T_C_S1), H5Tclose);
    if (!memtype.valid() || H5Tset_size(memtype.get(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(memtype.get(), H5Tget_cset(type.get())) < 0)
      fail("cannot set up a string type for " + what);
    std::vector<char*> pointers(count, nullptr);
    if (H5Aread(attr.get(), memtype.get(), pointers.data()) < 0) fail("cannot read " + what);
    try {
      for (const char* p : pointers) out.emplace_back(p ? p : "");
    } catch (...) {
      H5Dvlen_reclaim(memtype.get(), space.get(), H5P_DEFAULT, pointers.data());
      throw;
    }
    H5Dvlen_reclaim(memtype.get(), space.get(), H5P_DEFAULT, pointers.data());
    return out;
  }

  // Fixed length: read the raw bytes with the file's own type (no conversion, so a
  // string filling all its bytes keeps its last character), then cut at the padding.
  const size_t size = H5Tget_size(type.get());
  if (size == 0) fail("cannot read the type of " + what);
  if (count > (size_t{1} << 30) / size) fail(what + " is absurdly large");
  Handle memtype(H5Tcopy(type.get()), H5Tclose);
  std::vector<char> bytes(count * size);
  if (!memtype.valid() || H5Aread(attr.get(), memtype.get(), bytes.data()) < 0) fail("cannot read " + what);
  const bool space_padded = H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD;
  for (size_t i = 0; i < count; ++i) {
    const char* begin = bytes.data() + i * size;
    size_t length = 0;
    while (length < size && begin[length] != '\0') ++length;
    if (space_padded)
      while (length > 0 && begin[length - 1] == ' ') --length;
    out.emplace_back(begin, length);
  }
  return out;
}

std::optional<std::vector<std::string>> File::read_chunked_strings(const std::string& object_path,
                                                                   const std::string& name) const {
  if (auto whole = read_strings(object_path, name)) return whole;
  std::optional<std::vector<std::string>> out;
  for (int chunk = 0;; ++chunk) {
    auto part = read_strings(object_path, name + std::to_string(chunk));
    if (!part) break;
    if (!out) out.emplace();
    out->insert(out->end(), part->begin(), part->end());
  }
  return out;
}

std::string File::read_string_or_empty(const std::string& object_path, const std::string& name) const {
  const auto values = read_strings(object_path, name);
  return values && !values->empty() ? values->front() : std::string();
}

std::string File::describe_type(hid_t type) const {
  const size_t size = H5Tget_size(type);
  const bool big_endian = H5Tget_order(type) == H5T_ORDER_BE;
  const std::string order = big_endian ? " (big-endian)" : "";
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      if (size == 2) {
        const Half layout = half_layout(type);
        return (layout == Half::ieee ? "float16" : layout == Half::bfloat16 ? "bfloat16" : "float16 (non-IEEE layout)") +
               order;
      }
      return "float" + std::to_string(size * 8) + order;
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(size * 8) + order;
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_OPAQUE: return "opaque (" + std::to_string(size) + " bytes)";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "variable-length sequence";
    case H5T_REFERENCE: return "reference";
    case H5T_BITFIELD: return "bitfield";
    case H5T_TIME: return "time";
    default: return "unknown type";
  }
}

DatasetShape File::dataset_shape(const std::string& dataset_path) const {
  Handle dataset = open_object(dataset_path);
  if (H5Iget_type(dataset.get()) != H5I_DATASET) fail(dataset_path + " is not a dataset");
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  if (!space.valid() || !type.valid()) fail("cannot read the shape of " + dataset_path);
  DatasetShape shape;
  const H5S_class_t space_class = H5Sget_simple_extent_type(space.get());
  if (space_class == H5S_NULL) fail(dataset_path + " has a null dataspace (no data)");
  if (space_class == H5S_SIMPLE) {
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0) fail("cannot read the shape of " + dataset_path);
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
      fail("cannot read the shape of " + dataset_path);
    for (hsize_t d : dims) {
      if (d > static_cast<hsize_t>(std::numeric_limits<int64_t>::max())) fail(dataset_path + " has an absurd dimension");
      shape.dims.push_back(static_cast<int64_t>(d));
    }
  } else if (space_class != H5S_SCALAR) {
    fail("cannot read the shape of " + dataset_path);
  }
  shape.dtype = describe_type(type.get());
  if (H5Tget_class(type.get()) == H5T_OPAQUE && H5Tget_size(type.get()) == 2) {
    // Keras 3 writes bfloat16 as 2-byte opaque data tagged with attr dtype = "bfloat16".
    const auto tag = read_strings(dataset_path, "dtype");
    if (tag && tag->size() == 1 && tag->front() == "bfloat16") shape.dtype = "bfloat16";
  }
  return shape;
}

Tensor File::read_float_tensor(const std::string& dataset_path) const {
  const DatasetShape shape = dataset_shape(dataset_path);  // also checks the links
  Handle dataset = open_object(dataset_path);
  Handle dcpl(H5Dget_create_plist(dataset.get()), H5Pclose);
  if (!dcpl.valid()) fail("cannot read the storage properties of " + dataset_path);
  if (H5Pget_layout(dcpl.get()) == H5D_VIRTUAL) fail(dataset_path + " is a virtual dataset: refused");
  const int external = H5Pget_external_count(dcpl.get());
  if (external < 0) fail("cannot read the storage properties of " + dataset_path);
  if (external > 0) fail(dataset_path + " keeps its data in external files: refused");

  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  if (!type.valid()) fail("cannot read the type of " + dataset_path);
  const H5T_class_t type_class = H5Tget_class(type.get());
  const size_t size = H5Tget_size(type.get());

  // The shape is only a header: before allocating for it, check that the file stores that
  // much data (compressed data at most kMaxCompressionRatio times smaller) and that the
  // float32 array and the read buffer fit in memory.
  const std::string what = path_ + ": " + dataset_path;
  const std::optional<int64_t> count_or = checked_product(shape.dims);
  const std::optional<int64_t> nominal = count_or ? checked_mul(*count_or, static_cast<int64_t>(size)) : std::nullopt;
  if (!nominal) fail_plain(path_, dataset_path + " has shape " + dims_to_string(shape.dims) + ": overflows 64-bit sizes");
  const int64_t count = *count_or;
  if (count > 0) {
    const auto stored = static_cast<uint64_t>(H5Dget_storage_size(dataset.get()));
    const int filters = H5Pget_nfilters(dcpl.get());
    const auto needed = static_cast<uint64_t>(*nominal);
    // The storage size is itself read from the file's headers: a corrupt one claims more
    // than the whole file holds (a 2.5 KB file claiming 4.8 GB, found by fuzzing).
    hsize_t file_bytes = 0;
    if (H5Fget_filesize(file_.get(), &file_bytes) < 0) fail("cannot read the size of the file");
    if (stored > file_bytes)
      fail_plain(path_, dataset_path + " claims " + human_bytes(stored) + " of storage in a file of " +
                            human_bytes(file_bytes) + " (truncated or corrupt)");
    const uint64_t least = filters > 0 ? needed / kMaxCompressionRatio : needed;
    if (stored < least)
      fail_plain(path_, dataset_path + " has shape " + dims_to_string(shape.dims) + " of " + shape.dtype + " (" +
                            human_bytes(needed) + ") but the file stores " + human_bytes(stored) +
                            " for it (truncated or corrupt)");
  }
  try {
    checked_element_count(shape.dims, what);
    check_memory(static_cast<uint64_t>(count) * (sizeof(float) + size), what,
                 "shape " + dims_to_string(shape.dims) + " of " + shape.dtype + ", converted to float32");
  } catch (const Error& e) {  // absurd shapes in a weights file are a weights error
    throw Error(ErrorKind::weights, e.what());
  }
  const auto n = static_cast<size_t>(count);
  const std::string refused = dataset_path + " has type " + shape.dtype + ": weights must be float16, float32 or float64";

  const bool opaque_bfloat16 = type_class == H5T_OPAQUE && shape.dtype == "bfloat16";

  FloatVector values(n);
  if (type_class == H5T_FLOAT && size == 4) {
    // HDF5 converts byte order (and any 4-byte float layout) to native float.
    if (n > 0 && H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
      fail("cannot read " + dataset_path);
  } else if (type_class == H5T_FLOAT && size == 8) {
    std::vector<double> wide(n);
    if (n > 0 && H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, wide.data()) < 0)
      fail("cannot read " + dataset_path);
    for (size_t i = 0; i < n; ++i) {
      const double v = wide[i];
      if (std::isfinite(v) && std::fabs(v) > static_cast<double>(FLT_MAX))
      {
        std::array<char, 32> text{};
        std::snprintf(text.data(), text.size(), "%.9g", v);
        fail_plain(path_, dataset_path + " value " + text.data() + " at index " + std::to_string(i) +
                              " does not fit in float32");
      }
      values[i] = static_cast<float>(v);
    }
  } else if ((type_class == H5T_FLOAT && size == 2) || opaque_bfloat16) {
    // HDF5 1.10 has no native half type; reading with a native integer memory type
    // would convert values numerically, so read the raw bits with the file's own type
    // (an identity "conversion") and decode them here.
    const Half layout = opaque_bfloat16 ? Half::bfloat16 : half_layout(type.get());
    if (layout == Half::other) fail_plain(path_, refused);
    const bool swap = !opaque_bfloat16 && H5Tget_order(type.get()) == H5T_ORDER_BE;
    std::vector<uint16_t> raw(n);
    Handle memtype(H5Tcopy(type.get()), H5Tclose);
    if (n > 0 && (!memtype.valid() || H5Dread(dataset.get(), memtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0))
      fail("cannot read " + dataset_path);
    for (size_t i = 0; i < n; ++i) {
      const uint16_t bits = swap ? swap_bytes(raw[i]) : raw[i];
      values[i] = layout == Half::ieee ? half_to_float(bits) : bfloat16_to_float(bits);
    }
  } else {
    fail_plain(path_, refused);
  }

  Tensor tensor(shape.dims, std::move(values));
  const int64_t bad = find_non_finite(tensor);
  if (bad >= 0)
    fail_plain(path_, dataset_path + " contains " + non_finite_name(tensor.data()[bad]) + " at index " +
                          std::to_string(bad));
  return tensor;
}

// ---- Writer ------------------------------------------------------------------------

Writer Writer::create(const std::string& path) {
  ::voxconv::hdf5::silence_errors();
  Handle file(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) {
    const std::string detail = ::voxconv::hdf5::take_error();
    throw Error(ErrorKind::volume_write, path + ": cannot create the HDF5 file" + (detail.empty() ? "" : ": " + detail));
  }
  return Writer(path, std::move(file));
}

void Writer::fail(const std::string& what) const {
  const std::string detail = ::voxconv::hdf5::take_error();
  throw Error(ErrorKind::volume_write, path_ + ": " + what + (detail.empty() ? "" : ": " + detail));
}

void Writer::create_group(const std::string& group_path) {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!lcpl.valid() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0) fail("cannot set up group creation");
  // No modification times in the file (h5py's default too): the same values give the same bytes.
  Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
  if (!gcpl.valid() || H5Pset_obj_track_times(gcpl.get(), false) < 0) fail("cannot set up group creation");
  Handle group(H5Gcreate2(file_.get(), group_path.c_str(), lcpl.get(), gcpl.get(), H5P_DEFAULT), H5Gclose);
  if (!group.valid()) fail("cannot create group " + group_path);
}

void Writer::write_float_dataset(const std::string& dataset_path, const Tensor& values) {
  std::vector<hsize_t> dims(values.dims().begin(), values.dims().end());
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  if (!space.valid() || !lcpl.valid() || H5Pset_create_intermediate_group(lcpl.get(), 1) < 0)
    fail("cannot set up dataset " + dataset_path);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!dcpl.valid() || H5Pset_obj_track_times(dcpl.get(), false) < 0) fail("cannot set up dataset " + dataset_path);
  Handle dataset(H5Dcreate2(file_.get(), dataset_path.c_str(), H5T_IEEE_F32LE, space.get(), lcpl.get(), dcpl.get(),
                            H5P_DEFAULT),
                 H5Dclose);
  if (!dataset.valid()) fail("cannot create dataset " + dataset_path);
  if (H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
    fail("cannot write dataset " + dataset_path);
}

void Writer::set_attribute(const std::string& object_path, const std::string& name, hid_t type, hid_t space,
                           const void* data) {
  Handle object(H5Oopen(file_.get(), object_path.c_str(), H5P_DEFAULT), H5Oclose);
  if (!object.valid()) fail("cannot open " + object_path);
  Handle attr(H5Acreate2(object.get(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fail("cannot create attribute " + name + " of " + object_path);
  if (H5Awrite(attr.get(), type, data) < 0) fail("cannot write attribute " + name + " of " + object_path);
}

void Writer::set_fixed_strings(const std::string& object_path, const std::string& name,
                               const std::vector<std::string>& values) {
  size_t width = 1;
  for (const std::string& v : values) width = std::max(width, v.size());
  std::vector<char> packed(width * values.size(), '\0');
  for (size_t i = 0; i < values.size(); ++i) std::memcpy(&packed[i * width], values[i].data(), values[i].size());
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.valid() || H5Tset_size(type.get(), width) < 0 || H5Tset_strpad(type.get(), H5T_STR_NULLPAD) < 0)
    fail("cannot set up attribute " + name);
  const hsize_t count = values.size();
  Handle space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  if (!space.valid()) fail("cannot set up attribute " + name);
  set_attribute(object_path, name, type.get(), space.get(), packed.data());
}

void Writer::set_fixed_string(const std::string& object_path, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.valid() || H5Tset_size(type.get(), std::max<size_t>(value.size(), 1)) < 0 ||
      H5Tset_strpad(type.get(), H5T_STR_NULLPAD) < 0)
    fail("cannot set up attribute " + name);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  set_attribute(object_path, name, type.get(), space.get(), padded.data());
}

void Writer::set_utf8_string(const std::string& object_path, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.valid() || H5Tset_size(type.get(), H5T_VARIABLE) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0)
    fail("cannot set up attribute " + name);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const char* text = value.c_str();
  set_attribute(object_path, name, type.get(), space.get(), &text);
}

void Writer::close() {
  // Everything reaches the disk in the flush, so its error is the one to report.
  if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) fail("cannot write the file");
  file_.reset();
}

}  // namespace voxconv::keras::hdf5
