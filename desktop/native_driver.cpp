// desktop/native_driver.cpp — see native_driver.h.
#include "desktop/native_driver.h"

#include <chrono>

#include "native/http_client.h"
#include "native/ort_model.h"
#include "native/turn_runner.h"

namespace headstart {

NativeTurnDriver::NativeTurnDriver(std::vector<ui::ModelChoice> models, int threads)
    : models_(std::move(models)), threads_(threads) {}

NativeTurnDriver::~NativeTurnDriver() {
    cancel();
    if (worker_.joinable()) worker_.join();
}

void NativeTurnDriver::cancel() { cancel_ = true; }

void NativeTurnDriver::start(const ui::TurnRequest& request) {
    cancel();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        preread_pending_.reset();  // a pre-read in flight ends with its current run
    }
    if (worker_.joinable()) worker_.join();
    cancel_ = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        preread_busy_ = false;
        snapshot_.preread_tokens = 0;  // the turn's prefill takes them
        snapshot_.turn.reset();        // the previous turn is not this one's
        turn_started_.reset();
        final_elapsed_ms_ = 0;
    }
    publish(nullptr, "starting", true);
    worker_ = std::thread([this, request] { run(request); });
}

ui::TurnSnapshot NativeTurnDriver::snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    ui::TurnSnapshot s = snapshot_;
    if (turn_started_ && s.running)
        s.elapsed_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *turn_started_).count();
    else s.elapsed_ms = final_elapsed_ms_;
    return s;
}

void NativeTurnDriver::publish(const Turn* turn, const std::string& status, bool running, const std::string& error) {
    std::shared_ptr<const Turn> copy = turn ? std::make_shared<const Turn>(*turn) : nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    if (copy) snapshot_.turn = std::move(copy);
    if (!running && turn_started_)
        final_elapsed_ms_ =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *turn_started_).count();
    snapshot_.status = status;
    snapshot_.running = running;
    snapshot_.error = error;
    ++snapshot_.generation;
}

bool NativeTurnDriver::preread(const ui::TurnRequest& request) {
    if (request.config.opener_source != OpenerSource::Model) return true;  // nothing to read
    std::lock_guard<std::mutex> lock(mutex_);
    if (snapshot_.running) return false;  // the model is the turn's
    preread_pending_ = request;           // the latest text wins
    if (preread_busy_) return true;       // the worker picks it up
    preread_busy_ = true;
    if (worker_.joinable()) worker_.join();  // a finished turn or pre-read
    worker_ = std::thread([this] { preread_jobs(); });
    return true;
}

void NativeTurnDriver::preread_jobs() {
    for (;;) {
        ui::TurnRequest request;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!preread_pending_ || cancel_) {
                preread_busy_ = false;
                return;
            }
            request = std::move(*preread_pending_);
            preread_pending_.reset();
        }
        auto loaded = ensure_loaded(request.model_index, /*wants_model=*/true);
        if (!loaded.ok()) continue;  // the turn will load it again and show why it cannot
        Loaded& l = *loaded.value();
        const auto ids = prompt_prefix(l.tokenizer, request.question, request.config, request.typing_paused);
        if (!l.cached->preread(ids).ok()) continue;  // the turn's prefill starts over; nothing lost
        std::lock_guard<std::mutex> lock(mutex_);
        snapshot_.preread_tokens = static_cast<int>(ids.size());
        ++snapshot_.generation;
    }
}

Result<NativeTurnDriver::Loaded*> NativeTurnDriver::ensure_loaded(
    int index, bool wants_model, const std::function<void(const std::string&)>& loading) {
    if (index < 0 || index >= static_cast<int>(models_.size()))
        return Error{"no μLM with index " + std::to_string(index)};
    const ui::ModelChoice& choice = models_[index];
    auto it = loaded_.find(index);
    if (loading && (it == loaded_.end() || (wants_model && !it->second.model))) loading(choice.name);
    if (it == loaded_.end()) {
        auto tok = Tokenizer::load(choice.tokenizer_path);
        if (!tok.ok()) return Error{tok.error()};
        Loaded l;
        l.tokenizer = tok.value();
        it = loaded_.emplace(index, std::move(l)).first;
    }
    Loaded& l = it->second;
    if (wants_model && !l.model) {  // first use, or loaded earlier for a cloud-only turn
        OrtModelOptions mo;
        mo.threads = threads_;
        auto m = load_ort_model(choice.model_path, mo);
        if (!m.ok()) return Error{m.error()};
        l.model = std::move(m.value());
        l.cached = std::make_unique<CachingModel>(*l.model);
    }
    return &l;
}

void NativeTurnDriver::run(ui::TurnRequest request) {
    const bool wants_model = request.config.opener_source == OpenerSource::Model;
    auto loaded = ensure_loaded(request.model_index, wants_model,
                                [&](const std::string& name) { publish(nullptr, "loading " + name, true); });
    if (!loaded.ok()) return publish(nullptr, "failed", false, loaded.error());
    Loaded& l = *loaded.value();
    request.config.latency_profile = request.latency_profile;
    Turn turn(l.tokenizer, request.config);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        turn_started_ = std::chrono::steady_clock::now();
    }
    HttpClient http;
    TurnRunOptions options;
    options.endpoint = request.endpoint;
    const auto status_of = [](const Turn& t) {
        switch (t.phase()) {
            case TurnPhase::Idle: return "starting";
            case TurnPhase::Opener: return "μLM writing the opener";
            case TurnPhase::Handoff: return "handing off";
            case TurnPhase::Cloud: return t.cloud_text().empty() ? "waiting for the cloud" : "cloud streaming";
            case TurnPhase::Done: return "showing the last words";
        }
        return "";
    };
    Status st = run_turn(
        turn, request.question, l.cached.get(), http, options, [&](const Turn& t) { publish(&t, status_of(t), true); },
        &cancel_);
    publish(&turn, st.ok() ? "done" : "failed", false, st.ok() ? "" : st.error());
}

}  // namespace headstart
