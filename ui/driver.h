// ui/driver.h — the one seam between the shared ui::App and a platform. The app never runs a
// model or opens a socket; it asks a TurnDriver to run a turn and draws the latest snapshot.
//
//   native (desktop/native_driver.*): ONNX Runtime + cpp-httplib on a worker thread
//   web    (wasm/web_driver.*):       onnxruntime-web + fetch streaming, callbacks on the main thread
//
// Both produce the same core::Turn (core/turn.h), so the views are identical.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/transport.h"
#include "core/turn.h"

namespace ui {

// A μLM the platform can load: a display name and where its files are.
struct ModelChoice {
    std::string name;            // "μLM 28M (int8)"
    std::string model_path;      // native path or URL (web)
    std::string tokenizer_path;  // native path or URL (web)
};

struct TurnRequest {
    std::string question;
    int model_index = 0;           // into TurnDriver::models()
    headstart::TurnConfig config;  // opener policy, sampler, gate, handoff, presenter, forced verdict
    headstart::Endpoint endpoint;  // cloud: local headstart-cloud or any OpenAI-compatible URL
    std::string latency_profile;   // asked of headstart-cloud ("" = the server's own)
    bool typing_paused = false;    // preread(): the user paused, so read the whole prompt
};

// What the app draws: a copy of the turn as it stands (taken under the driver's lock natively).
struct TurnSnapshot {
    std::shared_ptr<const headstart::Turn> turn;  // null before the first turn
    bool running = false;
    std::string error;       // the turn could not run at all (e.g. model failed to load)
    std::string status;      // one line: "loading model…", "μLM writing", "waiting for cloud", ...
    double elapsed_ms = 0;   // since the turn started (the timeline's clock), read when snapshot() is called
    long generation = 0;     // increments on every change (cheap change detection)
    int preread_tokens = 0;  // prompt tokens of the question being typed already in the μLM's KV cache
};

class TurnDriver {
public:
    virtual ~TurnDriver() = default;
    virtual std::vector<ModelChoice> models() const = 0;
    // Starts a turn; a running one is cancelled first.
    virtual void start(const TurnRequest& request) = 0;
    virtual void cancel() = 0;
    // The question is being typed (request.question so far): the μLM may read its finished words
    // into its KV cache now, so that the turn's prefill runs only the rest (core/prompt_cache.h).
    // Never changes what a turn produces, only when. Returns false when it cannot now (a turn
    // runs, the μLM is still loading): the app asks again on a later frame.
    virtual bool preread(const TurnRequest& request) {
        (void)request;
        return true;
    }
    virtual TurnSnapshot snapshot() const = 0;
    // Called once per frame on the UI thread (the web driver pumps its callbacks here).
    virtual void poll() {}
};

}  // namespace ui
