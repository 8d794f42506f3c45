#include "keras/keras_objects.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace voxconv::keras {

const char* to_string(ObjectKind kind) noexcept {
  switch (kind) {
    case ObjectKind::initializer: return "initializer";
    case ObjectKind::regularizer: return "regularizer";
    case ObjectKind::constraint: return "constraint";
  }
  return "?";
}

double KerasObject::number(const std::string& name) const {
  for (const auto& [key, value] : args)
    if (key == name) return value;
  throw Error(ErrorKind::internal, class_name + " has no numeric argument '" + name + "'");
}

const std::string& KerasObject::text(const std::string& name) const {
  for (const auto& [key, value] : texts)
    if (key == name) return value;
  throw Error(ErrorKind::internal, class_name + " has no string argument '" + name + "'");
}

bool same_object(const KerasObject& a, const KerasObject& b) {
  return a.class_name == b.class_name && a.args == b.args && a.texts == b.texts && a.seed == b.seed &&
         a.axis == b.axis && a.axis_is_list == b.axis_is_list;
}

namespace {

// Arguments and defaults as Keras 3 writes them (keras/src/initializers, regularizers,
// constraints); tf.keras 2.x has the same arguments and defaults.
const std::vector<ObjectSchema>& schemas(ObjectKind kind) {
  static const std::vector<ObjectSchema> initializers = {
      {"Zeros", {}, {}, false, false},
      {"Ones", {}, {}, false, false},
      {"Constant", {{"value", 0.0}}, {}, false, false},
      {"RandomNormal", {{"mean", 0.0}, {"stddev", 0.05}}, {}, true, false},
      {"RandomUniform", {{"minval", -0.05}, {"maxval", 0.05}}, {}, true, false},
      {"TruncatedNormal", {{"mean", 0.0}, {"stddev", 0.05}}, {}, true, false},
      {"VarianceScaling", {{"scale", 1.0}}, {{"mode", "fan_in"}, {"distribution", "truncated_normal"}}, true, false},
      {"GlorotUniform", {}, {}, true, false},
      {"GlorotNormal", {}, {}, true, false},
      {"HeNormal", {}, {}, true, false},
      {"HeUniform", {}, {}, true, false},
      {"LecunNormal", {}, {}, true, false},
      {"LecunUniform", {}, {}, true, false},
      {"Orthogonal", {{"gain", 1.0}}, {}, true, false},
      {"Identity", {{"gain", 1.0}}, {}, false, false},
  };
  static const std::vector<ObjectSchema> regularizers = {
      {"L1", {{"l1", 0.01}}, {}, false, false},
      {"L2", {{"l2", 0.01}}, {}, false, false},
      {"L1L2", {{"l1", 0.0}, {"l2", 0.0}}, {}, false, false},
      {"OrthogonalRegularizer", {{"factor", 0.01}}, {{"mode", "rows"}}, false, false},
  };
  static const std::vector<ObjectSchema> constraints = {
      {"MaxNorm", {{"max_value", 2.0}}, {}, false, true},
      {"NonNeg", {}, {}, false, false},
      {"UnitNorm", {}, {}, false, true},
      {"MinMaxNorm", {{"min_value", 0.0}, {"max_value", 1.0}, {"rate", 1.0}}, {}, false, true},
      {"RadialConstraint", {}, {}, false, false},
  };
  switch (kind) {
    case ObjectKind::initializer: return initializers;
    case ObjectKind::regularizer: return regularizers;
    case ObjectKind::constraint: return constraints;
  }
  return constraints;
}

// Every name a config may use, all versions: snake-case string forms, class names, aliases.
const std::map<std::string, std::string>& names(ObjectKind kind) {
  static const std::map<std::string, std::string> initializers = {
      {"zeros", "Zeros"}, {"zero", "Zeros"}, {"Zeros", "Zeros"},
      {"ones", "Ones"}, {"one", "Ones"}, {"Ones", "Ones"},
      {"constant", "Constant"}, {"Constant", "Constant"},
      {"random_normal", "RandomNormal"}, {"normal", "RandomNormal"}, {"RandomNormal", "RandomNormal"},
      {"random_uniform", "RandomUniform"}, {"uniform", "RandomUniform"}, {"RandomUniform", "RandomUniform"},
      {"truncated_normal", "TruncatedNormal"}, {"TruncatedNormal", "TruncatedNormal"},
      {"variance_scaling", "VarianceScaling"}, {"VarianceScaling", "VarianceScaling"},
      {"glorot_uniform", "GlorotUniform"}, {"GlorotUniform", "GlorotUniform"},
      {"glorot_normal", "GlorotNormal"}, {"GlorotNormal", "GlorotNormal"},
      {"he_normal", "HeNormal"}, {"HeNormal", "HeNormal"},
      {"he_uniform", "HeUniform"}, {"HeUniform", "HeUniform"},
      {"lecun_normal", "LecunNormal"}, {"LecunNormal", "LecunNormal"},
      {"lecun_uniform", "LecunUniform"}, {"LecunUniform", "LecunUniform"},
      {"orthogonal", "Orthogonal"}, {"Orthogonal", "Orthogonal"}, {"OrthogonalInitializer", "Orthogonal"},
      {"identity", "Identity"}, {"Identity", "Identity"}, {"IdentityInitializer", "Identity"},
  };
  static const std::map<std::string, std::string> regularizers = {
      {"l1", "L1"}, {"L1", "L1"}, {"l2", "L2"}, {"L2", "L2"}, {"l1_l2", "L1L2"}, {"l1l2", "L1L2"}, {"L1L2", "L1L2"},
      {"L1L2Regularizer", "L1L2"}, {"orthogonal_regularizer", "OrthogonalRegularizer"},
      {"OrthogonalRegularizer", "OrthogonalRegularizer"},
  };
  static const std::map<std::string, std::string> constraints = {
      {"max_norm", "MaxNorm"}, {"maxnorm", "MaxNorm"}, {"MaxNorm", "MaxNorm"},
      {"non_neg", "NonNeg"}, {"nonneg", "NonNeg"}, {"NonNeg", "NonNeg"},
      {"unit_norm", "UnitNorm"}, {"unitnorm", "UnitNorm"}, {"UnitNorm", "UnitNorm"},
      {"min_max_norm", "MinMaxNorm"}, {"MinMaxNorm", "MinMaxNorm"},
      {"radial_constraint", "RadialConstraint"}, {"RadialConstraint", "RadialConstraint"},
  };
  switch (kind) {
    case ObjectKind::initializer: return initializers;
    case ObjectKind::regularizer: return regularizers;
    case ObjectKind::constraint: return constraints;
  }
  return constraints;
}

// The numeric arguments a bare string form stands for where they differ from the class defaults.
std::vector<std::pair<std::string, double>> string_form_arguments(ObjectKind kind, const std::string& name) {
  if (kind == ObjectKind::regularizer && name == "l1_l2") return {{"l1", 0.01}, {"l2", 0.01}};
  return {};
}

// The shortest of 15 and 17 significant digits that reads back as the same double.
std::string number_text(double v) {
  for (const int digits : {15, 17}) {
    std::ostringstream s;
    s.precision(digits);
    s << v;
    if (digits == 17 || std::stod(s.str()) == v) return s.str();
  }
  return "";
}

}  // namespace

