// wasm/web_driver.cpp — see web_driver.h. The control flow mirrors native/turn_runner.cpp (prefill
// once, one step per token, handoff, stream, pace), cut into callbacks.
#include "wasm/web_driver.h"

#include <emscripten.h>

namespace headstart {
namespace {

// The URL for a request path on an endpoint; a base that already ends in /v1 is not doubled
// (as native/turn_runner.cpp's endpoint_url, which the web build does not link).
std::string endpoint_url(const Endpoint& endpoint, const std::string& path) {
    std::string base = endpoint.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (base.size() >= 3 && base.compare(base.size() - 3, 3, "/v1") == 0 && path.rfind("/v1/", 0) == 0)
        base.resize(base.size() - 3);
    return base + path;
}

// The same deadlines as a native turn (TurnRunOptions); fetch() has no connect timeout of its
// own, so a server that never answers runs into the idle deadline (first byte included).
constexpr int kIdleTimeoutMs = 8000;
constexpr int kTotalTimeoutMs = 30000;

}  // namespace

WebTurnDriver::WebTurnDriver(std::vector<ui::ModelChoice> models, int threads)
    : models_(std::move(models)), threads_(threads) {}

WebTurnDriver::~WebTurnDriver() = default;  // the WebModels and the WebFetch drop their callbacks

double WebTurnDriver::now_ms() const { return emscripten_get_now() - started_at_; }

WebModel* WebTurnDriver::model_for(int index) {
    auto it = loaded_.find(index);
    if (it != loaded_.end()) return it->second.get();
    auto model = std::make_unique<WebModel>();
    WebModel* m = model.get();
    loaded_.emplace(index, std::move(model));
    const ui::ModelChoice& choice = models_[index];
    WebModelOptions options;
    options.threads = threads_;
    m->load(choice.model_path, choice.tokenizer_path, options, [this, index](const Status& st) {
        if (!waiting_for_model_ || request_.model_index != index) return;
        waiting_for_model_ = false;
        if (st.ok()) begin_turn();
        else finish("failed", st.error());
    });
    return m;
}

void WebTurnDriver::preload(int index) {
    if (index >= 0 && index < static_cast<int>(models_.size())) model_for(index);
}

void WebTurnDriver::start(const ui::TurnRequest& request) {
    ++turn_id_;      // whatever the previous turn still has in flight is dropped
    fetch_.reset();  // aborts its request without calling back
    turn_.reset();
    waiting_for_model_ = false;
    cancelled_ = false;
    request_ = request;
    request_.config.latency_profile = request.latency_profile;
    snapshot_.turn.reset();
    snapshot_.preread_tokens = 0;  // the turn's prefill takes them
    if (request_.model_index < 0 || request_.model_index >= static_cast<int>(models_.size()))
        return finish("failed", "no μLM with index " + std::to_string(request_.model_index));
    const bool wants_model = request_.config.opener_source == OpenerSource::Model;
    auto it = loaded_.find(request_.model_index);
    if (!wants_model && (it == loaded_.end() || !it->second->loaded()))
        return begin_turn();  // no μLM needed: the turn runs with an empty tokenizer
    if (it != loaded_.end() && !it->second->loaded() && !it->second->loading())
        loaded_.erase(it);  // an earlier load failed: try again, as natively
    WebModel* m = model_for(request_.model_index);
    if (m->loaded()) return begin_turn();
    waiting_for_model_ = true;
    publish("loading " + models_[request_.model_index].name, true);
}

bool WebTurnDriver::preread(const ui::TurnRequest& request) {
    if (request.config.opener_source != OpenerSource::Model) return true;  // nothing to read
    if (snapshot_.running || waiting_for_model_) return false;
    auto it = loaded_.find(request.model_index);
    if (it == loaded_.end() || !it->second->loaded()) return false;  // still loading (or failed)
    WebModel* m = it->second.get();
    const auto ids = prompt_prefix(m->tokenizer(), request.question, request.config, request.typing_paused);
    if (ids.empty()) return true;
    const int n = static_cast<int>(ids.size());
    const long id = turn_id_;
    m->preread(ids, [this, id, n](const Status& st) {
        if (!st.ok() || id != turn_id_) return;  // a turn started meanwhile: its prefill planned with it
        snapshot_.preread_tokens = n;
        ++snapshot_.generation;
    });
    return true;
}

void WebTurnDriver::cancel() {
    if (!turn_ || !snapshot_.running) return;
    cancelled_ = true;  // the opener loop stops at its next callback, then the turn ends as cancelled
    if (fetch_) fetch_->abort();
}

void WebTurnDriver::begin_turn() {
    auto it = loaded_.find(request_.model_index);
    WebModel* m = it != loaded_.end() && it->second->loaded() ? it->second.get() : nullptr;
    turn_ = std::make_unique<Turn>(m ? m->tokenizer() : Tokenizer(), request_.config);
    started_at_ = emscripten_get_now();
    auto prompt = turn_->begin(request_.question, now_ms());
    if (!prompt.ok()) return finish("failed", prompt.error());
    dirty_ = true;
    if (prompt->empty()) return hand_off();
    if (!m) {  // cannot happen (start() waits for the μLM), but never dereference it unloaded
        turn_->on_model_error("the μLM is not loaded", now_ms());
        return hand_off();
    }
    const long id = turn_id_;
    m->prefill(*prompt, [this, id](const Status& st) { on_model_ran(id, st); });
    turn_->on_prompt_reused(m->reused_on_last_prefill());
    publish(status_of(), true);
}

void WebTurnDriver::on_model_ran(long id, const Status& st) {
    if (id != turn_id_ || !turn_ || turn_->phase() != TurnPhase::Opener) return;
    WebModel* m = loaded_.at(request_.model_index).get();
    Status result = st;
    if (result.ok() && !cancelled_) {
        auto next = turn_->on_logits(m->logits(), now_ms());
        dirty_ = true;
        if (!next.ok()) {
            result = Error{next.error()};
        } else if (next->has_value()) {
            m->step(**next, [this, id](const Status& s) { on_model_ran(id, s); });
            return;
        } else {
            return hand_off();  // the opener is fixed
        }
    }
    if (!result.ok()) turn_->on_model_error(result.error(), now_ms());
    else turn_->on_model_error("cancelled", now_ms());  // cancelled mid-opener: hand off, then cancel the request
    hand_off();
}

void WebTurnDriver::hand_off() {
    auto request = turn_->handoff(now_ms());
    if (!request.ok()) return finish("failed", request.error());
    dirty_ = true;

    const Endpoint& endpoint = request_.endpoint;
    HttpPost post;
    post.url = endpoint_url(endpoint, request->path);
    post.body = request->body;
    if (!endpoint.api_key.empty()) post.headers.emplace_back("Authorization", "Bearer " + endpoint.api_key);
    post.headers.insert(post.headers.end(), headers_.begin(), headers_.end());
    post.idle_timeout_ms = kIdleTimeoutMs;
    post.total_timeout_ms = kTotalTimeoutMs;

    const long id = turn_id_;
    fetch_ = std::make_unique<WebFetch>();
    fetch_->start(
        post,
        [this, id](int status) {
            if (id != turn_id_) return;
            turn_->on_cloud_status(status, now_ms());
            dirty_ = true;
        },
        [this, id](std::string_view bytes) {
            if (id != turn_id_) return;
            turn_->on_cloud_bytes(bytes, now_ms());
            dirty_ = true;
        },
        [this, id](const HttpOutcome& outcome) {
            if (id != turn_id_) return;
            turn_->on_cloud_end(outcome, now_ms());
            dirty_ = true;
        });
    if (cancelled_) fetch_->abort();
    publish(status_of(), true);
}

void WebTurnDriver::poll() {
    if (!turn_ || !snapshot_.running || waiting_for_model_) return;
    if (turn_->phase() == TurnPhase::Cloud || turn_->phase() == TurnPhase::Done)
        if (turn_->advance(now_ms()) > 0) dirty_ = true;
    if (turn_->finished()) return finish("done", "");
    if (dirty_) publish(status_of(), true);
}

ui::TurnSnapshot WebTurnDriver::snapshot() const {
    ui::TurnSnapshot s = snapshot_;
    if (turn_ && s.running) s.elapsed_ms = now_ms();  // else the elapsed time when it ended
    return s;
}

void WebTurnDriver::finish(const std::string& status, const std::string& error) { publish(status, false, error); }

void WebTurnDriver::publish(const std::string& status, bool running, const std::string& error) {
    if (turn_) snapshot_.turn = std::make_shared<const Turn>(*turn_);
    snapshot_.status = status;
    snapshot_.running = running;
    snapshot_.error = error;
    snapshot_.elapsed_ms = turn_ ? now_ms() : 0;
    ++snapshot_.generation;
    dirty_ = false;
}

std::string WebTurnDriver::status_of() const {
    switch (turn_->phase()) {
        case TurnPhase::Idle: return "starting";
        case TurnPhase::Opener: return "μLM writing the opener";
        case TurnPhase::Handoff: return "handing off";
        case TurnPhase::Cloud: return turn_->cloud_text().empty() ? "waiting for the cloud" : "cloud streaming";
        case TurnPhase::Done: return "showing the last words";
    }
    return "";
}

}  // namespace headstart
