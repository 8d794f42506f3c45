#pragma once
// A whole saved Keras model: a Keras 2 full-model .h5 (root attribute model_config and
// group model_weights, as model.save writes it) or a Keras 3 .keras zip (config.json and
// model.weights.h5). Opened once; gives the layer graph and each layer's weights in Keras
// order. HDF5 and libzip types stay in the .cpp.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "keras/layer_config.hpp"
#include "keras/legacy_weights.hpp"
#include "keras/model_graph.hpp"
#include "keras/weights_hdf5.hpp"

namespace voxconv::keras {

class ModelFile {
 public:
  // Throws voxconv::Error naming the file: not a model file, a config that is not a
  // model, a .keras zip without model.weights.h5, a .h5 without model_config.
  static ModelFile open(const std::string& path);
  ~ModelFile();
  ModelFile(ModelFile&&) noexcept;
  ModelFile& operator=(ModelFile&&) noexcept;

  const std::string& path() const noexcept;
  const ModelGraph& graph() const noexcept;
  // "Keras full model (model.save .h5)" or "Keras 3 model (.keras)".
  std::string format() const;
  bool is_keras3_archive() const noexcept;
  // Layout, keras_version and backend of the weights as WeightsFileInfo reports them.
  const WeightsFileInfo& weights_file() const noexcept;
  // Which Keras wrote the file, as evidence for detect_keras_version.
  WeightsVersionEvidence version_evidence() const;
  // What Keras 2's loader reads from the model_weights group: a Keras 1 file (no
  // keras_version there) and the training backend. Empty for a .keras archive.
  const WeightsProvenance& provenance() const noexcept;

  // The datasets holding a layer's variables, in layer.weights order; empty for a layer
  // without weights. Throws ErrorKind::weights when the file's weights for the layer
  // cannot be told apart (an unknown layer class inside a nested model).
  std::vector<DatasetInfo> weight_infos(const std::string& layer) const;
  // Their values, converted to float32 (as weights_hdf5 reads them).
  std::vector<Tensor> read_weights(const std::string& layer) const;

 private:
  struct Impl;
  explicit ModelFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ModelFile::open after a rehearsal in a child process that opens the file and reads every
// layer's weights: libhdf5 can crash or hang on a corrupt file (see weights_hdf5.hpp), and
// in the child that is one ErrorKind::weights error naming the file. Errors the rehearsal
// meets are those open() throws here; a layer whose weights cannot be read is left for
// the caller to meet (or not, when it is off the path).
ModelFile open_model_file_isolated(const std::string& path);

}  // namespace voxconv::keras
