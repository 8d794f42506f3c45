// libFuzzer target: the Keras layer-config parser (JSON text -> LayerConfig) and what the
// pipeline derives from an accepted config (engine parameters, parameter count, weight
// names, output plan). A voxconv::Error is the expected answer to a bad config; anything
// else (a crash, a sanitizer report, another exception) is a bug.
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "engine/conv3d_params.hpp"
#include "keras/layer_config.hpp"

using namespace voxconv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  keras::LayerConfig config;
  try {
    config = keras::parse_layer_config(text, "fuzz.json");
  } catch (const Error&) {
    return 0;
  }
  for (const int64_t channels : {int64_t{1}, int64_t{4}, int64_t{1} << 20}) {
    for (const auto version : {keras::KerasVersion::keras2, keras::KerasVersion::keras3}) {
      try {
        (void)keras::keras_weight_names(config, version);
        (void)keras::count_params(config, channels);
        const engine::Conv3dParams params = keras::to_conv_params(config, channels, version);
        (void)params.to_string();
        (void)params.kernel_dims();
        const engine::ConvPlan plan = engine::plan_shape(params, {7, 16, 33});
        (void)engine::conv_flops(params, 1, plan.out_spatial());
      } catch (const Error&) {
      }
    }
  }
  return 0;
}
