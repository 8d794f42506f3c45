#include "keras/keras_settings.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace voxconv::keras {

ImageDataFormatDefault image_data_format_default() {
  namespace fs = std::filesystem;
  fs::path dir;
  if (const char* home = std::getenv("KERAS_HOME"); home && *home) {
    dir = home;
  } else if (const char* user_home = std::getenv("HOME"); user_home && *user_home) {
    dir = fs::path(user_home) / ".keras";
  }
  ImageDataFormatDefault result{false, "Keras default channels_last (no keras.json)"};
  if (dir.empty()) return result;
  const fs::path file = dir / "keras.json";
  std::ifstream in(file);
  if (!in) return result;
  const nlohmann::json settings = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!settings.is_object()) return {false, "Keras default channels_last (" + file.string() + " is not valid JSON)"};
  const auto it = settings.find("image_data_format");
  if (it == settings.end() || !it->is_string()) return {false, "Keras default channels_last (" + file.string() + ")"};
  return {it->get<std::string>() == "channels_first", "image_data_format in " + file.string()};
}

}  // namespace voxconv::keras
