// tests/test_completion_request.cpp — cloud/completion_request.h: what headstart-cloud reads from a
// request body before it generates anything, and the OpenAI-style error for each bad body.
#include <catch2/catch.hpp>

#include "cloud/completion_request.h"

using namespace headstart;

namespace {

CompletionLimits limits() {
    CompletionLimits l;
    l.model_name = "headstart-cloud";
    l.max_tokens_cap = 64;
    return l;
}

RequestError error_of(const std::string& body, bool chat = true) {
    const auto r = parse_completion_request(body, chat, limits());
    REQUIRE_FALSE(r.ok());
    return r.failure();
}

}  // namespace

TEST_CASE("completion request: chat messages give the question and a trailing assistant opener", "[request]") {
    const auto r = parse_completion_request(
        R"({"model":"headstart-cloud","stream":true,"max_tokens":500,"temperature":0.5,"seed":3,"stop":["\n\n"],
            "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Why is the sky blue?"},
                        {"role":"assistant","content":"The sky is blue because"}]})",
        true, limits());
    REQUIRE(r.ok());
    CHECK(r->stream);
    CHECK(r->task.system == "Be brief.");
    CHECK(r->task.question == "Why is the sky blue?");
    CHECK(r->task.opener == "The sky is blue because");
    CHECK(r->task.max_tokens == 64);  // capped
    CHECK(r->task.temperature == Approx(0.5));
    CHECK(r->task.seed == 3);
    REQUIRE(r->task.stop.size() == 1);
    CHECK(r->task.stop[0] == "\n\n");
}

TEST_CASE("completion request: an assistant message before the last user turn is no opener", "[request]") {
    const auto r = parse_completion_request(
        R"({"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},
                        {"role":"user","content":"Name a colour."}]})",
        true, limits());
    REQUIRE(r.ok());
    CHECK(r->task.question == "Name a colour.");
    CHECK(r->task.opener.empty());
    CHECK_FALSE(r->stream);
}

TEST_CASE("completion request: prefill mode reads ChatML that ends inside the answer", "[request]") {
    const auto r = parse_completion_request(
        R"({"prompt":"<|im_start|>user\nWhat is rust?<|im_end|>\n<|im_start|>assistant\nRust is","headstart_verdict":"pivot",
            "headstart_latency":"lte"})",
        false, limits());
    REQUIRE(r.ok());
    CHECK(r->task.question == "What is rust?");
    CHECK(r->task.opener == "Rust is");
    CHECK(r->task.forced_verdict == "pivot");
    CHECK(r->task.latency_profile == "lte");
}

TEST_CASE("completion request: each bad body has its status, code and param", "[request]") {
    RequestError e = error_of("{not json");
    CHECK(e.status == 400);
    CHECK(e.code == "invalid_json");
    CHECK(e.message.find("not valid JSON") != std::string::npos);
    CHECK(error_of("[1,2]").code == "invalid_json");

    e = error_of(R"({"model":"gpt-9","messages":[{"role":"user","content":"x"}]})");
    CHECK(e.status == 404);
    CHECK(e.code == "model_not_found");
    CHECK(e.param == "model");

    CHECK(error_of(R"({"messages":[]})").param == "messages");
    CHECK(error_of(R"({"messages":[{"role":"user"}]})").param == "messages");
    CHECK(error_of(R"({"messages":[{"role":"wizard","content":"x"}]})").message.find("wizard") != std::string::npos);
    CHECK(error_of(R"({"messages":[{"role":"system","content":"x"}]})").message == "no user message");
    CHECK(error_of(R"({"prompt":"no chatml here"})", false).param == "prompt");
    CHECK(error_of(R"({"prompt":7})", false).param == "prompt");

    const char* fields[][2] = {{R"("max_tokens":0)", "max_tokens"},
                               {R"("temperature":3)", "temperature"},
                               {R"("top_p":0)", "top_p"},
                               {R"("stream":"yes")", "stream"},
                               {R"("headstart_verdict":"maybe")", "headstart_verdict"},
                               {R"("headstart_latency":"moon")", "headstart_latency"},
                               {R"("stop":[1])", "stop"}};
    for (const auto& f : fields) {
        const std::string body = std::string(R"({"messages":[{"role":"user","content":"x"}],)") + f[0] + "}";
        INFO(body);
        e = error_of(body);
        CHECK(e.status == 400);
        CHECK(e.type == "invalid_request_error");
        CHECK(e.param == f[1]);
    }
}

TEST_CASE("completion request: stream_options.include_usage is read and checked", "[request]") {
    const auto r = parse_completion_request(
        R"({"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]})", true,
        limits());
    REQUIRE(r.ok());
    CHECK(r->include_usage);
    CHECK(error_of(R"({"stream_options":"yes","messages":[{"role":"user","content":"x"}]})").param == "stream_options");
    CHECK(error_of(R"({"stream_options":{"include_usage":1},"messages":[{"role":"user","content":"x"}]})").param ==
          "stream_options");
}

TEST_CASE("completion request: non-UTF-8 bytes are a JSON error, not a crash", "[request]") {
    const std::string body = std::string(R"({"messages":[{"role":"user","content":")") + "\xff\xfe" + "\"}]}";
    CHECK(error_of(body).code == "invalid_json");
}
