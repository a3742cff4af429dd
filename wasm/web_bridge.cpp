// wasm/web_bridge.cpp — see web_bridge.h; the JavaScript side is wasm/web_bridge.js.
#include "wasm/web_bridge.h"

#include <emscripten.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

// Implemented in wasm/web_bridge.js (--js-library).
extern "C" {
void hs_model_load(int slot, const char* model_url, const char* tokenizer_url, int threads, int spin);
void hs_model_run(int slot, int run_id, const int* ids, int count, int keep, float* logits, int capacity);
void hs_model_release(int slot);
void hs_fetch_start(int id, const char* url, const char* body, const char* headers_json, int idle_ms, int total_ms);
void hs_fetch_abort(int id);
char* hs_page_info();
unsigned char* hs_page_file(const char* name, int* size);
void hs_bench_report(const char* json);
}

namespace headstart {
namespace {

// The browser calls back with an id and no context: live objects by id (main thread only).
std::map<int, WebModel*>& models() {
    static std::map<int, WebModel*> m;
    return m;
}
std::map<int, WebFetch*>& fetches() {
    static std::map<int, WebFetch*> f;
    return f;
}
int next_id() {
    static int id = 0;
    return ++id;
}

}  // namespace

// ---- WebModel ----------------------------------------------------------------------------------

WebModel::WebModel() : slot_(next_id()) { models()[slot_] = this; }

WebModel::~WebModel() {
    models().erase(slot_);
    hs_model_release(slot_);  // also stops pending runs from writing into logits_
}

void WebModel::load(const std::string& model_url, const std::string& tokenizer_url, const WebModelOptions& options,
                    Loaded done) {
    loading_ = true;
    loaded_ = false;
    load_error_.clear();
    on_loaded_ = std::move(done);
    info_ = ModelInfo{};
    info_.path = model_url;
    tokenizer_url_ = tokenizer_url;
    hs_model_load(slot_, model_url.c_str(), tokenizer_url.c_str(), options.threads, options.spin ? 1 : 0);
}

void WebModel::on_loaded(bool ok, std::string_view info_json, std::string_view tokenizer_json, std::string_view error) {
    loading_ = false;
    Status st = Ok{};
    if (!ok) {
        st = Error{std::string(error)};
    } else {
        auto tok = Tokenizer::from_json(tokenizer_json);
        const auto j = nlohmann::json::parse(info_json, nullptr, false);
        if (!tok.ok()) {
            st = Error{"cannot load the μLM's tokenizer " + tokenizer_url_ + ": " + tok.error()};
        } else if (!j.is_object()) {
            st = Error{"the μLM worker sent no model description"};
        } else {
            tokenizer_ = std::move(tok.value());
            info_.vocab_size = j.value("vocab_size", 0);
            info_.n_layers = j.value("n_layers", 0);
            info_.n_kv_heads = j.value("n_kv_heads", 0);
            info_.head_dim = j.value("head_dim", 0);
            info_.has_attention_mask = j.value("has_attention_mask", false);
            info_.has_position_ids = j.value("has_position_ids", false);
            if (info_.vocab_size <= 0) info_.vocab_size = tokenizer_.vocab_size();  // a dynamic logits shape
            logits_.assign(static_cast<size_t>(info_.vocab_size), 0.0f);
        }
    }
    loaded_ = st.ok();
    if (!st.ok()) load_error_ = st.error();
    if (on_loaded_) {
        Loaded done = std::move(on_loaded_);
        on_loaded_ = nullptr;
        done(st);
    }
}

void WebModel::prefill(const std::vector<int>& prompt, Ran done) {
    if (prompt.empty()) return done(Error{"prefill needs at least one token"});
    const PrefillPlan plan = cache_.plan(prompt);
    reused_ = plan.keep;
    run(plan, std::move(done));
}

void WebModel::step(int token, Ran done) {
    if (cache_.held().empty()) return done(Error{"step() before prefill()"});
    run(PrefillPlan{static_cast<int>(cache_.held().size()), {token}}, std::move(done));
}

void WebModel::extend(int keep, const std::vector<int>& ids, Ran done) {
    if (ids.empty()) return done(Error{"extend needs at least one token"});
    if (keep < 0 || keep > static_cast<int>(cache_.held().size()))
        return done(Error{"extend: cannot keep " + std::to_string(keep) + " of " +
                          std::to_string(cache_.held().size()) + " cached positions"});
    run(PrefillPlan{keep, ids}, std::move(done));
}

void WebModel::preread(const std::vector<int>& prefix, Ran done) {
    const PrefillPlan plan = cache_.plan_preread(prefix);
    if (plan.feed.empty()) return done(Ok{});  // already held
    run(plan, std::move(done));
}

void WebModel::run(const PrefillPlan& plan, Ran done) {
    if (!loaded_) return done(Error{load_error_.empty() ? "the μLM is not loaded yet" : load_error_});
    for (int t : plan.feed)
        if (t < 0 || t >= info_.vocab_size)
            return done(Error{"token id " + std::to_string(t) + " is outside the vocabulary (" +
                              std::to_string(info_.vocab_size) + ")"});
    const int id = ++run_id_;
    pending_.emplace_back(id, std::move(done));
    ids_ = plan.feed;
    cache_.ran(plan);  // the worker runs the queue in order: later runs plan against this one
    hs_model_run(slot_, id, ids_.data(), static_cast<int>(ids_.size()), plan.keep, logits_.data(),
                 static_cast<int>(logits_.size()));
}

void WebModel::on_logits(int run_id, bool ok, int vocab, double run_ms, std::string_view error) {
    Ran done;
    for (auto it = pending_.begin(); it != pending_.end(); ++it)
        if (it->first == run_id) {
            done = std::move(it->second);
            pending_.erase(it);
            break;
        }
    last_run_ms_ = run_ms;
    Status st = Ok{};
    if (!ok) {
        st = Error{error.empty() ? std::string("onnxruntime-web failed to run") : std::string(error)};
        cache_.clear();  // the worker dropped its KV cache: runs queued behind this one fail too
    } else if (vocab != static_cast<int>(logits_.size()))
        st = Error{"the μLM gave " + std::to_string(vocab) + " logits, expected " + std::to_string(logits_.size())};
    if (done) done(st);
}

// ---- WebFetch ----------------------------------------------------------------------------------

WebFetch::WebFetch() : id_(next_id()) { fetches()[id_] = this; }

WebFetch::~WebFetch() {
    fetches().erase(id_);
    if (active_) hs_fetch_abort(id_);
}

void WebFetch::start(const HttpPost& post, OnStatus on_status, OnBytes on_bytes, OnEnd on_end) {
    if (active_) {  // one request per object: a restart drops the old one's callbacks
        hs_fetch_abort(id_);
        fetches().erase(id_);
        id_ = next_id();
        fetches()[id_] = this;
    }
    on_status_ = std::move(on_status);
    on_bytes_ = std::move(on_bytes);
    on_end_ = std::move(on_end);
    nlohmann::json headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream, application/json"}};
    for (const auto& [k, v] : post.headers) headers[k] = v;
    active_ = true;
    hs_fetch_start(id_, post.url.c_str(), post.body.c_str(), headers.dump().c_str(), post.idle_timeout_ms,
                   post.total_timeout_ms);
}

void WebFetch::abort() {
    if (active_) hs_fetch_abort(id_);  // on_end(Cancelled) follows
}

void WebFetch::on_status(int status) {
    if (on_status_) on_status_(status);
}

void WebFetch::on_bytes(std::string_view bytes) {
    if (on_bytes_) on_bytes_(bytes);
}

void WebFetch::on_end(int failure, int status, std::string_view message, std::string_view body) {
    active_ = false;
    HttpOutcome o;
    o.status = status;
    o.failure = failure >= 0 && failure <= static_cast<int>(TransportFailure::Cancelled)
                    ? static_cast<TransportFailure>(failure)
                    : TransportFailure::CutMidStream;
    o.message = std::string(message);
    o.body = std::string(body);
    if (on_end_) {
        OnEnd done = std::move(on_end_);
        on_end_ = nullptr;
        done(o);
    }
}

std::string page_config() {
    char* text = hs_page_info();
    std::string out = text ? text : "{}";
    std::free(text);
    return out;
}

std::vector<unsigned char> page_file(const std::string& name) {
    int size = 0;
    unsigned char* bytes = hs_page_file(name.c_str(), &size);
    std::vector<unsigned char> out(bytes, bytes + (bytes ? size : 0));
    std::free(bytes);
    return out;
}

void report_to_page(const std::string& json) { hs_bench_report(json.c_str()); }

}  // namespace headstart

