// cloud/completion_request.h — one POST to /v1/chat/completions or /v1/completions, read and checked
// before anything is generated: what to continue (ContinuationTask) or an OpenAI-style error.
//
//   parse_completion_request()   body -> CompletionRequest, or RequestError (HTTP status, message,
//                                type, code, param): bad JSON, a non-object, an unknown model, bad
//                                messages / prompt, out-of-range fields (stream_options included)
//   parse_chatml()               prefill mode's prompt: the last user turn and the unfinished
//                                assistant turn
//
// Chat mode takes a trailing assistant message as the opener to continue, and Headstart's own chat
// handoff (core/handoff.h: the opener quoted inside the user message) the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace headstart {

// What to continue, normalised from either endpoint.
struct ContinuationTask {
    std::string system;    // system prompt ("" if none)
    std::string question;  // the last user message
    std::string opener;    // assistant text already shown, to be continued ("" = answer afresh)
    int max_tokens = 128;
    double temperature = 0.0;
    double top_p = 1.0;
    unsigned long long seed = 0;
    std::vector<std::string> stop;
    std::string forced_verdict;   // "continue" / "pivot" / "rewrite" from "headstart_verdict", else ""
    std::string latency_profile;  // from "headstart_latency": this request's profile instead of the server's
};

struct CompletionRequest {
    ContinuationTask task;
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage: a last chunk with "usage" and no choices
};

struct RequestError {
    std::string message;
    int status = 400;
    std::string type = "invalid_request_error";
    std::string code;   // "" = null
    std::string param;  // "" = null
};

struct CompletionLimits {
    std::string model_name;  // a request naming another model gets 404
    int max_tokens_cap = 512;
};

// chat: /v1/chat/completions (messages), else /v1/completions (a ChatML prompt).
Result<CompletionRequest, RequestError> parse_completion_request(std::string_view body, bool chat,
                                                                 const CompletionLimits& limits);
bool parse_chatml(const std::string& prompt, ContinuationTask* task);

}  // namespace headstart
