#include <catch2/catch.hpp>

#include "core/sse.h"

using namespace headstart;

namespace {

std::vector<SseEvent> parse_all(const std::string& stream, std::size_t chunk = 0) {
    SseParser p;
    std::vector<SseEvent> out;
    if (chunk == 0) {
        REQUIRE(p.feed(stream, out).ok());
    } else {
        for (std::size_t i = 0; i < stream.size(); i += chunk) REQUIRE(p.feed(stream.substr(i, chunk), out).ok());
    }
    REQUIRE(p.finish(out).ok());
    return out;
}

std::string chat_chunk(const std::string& content_json, const std::string& finish = "null") {
    return "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":" +
           content_json + "},\"finish_reason\":" + finish + "}]}\n\n";
}

std::string texts(const std::vector<StreamDelta>& deltas) {
    std::string s;
    for (const StreamDelta& d : deltas)
        if (d.kind == StreamDelta::Kind::Text) s += d.text;
    return s;
}

}  // namespace

TEST_CASE("sse: one event per blank line, data lines joined", "[sse]") {
    const auto events = parse_all("data: hello\n\ndata: a\ndata: b\n\n");
    REQUIRE(events.size() == 2);
    CHECK(events[0].data == "hello");
    CHECK(events[0].type == "message");
    CHECK(events[1].data == "a\nb");
}

TEST_CASE("sse: CRLF, CR and LF line endings all work", "[sse]") {
    for (const std::string& eol : {std::string("\n"), std::string("\r\n"), std::string("\r")}) {
        const auto events = parse_all("data: x" + eol + "data: y" + eol + eol + "data: z" + eol + eol);
        REQUIRE(events.size() == 2);
        CHECK(events[0].data == "x\ny");
        CHECK(events[1].data == "z");
    }
}

TEST_CASE("sse: a CRLF split across chunks is one line end", "[sse]") {
    SseParser p;
    std::vector<SseEvent> out;
    REQUIRE(p.feed("data: a\r", out).ok());
    REQUIRE(p.feed("\ndata: b\r", out).ok());
    REQUIRE(p.feed("\n\r", out).ok());
    REQUIRE(p.feed("\n", out).ok());
    REQUIRE(out.size() == 1);
    CHECK(out[0].data == "a\nb");
}

TEST_CASE("sse: any chunking gives the same events", "[sse]") {
    const std::string stream =
        ": keep-alive\r\nevent: delta\r\ndata: {\"t\":\"caf\xC3\xA9\"}\r\nid: 7\r\n\r\ndata: [DONE]\r\n\r\n";
    const auto whole = parse_all(stream);
    REQUIRE(whole.size() == 2);
    for (std::size_t chunk = 1; chunk <= 9; ++chunk) {
        const auto split = parse_all(stream, chunk);
        REQUIRE(split.size() == whole.size());
        for (std::size_t i = 0; i < whole.size(); ++i) {
            CHECK(split[i].data == whole[i].data);
            CHECK(split[i].type == whole[i].type);
            CHECK(split[i].id == whole[i].id);
        }
    }
    CHECK(whole[0].type == "delta");
    CHECK(whole[0].id == "7");
    CHECK(whole[0].data == "{\"t\":\"caf\xC3\xA9\"}");
    CHECK(whole[1].type == "message");  // the event type resets after each dispatch
    CHECK(whole[1].id == "7");          // the last event id persists
}

TEST_CASE("sse: comments, empty events and unknown fields are ignored", "[sse]") {
    CHECK(parse_all(": ping\n\n:\n\n").empty());
    CHECK(parse_all("\n\n\n").empty());
    CHECK(parse_all("event: x\n\n").empty());  // no data: nothing dispatched
    const auto events = parse_all("retry: 100\nfoo: bar\ndata: ok\n\n");
    REQUIRE(events.size() == 1);
    CHECK(events[0].data == "ok");
}