const ObjectSchema* find_schema(ObjectKind kind, const std::string& class_name) {
  for (const ObjectSchema& s : schemas(kind))
    if (s.class_name == class_name) return &s;
  return nullptr;
}

std::string canonical_class(ObjectKind kind, const std::string& name) {
  const auto& table = names(kind);
  const auto it = table.find(name);
  return it == table.end() ? std::string() : it->second;
}

KerasObject make_object(ObjectKind kind, const std::string& name) {
  KerasObject o;
  o.class_name = canonical_class(kind, name);
  const ObjectSchema* schema = find_schema(kind, o.class_name);
  if (!schema) throw Error(ErrorKind::internal, std::string("unknown ") + to_string(kind) + " '" + name + "'");
  o.args = schema->numbers;
  o.texts = schema->texts;
  if (schema->has_axis) o.axis = std::vector<int64_t>{0};
  for (const auto& [arg, value] : string_form_arguments(kind, name))
    for (auto& entry : o.args)
      if (entry.first == arg) entry.second = value;
  return o;
}

engine::InitializerSpec initializer_spec(const KerasObject& o) {
  using engine::FanMode;
  using engine::InitializerKind;
  using engine::ScalingDistribution;
  engine::InitializerSpec s;
  const auto scaling = [&](double scale, FanMode mode, ScalingDistribution dist) {
    s.kind = InitializerKind::variance_scaling;
    s.scale = scale;
    s.mode = mode;
    s.distribution = dist;
  };
  const std::string& c = o.class_name;
  if (c == "Zeros") s.kind = InitializerKind::zeros;
  else if (c == "Ones") s.kind = InitializerKind::ones;
  else if (c == "Constant") {
    s.kind = InitializerKind::constant;
    s.value = o.number("value");
  } else if (c == "RandomNormal" || c == "TruncatedNormal") {
    s.kind = c == "RandomNormal" ? InitializerKind::random_normal : InitializerKind::truncated_normal;
    s.mean = o.number("mean");
    s.stddev = o.number("stddev");
  } else if (c == "RandomUniform") {
    s.kind = InitializerKind::random_uniform;
    s.minval = o.number("minval");
    s.maxval = o.number("maxval");
  } else if (c == "VarianceScaling") {
    const std::string& mode = o.text("mode");
    const std::string& dist = o.text("distribution");
    scaling(o.number("scale"), mode == "fan_out" ? FanMode::fan_out : mode == "fan_avg" ? FanMode::fan_avg : FanMode::fan_in,
            dist == "uniform"              ? ScalingDistribution::uniform
            : dist == "untruncated_normal" ? ScalingDistribution::untruncated_normal
                                           : ScalingDistribution::truncated_normal);
  } else if (c == "GlorotUniform") scaling(1.0, FanMode::fan_avg, ScalingDistribution::uniform);
  else if (c == "GlorotNormal") scaling(1.0, FanMode::fan_avg, ScalingDistribution::truncated_normal);
  else if (c == "HeNormal") scaling(2.0, FanMode::fan_in, ScalingDistribution::truncated_normal);
  else if (c == "HeUniform") scaling(2.0, FanMode::fan_in, ScalingDistribution::uniform);
  else if (c == "LecunNormal") scaling(1.0, FanMode::fan_in, ScalingDistribution::truncated_normal);
  else if (c == "LecunUniform") scaling(1.0, FanMode::fan_in, ScalingDistribution::uniform);
  else if (c == "Orthogonal" || c == "Identity") {
    s.kind = c == "Orthogonal" ? InitializerKind::orthogonal : InitializerKind::identity;
    s.gain = o.number("gain");
  } else {
    throw Error(ErrorKind::internal, "no initializer math for class '" + c + "'");
  }
  return s;
}

