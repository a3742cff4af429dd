// cloud/server.cpp — see server.h. Handlers are small and explicit; errors are returned as
// OpenAI-style JSON, never thrown across the HTTP layer.
//
// Map of this file:
//   send_error(), Fault       OpenAI-style errors; the faults tests inject (X-Headstart-Fault)
//   chunk_json()              one SSE chunk of either endpoint
//   acquire(), release()      the generation slots (max_concurrency, a queue timeout -> 429)
//   routes()                  /health, /v1/models, the two completions, the web page
//   complete()                a completion: parse_completion_request(), a slot, the injected latency,
//                             then answer_whole() or answer_streamed() (SSE; usage when asked)
//   bind(), run(), stop()     the socket; stop() is lock-free for the signal handler
#include "cloud/server.h"

#include <httplib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#ifdef __linux__
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

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
    json e = {{"error",
               {{"message", message},
                {"type", type},
                {"param", param ? json(param) : json(nullptr)},
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
    json c = {{"id", id},
              {"object", chat ? "chat.completion.chunk" : "text_completion"},
              {"created", created},
              {"model", model},
              {"choices", json::array({choice})}};
    return "data: " + c.dump() + "\n\n";
}

int count_words(std::string_view text) {
    int n = 0;
    bool in_word = false;
    for (char c : text) {
        const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (!space && !in_word) ++n;
        in_word = !space;
    }
    return n;
}

// The socket of the connection a request came in on (cpp-httplib 0.11 does not hand it to handlers): the
// one of this process's sockets whose local port is ours and whose peer is the request's remote address.
// -1 where it cannot be told (not Linux, not found): then a hang-up is noticed at the next write only.
int connection_fd(const std::string& remote_addr, int remote_port, int local_port) {
#ifdef __linux__
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) return -1;
    int found = -1;
    while (const dirent* e = readdir(dir)) {
        char* end = nullptr;
        const long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0') continue;
        sockaddr_storage local{}, peer{};
        socklen_t ll = sizeof local, pl = sizeof peer;
        if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
        if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
        char addr[INET6_ADDRSTRLEN] = {0};
        int lport = -1, pport = -1;
        if (local.ss_family == AF_INET && peer.ss_family == AF_INET) {
            lport = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
            pport = ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port);
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, addr, sizeof addr);
        } else if (local.ss_family == AF_INET6 && peer.ss_family == AF_INET6) {
            lport = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
            pport = ntohs(reinterpret_cast<sockaddr_in6*>(&peer)->sin6_port);
            inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, addr, sizeof addr);
        }
        if (lport == local_port && pport == remote_port && remote_addr == addr) {
            found = static_cast<int>(fd);
            break;
        }
    }
    closedir(dir);
    return found;
#else
    (void)remote_addr, (void)remote_port, (void)local_port;
    return -1;
#endif
}

// Whether the client has closed its end (an orderly FIN or a reset) — checked without reading anything.
bool peer_hung_up(int fd) {
#ifdef __linux__
    if (fd < 0) return false;
    char c;
    const ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
#else
    (void)fd;
    return false;
#endif
}

json usage_json(int prompt_tokens, int completion_tokens) {
    return {{"prompt_tokens", prompt_tokens},
            {"completion_tokens", completion_tokens},
            {"total_tokens", prompt_tokens + completion_tokens}};
}

}  // namespace

