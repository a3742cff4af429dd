// desktop/native_driver.cpp — see native_driver.h.
#include "desktop/native_driver.h"

#include <chrono>

#include "desktop/http_client.h"
#include "desktop/ort_model.h"
#include "desktop/turn_runner.h"

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
    if (worker_.joinable()) worker_.join();
    cancel_ = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        snapshot_.turn.reset();  // the previous turn is not this one's
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
        s.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *turn_started_).count();
    else
        s.elapsed_ms = final_elapsed_ms_;
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

void NativeTurnDriver::run(ui::TurnRequest request) {
    const bool wants_model = request.config.opener_source == OpenerSource::Model;
    if (request.model_index < 0 || request.model_index >= static_cast<int>(models_.size()))
        return publish(nullptr, "failed", false, "no μLM with index " + std::to_string(request.model_index));
    auto it = loaded_.find(request.model_index);
    if (it == loaded_.end()) {
        publish(nullptr, "loading " + models_[request.model_index].name, true);
        const ui::ModelChoice& choice = models_[request.model_index];
        auto tok = Tokenizer::load(choice.tokenizer_path);
        if (!tok.ok()) return publish(nullptr, "failed", false, tok.error());
        Loaded l;
        l.tokenizer = tok.value();
        if (wants_model) {
            OrtModelOptions mo;
            mo.threads = threads_;
            auto m = load_ort_model(choice.model_path, mo);
            if (!m.ok()) return publish(nullptr, "failed", false, m.error());
            l.model = std::move(m.value());
        }
        it = loaded_.emplace(request.model_index, std::move(l)).first;
    }
    if (wants_model && !it->second.model) {  // loaded earlier for a cloud-only turn
        OrtModelOptions mo;
        mo.threads = threads_;
        auto m = load_ort_model(models_[request.model_index].model_path, mo);
        if (!m.ok()) return publish(nullptr, "failed", false, m.error());
        it->second.model = std::move(m.value());
    }
    request.config.latency_profile = request.latency_profile;
    Turn turn(it->second.tokenizer, request.config);
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
    Status st = run_turn(turn, request.question, it->second.model.get(), http, options,
                         [&](const Turn& t) { publish(&t, status_of(t), true); }, &cancel_);
    publish(&turn, st.ok() ? "done" : "failed", false, st.ok() ? "" : st.error());
}

}  // namespace headstart
