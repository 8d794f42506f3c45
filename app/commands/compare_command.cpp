// `voxconv compare`: flags -> pipeline::compare_files -> a report on stdout; exit 0 when
// the two files agree within tolerance, 1 when they do not (diff and cmp do the same).
#include <iostream>
#include <memory>

#include "command.hpp"
#include "pipeline/file_compare.hpp"

namespace voxconv::app {

Command add_compare_command(CLI::App& app, const GlobalFlags& flags) {
  auto s = std::make_shared<pipeline::CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Compare two volumes or two .npy arrays: shapes, geometry, values (exit 0 same, 1 different)");
  cmd->add_option("EXPECTED", s->expected_path, "The reference (golden) volume or .npy")->required();
  cmd->add_option("ACTUAL", s->actual_path, "The volume or .npy to check")->required();
  cmd->add_option("--atol", s->tolerance.atol, "Absolute tolerance (numpy.isclose rule)")->capture_default_str();
  cmd->add_option("--rtol", s->tolerance.rtol, "Relative tolerance, times |expected|")->capture_default_str();
  cmd->add_option("--geometry-tol", s->geometry_tolerance,
                  "Largest difference allowed in spacing, origin and direction components")
      ->capture_default_str();
  cmd->add_option("--diff", s->diff_path, "Write ACTUAL - EXPECTED here (same kind as the inputs)");
  cmd->add_option("--show", s->worst_count, "How many of the worst values to list")->capture_default_str();
  cmd->add_flag("--force", s->force, "Replace an existing --diff file");
  return {cmd, [s, &flags]() {
            const pipeline::CompareResult result = pipeline::compare_files(*s);
            if (!flags.quiet) std::cout << result.report;
            return result.same ? kExitOk : kExitDifference;
          }};
}

}  // namespace voxconv::app