// ---- the callbacks web_bridge.js calls ---------------------------------------------------------

extern "C" {

// Returns what the load came to after the C++ side's own checks (the tokenizer.json is parsed here, not in
// the worker): "" when the μLM is ready, else the readable error the page shows.
EMSCRIPTEN_KEEPALIVE const char* hs_on_model_loaded(int slot, int ok, const char* info_json, const char* tokenizer_json,
                                                    const char* error) {
    auto it = headstart::models().find(slot);
    if (it == headstart::models().end()) return "";
    it->second->on_loaded(ok != 0, info_json, tokenizer_json, error);
    return it->second->load_error().c_str();
}

EMSCRIPTEN_KEEPALIVE void hs_on_logits(int slot, int run_id, int ok, int vocab, double run_ms, const char* error) {
    auto it = headstart::models().find(slot);
    if (it != headstart::models().end()) it->second->on_logits(run_id, ok != 0, vocab, run_ms, error);
}

EMSCRIPTEN_KEEPALIVE void hs_on_fetch_status(int id, int status) {
    auto it = headstart::fetches().find(id);
    if (it != headstart::fetches().end()) it->second->on_status(status);
}

EMSCRIPTEN_KEEPALIVE void hs_on_fetch_bytes(int id, const char* bytes, int size) {
    auto it = headstart::fetches().find(id);
    if (it != headstart::fetches().end()) it->second->on_bytes(std::string_view(bytes, static_cast<size_t>(size)));
}

EMSCRIPTEN_KEEPALIVE void hs_on_fetch_end(int id, int failure, int status, const char* message, const char* body) {
    auto it = headstart::fetches().find(id);
    if (it != headstart::fetches().end()) it->second->on_end(failure, status, message, body);
}

}  // extern "C"
