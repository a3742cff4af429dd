// headstart-cloud over real sockets: CloudServer in-process on 127.0.0.1 (port 0) with the tiny
// ONNX model behind it, spoken to with cpp-httplib and read back with core's own SSE parser.
// Covers the server's contract: the OpenAI-compatible endpoints, OpenAI-style errors,
// the verdict protocol, injected latency, bounded concurrency, CORS and clients that hang up.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "cloud_fixture.h"
#include "core/handoff.h"
#include "core/sse.h"

using namespace headstart;
using namespace headstart_test;
using json = nlohmann::json;

extern char** environ;

namespace {

const std::string kQuestion = "What is the capital of France?";

std::string chat_body(bool stream, int max_tokens = 16) {
    return json{{"model", "headstart-cloud"},
                {"messages", {{{"role", "user"}, {"content", kQuestion}}}},
                {"max_tokens", max_tokens},
                {"stream", stream}}
        .dump();
}

httplib::Result post(const CloudFixture& cloud, const std::string& path, const std::string& body,
                     const httplib::Headers& headers = {}) {
    auto c = cloud.client();
    return c.Post(path.c_str(), headers, body, "application/json");
}

json parse(const std::string& s) {
    INFO(s);
    REQUIRE(json::accept(s));
    return json::parse(s);
}

// An OpenAI-style error body: {"error":{"message","type","param","code"}}.
json expect_error(const httplib::Result& r, int status) {
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == status);
    CHECK(r->get_header_value("Content-Type").find("application/json") != std::string::npos);
    json j = parse(r->body);
    REQUIRE(j.contains("error"));
    const json& e = j["error"];
    REQUIRE(e.is_object());
    CHECK(e["message"].is_string());
    CHECK_FALSE(e["message"].get<std::string>().empty());
    CHECK(e["type"].is_string());
    CHECK(e.contains("param"));
    CHECK(e.contains("code"));
    return e;
}

std::vector<StreamDelta> deltas_of(const StreamedResponse& r) {
    OpenAiStream s;
    std::vector<StreamDelta> out;
    for (const auto& [t, bytes] : r.chunks)
        for (auto& d : s.feed(bytes)) out.push_back(d);
    for (auto& d : s.finish()) out.push_back(d);
    return out;
}

std::string text_of(const std::vector<StreamDelta>& ds) {
    std::string t;
    for (const auto& d : ds)
        if (d.kind == StreamDelta::Kind::Text) t += d.text;
    return t;
}

// Checks the shape of a complete OpenAI stream: Text deltas, then one Finished, then Done.
void expect_well_formed_stream(const std::vector<StreamDelta>& ds) {
    REQUIRE(ds.size() >= 3);
    size_t i = 0;
    while (i < ds.size() && ds[i].kind == StreamDelta::Kind::Text) ++i;
    CHECK(i >= 1);
    REQUIRE(i + 2 == ds.size());
    CHECK(ds[i].kind == StreamDelta::Kind::Finished);
    CHECK((ds[i].text == "stop" || ds[i].text == "length"));
    CHECK(ds[i + 1].kind == StreamDelta::Kind::Done);
}

int health_in_flight(const CloudFixture& cloud) {
    auto c = cloud.client();
    auto r = c.Get("/health");
    REQUIRE(r);
    return parse(r->body)["in_flight"].get<int>();
}

// The handoff request core builds (chat mode, with an opener), plus a forced verdict.
std::string handoff_body(const std::string& opener, const std::string& verdict) {
    HandoffConfig hc;
    hc.max_tokens = 12;
    auto req = build_handoff_request(hc, kQuestion, opener);
    REQUIRE(req.ok());
    json body = json::parse(req->body);
    if (!verdict.empty()) body["headstart_verdict"] = verdict;
    return body.dump();
}

}  // namespace

