#pragma once
// A thin layer over the HDF5 C API for weights_hdf5.cpp (reading) and weights_writer.cpp
// (writing): RAII hid_t handles, link checks, string attributes and float datasets. Every
// failure becomes voxconv::Error(ErrorKind::weights or volume_write,
// "<file>: <what>[: <innermost HDF5 message>]").
// Internal to lib/keras: no other module includes this header, so hid_t stays here.
#include <hdf5.h>

#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "hdf5/hdf5_basics.hpp"

namespace voxconv::keras::hdf5 {

using Handle = ::voxconv::hdf5::Handle;  // shared with lib/volume (hdf5/hdf5_basics.hpp)

// What a path names, judged link by link from the root without following soft or
// external links (so a link is never traversed before it is checked).
enum class LinkKind { missing, group, dataset, other_object, soft_link, external_link, user_link };
const char* to_string(LinkKind kind) noexcept;  // with its article: "a soft link"

struct Child {
  std::string name;
  LinkKind kind;
};

// Element type of a dataset, as weights_hdf5 reports it.
struct DatasetShape {
  Dims dims;          // {} for a scalar dataspace
  std::string dtype;  // "float32", "float16 (big-endian)", "int64", "string", ...
};

class File {
 public:
  // Checks that `path` is a regular file carrying the HDF5 signature (at offset 0, 512,
  // 1024, ...) before opening it read-only; errors say "<path>: no such file",
  // "<path>: not an HDF5 file", or quote HDF5 for truncated/corrupt files.
  static File open(const std::string& path);
  // The same checks and reader for a file held in memory (HDF5's core driver with a file
  // image; nothing touches the disk). `name` stands for the file in messages. The bytes
  // are copied, so `data` may go away after the call.
  static File open_image(const std::string& name, const void* data, size_t size);

  const std::string& path() const noexcept { return path_; }

  // Throws ErrorKind::weights "<file>: <what>" (plus HDF5's innermost message when
  // the error stack has one, which is then cleared).
  [[noreturn]] void fail(const std::string& what) const;

  // Kind of the object at an absolute path ("/a/b"). A soft or external link anywhere
  // along the path is reported as such (for the first offending component).
  LinkKind link_kind(const std::string& object_path) const;
  // First component of object_path that is not a hard link, or "" (for messages).
  std::string first_non_hard_component(const std::string& object_path) const;
  // Link names in a group, in name order, with their kinds (links are not followed).
  std::vector<Child> children(const std::string& group_path) const;

  bool has_attribute(const std::string& object_path, const std::string& name) const;
  // A string attribute, scalar or 1-D array, fixed-length (NUL- or space-padded, possibly
  // not NUL-terminated) or variable-length, ASCII or UTF-8. A numeric attribute with zero
  // elements (Keras writes empty weight_names as a float64 array of shape (0,)) reads as
  // an empty list. nullopt when the attribute is absent.
  std::optional<std::vector<std::string>> read_strings(const std::string& object_path, const std::string& name) const;
  // Keras' load_attributes_from_hdf5_group: `name`, else the chunks name0, name1, ...
  // concatenated; nullopt when neither exists.
  std::optional<std::vector<std::string>> read_chunked_strings(const std::string& object_path,
                                                               const std::string& name) const;
  // The first element of a string attribute, or "" when absent or empty.
  std::string read_string_or_empty(const std::string& object_path, const std::string& name) const;

  // Shape and element type of a dataset (metadata only).
  DatasetShape dataset_shape(const std::string& dataset_path) const;
  // Reads a float16/bfloat16/float32/float64 dataset (either byte order) into float32.
  // Refuses non-float types, external storage, virtual datasets, values outside
  // the float32 range and non-finite values ("<file>: <dataset> contains NaN at index 17").
  Tensor read_float_tensor(const std::string& dataset_path) const;

 private:
  File(std::string path, Handle file) : path_(std::move(path)), file_(std::move(file)) {}
  Handle open_object(const std::string& object_path) const;  // group or dataset, hard links only
  // Walks object_path from the root, link by link: the first component that is missing
  // or not a hard link, and its kind; nullopt when every component is a hard link.
  struct LinkStop {
    std::string prefix;
    LinkKind kind;
  };
  std::optional<LinkStop> first_non_hard_link(const std::string& object_path) const;
  std::string describe_type(hid_t type) const;

  std::string path_;
  Handle file_;
};

// Writes a new HDF5 file with the encodings h5py (and so Keras) uses: fixed-length
// NUL-padded byte strings for numpy bytes, variable-length UTF-8 for Python str,
// little-endian float32 contiguous datasets. Errors are ErrorKind::volume_write.
class Writer {
 public:
  // Creates `path`, which must not exist.
  static Writer create(const std::string& path);

  // Groups along the way are created as needed ("/a/b/c").
  void create_group(const std::string& group_path);
  void write_float_dataset(const std::string& dataset_path, const Tensor& values);
  // numpy.array([b"a", b"bc"]): a 1-D array of fixed-length strings (the longest decides).
  void set_fixed_strings(const std::string& object_path, const std::string& name, const std::vector<std::string>& values);
  // numpy.bytes_(b"abc"): a scalar fixed-length string.
  void set_fixed_string(const std::string& object_path, const std::string& name, const std::string& value);
  // A Python str: a scalar variable-length UTF-8 string.
  void set_utf8_string(const std::string& object_path, const std::string& name, const std::string& value);
  // Flushes and closes; a Writer destroyed without close() leaves an incomplete file to delete.
  void close();

 private:
  Writer(std::string path, Handle file) : path_(std::move(path)), file_(std::move(file)) {}
  [[noreturn]] void fail(const std::string& what) const;
  void set_attribute(const std::string& object_path, const std::string& name, hid_t type, hid_t space,
                     const void* data);
  std::string path_;
  Handle file_;
};

}  // namespace voxconv::keras::hdf5