TEST_CASE("sse: field syntax follows the EventSource rules", "[sse]") {
    auto e = parse_all("data:no-space\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "no-space");
    e = parse_all("data:  two spaces\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == " two spaces");  // only one space is eaten
    e = parse_all("data\n\n");          // no colon: the field with an empty value
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "");
    e = parse_all("data: a:b\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "a:b");
}

TEST_CASE("sse: a byte order mark at the start is skipped, even split", "[sse]") {
    auto e = parse_all(
        "\xEF\xBB\xBF"
        "data: x\n\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "x");
    e = parse_all(
        "\xEF\xBB\xBF"
        "data: x\n\n",
        1);
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "x");
    // Bytes that only look like the start of a BOM are kept.
    e = parse_all(
        "\xEF"
        "data: x\n\n");
    CHECK(e.empty());  // the field is "\xEF" "data": unknown, ignored
}

TEST_CASE("sse: at the end, an event without its blank line is still dispatched", "[sse]") {
    auto e = parse_all("data: [DONE]\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "[DONE]");
    e = parse_all("data: unterminated");
    REQUIRE(e.size() == 1);
    CHECK(e[0].data == "unterminated");
    CHECK(parse_all("").empty());
}

TEST_CASE("sse: an oversized line or event is an error and the parser stops", "[sse]") {
    SseLimits limits;
    limits.max_line_bytes = 16;
    SseParser p(limits);
    std::vector<SseEvent> out;
    REQUIRE(p.feed("data: short\n\n", out).ok());
    const Status s = p.feed("data: this line is far too long", out);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().find("exceeds 16 bytes") != std::string::npos);
    CHECK(p.failed());
    CHECK_FALSE(p.feed("\n\n", out).ok());
    CHECK_FALSE(p.finish(out).ok());
    CHECK(out.size() == 1);

    // The limit also holds when the long line arrives a byte at a time.
    SseParser q(limits);
    bool failed = false;
    for (char ch : std::string(40, 'x')) failed = failed || !q.feed(std::string(1, ch), out).ok();
    CHECK(failed);

    SseLimits event_limit;
    event_limit.max_event_bytes = 10;
    SseParser r(event_limit);
    CHECK(r.feed("data: 12345\n", out).ok());
    CHECK_FALSE(r.feed("data: 67890\n", out).ok());  // 11 bytes with the joining newline
}

TEST_CASE("sse: chat deltas, finish reason and [DONE]", "[sse]") {
    auto d = parse_openai_event(SseEvent{"message", R"({"choices":[{"index":0,"delta":{"content":" learn"}}]})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].kind == StreamDelta::Kind::Text);
    CHECK(d[0].text == " learn");

    d = parse_openai_event(SseEvent{"message", R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})", ""});
    CHECK(d.empty());  // role-only first chunk
    d = parse_openai_event(SseEvent{"message", R"({"choices":[{"index":0,"delta":{"content":null}}]})", ""});
    CHECK(d.empty());
    d = parse_openai_event(SseEvent{"message", R"({"choices":[{"index":0,"delta":{"content":""}}]})", ""});
    CHECK(d.empty());

    d = parse_openai_event(
        SseEvent{"message", R"({"choices":[{"index":0,"delta":{"content":"."},"finish_reason":"stop"}]})", ""});
    REQUIRE(d.size() == 2);
    CHECK(d[0].kind == StreamDelta::Kind::Text);
    CHECK(d[1].kind == StreamDelta::Kind::Finished);
    CHECK(d[1].text == "stop");

    d = parse_openai_event(SseEvent{"message", "[DONE]  ", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].kind == StreamDelta::Kind::Done);
}

TEST_CASE("sse: completions deltas", "[sse]") {
    auto d =
        parse_openai_event(SseEvent{"message", R"({"choices":[{"text":" is","index":0,"finish_reason":null}]})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].text == " is");
    d = parse_openai_event(SseEvent{"message", R"({"choices":[{"text":"","index":0,"finish_reason":"length"}]})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].kind == StreamDelta::Kind::Finished);
    CHECK(d[0].text == "length");
}

TEST_CASE("sse: only choice 0 is read; usage-only chunks yield nothing", "[sse]") {
    auto d = parse_openai_event(SseEvent{
        "message", R"({"choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].text == "A");
    d = parse_openai_event(SseEvent{"message", R"({"choices":[],"usage":{"total_tokens":5}})", ""});
    CHECK(d.empty());
    d = parse_openai_event(SseEvent{"message", R"({"object":"ping"})", ""});
    CHECK(d.empty());
}

TEST_CASE("sse: escapes in JSON strings decode to UTF-8", "[sse]") {
    auto d = parse_openai_event(
        SseEvent{"message", R"({"choices":[{"index":0,"delta":{"content":"caf\u00e9 \ud83d\ude00"}}]})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].text == "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST_CASE("sse: server errors and malformed JSON become error items", "[sse]") {
    auto d = parse_openai_event(
        SseEvent{"message", R"({"error":{"message":"model overloaded","type":"server_error"}})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].kind == StreamDelta::Kind::Error);
    CHECK(d[0].text.find("model overloaded") != std::string::npos);
    CHECK(d[0].text.find("server_error") != std::string::npos);

    d = parse_openai_event(SseEvent{"message", R"({"error":"rate limited"})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].text == "cloud error: rate limited");

    d = parse_openai_event(SseEvent{"error", R"({"message":"bad gateway"})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].kind == StreamDelta::Kind::Error);
    CHECK(d[0].text.find("bad gateway") != std::string::npos);
    d = parse_openai_event(SseEvent{"error", "upstream died", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].text.find("upstream died") != std::string::npos);

    d = parse_openai_event(SseEvent{"message", R"({"choices":[{"delta":{"content":"x"})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].kind == StreamDelta::Kind::Error);
    CHECK(d[0].text.find("malformed JSON") != std::string::npos);

    d = parse_openai_event(SseEvent{"message", "[1,2]", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].text.find("not a JSON object") != std::string::npos);

    d = parse_openai_event(SseEvent{"message", R"({"choices":[{"index":0,"delta":{"content":42}}]})", ""});
    CHECK(d.empty());  // wrong types are skipped, never thrown
    d = parse_openai_event(SseEvent{"message", R"({"choices":"nope"})", ""});
    CHECK(d.empty());
    d = parse_openai_event(SseEvent{"message", R"({"error":null,"choices":[{"index":0,"text":"ok"}]})", ""});
    REQUIRE(d.size() == 1);
    CHECK(d[0].text == "ok");
}

TEST_CASE("sse: a whole OpenAI stream, in any chunking", "[sse]") {
    const std::string stream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n" +
                               chat_chunk("\"[[continue]]\"") + ": keep-alive\n\n" + chat_chunk("\" learn by\"") +
                               chat_chunk("\" doing.\"", "\"stop\"") + "data: [DONE]\n\n";
    for (std::size_t chunk : {std::size_t(1), std::size_t(3), std::size_t(17), stream.size()}) {
        OpenAiStream s;
        std::vector<StreamDelta> all;
        for (std::size_t i = 0; i < stream.size(); i += chunk)
            for (StreamDelta& d : s.feed(stream.substr(i, chunk))) all.push_back(std::move(d));
        for (StreamDelta& d : s.finish()) all.push_back(std::move(d));
        CHECK(texts(all) == "[[continue]] learn by doing.");
        REQUIRE(all.size() == 5);
        CHECK(all[3].kind == StreamDelta::Kind::Finished);
        CHECK(all[4].kind == StreamDelta::Kind::Done);
        CHECK(s.saw_done());
    }
}

TEST_CASE("sse: a malformed event does not stop the stream", "[sse]") {
    OpenAiStream s;
    auto d = s.feed("data: {oops\n\n" + chat_chunk("\"after\""));
    REQUIRE(d.size() == 2);
    CHECK(d[0].kind == StreamDelta::Kind::Error);
    CHECK(d[1].kind == StreamDelta::Kind::Text);
    CHECK(d[1].text == "after");
    CHECK_FALSE(s.saw_done());
}

TEST_CASE("sse: an SSE failure is reported once, then the stream is silent", "[sse]") {
    SseLimits limits;
    limits.max_line_bytes = 32;
    OpenAiStream s(limits);
    auto d = s.feed(chat_chunk("\"ok\"").substr(0, 0) + "data: " + std::string(64, 'x'));
    REQUIRE(d.size() == 1);
    CHECK(d[0].kind == StreamDelta::Kind::Error);
    CHECK(d[0].text.find("exceeds") != std::string::npos);
    CHECK(s.feed("\n\n").empty());
    CHECK(s.finish().empty());
    CHECK(to_string(StreamDelta::Kind::Error) == std::string("error"));
}