TEST_CASE("cloud: /health and /v1/models describe the server", "[cloud]") {
    CloudServerOptions o = test_server_options();
    o.model_name = "tiny-cloud";
    o.max_concurrency = 3;
    CloudFixture cloud(o);
    auto c = cloud.client();
    auto h = c.Get("/health");
    REQUIRE(h);
    CHECK(h->status == 200);
    CHECK(h->get_header_value("Content-Type").find("application/json") != std::string::npos);
    const json hj = parse(h->body);
    CHECK(hj["status"] == "ok");
    CHECK(hj["model"] == "tiny-cloud");
    CHECK(hj["max_concurrency"] == 3);
    CHECK(hj["in_flight"] == 0);
    CHECK(hj["latency_profile"].is_string());

    auto m = c.Get("/v1/models");
    REQUIRE(m);
    CHECK(m->status == 200);
    const json mj = parse(m->body);
    CHECK(mj["object"] == "list");
    REQUIRE(mj["data"].is_array());
    REQUIRE(mj["data"].size() == 1);
    CHECK(mj["data"][0]["id"] == "tiny-cloud");
    CHECK(mj["data"][0]["object"] == "model");

    auto missing = c.Get("/v1/nothing-here");
    expect_error(missing, 404);
}

TEST_CASE("cloud: a streamed chat answer is SSE that core's parser reads as text, finish, [DONE]", "[cloud]") {
    CloudFixture cloud;
    const auto r = post_streamed(cloud, "/v1/chat/completions", chat_body(true));
    REQUIRE(r.completed);
    CHECK(r.status == 200);
    CHECK(r.content_type.rfind("text/event-stream", 0) == 0);
    // Every event is a data: line; the JSON chunks are chat.completion.chunk objects.
    CHECK(r.body.rfind("data: {", 0) == 0);
    CHECK(r.body.size() >= 14);
    CHECK(r.body.substr(r.body.size() - 14) == "data: [DONE]\n\n");
    SseParser sse;
    std::vector<SseEvent> events;
    REQUIRE(sse.feed(r.body, events).ok());
    REQUIRE(events.size() >= 3);
    for (size_t i = 0; i + 1 < events.size(); ++i) {
        const json j = parse(events[i].data);
        CHECK(j["object"] == "chat.completion.chunk");
        CHECK(j["model"] == "headstart-cloud");
        CHECK(j["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
        CHECK(j["choices"][0]["index"] == 0);
        if (i == 0) CHECK(j["choices"][0]["delta"]["role"] == "assistant");
    }
    const auto ds = deltas_of(r);
    expect_well_formed_stream(ds);
    CHECK_FALSE(text_of(ds).empty());
    // A plain question (no Headstart protocol) gets no verdict tag.
    CHECK(text_of(ds).find("[[") == std::string::npos);
}

TEST_CASE("cloud: a non-streaming chat answer is one chat.completion object", "[cloud]") {
    CloudFixture cloud;
    auto r = post(cloud, "/v1/chat/completions", chat_body(false));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type").find("application/json") != std::string::npos);
    const json j = parse(r->body);
    CHECK(j["object"] == "chat.completion");
    CHECK(j["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
    CHECK(j["model"] == "headstart-cloud");
    CHECK(j["created"].is_number_integer());
    REQUIRE(j["choices"].size() == 1);
    const json& ch = j["choices"][0];
    CHECK(ch["index"] == 0);
    CHECK(ch["message"]["role"] == "assistant");
    REQUIRE(ch["message"]["content"].is_string());
    CHECK_FALSE(ch["message"]["content"].get<std::string>().empty());
    CHECK((ch["finish_reason"] == "stop" || ch["finish_reason"] == "length"));
}

TEST_CASE("cloud: /v1/completions continues a ChatML prompt (prefill mode)", "[cloud]") {
    CloudFixture cloud;
    const std::string prompt = chatml_prompt("Be brief.", kQuestion, "The capital of France is");
    SECTION("whole") {
        auto r = post(cloud, "/v1/completions",
                      json{{"prompt", prompt}, {"max_tokens", 8}, {"stop", {"<|im_end|>"}}}.dump());
        REQUIRE(r);
        CHECK(r->status == 200);
        const json j = parse(r->body);
        CHECK(j["object"] == "text_completion");
        CHECK(j["id"].get<std::string>().rfind("cmpl-", 0) == 0);
        REQUIRE(j["choices"].size() == 1);
        REQUIRE(j["choices"][0]["text"].is_string());
        CHECK_FALSE(j["choices"][0]["text"].get<std::string>().empty());
        CHECK(j["choices"][0].contains("logprobs"));
        CHECK((j["choices"][0]["finish_reason"] == "stop" || j["choices"][0]["finish_reason"] == "length"));
    }
    SECTION("streamed") {
        const auto r = post_streamed(cloud, "/v1/completions",
                                     json{{"prompt", prompt}, {"max_tokens", 8}, {"stream", true}}.dump());
        REQUIRE(r.completed);
        CHECK(r.status == 200);
        CHECK(r.content_type.rfind("text/event-stream", 0) == 0);
        CHECK(r.body.find("\"object\":\"text_completion\"") != std::string::npos);
        const auto ds = deltas_of(r);
        expect_well_formed_stream(ds);
        CHECK_FALSE(text_of(ds).empty());
        // A system prompt without the verdict tags: no protocol, no tag.
        CHECK(text_of(ds).find("[[") == std::string::npos);
    }
}

TEST_CASE("cloud: bodies that are not a JSON object get 400 with an OpenAI error", "[cloud]") {
    CloudFixture cloud;
    SECTION("not JSON") {
        const json e = expect_error(post(cloud, "/v1/chat/completions", "{\"messages\": [oops"), 400);
        CHECK(e["type"] == "invalid_request_error");
        CHECK(e["code"] == "invalid_json");
        CHECK(e["message"].get<std::string>().find("not valid JSON") != std::string::npos);
    }
    SECTION("empty body") {
        const json e = expect_error(post(cloud, "/v1/completions", ""), 400);
        CHECK(e["code"] == "invalid_json");
    }
    SECTION("JSON, but an array") {
        const json e = expect_error(post(cloud, "/v1/chat/completions", "[1, 2, 3]"), 400);
        CHECK(e["code"] == "invalid_json");
        CHECK(e["message"].get<std::string>().find("object") != std::string::npos);
    }
    SECTION("JSON, but a string") {
        const json e = expect_error(post(cloud, "/v1/completions", "\"hello\""), 400);
        CHECK(e["code"] == "invalid_json");
    }
}

TEST_CASE("cloud: invalid UTF-8 inside a JSON string is a 400, not a crash", "[cloud]") {
    CloudFixture cloud;
    for (const std::string& bad : {std::string("\xff\xfe"), std::string("caf\xc3"), std::string("\xed\xa0\x80")}) {
        const std::string body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + bad + "\"}]}";
        const json e = expect_error(post(cloud, "/v1/chat/completions", body), 400);
        CHECK(e["code"] == "invalid_json");
        const json e2 = expect_error(post(cloud, "/v1/completions", "{\"prompt\":\"" + bad + "\"}"), 400);
        CHECK(e2["type"] == "invalid_request_error");
    }
    // Still serving.
    auto r = post(cloud, "/v1/chat/completions", chat_body(false, 4));
    REQUIRE(r);
    CHECK(r->status == 200);
}

TEST_CASE("cloud: an unknown model is 404 model_not_found", "[cloud]") {
    CloudFixture cloud;
    const std::string body =
        json{{"model", "gpt-9"}, {"messages", {{{"role", "user"}, {"content", kQuestion}}}}}.dump();
    const json e = expect_error(post(cloud, "/v1/chat/completions", body), 404);
    CHECK(e["code"] == "model_not_found");
    CHECK(e["param"] == "model");
    CHECK(e["message"].get<std::string>().find("gpt-9") != std::string::npos);
    const json e2 = expect_error(post(cloud, "/v1/completions", json{{"model", 7}, {"prompt", "x"}}.dump()), 404);
    CHECK(e2["code"] == "model_not_found");
}

TEST_CASE("cloud: a body over max_body_bytes is 413 with an OpenAI error", "[cloud]") {
    CloudServerOptions o = test_server_options();
    o.max_body_bytes = 4096;
    CloudFixture cloud(o);
    const std::string big = json{{"messages", {{{"role", "user"}, {"content", std::string(8000, 'a')}}}}}.dump();
    const json e = expect_error(post(cloud, "/v1/chat/completions", big), 413);
    CHECK(e["code"] == "request_too_large");
    CHECK(e["message"].get<std::string>().find("4096") != std::string::npos);
    // Just under the limit is served.
    const std::string small =
        json{{"messages", {{{"role", "user"}, {"content", kQuestion}}}}, {"max_tokens", 4}}.dump();
    auto r = post(cloud, "/v1/chat/completions", small);
    REQUIRE(r);
    CHECK(r->status == 200);
}

TEST_CASE("cloud: fields of the wrong type or range are 400 naming the param", "[cloud]") {
    CloudFixture cloud;
    const json user = {{{"role", "user"}, {"content", kQuestion}}};
    struct Case {
        const char* what;
        json body;
        const char* param;
    };
    const std::vector<Case> cases = {
        {"max_tokens a string", {{"messages", user}, {"max_tokens", "x"}}, "max_tokens"},
        {"max_tokens zero", {{"messages", user}, {"max_tokens", 0}}, "max_tokens"},
        {"max_tokens fractional", {{"messages", user}, {"max_tokens", 2.5}}, "max_tokens"},
        {"temperature 5", {{"messages", user}, {"temperature", 5}}, "temperature"},
        {"temperature a string", {{"messages", user}, {"temperature", "hot"}}, "temperature"},
        {"top_p 0", {{"messages", user}, {"top_p", 0}}, "top_p"},
        {"stream \"yes\"", {{"messages", user}, {"stream", "yes"}}, "stream"},
        {"stop a number", {{"messages", user}, {"stop", 3}}, "stop"},
        {"headstart_verdict unknown", {{"messages", user}, {"headstart_verdict", "maybe"}}, "headstart_verdict"},
        {"messages missing", {{"max_tokens", 4}}, "messages"},
        {"messages empty", {{"messages", json::array()}}, "messages"},
        {"messages not an array", {{"messages", "hi"}}, "messages"},
        {"message without content", {{"messages", {{{"role", "user"}}}}}, "messages"},
        {"unknown role", {{"messages", {{{"role", "wizard"}, {"content", "hi"}}}}}, "messages"},
        {"no user message", {{"messages", {{{"role", "system"}, {"content", "hi"}}}}}, "messages"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        const json e = expect_error(post(cloud, "/v1/chat/completions", c.body.dump()), 400);
        CHECK(e["type"] == "invalid_request_error");
        CHECK(e["param"] == c.param);
    }
    const json e = expect_error(post(cloud, "/v1/completions", json{{"prompt", 42}}.dump()), 400);
    CHECK(e["param"] == "prompt");
}

TEST_CASE("cloud: a prefill prompt that is not ChatML is 400", "[cloud]") {
    CloudFixture cloud;
    for (const std::string& prompt :
         {std::string("What is the capital of France?"),
          std::string("<|im_start|>user\nHi<|im_end|>\n"),  // no assistant turn
          std::string("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nDone.<|im_end|>\n"),
          std::string("<|im_start|>assistant\nNo question")}) {
        CAPTURE(prompt);
        const json e = expect_error(post(cloud, "/v1/completions", json{{"prompt", prompt}}.dump()), 400);
        CHECK(e["param"] == "prompt");
        CHECK(e["message"].get<std::string>().find("ChatML") != std::string::npos);
    }
}

TEST_CASE("cloud: the verdict protocol — a handoff request with a forced pivot starts with [[pivot]]", "[cloud]") {
    CloudFixture cloud;
    SECTION("chat mode, core's handoff request") {
        const auto r = post_streamed(cloud, "/v1/chat/completions", handoff_body("The capital of France is", "pivot"));
        REQUIRE(r.completed);
        REQUIRE(r.status == 200);
        const auto ds = deltas_of(r);
        expect_well_formed_stream(ds);
        const std::string text = text_of(ds);
        CHECK(text.rfind("[[pivot]]", 0) == 0);
        CHECK(text.find("actually") != std::string::npos);  // the bridge of Method 2
    }
    SECTION("chat mode, forced rewrite and forced continue") {
        for (const std::string& v : std::vector<std::string>{"rewrite", "continue"}) {
            const auto r = post_streamed(cloud, "/v1/chat/completions", handoff_body("The capital of France is", v));
            REQUIRE(r.completed);
            CHECK(text_of(deltas_of(r)).rfind("[[" + v + "]]", 0) == 0);
        }
    }
    SECTION("prefill mode, core's handoff request, verdict left to the cloud") {
        HandoffConfig hc;
        hc.mode = HandoffMode::Prefill;
        hc.max_tokens = 8;
        auto req = build_handoff_request(hc, kQuestion, "The capital of France is");
        REQUIRE(req.ok());
        const auto r = post_streamed(cloud, req->path, req->body);
        REQUIRE(r.completed);
        const std::string text = text_of(deltas_of(r));
        const bool tagged =
            text.rfind("[[continue]]", 0) == 0 || text.rfind("[[pivot]]", 0) == 0 || text.rfind("[[rewrite]]", 0) == 0;
        CHECK(tagged);
    }
    SECTION("no protocol: a handoff without an opener, or a plain question, gets no tag") {
        const auto r = post_streamed(cloud, "/v1/chat/completions", handoff_body("", ""));
        REQUIRE(r.completed);
        CHECK(text_of(deltas_of(r)).find("[[") == std::string::npos);
        const auto plain = post_streamed(cloud, "/v1/chat/completions", chat_body(true));
        REQUIRE(plain.completed);
        CHECK(text_of(deltas_of(plain)).find("[[") == std::string::npos);
    }
}

TEST_CASE("cloud: injected latency delays the first byte and spaces the tokens", "[cloud]") {
    CloudServerOptions o = test_server_options();
    o.latency.name = "test";
    o.latency.first_token_ms = 300;
    o.latency.per_token_ms = 25;
    CloudFixture cloud(o);
    const auto r = post_streamed(cloud, "/v1/chat/completions", chat_body(true, 8));
    REQUIRE(r.completed);
    REQUIRE(r.chunks.size() >= 3);
    CHECK(r.chunks.front().first >= 280.0);  // the first content byte
    CHECK(r.chunks.front().first < 5000.0);
    // Event j (0-based) cannot be written before first_token_ms + j * per_token_ms; the client
    // can only see it later. Lower bounds hold on a loaded machine too (a slow reader merely
    // coalesces events into one read, which these bounds allow). [DONE] follows the finish at once.
    std::vector<double> event_ms;
    for (const auto& [t, bytes] : r.chunks)
        for (size_t at = bytes.find("data: "); at != std::string::npos; at = bytes.find("data: ", at + 1))
            event_ms.push_back(t);
    CAPTURE(event_ms);
    REQUIRE(event_ms.size() >= 4);  // role+text ..., finish, [DONE]
    for (size_t j = 0; j + 1 < event_ms.size(); ++j) {
        CAPTURE(j);
        CHECK(event_ms[j] >= 300.0 + 25.0 * static_cast<double>(j) - 2.0);
    }
}

TEST_CASE("cloud: with every slot busy past queue_timeout_ms a request gets 429 busy", "[cloud]") {
    CloudServerOptions o = test_server_options();
    o.max_concurrency = 1;
    o.queue_timeout_ms = 100;
    o.latency.first_token_ms = 600;
    CloudFixture cloud(o);
    StreamedResponse slow;
    const auto slow_sent = Clock::now();
    std::thread first([&] { slow = post_streamed(cloud, "/v1/chat/completions", chat_body(true, 4)); });
    const auto t0 = Clock::now();
    while (health_in_flight(cloud) < 1 && ms_since(t0) < 2000)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(health_in_flight(cloud) == 1);

    const auto t1 = Clock::now();
    const json e = expect_error(post(cloud, "/v1/chat/completions", chat_body(false, 4)), 429);
    const double waited = ms_since(t1);
    const double busy_at = std::chrono::duration<double, std::milli>(Clock::now() - slow_sent).count();
    CHECK(e["code"] == "busy");
    CHECK(e["type"] == "rate_limit_error");
    CHECK(waited >= 90.0);  // it queued for queue_timeout_ms ...
    first.join();
    CHECK(slow.completed);
    CHECK(slow.status == 200);
    REQUIRE_FALSE(slow.chunks.empty());
    CHECK(busy_at < slow.chunks.front().first);  // ... and was refused before the slow one even began
    // The slot comes back (the server releases it just after the last byte) ...
    const auto t2 = Clock::now();
    while (health_in_flight(cloud) > 0 && ms_since(t2) < 1000)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    CHECK(health_in_flight(cloud) == 0);
    // ... and the next request is served.
    auto r = post(cloud, "/v1/chat/completions", chat_body(false, 4));
    REQUIRE(r);
    CHECK(r->status == 200);
}

TEST_CASE("cloud: CORS headers on answers and errors; OPTIONS preflight is 204", "[cloud]") {
    CloudFixture cloud;
    auto c = cloud.client();
    httplib::Headers origin = {{"Origin", "http://example.test"}};
    auto h = c.Get("/health", origin);
    REQUIRE(h);
    CHECK(h->get_header_value("Access-Control-Allow-Origin") == "*");
    auto err = c.Post("/v1/chat/completions", origin, "nope", "application/json");
    REQUIRE(err);
    CHECK(err->status == 400);
    CHECK(err->get_header_value("Access-Control-Allow-Origin") == "*");
    const auto streamed = post_streamed(cloud, "/v1/chat/completions", chat_body(true, 4), origin);
    REQUIRE(streamed.completed);
    const auto acao = streamed.headers.find("Access-Control-Allow-Origin");
    REQUIRE(acao != streamed.headers.end());
    CHECK(acao->second == "*");
    auto ok = c.Post("/v1/chat/completions", origin, chat_body(false, 4), "application/json");
    REQUIRE(ok);
    CHECK(ok->get_header_value("Access-Control-Allow-Origin") == "*");

    httplib::Headers preflight = {{"Origin", "http://example.test"},
                                  {"Access-Control-Request-Method", "POST"},
                                  {"Access-Control-Request-Headers", "content-type, authorization"}};
    auto p = c.Options("/v1/chat/completions", preflight);
    REQUIRE(p);
    CHECK(p->status == 204);
    CHECK(p->get_header_value("Access-Control-Allow-Origin") == "*");
    CHECK(p->get_header_value("Access-Control-Allow-Methods").find("POST") != std::string::npos);
    const std::string allowed = p->get_header_value("Access-Control-Allow-Headers");
    CHECK(allowed.find("Content-Type") != std::string::npos);
    CHECK(allowed.find("Authorization") != std::string::npos);
}

TEST_CASE("cloud: a client that hangs up mid-stream does not wedge the server", "[cloud]") {
    CloudServerOptions o = test_server_options();
    o.max_concurrency = 1;
    o.queue_timeout_ms = 1500;
    o.latency.per_token_ms = 30;
    CloudFixture cloud(o);
    const auto t0 = Clock::now();
    const auto gone = post_streamed(cloud, "/v1/chat/completions", chat_body(true, 64), {}, /*stop_after_chunks=*/2);
    CHECK_FALSE(gone.completed);
    CHECK(gone.chunks.size() == 2);
    // The slot is released once the server notices (its next write fails) ...
    while (health_in_flight(cloud) > 0 && ms_since(t0) < 2000)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(health_in_flight(cloud) == 0);
    CHECK(ms_since(t0) < 1500.0);
    // ... and the next request is served.
    const auto next = post_streamed(cloud, "/v1/chat/completions", chat_body(true, 4));
    CHECK(next.completed);
    CHECK(next.status == 200);
    expect_well_formed_stream(deltas_of(next));
}

// Sends a streamed chat request on a raw socket, reads the response head, and hangs up after `wait_ms`,
// during the injected first-token wait.
void post_and_hang_up(int port, const std::string& body, int wait_ms) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string req =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    REQUIRE(::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    ::close(fd);
}

TEST_CASE("cloud: a client that hangs up during the first-token wait frees its slot at once", "[cloud]") {
    CloudServerOptions o = test_server_options();
    o.max_concurrency = 1;
    o.queue_timeout_ms = 1000;
    o.latency.name = "test";
    o.latency.first_token_ms = 4000;  // e.g. a satellite link
    CloudFixture cloud(o);
    post_and_hang_up(cloud.port(), chat_body(true, 8), 300);
    // The server notices the hang-up while it waits (it polls the connection), not 3.7 s later at its
    // first write: the slot is back within a few of its 10 ms wait slices ...
    const auto t0 = Clock::now();
    while (health_in_flight(cloud) > 0 && ms_since(t0) < 3000)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const double freed_ms = ms_since(t0);
    CHECK(health_in_flight(cloud) == 0);
    CHECK(freed_ms < 500.0);
    // ... so the next request gets it instead of a 429 (its queue would time out before the wait ended).
    json body = json::parse(chat_body(true, 4));
    body["headstart_latency"] = "none";
    const auto next = post_streamed(cloud, "/v1/chat/completions", body.dump());
    CHECK(next.status == 200);
    CHECK(next.completed);
}

TEST_CASE("cloud: stop() is prompt while requests wait out their injected latency", "[cloud]") {
    CloudServerOptions o = test_server_options();
    o.latency.name = "test";
    o.latency.first_token_ms = 5000;  // e.g. a satellite link: stopping must not wait for it
    auto cloud = std::make_unique<CloudFixture>(o);
    StreamedResponse streamed;
    httplib::Result whole{nullptr, httplib::Error::Unknown};
    std::thread a([&] { streamed = post_streamed(*cloud, "/v1/chat/completions", chat_body(true, 4)); });
    std::thread b([&] { whole = post(*cloud, "/v1/chat/completions", chat_body(false, 4)); });
    const auto t0 = Clock::now();
    while (ms_since(t0) < 3000) {
        auto c = cloud->client();
        auto h = c.Get("/health");
        if (h && parse(h->body)["requests"].get<int>() >= 2) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // both are now waiting
    const auto t1 = Clock::now();
    cloud.reset();  // stop() + join
    const double stop_ms = ms_since(t1);
    a.join();
    b.join();
    CHECK(stop_ms < 1000.0);
    CHECK(streamed.status == 200);
    CHECK_FALSE(streamed.completed);  // dropped, no [DONE]
    CHECK(streamed.body.find("[DONE]") == std::string::npos);
    REQUIRE(whole);  // a whole answer is told why
    CHECK(whole->status == 503);
    CHECK(whole->body.find("stopping") != std::string::npos);
}

TEST_CASE("cloud: fault injection is honoured only with allow_faults", "[cloud]") {
    SECTION("allowed") {
        CloudFixture cloud;
        const json e = expect_error(
            post(cloud, "/v1/chat/completions", chat_body(true), {{"X-Headstart-Fault", "status:503"}}), 503);
        CHECK(e["type"] == "server_error");

        const auto cut =
            post_streamed(cloud, "/v1/chat/completions", chat_body(true, 32), {{"X-Headstart-Fault", "cut:3"}});
        CHECK(cut.status == 200);
        CHECK_FALSE(cut.completed);  // the connection dropped: no terminating chunk
        CHECK(cut.body.find("[DONE]") == std::string::npos);
        const auto cut_ds = deltas_of(cut);
        CHECK(std::count_if(cut_ds.begin(), cut_ds.end(),
                            [](const StreamDelta& d) { return d.kind == StreamDelta::Kind::Text; }) == 3);

        const auto garbage =
            post_streamed(cloud, "/v1/chat/completions", chat_body(true, 8), {{"X-Headstart-Fault", "garbage"}});
        CHECK(garbage.completed);
        const auto g = deltas_of(garbage);
        CHECK(std::any_of(g.begin(), g.end(), [](const StreamDelta& d) { return d.kind == StreamDelta::Kind::Error; }));

        const auto t0 = Clock::now();
        const auto stall =
            post_streamed(cloud, "/v1/chat/completions", chat_body(true, 2), {{"X-Headstart-Fault", "stall:300"}});
        CHECK(stall.completed);
        REQUIRE_FALSE(stall.chunks.empty());
        CHECK(stall.chunks.front().first >= 280.0);
        CHECK(ms_since(t0) < 2000.0);
    }
    SECTION("not allowed: the header is ignored") {
        CloudServerOptions o = test_server_options();
        o.allow_faults = false;
        CloudFixture cloud(o);
        auto r = post(cloud, "/v1/chat/completions", chat_body(false, 4), {{"X-Headstart-Fault", "status:503"}});
        REQUIRE(r);
        CHECK(r->status == 200);
    }
}

// ---- the headstart-cloud binary -------------------------------------------------------------

namespace {

struct Spawned {
    pid_t pid = -1;
    int out_fd = -1;  // stdout and stderr together
};

Spawned spawn_cloud(const std::vector<std::string>& args) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<std::string> all = {HEADSTART_CLOUD_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    Spawned s;
    const int rc = posix_spawn(&s.pid, HEADSTART_CLOUD_BINARY, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    REQUIRE(rc == 0);
    s.out_fd = fds[0];
    return s;
}

// Reads until `needle` shows up, EOF, or the deadline.
std::string read_until(int fd, const std::string& needle, double limit_ms) {
    std::string out;
    const auto t0 = Clock::now();
    char buf[4096];
    while (ms_since(t0) < limit_ms && (needle.empty() || out.find(needle) == std::string::npos)) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

// Waits for the child's exit status (-1 if it did not exit in time; then it is killed).
int wait_exit(pid_t pid, double limit_ms) {
    const auto t0 = Clock::now();
    int status = 0;
    while (ms_since(t0) < limit_ms) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

}  // namespace

TEST_CASE("cloud: headstart-cloud with a missing model exits non-zero with a readable message", "[cloud]") {
    auto s = spawn_cloud({"--model", "missing.onnx", "--tokenizer", fixture("tokenizer.json"), "--port", "0"});
    const std::string out = read_until(s.out_fd, "", 5000);
    close(s.out_fd);
    const int rc = wait_exit(s.pid, 5000);
    INFO(out);
    CHECK(rc == 1);
    CHECK(out.rfind("headstart-cloud: ", 0) == 0);
    CHECK(out.find("missing.onnx") != std::string::npos);
    CHECK(out.find("http://") == std::string::npos);  // it never started serving
}

TEST_CASE("cloud: headstart-cloud rejects a bad flag with its usage", "[cloud]") {
    auto s = spawn_cloud({"--port", "http"});
    const std::string out = read_until(s.out_fd, "", 5000);
    close(s.out_fd);
    const int rc = wait_exit(s.pid, 5000);
    INFO(out);
    CHECK(rc == 2);
    CHECK(out.find("bad --port") != std::string::npos);
    CHECK(out.find("usage: headstart-cloud") != std::string::npos);
}

TEST_CASE("cloud: the headstart-cloud binary serves on the tiny model and stops on SIGTERM", "[cloud]") {
    auto s = spawn_cloud({"--model", fixture("tiny.onnx"), "--tokenizer", fixture("tokenizer.json"), "--host",
                          "127.0.0.1", "--port", "0", "--name", "tiny"});
    const std::string banner = read_until(s.out_fd, "\n", 10000);
    INFO(banner);
    const auto at = banner.find("http://127.0.0.1:");
    if (at == std::string::npos) {
        kill(s.pid, SIGKILL);
        waitpid(s.pid, nullptr, 0);
        close(s.out_fd);
        FAIL("no banner");
    }
    const int port = std::atoi(banner.c_str() + at + std::string("http://127.0.0.1:").size());
    REQUIRE(port > 0);
    {
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(5, 0);
        auto m = c.Get("/v1/models");
        REQUIRE(m);
        CHECK(parse(m->body)["data"][0]["id"] == "tiny");
        auto r = c.Post(
            "/v1/chat/completions",
            json{{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", kQuestion}}}}, {"max_tokens", 4}}
                .dump(),
            "application/json");
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(parse(r->body)["choices"][0]["message"]["content"].is_string());
    }
    kill(s.pid, SIGTERM);
    const std::string rest = read_until(s.out_fd, "stopped", 5000);
    close(s.out_fd);
    const int rc = wait_exit(s.pid, 5000);
    CHECK(rc == 0);
    CHECK(rest.find("headstart-cloud: stopped") != std::string::npos);
}
