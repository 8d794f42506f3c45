#include "pipeline/file_compare.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/geometry.hpp"
#include "pipeline/output_files.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::pipeline {

namespace {

// What was read: a volume (1, Z, Y, X, C) with its geometry, or a plain array.
struct Operand {
  std::string path;
  bool volume = false;
  Tensor data;
  Geometry geometry;
};

bool is_npy(const std::string& path) { return volume::format_of(path) == volume::FileFormat::npy; }

// Refuses unknown extensions before reading, naming the flag's file.
void require_known_format(const std::string& path) {
  if (volume::format_of(path) == volume::FileFormat::unknown)
    throw Error(ErrorKind::usage, path + ": unknown file format (use " + std::string(volume::supported_extensions()) + ")");
}

Operand read_operand(const std::string& path) {
  Operand op;
  op.path = path;
  if (is_npy(path)) {
    op.data = volume::read_npy(path);
    return op;
  }
  volume::Volume v = volume::read_volume(path);
  for (const auto& warning : v.warnings) spdlog::warn("{}", warning);
  op.volume = true;
  op.data = std::move(v.data);
  op.geometry = v.geometry;
  return op;
}

std::string number(double value, int digits = 6) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}

std::string describe(const Operand& op) {
  if (!op.volume) return "array " + dims_to_string(op.data.dims());
  const Dims& d = op.data.dims();
  return "volume " + std::to_string(d[3]) + "x" + std::to_string(d[2]) + "x" + std::to_string(d[1]) + " (x, y, z), " +
         std::to_string(d[4]) + (d[4] == 1 ? " channel" : " channels");
}

// "voxel (x 3, y 4, z 5) channel 2" for volumes, "index [0, 3, 4]" for arrays.
std::string location(const Operand& op, int64_t flat) {
  const Dims& d = op.data.dims();
  std::vector<int64_t> index(d.size());
  for (size_t k = d.size(); k-- > 0;) {
    index[k] = d[k] > 0 ? flat % d[k] : 0;
    flat = d[k] > 0 ? flat / d[k] : 0;
  }
  if (op.volume)
    return "voxel (x " + std::to_string(index[3]) + ", y " + std::to_string(index[2]) + ", z " + std::to_string(index[1]) +
           ") channel " + std::to_string(index[4]);
  std::string text = "index [";
  for (size_t k = 0; k < index.size(); ++k) text += (k ? ", " : "") + std::to_string(index[k]);
  return text + "]";
}

std::string triple(const std::array<double, 3>& v) {
  return "(" + number(v[0], 9) + ", " + number(v[1], 9) + ", " + number(v[2], 9) + ")";
}

std::string matrix(const std::array<double, 9>& m) {
  std::string text = "(";
  for (size_t i = 0; i < 9; ++i) text += (i ? ", " : "") + number(m[i], 9);
  return text + ")";
}

template <size_t N>
double largest_difference(const std::array<double, N>& a, const std::array<double, N>& b) {
  double worst = 0.0;
  for (size_t i = 0; i < N; ++i) {
    const double d = std::abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d;  // NaN counts as the largest
  }
  return worst;
}

// Appends one line per geometry component out of tolerance; returns true when all fit.
bool compare_geometry(const Geometry& e, const Geometry& a, double tol, std::ostringstream& out) {
  const double spacing = largest_difference(e.spacing, a.spacing);
  const double origin = largest_difference(e.origin, a.origin);
  const double direction = largest_difference(e.direction, a.direction);
  bool same = true;
  if (!(spacing <= tol)) {
    out << "geometry: spacing differs: expected " << triple(e.spacing) << ", actual " << triple(a.spacing) << "\n";
    same = false;
  }
  if (!(origin <= tol)) {
    out << "geometry: origin differs: expected " << triple(e.origin) << ", actual " << triple(a.origin) << "\n";
    same = false;
  }
  if (!(direction <= tol)) {
    out << "geometry: direction differs: expected " << matrix(e.direction) << ", actual " << matrix(a.direction) << "\n";
    same = false;
  }
  if (same)
    out << "geometry: same within " << number(tol) << " (largest difference: spacing " << number(spacing) << ", origin "
        << number(origin) << ", direction " << number(direction) << ")\n";
  return same;
}

