// Real ONNX Runtime sessions on a real tiny μLM exported by training/make_fixture.py (ctest
// fixture "tiny_model"; HEADSTART_FIXTURE_DIR points at its output).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/prompt_cache.h"
#include "core/turn.h"
#include "core/utf8.h"
#include "native/ort_model.h"

using namespace headstart;

namespace {

std::string fixture(const std::string& name) {
    const char* dir = std::getenv("HEADSTART_FIXTURE_DIR");
    REQUIRE(dir != nullptr);  // set by ctest; the fixture step builds the files
    return std::string(dir) + "/" + name;
}

nlohmann::json read_json(const std::string& name) {
    std::ifstream in(fixture(name));
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
}

// torch's side (training/make_fixture.py): model shape, prompt_ids, prefill_last_logits, greedy_ids.
nlohmann::json reference() { return read_json("reference.json"); }

std::unique_ptr<LanguageModel> load(const std::string& name) {
    auto model = load_ort_model(fixture(name));
    INFO((model.ok() ? std::string() : model.error()));
    REQUIRE(model.ok());
    return std::move(model.value());
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    float m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

int argmax(const std::vector<float>& v) { return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin()); }

void write_file(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

}  // namespace

TEST_CASE("ort: the tiny model loads and its shape is read from the graph", "[ort]") {
    const auto arch = reference();
    auto model = load("tiny.onnx");
    const ModelInfo& info = model->info();
    CHECK(info.vocab_size == arch["vocab_size"].get<int>());
    CHECK(info.n_layers == arch["n_layers"].get<int>());
    CHECK(info.n_kv_heads == arch["n_kv_heads"].get<int>());
    CHECK(info.head_dim == arch["head_dim"].get<int>());
    CHECK(info.has_attention_mask);
    CHECK(info.has_position_ids);
}

TEST_CASE("ort: prefill logits equal torch's", "[ort]") {
    const auto ref = reference();
    auto model = load("tiny.onnx");
    const auto prompt = ref["prompt_ids"].get<std::vector<int>>();
    REQUIRE(model->prefill(prompt).ok());
    CHECK(model->past_length() == static_cast<int>(prompt.size()));
    const auto expected = ref["prefill_last_logits"].get<std::vector<float>>();
    CHECK(max_abs_diff(model->logits(), expected) < 1e-3f);
}

TEST_CASE("ort: step-by-step decode with the KV cache equals one prefill", "[ort]") {
    const auto ref = reference();
    auto model = load("tiny.onnx");
    auto ids = ref["prompt_ids"].get<std::vector<int>>();
    const auto greedy = ref["greedy_ids"].get<std::vector<int>>();
    REQUIRE(model->prefill(ids).ok());
    for (int t : greedy) {
        REQUIRE(model->step(t).ok());
        ids.push_back(t);
    }
    const std::vector<float> stepped = model->logits();
    REQUIRE(model->prefill(ids).ok());
    CHECK(model->past_length() == static_cast<int>(ids.size()));
    CHECK(max_abs_diff(stepped, model->logits()) < 1e-4f);
}

TEST_CASE("ort: greedy decoding reproduces torch's continuation", "[ort]") {
    const auto ref = reference();
    auto model = load("tiny.onnx");
    REQUIRE(model->prefill(ref["prompt_ids"].get<std::vector<int>>()).ok());
    std::vector<int> got;
    for (size_t i = 0; i < ref["greedy_ids"].size(); ++i) {
        got.push_back(argmax(model->logits()));
        REQUIRE(model->step(got.back()).ok());
    }
    CHECK(got == ref["greedy_ids"].get<std::vector<int>>());
}

TEST_CASE("ort: the int8 model stays close to the fp32 one", "[ort]") {
    const auto ref = reference();
    auto fp32 = load("tiny.onnx");
    auto int8 = load("tiny-int8.onnx");
    const auto prompt = ref["prompt_ids"].get<std::vector<int>>();
    REQUIRE(fp32->prefill(prompt).ok());
    REQUIRE(int8->prefill(prompt).ok());
    const auto& a = fp32->logits();
    const auto& b = int8->logits();
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    CHECK(dot / std::sqrt(na * nb) > 0.99);
}

TEST_CASE("ort: the shipped form's last-position logits ([1, 1, V]) are the full export's numbers", "[ort]") {
    const auto ref = reference();
    const auto prompt = ref["prompt_ids"].get<std::vector<int>>();
    auto full = load("tiny-int8.dq-folded.onnx");  // the int8 export before quant.py: every position's logits
    auto shipped = load("tiny-int8.onnx");         // training/quant.py "dq-last", folded to fp32 at load
    REQUIRE(full->prefill(prompt).ok());
    REQUIRE(shipped->prefill(prompt).ok());
    CHECK(shipped->logits().size() == full->logits().size());
    CHECK(max_abs_diff(full->logits(), shipped->logits()) < 1e-4f);
    std::vector<int> a{argmax(full->logits())}, b{argmax(shipped->logits())};
    for (int i = 0; i < 12; ++i) {  // decode steps: one row of logits each, read from the output's shape
        REQUIRE(full->step(a.back()).ok());
        REQUIRE(shipped->step(b.back()).ok());
        CHECK(max_abs_diff(full->logits(), shipped->logits()) < 1e-4f);
        a.push_back(argmax(full->logits()));
        b.push_back(argmax(shipped->logits()));
    }
    CHECK(a == b);
    const auto torch_greedy = ref["int8_rounded_weights"]["greedy_ids"].get<std::vector<int>>();  // torch, same weights
    REQUIRE(torch_greedy.size() <= a.size());
    CHECK(std::vector<int>(a.begin(), a.begin() + static_cast<long>(torch_greedy.size())) == torch_greedy);
}

TEST_CASE(
    "ort: the loader's kernels: fp32 folds the shipped forms exactly, nbits8-b32 gives quant.py's nbits8-b32(-head)",
    "[ort]") {
    const auto prompt = reference()["prompt_ids"].get<std::vector<int>>();
    auto with = [](const std::string& kernels) {
        OrtModelOptions o;
        o.kernels = kernels;
        return o;
    };
    auto folded = load_ort_model(fixture("tiny-int8.onnx"), with("fp32"));
    auto fused = load_ort_model(fixture("tiny-int8.onnx"), with("nbits8-b32"));
    auto head_folded = load_ort_model(fixture("tiny-int8.dq-head-last.onnx"), with("fp32"));
    auto head_fused = load_ort_model(fixture("tiny-int8.dq-head-last.onnx"), with("nbits8-b32"));
    REQUIRE(folded.ok());
    REQUIRE(fused.ok());
    REQUIRE(head_folded.ok());
    REQUIRE(head_fused.ok());
    CHECK((*folded)->info().kernels == "fp32");
    CHECK((*fused)->info().kernels == "nbits8-b32");
    auto fp32 = load("tiny-int8.fp32.onnx");             // quant.py: every weight fp32 on disk
    auto nbits = load("tiny-int8.nbits8-b32.onnx");      // quant.py: MatMulNBits written into the file
    auto head = load("tiny-int8.nbits8-b32-head.onnx");  // and the tied output projection too
    std::vector<LanguageModel*> all = {folded->get(), fused->get(), head_folded->get(), head_fused->get(),
                                       fp32.get(),    nbits.get(),  head.get()};
    for (auto* m : all) REQUIRE(m->prefill(prompt).ok());
    int next = argmax(fp32->logits());
    for (int i = 0; i < 8; ++i) {
        CHECK(max_abs_diff((*folded)->logits(), fp32->logits()) < 1e-5f);
        CHECK(max_abs_diff((*fused)->logits(), nbits->logits()) < 1e-5f);  // the same kernels, made at load
        CHECK(max_abs_diff((*head_folded)->logits(), fp32->logits()) < 1e-5f);
        CHECK(max_abs_diff((*head_fused)->logits(), head->logits()) < 1e-5f);  // and the output projection too
        CHECK(max_abs_diff((*head_fused)->logits(), (*fused)->logits()) > 0.0f);
        const float moved = max_abs_diff((*fused)->logits(), fp32->logits());
        CHECK(moved > 0.0f);  // int8 activations: the kernels did change
        CHECK(moved < 0.5f);
        CHECK(max_abs_diff(head->logits(), fp32->logits()) < 0.5f);
        for (auto* m : all) REQUIRE(m->step(next).ok());
        next = argmax(fp32->logits());
    }
}

TEST_CASE("ort: kernels \"auto\" is what kernels.json beside the model says, anything else there means fp32", "[ort]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "headstart-kernels-test";
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy_file(fixture("tiny-int8.onnx"), dir / "tiny-int8.onnx");
    const std::string model = (dir / "tiny-int8.onnx").string();
    auto loaded_kernels = [&] {
        auto m = load_ort_model(model);
        INFO((m.ok() ? std::string() : m.error()));
        REQUIRE(m.ok());
        return (*m)->info().kernels;
    };
    CHECK(chosen_kernels(model) == "fp32");  // no manifest
    CHECK(loaded_kernels() == "fp32");
    write_file((dir / "kernels.json").string(), R"({"native": {"tiny-int8.onnx": "nbits8-b64"}})");
    CHECK(chosen_kernels(model) == "nbits8-b64");
    CHECK(loaded_kernels() == "nbits8-b64");
    for (const char* bad : {"{ not json", R"({"native": {"tiny-int8.onnx": "nbits8-b48"}})",
                            R"({"native": {"tiny-int8.onnx": 32}})", R"({"native": {"other.onnx": "nbits8-b32"}})",
                            R"({"native": {"tiny-int8.onnx": "auto"}})", R"(["nbits8-b32"])"}) {
        write_file((dir / "kernels.json").string(), bad);
        INFO(bad);
        CHECK(chosen_kernels(model) == "fp32");
        CHECK(loaded_kernels() == "fp32");
    }
    for (const char* bad : {"nbits8-b8", "nbits8-b512", "nbits8-b33", "nbits4-b32", "int8", "", "nbits8-b"}) {
        INFO(bad);
        CHECK_FALSE(check_kernels(bad).empty());
        OrtModelOptions o;
        o.kernels = bad;
        auto m = load_ort_model(model, o);
        REQUIRE_FALSE(m.ok());
        CHECK_THAT(m.error(), Catch::Contains("unknown kernels"));
    }
    for (const char* good : {"auto", "fp32", "nbits8-b16", "nbits8-b32", "nbits8-b256"})
        CHECK(check_kernels(good).empty());
    fs::remove_all(dir);
}

TEST_CASE("ort: bad model files give a readable error, not a crash", "[ort]") {
    SECTION("missing") {
        auto m = load_ort_model("no/such/model.onnx");
        REQUIRE_FALSE(m.ok());
        CHECK_THAT(m.error(), Catch::Contains("not found") && Catch::Contains("no/such/model.onnx"));
    }
    SECTION("not ONNX at all") {
        write_file("garbage.onnx", "this is not a protobuf \x01\x02\x03");
        auto m = load_ort_model("garbage.onnx");
        REQUIRE_FALSE(m.ok());
        CHECK_THAT(m.error(), Catch::Contains("cannot load model"));
    }
    SECTION("truncated") {
        std::ifstream in(fixture("tiny.onnx"), std::ios::binary);
        std::stringstream all;
        all << in.rdbuf();
        write_file("truncated.onnx", all.str().substr(0, all.str().size() / 2));
        auto m = load_ort_model("truncated.onnx");
        REQUIRE_FALSE(m.ok());
        CHECK_THAT(m.error(), Catch::Contains("truncated.onnx"));
    }
    SECTION("a valid ONNX model of another layout (no input_ids, no KV cache)") {
        auto m = load_ort_model(fixture("wrong-layout.onnx"));
        REQUIRE_FALSE(m.ok());
        INFO(m.error());
        CHECK_THAT(m.error(), Catch::Contains("wrong-layout.onnx"));
        CHECK_THAT(m.error(), Catch::Contains("input_ids"));
    }
}

TEST_CASE("ort: misuse is reported as an error", "[ort]") {
    auto model = load("tiny.onnx");
    CHECK_FALSE(model->step(1).ok());                       // no prefill yet
    CHECK_FALSE(model->prefill({}).ok());                   // empty prompt
    auto bad = model->prefill({model->info().vocab_size});  // outside the vocabulary
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.error(), Catch::Contains("outside the vocabulary"));
    REQUIRE(model->prefill({1, 2, 3}).ok());  // and it recovers
    CHECK(model->step(4).ok());
}

