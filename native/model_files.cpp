// native/model_files.cpp — see model_files.h.
#include "native/model_files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace headstart {

namespace fs = std::filesystem;

int parameter_count_m(const std::string& file_name) {
    const std::string prefix = "mulm-", suffix = "m-int8.onnx";
    if (file_name.size() <= prefix.size() + suffix.size() || file_name.compare(0, prefix.size(), prefix) != 0 ||
        file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) != 0)
        return 0;
    const std::string digits = file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
    if (digits.empty() || digits.size() > 4 ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
        return 0;
    return std::stoi(digits);
}

namespace {

// File names in dir/models.json's "ranking" (best first); empty when there is none or it is unreadable
// (a bad manifest falls back to size order rather than hiding the models).
std::vector<std::string> ranking(const std::string& dir) {
    std::ifstream f(dir + "/models.json");
    if (!f) return {};
    const auto j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
    std::vector<std::string> out;
    if (!j.is_object() || !j.contains("ranking") || !j["ranking"].is_array()) return out;
    for (const auto& e : j["ranking"])
        if (e.is_object() && e.contains("file") && e["file"].is_string()) out.push_back(e["file"].get<std::string>());
    return out;
}

}  // namespace

std::vector<TrainedModel> trained_models(const std::string& dir) {
    std::vector<TrainedModel> models;
    const std::string tokenizer = dir + "/tokenizer.json";
    std::error_code ec;
    if (!fs::is_regular_file(tokenizer, ec)) return models;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        const int size = parameter_count_m(name);
        if (size <= 0 || !entry.is_regular_file(ec)) continue;
        models.push_back({"\xC2\xB5LM " + std::to_string(size) + "m (int8)", dir + "/" + name, tokenizer, size});
    }
    const std::vector<std::string> ranked = ranking(dir);
    auto rank = [&](const TrainedModel& m) {
        const std::string name = fs::path(m.model_path).filename().string();
        const auto it = std::find(ranked.begin(), ranked.end(), name);
        return static_cast<size_t>(it - ranked.begin());  // unranked ones after the ranked, by size
    };
    std::sort(models.begin(), models.end(), [&](const TrainedModel& a, const TrainedModel& b) {
        const size_t ra = rank(a), rb = rank(b);
        return ra != rb ? ra < rb : a.size_m < b.size_m;
    });
    return models;
}

std::optional<TrainedModel> default_model(const std::string& dir) {
    auto models = trained_models(dir);
    if (models.empty()) return std::nullopt;
    return models.front();
}

std::optional<TrainedModel> largest_model(const std::string& dir) {
    auto models = trained_models(dir);
    if (models.empty()) return std::nullopt;
    return *std::max_element(models.begin(), models.end(),
                             [](const TrainedModel& a, const TrainedModel& b) { return a.size_m < b.size_m; });
}

}  // namespace headstart