CloudServer::CloudServer(CloudServerOptions options, Factory factory)
    : options_(std::move(options)), factory_(std::move(factory)), server_(std::make_unique<httplib::Server>()) {
    // A streamed answer holds one of cpp-httplib's threads for its whole length (seconds under a latency
    // profile): enough threads for every slot, and some for /v1/models, the page and the 429 replies.
    const size_t threads = static_cast<size_t>(std::max(8, options_.max_concurrency + 8));
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
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
        else send_error(res, res.status, "HTTP " + std::to_string(res.status), "server_error");
    });
    s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, 500, "internal error", "server_error");
    });

    s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(mutex_);
        json h = {{"status", "ok"},
                  {"model", options_.model_name},
                  {"latency_profile", options_.latency.name},
                  {"in_flight", in_use_},
                  {"max_concurrency", options_.max_concurrency},
                  {"queue_timeout_ms", options_.queue_timeout_ms},
                  {"requests", requests_}};
        res.set_content(h.dump(), "application/json");
    });
    s.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
        json m = {
            {"object", "list"},
            {"data",
             json::array(
                 {{{"id", options_.model_name}, {"object", "model"}, {"created", 0}, {"owned_by", "headstart"}}})}};
        res.set_content(m.dump(), "application/json");
    });

    s.Post("/v1/chat/completions",
           [this](const httplib::Request& req, httplib::Response& res) { complete(req, res, true); });
    s.Post("/v1/completions",
           [this](const httplib::Request& req, httplib::Response& res) { complete(req, res, false); });

    if (!options_.web_dir.empty()) s.set_mount_point("/", options_.web_dir);
}

// One request of either endpoint, as it goes through the server.
struct CloudServer::Reply {
    bool chat = true;
    ContinuationTask task;
    bool include_usage = false;
    std::string id, model;
    long created = 0;
    Clock::time_point first_at;  // the injected first-token wait ends
    double per_token_ms = 0;
    Fault fault;
    std::function<int(std::string_view)> count;
    int prompt_tokens = 0;
    int peer_fd = -1;  // the connection's socket, to notice a hang-up during the waits (connection_fd())

    json usage(const std::string& completion) const { return usage_json(prompt_tokens, count(completion)); }
};

void CloudServer::complete(const httplib::Request& req, httplib::Response& res, bool chat) {
    const auto arrival = Clock::now();
    unsigned long long request_no;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        request_no = ++requests_;
    }
    CompletionLimits limits;
    limits.model_name = options_.model_name;
    limits.max_tokens_cap = options_.max_tokens_cap;
    const auto parsed = parse_completion_request(req.body, chat, limits);
    if (!parsed.ok()) {
        const RequestError& e = parsed.failure();
        return send_error(res, e.status, e.message, e.type.c_str(), e.code.empty() ? nullptr : e.code.c_str(),
                          e.param.empty() ? nullptr : e.param.c_str());
    }
    auto reply = std::make_shared<Reply>();
    reply->chat = chat;
    reply->task = parsed->task;
    reply->include_usage = parsed->include_usage;
    reply->count = options_.count_tokens ? options_.count_tokens : std::function<int(std::string_view)>(count_words);
    reply->prompt_tokens =
        reply->count(reply->task.system) + reply->count(reply->task.question) + reply->count(reply->task.opener);
    if (options_.allow_faults && req.has_header("X-Headstart-Fault"))
        reply->fault = parse_fault(req.get_header_value("X-Headstart-Fault"));
    if (reply->fault.status) return send_error(res, reply->fault.status, "injected failure", "server_error");

    auto slot = acquire();
    if (!slot)
        return send_error(
            res, 429,
            "the server is busy (" + std::to_string(options_.max_concurrency) + " requests in flight); retry shortly",
            "rate_limit_error", "busy");

    std::mt19937_64 rng(options_.seed + reply->task.seed * 7919 + request_no);
    LatencyProfile latency = options_.latency;
    if (!reply->task.latency_profile.empty()) latency_profile(reply->task.latency_profile, &latency);
    const double first_ms = draw_first_token_ms(latency, rng) + reply->fault.stall_ms;
    reply->first_at = arrival + std::chrono::microseconds(static_cast<long long>(first_ms * 1000));
    reply->id = (chat ? "chatcmpl-hs" : "cmpl-hs") + std::to_string(request_no);
    reply->created = static_cast<long>(std::time(nullptr));
    reply->model = options_.model_name;
    reply->per_token_ms = latency.per_token_ms;
    if (parsed->stream) {  // only a stream waits with the slot held: it alone needs the connection's socket
        reply->peer_fd = connection_fd(req.remote_addr, req.remote_port, port_);
        return answer_streamed(std::move(reply), std::move(slot), res);
    }
    answer_whole(*reply, std::move(slot), res);
}

