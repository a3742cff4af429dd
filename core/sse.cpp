// core/sse.cpp — see sse.h.
#include "core/sse.h"

#include <nlohmann/json.hpp>

#include "core/utf8.h"

namespace headstart {

namespace {
constexpr std::string_view kBom = "\xEF\xBB\xBF";
}  // namespace

SseParser::SseParser(SseLimits limits) : limits_(limits) {}

Status SseParser::fail(std::string message) {
    error_ = std::move(message);
    line_.clear();
    data_.clear();
    return Error{error_};
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
    if (has_data_) out.push_back(SseEvent{type_.empty() ? "message" : type_, data_, last_id_});
    data_.clear();
    has_data_ = false;
    type_.clear();
}

Status SseParser::process_line(std::string_view line, std::vector<SseEvent>& out) {
    if (line.empty()) {
        dispatch(out);
        return Ok{};
    }
    if (line[0] == ':') return Ok{};  // comment / keep-alive
    std::string_view field = line, value;
    if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
        if (has_data_) data_.push_back('\n');
        data_.append(value);
        has_data_ = true;
        if (data_.size() > limits_.max_event_bytes)
            return fail("stream: an event's data exceeds " + std::to_string(limits_.max_event_bytes) + " bytes");
    } else if (field == "event") {
        type_ = std::string(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
    }
    return Ok{};  // "retry" and unknown fields are ignored
}

Status SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
    if (failed()) return Error{error_};
    std::string bom_tail;
    if (at_start_) {
        // A BOM may itself arrive split over chunks: hold its bytes until it is decided.
        std::size_t i = 0;
        while (i < bytes.size() && bom_.size() < kBom.size() && bytes[i] == kBom[bom_.size()])
            bom_.push_back(bytes[i++]);
        if (bom_.size() == kBom.size()) {
            at_start_ = false;
            bom_.clear();
        } else if (i < bytes.size()) {
            at_start_ = false;  // not a BOM: its bytes were text
            bom_tail = std::move(bom_);
            bom_.clear();
        } else {
            return Ok{};  // all bytes so far match the BOM's start
        }
        bytes.remove_prefix(i);
    }
    const auto scan = [&](std::string_view chunk) -> Status {
        std::size_t i = 0;
        while (i < chunk.size()) {
            if (after_cr_) {
                after_cr_ = false;
                if (chunk[i] == '\n') {
                    ++i;
                    continue;
                }  // the LF of a CRLF split over chunks
            }
            const std::size_t end = chunk.find_first_of("\r\n", i);
            const std::size_t stop = end == std::string_view::npos ? chunk.size() : end;
            line_.append(chunk.substr(i, stop - i));
            if (line_.size() > limits_.max_line_bytes)
                return fail("stream: a line exceeds " + std::to_string(limits_.max_line_bytes) + " bytes");
            if (end == std::string_view::npos) break;
            after_cr_ = chunk[end] == '\r';
            i = end + 1;  // a CR's LF, in this chunk or the next, is skipped at the top of the loop
            std::string line = std::move(line_);
            line_.clear();
            if (Status s = process_line(line, out); !s) return s;
        }
        return Ok{};
    };
    if (!bom_tail.empty())
        if (Status s = scan(bom_tail); !s) return s;
    return scan(bytes);
}

Status SseParser::finish(std::vector<SseEvent>& out) {
    if (failed()) return Error{error_};
    if (at_start_ && !bom_.empty()) {
        line_ = bom_;  // a stream that was only the first byte(s) of a BOM: they are text
        bom_.clear();
    }
    at_start_ = false;
    if (!line_.empty()) {
        std::string line = std::move(line_);
        line_.clear();
        if (Status s = process_line(line, out); !s) return s;
    }
    dispatch(out);
    return Ok{};
}

const char* to_string(StreamDelta::Kind kind) {
    switch (kind) {
        case StreamDelta::Kind::Text: return "text";
        case StreamDelta::Kind::Finished: return "finished";
        case StreamDelta::Kind::Done: return "done";
        case StreamDelta::Kind::Error: return "error";
    }
    return "unknown";
}