TEST_CASE("ort: extend keeps a prefix of the KV cache and equals a cold prefill", "[ort]") {
    const auto ref = reference();
    auto model = load("tiny.onnx");
    auto ids = ref["prompt_ids"].get<std::vector<int>>();
    const auto greedy = ref["greedy_ids"].get<std::vector<int>>();
    REQUIRE(ids.size() >= 3);
    const int keep = static_cast<int>(ids.size()) - 2;
    // The cache holds the prompt and a continuation; keep `keep` of it, run other tokens after it.
    REQUIRE(model->prefill(ids).ok());
    for (int t : greedy) REQUIRE(model->step(t).ok());
    std::vector<int> tail(greedy.begin(), greedy.begin() + 3);
    REQUIRE(model->extend(keep, tail).ok());
    CHECK(model->past_length() == keep + 3);
    const std::vector<float> extended = model->logits();
    std::vector<int> whole(ids.begin(), ids.begin() + keep);
    whole.insert(whole.end(), tail.begin(), tail.end());
    REQUIRE(model->prefill(whole).ok());
    CHECK(max_abs_diff(extended, model->logits()) < 1e-4f);
    // Steps go on from the cut cache.
    REQUIRE(model->extend(keep, tail).ok());
    REQUIRE(model->step(greedy[4]).ok());
    const std::vector<float> stepped = model->logits();
    whole.push_back(greedy[4]);
    REQUIRE(model->prefill(whole).ok());
    CHECK(max_abs_diff(stepped, model->logits()) < 1e-4f);
    // extend(0, p) is a prefill; extend(past, {t}) a step.
    REQUIRE(model->extend(0, ids).ok());
    CHECK(model->past_length() == static_cast<int>(ids.size()));
    REQUIRE(model->extend(model->past_length(), {greedy[0]}).ok());
    CHECK(model->past_length() == static_cast<int>(ids.size()) + 1);
}

