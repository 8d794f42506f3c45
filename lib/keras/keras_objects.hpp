#pragma once
// The Keras initializers, regularizers and constraints a Conv3D config can name: their
// classes, every argument with its default (what get_config() writes), and how each maps
// onto voxconv's math (engine/initializers, engine/regularizers, engine/constraints).
// Plain data: the JSON reading is in layer_config.cpp, the writing in config_writer.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/constraints.hpp"
#include "engine/initializers.hpp"
#include "engine/regularizers.hpp"

namespace voxconv::keras {

enum class ObjectKind { initializer, regularizer, constraint };
const char* to_string(ObjectKind kind) noexcept;  // "initializer", ...

// A regularizer, constraint or initializer as Keras' from_config builds it: its canonical
// class and every argument of that class, defaults filled in.
struct KerasObject {
  std::string class_name;  // canonical class, e.g. "GlorotUniform", "L2", "MaxNorm"; empty = None
  std::vector<std::pair<std::string, double>> args;         // numeric arguments, in get_config() order
  std::vector<std::pair<std::string, std::string>> texts;   // string arguments (mode, distribution)
  std::optional<int64_t> seed;                              // initializers with a seed; nullopt = null
  std::optional<std::vector<int64_t>> axis;                 // constraints with an axis; nullopt = None
  bool axis_is_list = false;                                // written as a list rather than an int
  std::string string_form;  // the name when the config gave a bare string ("l2"), else ""
  std::string json;         // compact JSON of the original value, for display

  bool empty() const { return class_name.empty(); }
  double number(const std::string& name) const;  // ErrorKind::internal when the class has no such argument
  const std::string& text(const std::string& name) const;
};

// Same class and arguments (the written form and the original JSON are not compared).
bool same_object(const KerasObject& a, const KerasObject& b);

// The arguments of one class.
struct ObjectSchema {
  std::string class_name;
  std::vector<std::pair<std::string, double>> numbers;       // name, default
  std::vector<std::pair<std::string, std::string>> texts;    // name, default
  bool has_seed = false;
  bool has_axis = false;  // default 0
};

// The schema of a canonical class, or nullptr.
const ObjectSchema* find_schema(ObjectKind kind, const std::string& class_name);
// Canonical class for a name a config may use (snake-case string forms, class names and
// the aliases of every Keras version), or "" when unknown.
std::string canonical_class(ObjectKind kind, const std::string& name);
// The object a bare name stands for, every argument at its default ("glorot_uniform" ->
// GlorotUniform(seed=None); "l1_l2" -> L1L2(l1=0.01, l2=0.01), Keras 2's special case). Throws ErrorKind::internal for an unknown name.
KerasObject make_object(ObjectKind kind, const std::string& name);

// The draw an initializer makes (glorot_*, he_*, lecun_* become their variance scaling).
engine::InitializerSpec initializer_spec(const KerasObject& object);

// The L1/L2 factors of a regularizer. `where` names the config key in messages. Throws
// ErrorKind::config for OrthogonalRegularizer on a weight that is not 2-D (`rank`), with
// Keras' message ("Inputs to OrthogonalRegularizer must have rank 2").
engine::L1L2Penalty regularizer_penalty(const KerasObject& object, size_t rank, const std::string& where);

// The constraint's math. Throws ErrorKind::config for RadialConstraint on a weight that is
// not 4-D (Keras: "The weight tensor must have rank 4") and for an axis out of range.
engine::ConstraintSpec constraint_spec(const KerasObject& object, size_t rank, const std::string& where);

// "L2(l2=0.01)", "MaxNorm(max_value=2, axis=0)", "GlorotUniform(seed=None)": for messages and `info`.
std::string describe(const KerasObject& object);

}  // namespace voxconv::keras