namespace {

std::string excerpt(std::string_view s) {
    constexpr std::size_t kMax = 120;
    std::string e = repair_utf8(s.substr(0, kMax));
    if (s.size() > kMax) e += "…";
    return e;
}

StreamDelta error_delta(std::string message) { return StreamDelta{StreamDelta::Kind::Error, std::move(message)}; }

// {"error": {"message": "...", "type": "..."}} or {"error": "..."} -> a readable message.
std::string error_message(const nlohmann::json& error) {
    if (error.is_string()) return error.get<std::string>();
    if (error.is_object()) {
        std::string msg;
        if (auto m = error.find("message"); m != error.end() && m->is_string()) msg = m->get<std::string>();
        if (auto t = error.find("type"); t != error.end() && t->is_string())
            msg += (msg.empty() ? "" : " (") + t->get<std::string>() + (msg.empty() ? "" : ")");
        if (!msg.empty()) return msg;
    }
    return excerpt(error.dump());
}

}  // namespace

std::vector<StreamDelta> parse_openai_event(const SseEvent& event) {
    std::vector<StreamDelta> out;
    std::string_view data = event.data;
    while (!data.empty() && (data.back() == ' ' || data.back() == '\t')) data.remove_suffix(1);
    while (!data.empty() && (data.front() == ' ' || data.front() == '\t')) data.remove_prefix(1);

    if (data == "[DONE]") {
        out.push_back(StreamDelta{StreamDelta::Kind::Done, {}});
        return out;
    }
    const nlohmann::json j = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (event.type == "error") {
        const bool has_error = j.is_object() && j.contains("error");
        out.push_back(error_delta("cloud error: " + (has_error          ? error_message(j["error"])
                                                     : j.is_discarded() ? excerpt(data)
                                                                        : error_message(j))));
        return out;
    }
    if (j.is_discarded()) {
        out.push_back(error_delta("stream: malformed JSON in event: " + excerpt(data)));
        return out;
    }
    if (!j.is_object()) {
        out.push_back(error_delta("stream: event is not a JSON object: " + excerpt(data)));
        return out;
    }
    if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
        out.push_back(error_delta("cloud error: " + error_message(*e)));
        return out;
    }
    const auto choices = j.find("choices");
    if (choices == j.end() || !choices->is_array()) return out;
    const nlohmann::json* choice = nullptr;
    for (const nlohmann::json& c : *choices) {
        if (!c.is_object()) continue;
        const auto index = c.find("index");
        if (index == c.end() || (index->is_number_integer() && index->get<long long>() == 0)) {
            choice = &c;
            break;
        }
    }
    if (!choice) return out;

    std::string text;
    if (auto delta = choice->find("delta"); delta != choice->end() && delta->is_object()) {
        if (auto content = delta->find("content"); content != delta->end() && content->is_string())
            text = content->get<std::string>();
    } else if (auto t = choice->find("text"); t != choice->end() && t->is_string()) {
        text = t->get<std::string>();
    }
    if (!text.empty()) out.push_back(StreamDelta{StreamDelta::Kind::Text, std::move(text)});
    if (auto fr = choice->find("finish_reason"); fr != choice->end() && fr->is_string())
        out.push_back(StreamDelta{StreamDelta::Kind::Finished, fr->get<std::string>()});
    return out;
}

std::vector<StreamDelta> OpenAiStream::convert(const std::vector<SseEvent>& events, const Status& status) {
    std::vector<StreamDelta> out;
    for (const SseEvent& e : events) {
        for (StreamDelta& d : parse_openai_event(e)) {
            if (d.kind == StreamDelta::Kind::Done) saw_done_ = true;
            out.push_back(std::move(d));
        }
    }
    if (!status && !reported_failure_) {
        reported_failure_ = true;
        out.push_back(error_delta(status.error()));
    }
    return out;
}

std::vector<StreamDelta> OpenAiStream::feed(std::string_view bytes) {
    if (reported_failure_) return {};
    std::vector<SseEvent> events;
    const Status s = sse_.feed(bytes, events);
    return convert(events, s);
}

std::vector<StreamDelta> OpenAiStream::finish() {
    if (reported_failure_) return {};
    std::vector<SseEvent> events;
    const Status s = sse_.finish(events);
    return convert(events, s);
}

}  // namespace headstart