void describe_values(const Operand& expected, const Operand& actual, const ValueComparison& c, const Tolerance& tol,
                     std::ostringstream& out) {
  out << "values: " << c.compared << " compared by |actual - expected| <= " << number(tol.atol) << " + "
      << number(tol.rtol) << " * |expected| (NaN equals only NaN at the same place)\n";
  if (c.max_abs_index >= 0) {
    const int64_t i = c.max_abs_index;
    out << "max abs error: " << number(c.max_abs_error) << " at " << location(expected, i) << " (expected "
        << number(expected.data.data()[i], 9) << ", actual " << number(actual.data.data()[i], 9) << ")\n";
  }
  if (c.max_rel_index >= 0) {
    const int64_t i = c.max_rel_index;
    out << "max rel error: " << number(c.max_rel_error) << " at " << location(expected, i) << " (expected "
        << number(expected.data.data()[i], 9) << ", actual " << number(actual.data.data()[i], 9) << ")\n";
  }
  if (c.nan_mismatches > 0) out << "NaN on one side only: " << c.nan_mismatches << "\n";
  out << "out of tolerance: " << c.out_of_tolerance << " of " << c.compared << "\n";
  if (c.worst.empty()) return;
  out << "worst:\n";
  for (const auto& m : c.worst)
    out << "  " << location(expected, m.index) << ": expected " << number(m.expected, 9) << ", actual "
        << number(m.actual, 9) << ", abs error "
        << number(std::abs(static_cast<double>(m.actual) - static_cast<double>(m.expected))) << "\n";
}

void check_options(const CompareOptions& o) {
  const auto non_negative = [](double v, const char* flag) {
    if (!(std::isfinite(v) && v >= 0.0))
      throw Error(ErrorKind::usage, std::string(flag) + " = " + number(v) + ": must be a finite number >= 0");
  };
  non_negative(o.tolerance.atol, "--atol");
  non_negative(o.tolerance.rtol, "--rtol");
  non_negative(o.geometry_tolerance, "--geometry-tol");
  require_known_format(o.expected_path);
  require_known_format(o.actual_path);
  if (is_npy(o.expected_path) != is_npy(o.actual_path))
    throw Error(ErrorKind::usage, o.actual_path + ": cannot compare a " + (is_npy(o.actual_path) ? ".npy array" : "volume") +
                                      " with " + o.expected_path + ", a " +
                                      (is_npy(o.expected_path) ? ".npy array" : "volume") + "; give two of a kind");
  if (!o.diff_path.empty()) {
    require_known_format(o.diff_path);
    if (is_npy(o.diff_path) != is_npy(o.expected_path))
      throw Error(ErrorKind::usage, o.diff_path + ": the difference of two " +
                                        (is_npy(o.expected_path) ? ".npy arrays is a .npy array" : "volumes is a volume") +
                                        "; use a matching extension");
  }
}

}  // namespace

CompareResult compare_files(const CompareOptions& options) {
  check_options(options);
  // Refuse an existing diff file before reading anything.
  std::unique_ptr<OutputTransaction> transaction;
  const std::string diff_file = volume::volume_file_of(options.diff_path);  // "d.h5" for "d.h5:/diff"
  if (!options.diff_path.empty())
    transaction = std::make_unique<OutputTransaction>(std::vector<std::string>{diff_file}, options.force);

  const Operand expected = read_operand(options.expected_path);
  const Operand actual = read_operand(options.actual_path);

  std::ostringstream out;
  out << "expected: " << expected.path << ": " << describe(expected) << "\n";
  out << "actual: " << actual.path << ": " << describe(actual) << "\n";
  bool same = true;
  bool same_shape = expected.data.dims() == actual.data.dims();
  if (!same_shape) {
    same = false;
    if (expected.volume && expected.data.rank() == 5 && actual.data.rank() == 5 &&
        std::equal(expected.data.dims().begin(), expected.data.dims().end() - 1, actual.data.dims().begin()))
      out << "channels differ: expected " << expected.data.dim(4) << ", actual " << actual.data.dim(4) << "\n";
    else
      out << "shapes differ: expected " << describe(expected) << ", actual " << describe(actual) << "\n";
  }
  if (expected.volume && !compare_geometry(expected.geometry, actual.geometry, options.geometry_tolerance, out))
    same = false;

  CompareResult result;
  if (same_shape) {
    const ValueComparison values = compare_values(expected.data, actual.data, options.tolerance, options.worst_count);
    describe_values(expected, actual, values, options.tolerance, out);
    if (values.out_of_tolerance > 0) same = false;
    if (transaction) {
      Tensor diff(actual.data.dims());
      for (int64_t i = 0; i < diff.size(); ++i) diff.data()[i] = actual.data.data()[i] - expected.data.data()[i];
      const std::string staged = volume::with_volume_file(options.diff_path, transaction->staging_path(diff_file));
      transaction->write_staged([&] {
        if (expected.volume) volume::write_volume(staged, diff, expected.geometry, false);
        else volume::write_npy(staged, diff);
      });
      transaction->commit();
      result.diff_written = options.diff_path;
      out << "difference (actual - expected) written to " << options.diff_path << "\n";
    }
  } else if (transaction) {
    out << "no difference file written: the shapes differ\n";
  }
  out << (same ? "result: same within tolerance\n" : "result: DIFFERENT\n");
  result.same = same;
  result.report = out.str();
  return result;
}

}  // namespace voxconv::pipeline
