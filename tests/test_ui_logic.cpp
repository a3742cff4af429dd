// tests/test_ui_logic.cpp — the parts of ui/ that need no window: the controls' mapping to a
// TurnRequest (ui/controls.h) and the script parser (ui/script.h).
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "ui/controls.h"
#include "ui/script.h"

using namespace ui;

TEST_CASE("controls: the settings become the turn's config", "[ui]") {
    Controls c;
    REQUIRE(c.set("pace", "240") == "");
    REQUIRE(c.set("opener_words", "3-6") == "");
    REQUIRE(c.set("temperature", "0.2") == "");
    REQUIRE(c.set("seed", "42") == "");
    REQUIRE(c.set("profile", "satellite") == "");
    REQUIRE(c.set("method", "pivot") == "");
    REQUIRE(c.set("endpoint", "http://127.0.0.1:9999") == "");
    REQUIRE(c.set("max_tokens", "32") == "");
    const TurnRequest r = c.request("Why?", headstart::OpenerSource::Model);
    CHECK(r.question == "Why?");
    CHECK(r.config.presenter.words_per_minute == Approx(240));
    CHECK(r.config.opener.words_per_minute == Approx(240));
    CHECK(r.config.opener.min_words == 3);
    CHECK(r.config.opener.max_words == 6);
    CHECK(r.config.sampler.temperature == Approx(0.2));
    CHECK(r.config.sampler.seed == 42u);
    CHECK(r.config.forced_verdict == "pivot");
    CHECK(r.latency_profile == "satellite");
    CHECK(r.config.latency_profile == "satellite");
    CHECK(r.endpoint.base_url == "http://127.0.0.1:9999");
    CHECK(r.endpoint.model == "headstart-cloud");
    CHECK(r.config.handoff.max_tokens == 32);
    CHECK(headstart::validate(r.config.opener).ok());
    CHECK(headstart::validate(r.config.sampler).ok());
}

TEST_CASE("controls: forced gate, fixed and latency-aware policies, OpenAI endpoints", "[ui]") {
    Controls c;
    c.set("method", "gate");
    c.set("gate", "off");
    auto r = c.request("q", headstart::OpenerSource::Model);
    CHECK(r.config.gate.enabled);  // forcing the gate turns it on
    CHECK(r.config.gate.min_word_logprob > headstart::ConfidenceGateConfig{}.min_word_logprob);
    CHECK(r.config.forced_verdict == "continue");

    c.set("policy", "fixed");
    c.set("opener_words", "4-7");
    r = c.request("q", headstart::OpenerSource::Model);
    CHECK(r.config.opener.min_words == 7);
    CHECK_FALSE(r.config.opener.prefer_clause_boundary);

    c.set("policy", "latency");
    c.set("profile", "congested");
    r = c.request("q", headstart::OpenerSource::Model);
    CHECK(r.config.opener.expected_cloud_latency_ms == Approx(2000));
    c.measured_cloud_ttft_ms = 1234.0;
    CHECK(c.request("q", headstart::OpenerSource::Model).config.opener.expected_cloud_latency_ms == Approx(1234));

    c.set("openai_url", "https://api.example.com/v1");
    c.set("api_key", "sk-test");
    c.set("cloud_model", "gpt-x");
    r = c.request("q", headstart::OpenerSource::None);
    CHECK(r.config.opener_source == headstart::OpenerSource::None);
    CHECK(r.endpoint.base_url == "https://api.example.com/v1");
    CHECK(r.endpoint.api_key == "sk-test");
    CHECK(r.config.handoff.model == "gpt-x");
    CHECK(r.latency_profile.empty());  // a hosted LLM gets no headstart_latency field

    CHECK(c.set("method", "sometimes") != "");
    CHECK(c.set("pace", "fast") != "");
    CHECK(c.set("no_such_control", "1") != "");
}

TEST_CASE("script: commands, comments and waits parse; mistakes name their line", "[ui]") {
    auto ok = Script::parse(
        "# a comment\n"
        "set pace 240   # trailing comment\n"
        "\n"
        "ask What is C #?\n"
        "wait cloud_token 30\n"
        "wait 500 ms\n"
        "wait 1.5s\n"
        "race\n"
        "view race\n"
        "inspect 2\n"
        "study rate a\n"
        "screenshot out.png\n"
        "state out.json\n"
        "quit\n");
    REQUIRE(ok.ok());
    CHECK_FALSE(ok->finished());

    auto bad = Script::parse("set pace 200\nwait forever\n");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().find("line 2") != std::string::npos);
    CHECK_FALSE(Script::parse("dance\n").ok());
    CHECK_FALSE(Script::parse("ask\n").ok());
    CHECK_FALSE(Script::parse("view sideways\n").ok());
    CHECK_FALSE(Script::parse("screenshot\n").ok());
    CHECK_FALSE(Script::parse("wait done soon\n").ok());
    CHECK(Script::parse("").ok());
}

TEST_CASE("controls: the preset questions are assets/prompts/presets.jsonl, in order", "[ui]") {
    // scripts/eval measures the demo's first impression on that file; it must be what the app offers.
    std::ifstream in(std::string(HEADSTART_SOURCE_DIR) + "/assets/prompts/presets.jsonl");
    REQUIRE(in.good());
    std::vector<std::string> file;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) file.push_back(nlohmann::json::parse(line)["question"].get<std::string>());
    CHECK(file == preset_questions());
}