engine::L1L2Penalty regularizer_penalty(const KerasObject& o, size_t rank, const std::string& where) {
  const std::string& c = o.class_name;
  if (c == "L1") return {o.number("l1"), 0.0};
  if (c == "L2") return {0.0, o.number("l2")};
  if (c == "L1L2") return {o.number("l1"), o.number("l2")};
  if (c == "OrthogonalRegularizer")
    throw Error(ErrorKind::config, where + ": OrthogonalRegularizer needs a rank-2 weight but this one has rank " +
                                       std::to_string(rank) +
                                       " (Keras raises \"Inputs to OrthogonalRegularizer must have rank 2\")");
  throw Error(ErrorKind::internal, "no regularizer math for class '" + c + "'");
}

engine::ConstraintSpec constraint_spec(const KerasObject& o, size_t rank, const std::string& where) {
  engine::ConstraintSpec s;
  const std::string& c = o.class_name;
  if (c == "RadialConstraint")
    throw Error(ErrorKind::config, where + ": RadialConstraint needs a rank-4 weight but this one has rank " +
                                       std::to_string(rank) + " (Keras raises \"The weight tensor must have rank 4\")");
  if (c == "NonNeg") s.kind = engine::ConstraintKind::non_neg;
  else if (c == "UnitNorm") s.kind = engine::ConstraintKind::unit_norm;
  else if (c == "MaxNorm") {
    s.kind = engine::ConstraintKind::max_norm;
    s.max_value = o.number("max_value");
  } else if (c == "MinMaxNorm") {
    s.kind = engine::ConstraintKind::min_max_norm;
    s.min_value = o.number("min_value");
    s.max_value = o.number("max_value");
    s.rate = o.number("rate");
  } else {
    throw Error(ErrorKind::internal, "no constraint math for class '" + c + "'");
  }
  s.axes = o.axis;
  if (c == "NonNeg") s.axes = std::vector<int64_t>{};
  try {
    engine::constraint_axes(s, rank);
  } catch (const Error& e) {
    throw Error(ErrorKind::config, where + ": " + describe(o) + ": " + e.what());
  }
  return s;
}

std::string describe(const KerasObject& o) {
  if (o.empty()) return "None";
  std::string out = o.class_name + "(";
  bool first = true;
  const auto add = [&](const std::string& item) {
    out += (first ? "" : ", ") + item;
    first = false;
  };
  for (const auto& [k, v] : o.args) add(k + "=" + number_text(v));
  for (const auto& [k, v] : o.texts) add(k + "='" + v + "'");
  if (const ObjectSchema* s = find_schema(ObjectKind::constraint, o.class_name); s && s->has_axis) {
    std::string axis = "None";
    if (o.axis) {
      axis = o.axis_is_list ? "[" : "";
      for (size_t i = 0; i < o.axis->size(); ++i) axis += (i ? ", " : "") + std::to_string((*o.axis)[i]);
      if (o.axis_is_list) axis += "]";
    }
    add("axis=" + axis);
  }
  if (const ObjectSchema* s = find_schema(ObjectKind::initializer, o.class_name); s && s->has_seed)
    add("seed=" + (o.seed ? std::to_string(*o.seed) : std::string("None")));
  return out + ")";
}

}  // namespace voxconv::keras