void CloudServer::answer_whole(const Reply& r, std::unique_ptr<Slot> slot, httplib::Response& res) {
    std::string text, finish = "stop";
    Status st = slot->continuator->generate(
        r.task,
        [&](std::string_view p) {
            text += p;
            return true;
        },
        &finish);
    release(std::move(slot));
    if (!st.ok()) return send_error(res, 400, st.error(), "invalid_request_error", "generation_failed");
    if (!wait_until(r.first_at)) return send_error(res, 503, "the server is stopping", "server_error");
    json choice = {{"index", 0}, {"finish_reason", finish}};
    if (r.chat) choice["message"] = {{"role", "assistant"}, {"content", text}};
    else {
        choice["text"] = text;
        choice["logprobs"] = nullptr;
    }
    json out = {{"id", r.id},
                {"object", r.chat ? "chat.completion" : "text_completion"},
                {"created", r.created},
                {"model", r.model},
                {"choices", json::array({choice})},
                {"usage", r.usage(text)}};
    res.set_content(out.dump(), "application/json");
}

void CloudServer::answer_streamed(std::shared_ptr<const Reply> reply, std::unique_ptr<Slot> slot,
                                  httplib::Response& res) {
    auto shared_slot = std::make_shared<std::unique_ptr<Slot>>(std::move(slot));
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, reply, shared_slot](size_t, httplib::DataSink& sink) {
            const Reply& r = *reply;
            int chunks = 0;
            std::string generated;  // for the usage chunk
            bool first = true, alive = true;
            auto next_at = r.first_at;
            const auto write = [&](const std::string& s) { return alive = alive && sink.write(s.data(), s.size()); };
            const auto on_piece = [&](std::string_view piece) {
                if (!wait_until(next_at, r.peer_fd)) return alive = false;
                next_at = Clock::now() + std::chrono::microseconds(static_cast<long long>(r.per_token_ms * 1000));
                if (r.fault.cut_after >= 0 && chunks >= r.fault.cut_after) return alive = false;
                const std::string text(piece);
                generated += text;
                if (r.fault.garbage && chunks == 1) write("data: {\"choices\": [ this is not json\n\n");
                write(chunk_json(r.chat, r.id, r.created, r.model, &text, nullptr, first));
                first = false;
                ++chunks;
                return alive;
            };
            std::string finish = "stop";
            const Status st = (*shared_slot)->continuator->generate(r.task, on_piece, &finish);
            // A cut fault, or the server stopping: drop the connection, no [DONE].
            if (r.fault.cut_after >= 0 || stopping_) return false;
            if (!st.ok()) {
                json e = {{"error", {{"message", st.error()}, {"type", "server_error"}}}};
                write("data: " + e.dump() + "\n\n");
            } else if (alive) {
                if (!wait_until(next_at)) return false;
                write(chunk_json(r.chat, r.id, r.created, r.model, nullptr, finish.c_str(), first));
                if (r.include_usage) {  // OpenAI's shape: no choices, the usage of the whole answer
                    const json u = {{"id", r.id},
                                    {"object", r.chat ? "chat.completion.chunk" : "text_completion"},
                                    {"created", r.created},
                                    {"model", r.model},
                                    {"choices", json::array()},
                                    {"usage", r.usage(generated)}};
                    write("data: " + u.dump() + "\n\n");
                }
            }
            write("data: [DONE]\n\n");
            sink.done();
            return true;
        },
        [this, shared_slot](bool) { release(std::move(*shared_slot)); });
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

bool CloudServer::wait_until(Clock::time_point t, int peer_fd) const {
    // Short slices rather than a condition variable: stop() must stay lock-free (signal handler).
    while (!stopping_) {
        const auto now = Clock::now();
        if (now >= t) return true;
        if (peer_hung_up(peer_fd)) return false;  // the client left: free its slot now, not at the next write
        std::this_thread::sleep_for(std::min<Clock::duration>(t - now, std::chrono::milliseconds(10)));
    }
    return false;
}

void CloudServer::stop() {
    stopping_ = true;
    if (server_) server_->stop();
}

}  // namespace headstart
