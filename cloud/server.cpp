// cloud/server.cpp — see server.h. Handlers are small and explicit; errors are returned as
// OpenAI-style JSON, never thrown across the HTTP layer.
#include "cloud/server.h"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/handoff.h"
#include "core/utf8.h"

namespace headstart {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct CloudServer::Slot {
    std::unique_ptr<Continuator> continuator;
};

namespace {

void send_error(httplib::Response& res, int status, const std::string& message, const char* type,
                const char* code = nullptr, const char* param = nullptr) {
    json e = {{"error", {{"message", message}, {"type", type}, {"param", param ? json(param) : json(nullptr)},
                         {"code", code ? json(code) : json(nullptr)}}}};
    res.status = status;
    // The message may quote the client's bytes (a JSON parse error shows what it last read): with
    // invalid UTF-8 there, a strict dump() would throw and turn a 400 into a 500. Replace instead.
    res.set_content(e.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// A fault a test asked for with X-Headstart-Fault (only with allow_faults).
struct Fault {
    int status = 0;        // "status:503"  answer with this HTTP status
    int cut_after = -1;    // "cut:N"       drop the connection after N content chunks
    bool garbage = false;  // "garbage"     stream lines that are not JSON
    int stall_ms = 0;      // "stall:MS"    extra wait before the first byte
};

Fault parse_fault(const std::string& h) {
    Fault f;
    const auto colon = h.find(':');
    const std::string kind = h.substr(0, colon);
    const int value = colon == std::string::npos ? 0 : std::atoi(h.c_str() + colon + 1);
    if (kind == "status") f.status = value;
    else if (kind == "cut") f.cut_after = value;
    else if (kind == "garbage") f.garbage = true;
    else if (kind == "stall") f.stall_ms = value;
    return f;
}

// Parses the ChatML of prefill mode: the last user turn and the unfinished assistant turn.
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
        const std::string content = prompt.substr(nl + 1, close == std::string::npos ? std::string::npos : close - nl - 1);
        if (role == "system") task->system = content;
        else if (role == "user") task->question = content;
        in_assistant = role == "assistant" && close == std::string::npos;
        if (in_assistant) task->opener = content;
        if (close == std::string::npos) break;
        at = close + end.size();
    }
    return in_assistant && !task->question.empty();
}

// Reads the fields both endpoints share; returns "" or the error message (param in *param).
std::string read_common(const json& body, const CloudServerOptions& o, ContinuationTask* task, bool* stream,
                        std::string* param) {
    if (body.contains("max_tokens") && !body["max_tokens"].is_null()) {
        if (!body["max_tokens"].is_number_integer() || body["max_tokens"].get<long long>() < 1)
            return *param = "max_tokens", "max_tokens must be a positive integer";
        task->max_tokens = static_cast<int>(std::min<long long>(body["max_tokens"].get<long long>(), o.max_tokens_cap));
    }
    if (body.contains("temperature") && !body["temperature"].is_null()) {
        if (!body["temperature"].is_number() || body["temperature"].get<double>() < 0 || body["temperature"].get<double>() > 2)
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
        if (!body["headstart_latency"].is_string() || !latency_profile(body["headstart_latency"].get<std::string>(), &p))
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

std::string chunk_json(bool chat, const std::string& id, long created, const std::string& model,
                       const std::string* text, const char* finish, bool first) {
    json choice = {{"index", 0}, {"finish_reason", finish ? json(finish) : json(nullptr)}};
    if (chat) {
        json delta = json::object();
        if (first) delta["role"] = "assistant";
        if (text) delta["content"] = *text;
        choice["delta"] = delta;
    } else {
        choice["text"] = text ? *text : "";
        choice["logprobs"] = nullptr;
    }
    json c = {{"id", id}, {"object", chat ? "chat.completion.chunk" : "text_completion"},
              {"created", created}, {"model", model}, {"choices", json::array({choice})}};
    return "data: " + c.dump() + "\n\n";
}

}  // namespace

CloudServer::CloudServer(CloudServerOptions options, Factory factory)
    : options_(std::move(options)), factory_(std::move(factory)), server_(std::make_unique<httplib::Server>()) {
    routes();
}

CloudServer::~CloudServer() { stop(); }

std::unique_ptr<CloudServer::Slot> CloudServer::acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool got = slot_free_.wait_for(lock, std::chrono::milliseconds(options_.queue_timeout_ms),
                                         [&] { return in_use_ < options_.max_concurrency; });
    if (!got) return nullptr;
    ++in_use_;
    if (!idle_.empty()) {
        auto slot = std::move(idle_.back());
        idle_.pop_back();
        return slot;
    }
    lock.unlock();
    auto made = factory_();  // a fresh model instance for this slot (loaded outside the lock)
    if (!made.ok()) {
        std::lock_guard<std::mutex> relock(mutex_);
        --in_use_;
        slot_free_.notify_one();
        return nullptr;
    }
    auto slot = std::make_unique<Slot>();
    slot->continuator = std::move(made.value());
    return slot;
}

void CloudServer::release(std::unique_ptr<Slot> slot) {
    std::lock_guard<std::mutex> lock(mutex_);
    --in_use_;
    if (slot) idle_.push_back(std::move(slot));
    slot_free_.notify_one();
}

void CloudServer::routes() {
    httplib::Server& s = *server_;
    s.set_payload_max_length(options_.max_body_bytes);
    // CORS for pages on other origins; COOP/COEP so the served page is cross-origin isolated.
    s.set_default_headers({{"Access-Control-Allow-Origin", "*"},
                           {"Access-Control-Allow-Headers", "Content-Type, Authorization, X-Headstart-Fault"},
                           {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                           {"Cross-Origin-Opener-Policy", "same-origin"},
                           {"Cross-Origin-Embedder-Policy", "require-corp"},
                           {"Cross-Origin-Resource-Policy", "cross-origin"}});
    s.Options(".*", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        if (res.status == 413)
            send_error(res, 413, "request body larger than " + std::to_string(options_.max_body_bytes) + " bytes",
                       "invalid_request_error", "request_too_large");
        else if (res.status == 404)
            send_error(res, 404, "no route for " + req.method + " " + req.path, "invalid_request_error", "not_found");
        else
            send_error(res, res.status, "HTTP " + std::to_string(res.status), "server_error");
    });
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, 500, "internal error", "server_error");
    });

    s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(mutex_);
        json h = {{"status", "ok"}, {"model", options_.model_name}, {"latency_profile", options_.latency.name},
                  {"in_flight", in_use_}, {"max_concurrency", options_.max_concurrency}, {"requests", requests_}};
        res.set_content(h.dump(), "application/json");
    });
    s.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
        json m = {{"object", "list"},
                  {"data", json::array({{{"id", options_.model_name}, {"object", "model"}, {"created", 0},
                                         {"owned_by", "headstart"}}})}};
        res.set_content(m.dump(), "application/json");
    });

    const auto completion = [this](bool chat) {
        return [this, chat](const httplib::Request& req, httplib::Response& res) {
            const auto arrival = Clock::now();
            unsigned long long request_no;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                request_no = ++requests_;
            }
            json body;
            try {
                body = json::parse(req.body);
            } catch (const json::exception& e) {
                return send_error(res, 400, std::string("request body is not valid JSON: ") + e.what(),
                                  "invalid_request_error", "invalid_json");
            }
            if (!body.is_object()) return send_error(res, 400, "request body must be a JSON object", "invalid_request_error", "invalid_json");
            if (body.contains("model") && !body["model"].is_null()) {
                if (!body["model"].is_string() || body["model"].get<std::string>() != options_.model_name)
                    return send_error(res, 404, "the model '" + (body["model"].is_string() ? body["model"].get<std::string>() : body["model"].dump()) +
                                                    "' does not exist; this server has '" + options_.model_name + "'",
                                      "invalid_request_error", "model_not_found", "model");
            }
            ContinuationTask task;
            bool stream = false;
            std::string param;
            if (chat) {
                if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty())
                    return send_error(res, 400, "messages must be a non-empty array", "invalid_request_error", nullptr, "messages");
                const json& msgs = body["messages"];
                for (size_t i = 0; i < msgs.size(); ++i) {
                    const json& m = msgs[i];
                    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") || !m["content"].is_string())
                        return send_error(res, 400, "messages[" + std::to_string(i) + "] needs string role and content",
                                          "invalid_request_error", nullptr, "messages");
                    const std::string role = m["role"].get<std::string>();
                    const std::string content = m["content"].get<std::string>();
                    if (role == "system") task.system = content;
                    else if (role == "user") { task.question = content; task.opener.clear(); }
                    else if (role == "assistant") task.opener = i + 1 == msgs.size() ? content : "";
                    else return send_error(res, 400, "unknown role '" + role + "'", "invalid_request_error", nullptr, "messages");
                }
                if (task.question.empty()) return send_error(res, 400, "no user message", "invalid_request_error", nullptr, "messages");
                // Headstart's own chat handoff quotes the opener inside the user message.
                if (task.opener.empty())
                    if (auto h = parse_chat_handoff(task.question)) { task.question = h->question; task.opener = h->opener; }
            } else {
                if (!body.contains("prompt") || !body["prompt"].is_string())
                    return send_error(res, 400, "prompt must be a string", "invalid_request_error", nullptr, "prompt");
                if (!parse_chatml(body["prompt"].get<std::string>(), &task))
                    return send_error(res, 400, "prompt must be ChatML with a user turn and end inside an assistant turn",
                                      "invalid_request_error", nullptr, "prompt");
            }
            const std::string err = read_common(body, options_, &task, &stream, &param);
            if (!err.empty()) return send_error(res, 400, err, "invalid_request_error", nullptr, param.c_str());

            Fault fault;
            if (options_.allow_faults && req.has_header("X-Headstart-Fault"))
                fault = parse_fault(req.get_header_value("X-Headstart-Fault"));
            if (fault.status) return send_error(res, fault.status, "injected failure", "server_error");

            auto slot = acquire();
            if (!slot) return send_error(res, 429, "the server is busy (" + std::to_string(options_.max_concurrency) +
                                                   " requests in flight); retry shortly", "rate_limit_error", "busy");

            std::mt19937_64 rng(options_.seed + task.seed * 7919 + request_no);
            LatencyProfile latency = options_.latency;
            if (!task.latency_profile.empty()) latency_profile(task.latency_profile, &latency);
            const double first_ms = draw_first_token_ms(latency, rng) + fault.stall_ms;
            const auto first_at = arrival + std::chrono::microseconds(static_cast<long long>(first_ms * 1000));
            const std::string id = (chat ? "chatcmpl-hs" : "cmpl-hs") + std::to_string(request_no);
            const long created = static_cast<long>(std::time(nullptr));
            const std::string model = options_.model_name;
            const double per_token_ms = latency.per_token_ms;

            if (!stream) {
                std::string text, finish = "stop";
                Status st = slot->continuator->generate(task, [&](std::string_view p) { text += p; return true; }, &finish);
                release(std::move(slot));
                if (!st.ok()) return send_error(res, 400, st.error(), "invalid_request_error", "generation_failed");
                if (!wait_until(first_at)) return send_error(res, 503, "the server is stopping", "server_error");
                json choice = {{"index", 0}, {"finish_reason", finish}};
                if (chat) choice["message"] = {{"role", "assistant"}, {"content", text}};
                else { choice["text"] = text; choice["logprobs"] = nullptr; }
                json out = {{"id", id}, {"object", chat ? "chat.completion" : "text_completion"}, {"created", created},
                            {"model", model}, {"choices", json::array({choice})}};
                return res.set_content(out.dump(), "application/json");
            }

            auto shared_slot = std::make_shared<std::unique_ptr<Slot>>(std::move(slot));
            res.set_header("Cache-Control", "no-cache");
            res.set_chunked_content_provider(
                "text/event-stream",
                [this, task, chat, id, created, model, first_at, per_token_ms, fault, shared_slot](size_t, httplib::DataSink& sink) {
                    int chunks = 0;
                    bool first = true, alive = true;
                    auto next_at = first_at;
                    const auto write = [&](const std::string& s) { return alive = alive && sink.write(s.data(), s.size()); };
                    std::string finish = "stop";
                    Status st = (*shared_slot)->continuator->generate(task, [&](std::string_view piece) {
                        if (!wait_until(next_at)) return alive = false;
                        next_at = Clock::now() + std::chrono::microseconds(static_cast<long long>(per_token_ms * 1000));
                        if (fault.cut_after >= 0 && chunks >= fault.cut_after) return alive = false;
                        const std::string text(piece);
                        if (fault.garbage && chunks == 1) write("data: {\"choices\": [ this is not json\n\n");
                        write(chunk_json(chat, id, created, model, &text, nullptr, first));
                        first = false;
                        ++chunks;
                        return alive;
                    }, &finish);
                    // A cut fault, or the server stopping: drop the connection, no [DONE].
                    if (fault.cut_after >= 0 || stopping_) return false;
                    if (!st.ok()) {
                        json e = {{"error", {{"message", st.error()}, {"type", "server_error"}}}};
                        write("data: " + e.dump() + "\n\n");
                    } else if (alive) {
                        if (!wait_until(next_at)) return false;
                        write(chunk_json(chat, id, created, model, nullptr, finish.c_str(), first));
                    }
                    write("data: [DONE]\n\n");
                    sink.done();
                    return true;
                },
                [this, shared_slot](bool) { release(std::move(*shared_slot)); });
        };
    };
    s.Post("/v1/chat/completions", completion(true));
    s.Post("/v1/completions", completion(false));

    if (!options_.web_dir.empty()) s.set_mount_point("/", options_.web_dir);
}

Status CloudServer::bind() {
    if (!options_.web_dir.empty() && !server_->set_mount_point("/", options_.web_dir))
        return Error{"cannot serve the web page: no folder " + options_.web_dir};
    if (options_.port == 0) {
        port_ = server_->bind_to_any_port(options_.host);
        if (port_ <= 0) return Error{"cannot bind " + options_.host};
    } else {
        if (!server_->bind_to_port(options_.host, options_.port))
            return Error{"cannot listen on " + options_.host + ":" + std::to_string(options_.port) + " (in use?)"};
        port_ = options_.port;
    }
    return Ok{};
}

void CloudServer::run() { server_->listen_after_bind(); }

bool CloudServer::wait_until(Clock::time_point t) const {
    // Short slices rather than a condition variable: stop() must stay lock-free (signal handler).
    while (!stopping_) {
        const auto now = Clock::now();
        if (now >= t) return true;
        std::this_thread::sleep_for(std::min<Clock::duration>(t - now, std::chrono::milliseconds(10)));
    }
    return false;
}

void CloudServer::stop() {
    stopping_ = true;
    if (server_) server_->stop();
}

}  // namespace headstart
