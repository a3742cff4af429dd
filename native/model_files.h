// native/model_files.h — which trained μLMs ship in a models folder, in one place for every native
// program (the desktop's model list, `headstart ask` / `bench`, headstart-cloud's default).
//
//   trained_models(dir)   every mulm-<N>m-int8.onnx in dir that has dir/tokenizer.json beside it,
//                         ordered as dir/models.json ranks them (written by training/card.py from
//                         the evaluation: the default first), else smallest first
//   default_model(dir)    the first of those: the one the evaluation chose
//   largest_model(dir)    the most parameters (headstart-cloud's stand-in continues with it)
//   parameter_count_m()   the N of "mulm-<N>m-int8.onnx" (0 when the name has none)
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace headstart {

struct TrainedModel {
    std::string label;           // "μLM 8m (int8)"
    std::string model_path;      // dir/mulm-8m-int8.onnx
    std::string tokenizer_path;  // dir/tokenizer.json
    int size_m = 0;              // 8
};

std::vector<TrainedModel> trained_models(const std::string& dir = "assets/models");
std::optional<TrainedModel> default_model(const std::string& dir = "assets/models");
std::optional<TrainedModel> largest_model(const std::string& dir = "assets/models");
int parameter_count_m(const std::string& file_name);

}  // namespace headstart
