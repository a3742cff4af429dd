// core/sse.h — the one Server-Sent Events parser every front end uses (native, web, CLI, tests).
//
//   SseEvent            one dispatched event: type ("message" unless an event: line said
//                       otherwise), data (data: lines joined with "\n"), id
//   SseParser           incremental: feed byte chunks split anywhere (inside a line, between CR
//                       and LF, inside a UTF-8 character); returns the events completed so far
//   StreamDelta         one item of an OpenAI-compatible stream: Text, Finished (finish_reason),
//                       Done ([DONE]) or Error (server error object, malformed JSON, parser error)
//   parse_openai_event()  one SSE event -> its StreamDeltas (chat: choices[0].delta.content,
//                       completions: choices[0].text; finish_reason; {"error": ...})
//   OpenAiStream        SseParser + parse_openai_event in one: bytes in, deltas out
//
// Following the WHATWG EventSource rules: lines end with CRLF, LF or CR; a line starting with
// ":" is a comment (keep-alives); "field: value" loses one space after the colon; a line with no
// colon is a field with an empty value; an empty line dispatches the event if it has data; a
// UTF-8 BOM at the very start is skipped; unknown fields (retry) are ignored.
// Deliberate leniency: at the end of the stream (finish()) an event that lacks its closing blank
// line is still dispatched — several servers close right after "data: [DONE]\n".
// Limits: a line longer than max_line_bytes, or an event's data longer than max_event_bytes, is
// an error and the parser stops (a runaway or hostile server must not grow memory unbounded).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace headstart {

struct SseEvent {
    std::string type = "message";
    std::string data;
    std::string id;
};

struct SseLimits {
    std::size_t max_line_bytes = 1 << 20;   // 1 MiB
    std::size_t max_event_bytes = 4 << 20;  // 4 MiB
};

class SseParser {
public:
    explicit SseParser(SseLimits limits = {});

    // Parses `bytes`; appends every completed event to `out`. After an error every call returns
    // the same error.
    Status feed(std::string_view bytes, std::vector<SseEvent>& out);
    // The stream ended: a pending line and pending data are dispatched (see leniency above).
    Status finish(std::vector<SseEvent>& out);

    bool failed() const { return !error_.empty(); }

private:
    Status fail(std::string message);
    Status process_line(std::string_view line, std::vector<SseEvent>& out);
    void dispatch(std::vector<SseEvent>& out);

    SseLimits limits_;
    std::string line_;       // the current, unfinished line
    bool after_cr_ = false;  // the last byte was CR: a following LF belongs to it
    bool at_start_ = true;   // no byte seen yet (BOM check)
    std::string bom_;        // bytes of a possible BOM at the start, not yet decided
    std::string data_;
    bool has_data_ = false;
    std::string type_;
    std::string last_id_;
    std::string error_;
};

struct StreamDelta {
    enum class Kind {
        Text,      // text = the next piece of the continuation
        Finished,  // text = finish_reason ("stop", "length", ...)
        Done,      // the [DONE] sentinel
        Error,     // text = readable message (server error, malformed JSON, SSE failure)
    };
    Kind kind = Kind::Text;
    std::string text;
};

const char* to_string(StreamDelta::Kind kind);

// The deltas in one event. Role-only chunks, empty content, usage-only chunks (choices: []) and
// choices other than index 0 yield nothing. An "error" SSE event type or an "error" member in
// the JSON yields an Error; so does JSON that does not parse or is not an object.
std::vector<StreamDelta> parse_openai_event(const SseEvent& event);

class OpenAiStream {
public:
    explicit OpenAiStream(SseLimits limits = {}) : sse_(limits) {}

    // Bytes in, deltas out. An SSE failure comes out as one Error delta (then nothing more).
    std::vector<StreamDelta> feed(std::string_view bytes);
    std::vector<StreamDelta> finish();

    bool saw_done() const { return saw_done_; }

private:
    std::vector<StreamDelta> convert(const std::vector<SseEvent>& events, const Status& status);

    SseParser sse_;
    bool saw_done_ = false;
    bool reported_failure_ = false;
};

}  // namespace headstart
