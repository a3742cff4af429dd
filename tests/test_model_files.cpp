// tests/test_model_files.cpp — native/model_files.h on a scratch folder: which trained μLMs are
// found, in which order (models.json's ranking, else by size), and what a bad manifest does.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "native/model_files.h"

using namespace headstart;
namespace fs = std::filesystem;

namespace {

struct ScratchDir {
    fs::path path;
    ScratchDir() {
        path = fs::temp_directory_path() /
               ("headstart-models-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
        fs::create_directories(path);
    }
    ~ScratchDir() { fs::remove_all(path); }
    void write(const std::string& name, const std::string& text = "x") const { std::ofstream(path / name) << text; }
    std::string str() const { return path.string(); }
};

}  // namespace

TEST_CASE("model files: the size is read from the file name only", "[model_files]") {
    CHECK(parameter_count_m("mulm-8m-int8.onnx") == 8);
    CHECK(parameter_count_m("mulm-28m-int8.onnx") == 28);
    CHECK(parameter_count_m("mulm-8m.onnx") == 0);
    CHECK(parameter_count_m("mulm-xm-int8.onnx") == 0);
    CHECK(parameter_count_m("tiny.onnx") == 0);
    CHECK(parameter_count_m("mulm--int8.onnx") == 0);
}

TEST_CASE("model files: trained models by size, none without a tokenizer", "[model_files]") {
    ScratchDir d;
    d.write("mulm-16m-int8.onnx");
    d.write("mulm-8m-int8.onnx");
    d.write("mulm-8m-int8.json");
    d.write("tiny.onnx");
    CHECK(trained_models(d.str()).empty());  // no tokenizer.json beside them
    d.write("tokenizer.json", "{}");
    const auto models = trained_models(d.str());
    REQUIRE(models.size() == 2);
    CHECK(models[0].size_m == 8);
    CHECK(models[1].size_m == 16);
    CHECK(models[0].tokenizer_path == d.str() + "/tokenizer.json");
    CHECK(models[0].label == "\xC2\xB5LM 8m (int8)");
    CHECK(default_model(d.str())->size_m == 8);
    CHECK(largest_model(d.str())->size_m == 16);
    CHECK_FALSE(default_model((d.path / "missing").string()).has_value());
}

TEST_CASE("model files: models.json's ranking chooses the default, a bad one falls back to size", "[model_files]") {
    ScratchDir d;
    d.write("tokenizer.json", "{}");
    d.write("mulm-8m-int8.onnx");
    d.write("mulm-16m-int8.onnx");
    d.write("mulm-28m-int8.onnx");
    d.write(
        "models.json",
        R"({"ranking":[{"file":"mulm-16m-int8.onnx"},{"file":"mulm-gone-int8.onnx"},{"file":"mulm-8m-int8.onnx"}]})");
    auto models = trained_models(d.str());
    REQUIRE(models.size() == 3);
    CHECK(models[0].size_m == 16);  // ranked first
    CHECK(models[1].size_m == 8);
    CHECK(models[2].size_m == 28);  // unranked: after the ranked ones
    CHECK(default_model(d.str())->size_m == 16);
    CHECK(largest_model(d.str())->size_m == 28);

    d.write("models.json", "{ not json");
    models = trained_models(d.str());
    REQUIRE(models.size() == 3);
    CHECK(models[0].size_m == 8);
}
