#pragma once
// Conv3D kernel and bias from the HDF5 files Keras writes. HDF5 types stay inside the
// adapter; what comes out is plain Tensors.
#include <cstddef>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace voxconv::keras {

namespace hdf5 {
class File;  // keras/hdf5_file.hpp, internal to lib/keras
}

enum class WeightsLayout {
  keras2_model,    // model.save(): root attr model_config, group model_weights, weight_names attrs
  keras2_weights,  // save_weights(): root attrs layer_names/backend/keras_version, per-layer groups
  keras3_weights,  // Keras 3 .weights.h5 (also inside .keras): layers/<snake_name>/vars/0,1
  plain,           // a root-level dataset "kernel" (and optionally "bias")
};
const char* to_string(WeightsLayout layout) noexcept;

struct DatasetInfo {
  std::string path;  // full HDF5 path, e.g. "/model_weights/21/21/kernel:0"
  std::string name;  // the weight's name as Keras calls it, e.g. "21/kernel:0" (layout-dependent)
  Dims dims;
  std::string dtype;  // element type as stored: "float32", "float16", "float64 (big-endian)", "int64", ...
};

// One layer that holds weights.
struct LayerEntry {
  std::string name;                  // Keras layer name (K3: the vars' "name" attr when present, else the path)
  std::string group;                 // HDF5 group path of the layer
  std::vector<DatasetInfo> weights;  // in Keras order (kernel first)
  bool looks_like_conv3d() const;    // first weight is rank 5
};

struct WeightsFileInfo {
  std::string path;
  WeightsLayout layout = WeightsLayout::plain;
  std::string keras_version;  // root attr, may be empty
  std::string backend;        // root attr, may be empty ("theano" matters)
  std::vector<LayerEntry> layers;
};

// Lists the layers (with weights) of a Keras weights file. Throws ErrorKind::weights
// naming the file when it is not HDF5 or holds no recognizable layout.
WeightsFileInfo inspect_weights(const std::string& path);
// The same for a file already open (a model file, or weights held in memory).
WeightsFileInfo inspect_weights(const hdf5::File& file);

struct LayerWeights {
  std::string layer_name;
  DatasetInfo kernel_info;
  DatasetInfo bias_info;  // path empty when there is no bias
  Tensor kernel;          // as stored: (kd, kh, kw, in/groups, filters), converted to float32
  Tensor bias;            // (filters,) or empty
  WeightsFileInfo file;
};

// Picks the layer: `layer` when given, matched against the layer names, else against the
// layer group paths (with or without the leading '/'; error listing the candidates when absent);
// else the only layer with a rank-5 kernel; else the layer named `name_hint` (the
// config's name) when present; else the only layer with weights (so its shape error
// shows); else an error listing the candidates. float16/float64
// datasets are converted; non-finite values, soft links, external or virtual datasets
// and non-float types are refused; so are Keras 1 files (keras_version 1.x: kernels stored
// (out, in, d, h, w)). Errors are ErrorKind::weights and start with the path.
LayerWeights load_conv3d_weights(const std::string& path, const std::string& layer, const std::string& name_hint);

// load_conv3d_weights in a child process, with the same result and errors: libhdf5 1.10 can
// read out of bounds or crash on some corrupt files (see tests/fuzz/README.md); in the
// child that becomes ErrorKind::weights "<path>: the HDF5 library crashed or hung reading
// this file (a corrupt HDF5 file?): signal 11 (SIGSEGV)" instead of taking voxconv down. It
// also loops forever on some corrupt files: the child is killed after 60 s + 1 s per 10 MB
// of file, or $VOXCONV_HDF5_TIMEOUT seconds.
LayerWeights load_conv3d_weights_isolated(const std::string& path, const std::string& layer,
                                          const std::string& name_hint);

// inspect_weights and load_conv3d_weights for a weights file held in memory (HDF5 file image); `name` stands for the
// file in messages. For callers that already hold the bytes, and for the fuzz target.
WeightsFileInfo inspect_weights_from_memory(const std::string& name, const void* data, size_t size);
LayerWeights load_conv3d_weights_from_memory(const std::string& name, const void* data, size_t size,
                                             const std::string& layer, const std::string& name_hint);

}  // namespace voxconv::keras
