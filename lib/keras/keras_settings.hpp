#pragma once
// What Keras reads from its own settings file: only image_data_format matters here.
#include <string>

namespace voxconv::keras {

struct ImageDataFormatDefault {
  bool channels_first = false;
  std::string source;  // "keras.json at <path>" or "Keras default (no keras.json)"
};

// Keras' rule: $KERAS_HOME/keras.json when KERAS_HOME is set, else ~/.keras/keras.json;
// "image_data_format" there, else channels_last. A keras.json that exists but is not
// valid JSON is ignored by Keras, and so here (the source says so).
ImageDataFormatDefault image_data_format_default();

}  // namespace voxconv::keras
