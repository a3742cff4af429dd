// cloud/completion_request.cpp — see completion_request.h.
#include "cloud/completion_request.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/handoff.h"
#include "core/latency_profile.h"

namespace headstart {

using json = nlohmann::json;

bool parse_chatml(const std::string& prompt, ContinuationTask* task) {
    const std::string start = "<|im_start|>", end = "<|im_end|>";
    size_t at = 0;
    bool in_assistant = false;
    while ((at = prompt.find(start, at)) != std::string::npos) {
        at += start.size();
        const auto nl = prompt.find('\n', at);
        if (nl == std::string::npos) return false;
        const std::string role = prompt.substr(at, nl - at);
        const auto close = prompt.find(end, nl + 1);
        const std::string content =
            prompt.substr(nl + 1, close == std::string::npos ? std::string::npos : close - nl - 1);
        if (role == "system") task->system = content;
        else if (role == "user") task->question = content;
        in_assistant = role == "assistant" && close == std::string::npos;
        if (in_assistant) task->opener = content;
        if (close == std::string::npos) break;
        at = close + end.size();
    }
    return in_assistant && !task->question.empty();
}

namespace {

// Reads the fields both endpoints share; returns "" or the error message (param in *param).
std::string read_common(const json& body, const CompletionLimits& o, ContinuationTask* task, bool* stream,
                        std::string* param) {
    if (body.contains("max_tokens") && !body["max_tokens"].is_null()) {
        if (!body["max_tokens"].is_number_integer() || body["max_tokens"].get<long long>() < 1)
            return *param = "max_tokens", "max_tokens must be a positive integer";
        task->max_tokens = static_cast<int>(std::min<long long>(body["max_tokens"].get<long long>(), o.max_tokens_cap));
    }
    if (body.contains("temperature") && !body["temperature"].is_null()) {
        if (!body["temperature"].is_number() || body["temperature"].get<double>() < 0 ||
            body["temperature"].get<double>() > 2)
            return *param = "temperature", "temperature must be a number between 0 and 2";
        task->temperature = body["temperature"].get<double>();
    }
    if (body.contains("top_p") && !body["top_p"].is_null()) {
        if (!body["top_p"].is_number() || body["top_p"].get<double>() <= 0 || body["top_p"].get<double>() > 1)
            return *param = "top_p", "top_p must be a number in (0, 1]";
        task->top_p = body["top_p"].get<double>();
    }
    if (body.contains("seed") && body["seed"].is_number_integer()) task->seed = body["seed"].get<unsigned long long>();
    if (body.contains("stream") && !body["stream"].is_null()) {
        if (!body["stream"].is_boolean()) return *param = "stream", "stream must be a boolean";
        *stream = body["stream"].get<bool>();
    }
    if (body.contains("headstart_verdict") && !body["headstart_verdict"].is_null()) {
        const json& v = body["headstart_verdict"];
        if (!v.is_string() || (v != "continue" && v != "pivot" && v != "rewrite" && v != "auto"))
            return *param = "headstart_verdict", "headstart_verdict must be auto, continue, pivot or rewrite";
        if (v != "auto") task->forced_verdict = v.get<std::string>();
    }
    if (body.contains("headstart_latency") && !body["headstart_latency"].is_null()) {
        LatencyProfile p;
        if (!body["headstart_latency"].is_string() ||
            !latency_profile(body["headstart_latency"].get<std::string>(), &p))
            return *param = "headstart_latency", "headstart_latency must be none, wifi, lte, congested or satellite";
        task->latency_profile = p.name;
    }
    if (body.contains("stop") && !body["stop"].is_null()) {
        const json& s = body["stop"];
        if (s.is_string()) task->stop.push_back(s.get<std::string>());
        else if (s.is_array()) {
            for (const auto& x : s) {
                if (!x.is_string()) return *param = "stop", "stop must be a string or an array of strings";
                task->stop.push_back(x.get<std::string>());
            }
        } else return *param = "stop", "stop must be a string or an array of strings";
    }
    return "";
}

RequestError bad(std::string message, const char* param = "", const char* code = "") {
    RequestError e;
    e.message = std::move(message);
    e.param = param;
    e.code = code;
    return e;
}

}  // namespace

Result<CompletionRequest, RequestError> parse_completion_request(std::string_view text, bool chat,
                                                                 const CompletionLimits& limits) {
    json body;
    try {
        body = json::parse(text);
    } catch (const json::exception& e) {
        return bad(std::string("request body is not valid JSON: ") + e.what(), "", "invalid_json");
    }
    if (!body.is_object()) return bad("request body must be a JSON object", "", "invalid_json");
    if (body.contains("model") && !body["model"].is_null()) {
        if (!body["model"].is_string() || body["model"].get<std::string>() != limits.model_name) {
            RequestError e = bad(
                "the model '" + (body["model"].is_string() ? body["model"].get<std::string>() : body["model"].dump()) +
                    "' does not exist; this server has '" + limits.model_name + "'",
                "model", "model_not_found");
            e.status = 404;
            return e;
        }
    }
    CompletionRequest out;
    ContinuationTask& task = out.task;
    if (chat) {
        if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty())
            return bad("messages must be a non-empty array", "messages");
        const json& msgs = body["messages"];
        for (size_t i = 0; i < msgs.size(); ++i) {
            const json& m = msgs[i];
            if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
                !m["content"].is_string())
                return bad("messages[" + std::to_string(i) + "] needs string role and content", "messages");
            const std::string role = m["role"].get<std::string>();
            const std::string content = m["content"].get<std::string>();
            if (role == "system") task.system = content;
            else if (role == "user") {
                task.question = content;
                task.opener.clear();
            } else if (role == "assistant") task.opener = i + 1 == msgs.size() ? content : "";
            else return bad("unknown role '" + role + "'", "messages");
        }
        if (task.question.empty()) return bad("no user message", "messages");
        // Headstart's own chat handoff quotes the opener inside the user message.
        if (task.opener.empty())
            if (auto h = parse_chat_handoff(task.question)) {
                task.question = h->question;
                task.opener = h->opener;
            }
    } else {
        if (!body.contains("prompt") || !body["prompt"].is_string()) return bad("prompt must be a string", "prompt");
        if (!parse_chatml(body["prompt"].get<std::string>(), &task))
            return bad("prompt must be ChatML with a user turn and end inside an assistant turn", "prompt");
    }
    std::string param;
    const std::string err = read_common(body, limits, &task, &out.stream, &param);
    if (!err.empty()) return bad(err, param.c_str());
    if (body.contains("stream_options") && !body["stream_options"].is_null()) {
        const json& so = body["stream_options"];
        if (!so.is_object()) return bad("stream_options must be an object", "stream_options");
        if (so.contains("include_usage") && !so["include_usage"].is_null()) {
            if (!so["include_usage"].is_boolean())
                return bad("stream_options.include_usage must be a boolean", "stream_options");
            out.include_usage = so["include_usage"].get<bool>();
        }
    }
    return out;
}

}  // namespace headstart
