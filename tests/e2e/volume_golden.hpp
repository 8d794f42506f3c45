#pragma once
// Checks `voxconv run` against a golden of tests/golden/realdata/*.json: output shape,
// geometry and every sampled voxel (PyTorch float64 values).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace voxconv::testing {

nlohmann::json load_realdata_golden(const std::string& name);

// Runs the golden's layer on its input. `source_args` replaces the golden's
// "--config C --weights W" (e.g. {"--model", M, "--layer", L}) when not empty.
// Skips the test when a ../shared/realdata file is absent.
void check_volume_golden(const nlohmann::json& golden, const std::vector<std::string>& extra_args = {},
                         const std::vector<std::string>& source_args = {});

}  // namespace voxconv::testing
