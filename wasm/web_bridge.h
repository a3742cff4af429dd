// wasm/web_bridge.h — the browser's μLM and network, as C++ objects over wasm/web_bridge.js.
// Nothing here blocks and nothing needs ASYNCIFY: a call starts the work in JavaScript and returns;
// the result comes back later on the main thread through an exported C function (hs_on_*), which
// finds the object by its id and calls the callback it was given.
//
//   WebModel   a μLM in an onnxruntime-web session inside a Worker (wasm/ort_worker.js); the KV
//              cache stays on the JavaScript side, only token ids go in and logits come out
//   WebFetch   one streamed POST (fetch + ReadableStream) with core/transport.h's outcomes
//   page_config()   what the page asked for (Module.headstartConfig): models, cloud URL, bench
//   page_file()     bytes the page fetched for the app before it started (the fonts)
//
// Objects may be destroyed with work in flight: late callbacks for an unknown id are dropped.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/prompt_cache.h"
#include "core/result.h"
#include "core/tokenizer.h"
#include "core/transport.h"

namespace headstart {

struct WebModelOptions {
    int threads = 0;    // onnxruntime-web threads, 0: automatic (see wasm/ort_worker.js); once per page
    bool spin = false;  // ORT's threads spin between runs (native ORT's default; for benchmarks)
};

class WebModel {
public:
    using Loaded = std::function<void(const Status&)>;
    using Ran = std::function<void(const Status&)>;

    WebModel();
    ~WebModel();
    WebModel(const WebModel&) = delete;
    WebModel& operator=(const WebModel&) = delete;

    // Fetches the model and its tokenizer.json (the page shows the progress), creates the session
    // and warms it up with one run.
    void load(const std::string& model_url, const std::string& tokenizer_url, const WebModelOptions& options,
              Loaded done);
    bool loaded() const { return loaded_; }
    bool loading() const { return loading_; }
    const std::string& load_error() const { return load_error_; }
    const ModelInfo& info() const { return info_; }
    const Tokenizer& tokenizer() const { return tokenizer_; }

    // The LanguageModel contract of core/model.h, asynchronous: after `done` succeeds, logits()
    // holds the next-token logits. Runs queue in the worker and run in order; a prefill may be
    // queued behind a step or a pre-read. What the KV cache holds is tracked here as the runs are
    // sent (core/prompt_cache.h), so a queued run plans against the runs before it.
    //   prefill    reuses the cached tokens the prompt starts with (reused_on_last_prefill())
    //   extend     keeps `keep` cached positions and runs `ids` after them (extend(0, p): cold)
    //   preread    puts a prompt prefix into the cache (the question being typed); no logits
    void prefill(const std::vector<int>& prompt, Ran done);
    void step(int token, Ran done);
    void extend(int keep, const std::vector<int>& ids, Ran done);
    void preread(const std::vector<int>& prefix, Ran done);
    int reused_on_last_prefill() const { return reused_; }
    const std::vector<float>& logits() const { return logits_; }
    double last_run_ms() const { return last_run_ms_; }  // session.run inside the worker

    // Called by the exported callbacks (web_bridge.cpp).
    void on_loaded(bool ok, std::string_view info_json, std::string_view tokenizer_json, std::string_view error);
    void on_logits(int run_id, bool ok, int vocab, double run_ms, std::string_view error);

private:
    void run(const PrefillPlan& plan, Ran done);

    int slot_;
    bool loaded_ = false, loading_ = false;
    std::string load_error_;
    std::string tokenizer_url_;
    ModelInfo info_;
    Tokenizer tokenizer_;
    Loaded on_loaded_;
    int run_id_ = 0;
    std::vector<std::pair<int, Ran>> pending_;  // run id -> callback, in order
    std::vector<int> ids_;
    PromptCache cache_;  // what the worker's KV cache holds once every queued run is done
    int reused_ = 0;
    std::vector<float> logits_;
    double last_run_ms_ = 0;
};

class WebFetch {
public:
    using OnStatus = std::function<void(int status)>;
    using OnBytes = std::function<void(std::string_view bytes)>;
    using OnEnd = std::function<void(const HttpOutcome& outcome)>;

    WebFetch();
    ~WebFetch();  // aborts a fetch in flight; its callbacks are not called any more
    WebFetch(const WebFetch&) = delete;
    WebFetch& operator=(const WebFetch&) = delete;

    // POSTs and streams the response, as HttpClient::post_stream does natively: on_status once the
    // headers are in, on_bytes per chunk of a 2xx body, on_end once (non-2xx: HttpStatus with the
    // server's error text; refused / DNS / CORS: Unreachable; silence past idle_timeout_ms or a
    // response past total_timeout_ms: Timeout; a broken stream: CutMidStream; abort(): Cancelled).
    void start(const HttpPost& post, OnStatus on_status, OnBytes on_bytes, OnEnd on_end);
    void abort();
    bool active() const { return active_; }

    void on_status(int status);
    void on_bytes(std::string_view bytes);
    void on_end(int failure, int status, std::string_view message, std::string_view body);

private:
    int id_;
    bool active_ = false;
    OnStatus on_status_;
    OnBytes on_bytes_;
    OnEnd on_end_;
};

// Module.headstartConfig as JSON text (with "cloud" defaulting to the page's origin).
std::string page_config();
// Bytes the page fetched before the app started (Module.headstartFiles[name]); empty if none.
std::vector<unsigned char> page_file(const std::string& name);
// Hands a JSON report to the page (Module.onBenchReport).
void report_to_page(const std::string& json);

}  // namespace headstart
