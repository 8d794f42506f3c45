#include "keras/weights_fit.hpp"

#include "core/error.hpp"

namespace voxconv::keras {

namespace {

std::string kernel_spatial(const Dims& d) {
  return "(" + std::to_string(d[0]) + ", " + std::to_string(d[1]) + ", " + std::to_string(d[2]) + ")";
}

}  // namespace

void check_weights_fit(const LayerConfig& cfg, const LayerWeights& w) {
  const Dims& k = w.kernel.dims();
  const std::string where = w.file.path + ": " + w.kernel_info.path;
  const Dims want_spatial{cfg.kernel_size[0], cfg.kernel_size[1], cfg.kernel_size[2]};
  const Dims got_spatial{k[0], k[1], k[2]};
  if (got_spatial != want_spatial || k[4] != cfg.filters)
    throw Error(ErrorKind::shape, where + " has shape " + dims_to_string(k) + " but " + cfg.source + " needs (" +
                                      std::to_string(cfg.kernel_size[0]) + ", " + std::to_string(cfg.kernel_size[1]) +
                                      ", " + std::to_string(cfg.kernel_size[2]) + ", in/groups, " +
                                      std::to_string(cfg.filters) + ") (kernel_size " + kernel_spatial(want_spatial) +
                                      ", filters " + std::to_string(cfg.filters) + ")");
  if (cfg.use_bias && w.bias.empty())
    throw Error(ErrorKind::shape, w.file.path + ": layer '" + w.layer_name + "' has no bias but " + cfg.source +
                                      " says use_bias = true");
  if (!cfg.use_bias && !w.bias.empty())
    throw Error(ErrorKind::shape, w.file.path + ": layer '" + w.layer_name + "' has a bias " +
                                      dims_to_string(w.bias.dims()) + " but " + cfg.source + " says use_bias = false");
  if (!w.bias.empty() && w.bias.dims() != Dims{cfg.filters})
    throw Error(ErrorKind::shape, w.file.path + ": " + w.bias_info.path + " has shape " + dims_to_string(w.bias.dims()) +
                                      " but " + cfg.source + " needs (" + std::to_string(cfg.filters) + ",)");
}

}  // namespace voxconv::keras
