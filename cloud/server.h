// cloud/server.h — headstart-cloud: an OpenAI-compatible continuation server on a local μLM.
//
//   GET  /health                 {"status":"ok", ...}
//   GET  /v1/models              the one model it serves
//   POST /v1/chat/completions    chat mode (messages; a trailing assistant message is continued)
//   POST /v1/completions         prefill mode (a raw ChatML prompt that ends inside the answer)
//   GET  /*                      the web page (--web DIR), with COOP/COEP for onnxruntime-web threads
//
// Both POSTs stream (SSE, `data: {...}` then `data: [DONE]`) or answer whole, with OpenAI's "usage"
// (whole answers always; streams when stream_options.include_usage asks). Latency is injected
// per request from a profile. Bad JSON, oversize bodies, unknown models and bad fields get
// OpenAI-style errors ({"error":{"message","type","param","code"}}). Generation is bounded by
// max_concurrency; a request that cannot get a slot within queue_timeout_ms gets 429.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/completion_request.h"
#include "core/latency_profile.h"
#include "core/result.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace headstart {

// Produces the continuation piece by piece; emit() returns false when the client has gone.
class Continuator {
public:
    virtual ~Continuator() = default;
    // finish_reason out: "stop" or "length". An Error becomes a 400 (e.g. prompt too long).
    virtual Status generate(const ContinuationTask& task, const std::function<bool(std::string_view)>& emit,
                            std::string* finish_reason) = 0;
};

struct CloudServerOptions {
    std::string host = "127.0.0.1";
    int port = 8088;  // 0: any free port (see bound_port())
    std::string model_name = "headstart-cloud";
    LatencyProfile latency;
    int max_concurrency = 2;
    int queue_timeout_ms = 2000;
    size_t max_body_bytes = 64 * 1024;
    int max_tokens_cap = 512;
    std::string web_dir;        // "" = no page
    bool allow_faults = false;  // honour X-Headstart-Fault (tests only)
    unsigned long long seed = 42;
    // Counts tokens for the responses' "usage" (prompt_tokens: system + question + opener;
    // completion_tokens: the text generated). Unset: whitespace-separated words.
    std::function<int(std::string_view)> count_tokens;
};

class CloudServer {
public:
    using Factory = std::function<Result<std::unique_ptr<Continuator>>()>;
    CloudServer(CloudServerOptions options, Factory factory);
    ~CloudServer();

    Status bind();  // opens the socket (port 0 picks one)
    int bound_port() const { return port_; }
    void run();  // serves until stop(); call after bind()
    // Ends run() promptly: requests still waiting out their injected latency are cut off (a
    // stream is dropped, a whole answer gets 503) instead of holding the shutdown for seconds.
    // Takes no lock (it sets an atomic flag, then httplib closes the listening socket), since
    // headstart-cloud calls it from its SIGINT / SIGTERM handler.
    void stop();

private:
    struct Slot;
    struct Reply;
    // POST /v1/chat/completions (chat) or /v1/completions: parse_completion_request(), a fault if a
    // test asked for one, a slot, the injected latency; then the answer whole or streamed.
    void complete(const httplib::Request& req, httplib::Response& res, bool chat);
    void answer_whole(const Reply& reply, std::unique_ptr<Slot> slot, httplib::Response& res);
    void answer_streamed(std::shared_ptr<const Reply> reply, std::unique_ptr<Slot> slot, httplib::Response& res);
    std::unique_ptr<Slot> acquire();  // nullptr when busy past the queue timeout
    void release(std::unique_ptr<Slot> slot);
    void routes();
    // Sleeps until `t` (injected latency); false, early, once stop() was called.
    // Sleeps until t; false when stopping or, given the connection's socket, when the client hung up.
    bool wait_until(std::chrono::steady_clock::time_point t, int peer_fd = -1) const;

    CloudServerOptions options_;
    Factory factory_;
    std::unique_ptr<httplib::Server> server_;
    int port_ = 0;
    std::mutex mutex_;
    std::condition_variable slot_free_;
    std::vector<std::unique_ptr<Slot>> idle_;
    int in_use_ = 0;
    unsigned long long requests_ = 0;
    std::atomic<bool> stopping_{false};
};

}  // namespace headstart
