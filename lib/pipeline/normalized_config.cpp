#include "pipeline/normalized_config.hpp"

#include <spdlog/spdlog.h>

#include "keras/config_writer.hpp"

namespace voxconv::pipeline {

NormalizedConfig normalized_config(const NormalizedConfigOptions& options) {
  // The config is read under the version it was written by (detected); --keras only picks
  // the spelling of the output, so `--keras 3` converts a Keras 2 config.
  LayerSource source = options.source;
  source.forced_version.reset();
  const LoadedLayer layer = load_layer(source);
  const keras::KerasVersion out_version = options.source.forced_version.value_or(layer.version.version);
  if (out_version != layer.version.version && layer.config.activation == "hard_sigmoid")
    spdlog::warn("{}: hard_sigmoid is clip(0.2 x + 0.5, 0, 1) in Keras 2 but relu6(x + 3) / 6 in Keras 3: the {} "
                 "config computes a different function than the {} one it was read as ({})",
                 layer.config.source, keras::to_string(out_version), keras::to_string(layer.version.version),
                 layer.version.reason);
  keras::ConfigWriteOptions write;
  write.version = out_version;
  write.serialized = options.serialized;
  return {keras::write_layer_config(layer.config, write), {out_version, layer.version.reason}};
}

}  // namespace voxconv::pipeline
