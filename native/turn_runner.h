// native/turn_runner.h — drives a core Turn natively: the μLM (ONNX Runtime) on the calling
// thread, the cloud request (cpp-httplib) on a worker thread, the presenter paced on a real
// clock. The Turn itself stays single-threaded: the worker only queues bytes for it.
#pragma once

#include <atomic>
#include <functional>

#include "core/model.h"
#include "core/transport.h"
#include "core/turn.h"
#include "native/http_client.h"

namespace headstart {

struct TurnRunOptions {
    Endpoint endpoint;
    int connect_timeout_ms = 3000;
    int idle_timeout_ms = 8000;  // cloud silence accepted, first token included
    int total_timeout_ms = 30000;
    bool paced = true;  // false: show every word as soon as it arrives (benchmarks)
    // Extra request headers, after the endpoint's auth (e.g. a provider's own key header, or
    // X-Headstart-Fault for headstart-cloud's failure tests).
    std::vector<std::pair<std::string, std::string>> headers;
};

// The URL for a request path on an endpoint; a base that already ends in /v1 is not doubled.
std::string endpoint_url(const Endpoint& endpoint, const std::string& path);

// Runs `turn` to its end. `model` may be null when the turn has no μLM opener. `on_update` is
// called on this thread after every change (token, delta, word shown). `cancel` (optional) ends
// the turn early: the cloud request is aborted and the turn ends as failed ("cancelled").
Status run_turn(Turn& turn, std::string_view question, LanguageModel* model, HttpClient& http,
                const TurnRunOptions& options, const std::function<void(const Turn&)>& on_update = {},
                const std::atomic<bool>* cancel = nullptr);

}  // namespace headstart