TEST_CASE("ort: extend refuses what the cache cannot hold", "[ort]") {
    auto model = load("tiny.onnx");
    REQUIRE(model->prefill({1, 2, 3}).ok());
    auto more = model->extend(4, {5});
    REQUIRE_FALSE(more.ok());
    CHECK_THAT(more.error(), Catch::Contains("cannot keep 4 of 3"));
    CHECK_FALSE(model->extend(2, {}).ok());
    CHECK_FALSE(model->extend(-1, {5}).ok());
    CHECK(model->extend(2, {5}).ok());  // and it goes on
    CHECK(model->past_length() == 3);
}

TEST_CASE("ort: a prompt pre-read while typed gives the cold prefill's logits", "[ort][prompt_cache]") {
    auto tok = Tokenizer::load(fixture("tokenizer.json"));
    REQUIRE(tok.ok());
    auto inner = load("tiny.onnx");
    auto cold = load("tiny.onnx");
    CachingModel model(*inner);
    const TurnConfig config;
    const std::string question = "What is the capital of France?";
    const auto prompt = mulm_prompt_ids(*tok, question, /*open_answer=*/true);

    // Typed word by word: each pre-read extends the cache; it always is a prefix of the prompt.
    std::string typed;
    for (const std::string piece : {"What ", "is ", "the ", "capital ", "of ", "Fra"}) {
        typed += piece;
        const auto prefix = prompt_prefix(*tok, typed, config);
        REQUIRE(prefix.size() < prompt.size());
        CHECK(std::equal(prefix.begin(), prefix.end(), prompt.begin()));
        REQUIRE(model.preread(prefix).ok());
        CHECK(model.cache().held() == prefix);
    }
    const int read_ahead = static_cast<int>(model.cache().held().size());
    REQUIRE(model.prefill(prompt).ok());
    CHECK(model.reused_on_last_prefill() == read_ahead);
    REQUIRE(cold->prefill(prompt).ok());
    CHECK(max_abs_diff(model.logits(), cold->logits()) < 1e-4f);

    // The same question again (after an opener): all but its last token come from the cache.
    for (int t : {5, 6, 7}) REQUIRE(model.step(t).ok());
    REQUIRE(model.prefill(prompt).ok());
    CHECK(model.reused_on_last_prefill() == static_cast<int>(prompt.size()) - 1);
    CHECK(max_abs_diff(model.logits(), cold->logits()) < 1e-4f);

    // Another question shares "<|im_start|>user\n" with it; after a pause the whole prompt is
    // read, ChatML tail included, and Enter runs its last token only.
    const std::string other = "Why is the sky blue?";
    const auto other_prompt = mulm_prompt_ids(*tok, other, true);
    const auto whole = prompt_prefix(*tok, "  " + other + " ", config, /*whole=*/true);
    CHECK(whole == other_prompt);
    REQUIRE(model.preread(whole).ok());
    REQUIRE(model.prefill(other_prompt).ok());
    CHECK(model.reused_on_last_prefill() == static_cast<int>(other_prompt.size()) - 1);
    REQUIRE(cold->prefill(other_prompt).ok());
    CHECK(max_abs_diff(model.logits(), cold->logits()) < 1e-4f);
}

TEST_CASE("ort: nothing is pre-read for a cloud-only turn or an oversized question", "[ort][prompt_cache]") {
    auto tok = Tokenizer::load(fixture("tokenizer.json"));
    REQUIRE(tok.ok());
    TurnConfig config;
    config.opener_source = OpenerSource::None;
    CHECK(prompt_prefix(*tok, "What is the capital", config).empty());
    config.opener_source = OpenerSource::Model;
    config.max_question_bytes = 8;
    CHECK(prompt_prefix(*tok, "What is the capital", config).empty());
    CHECK(prompt_prefix(Tokenizer(), "What is", TurnConfig{}).empty());  // not a ChatML tokenizer
    // A question of invalid UTF-8 is pre-read as Turn::begin() will see it (repaired).
    const std::string bad = "caf\xC3 au lait please";
    const auto prefix = prompt_prefix(*tok, bad, TurnConfig{});
    const auto prompt = mulm_prompt_ids(*tok, repair_utf8(bad), true);
    REQUIRE(prefix.size() < prompt.size());
    CHECK(std::equal(prefix.begin(), prefix.end(), prompt.begin()));
}
