// wasm/web_driver.h — ui::TurnDriver for the browser: the same core::Turn as natively, driven by
// callbacks on the page's main thread instead of a worker thread.
//
//   start()      the μLM prefill is sent to the worker (wasm/ort_worker.js); each logits callback
//                feeds Turn::on_logits and sends the next token at once (no frame in between), so
//                the opener is written at the model's speed while the page keeps rendering
//   handoff      the moment the opener is fixed: a streamed fetch() to the cloud (WebFetch);
//                status, chunks and the outcome go to Turn::on_cloud_status/bytes/end
//   poll()       once per frame: the presenter shows the words that are due, the snapshot is
//                refreshed when something changed
//
// The cloud is the request's endpoint, as natively (the app's controls; wasm/main.cpp points them
// at the page's own server, or at the page's ?cloud=...).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/turn.h"
#include "ui/driver.h"
#include "wasm/web_bridge.h"

namespace headstart {

class WebTurnDriver final : public ui::TurnDriver {
public:
    // `threads`: for onnxruntime-web, 0 = automatic (wasm/ort_worker.js: 2 when cross-origin isolated).
    explicit WebTurnDriver(std::vector<ui::ModelChoice> models, int threads = 0);
    ~WebTurnDriver() override;

    std::vector<ui::ModelChoice> models() const override { return models_; }
    void start(const ui::TurnRequest& request) override;
    void cancel() override;
    bool preread(const ui::TurnRequest& request) override;
    // The last published turn, with elapsed_ms read now (as natively): the app sets the voice's clock from it,
    // and a snapshot's publish can be a frame or more old (the voice's clock ran that far behind the turn's).
    ui::TurnSnapshot snapshot() const override;
    void poll() override;

    // The μLM is writing the opener (a run in the worker or the next one about to be sent).
    bool writing_opener() const { return turn_ && turn_->phase() == TurnPhase::Opener && snapshot_.running; }
    // Starts loading a μLM now (the page shows the progress), not at the first question.
    void preload(int model_index);
    // Extra headers for the next turns' cloud requests (e.g. X-Headstart-Fault in tests).
    void set_headers(std::vector<std::pair<std::string, std::string>> headers) { headers_ = std::move(headers); }

private:
    WebModel* model_for(int index);
    void begin_turn();
    void on_model_ran(long turn, const Status& st);
    void hand_off();
    void finish(const std::string& status, const std::string& error);
    void publish(const std::string& status, bool running, const std::string& error = {});
    double now_ms() const;
    std::string status_of() const;

    std::vector<ui::ModelChoice> models_;
    int threads_;
    std::vector<std::pair<std::string, std::string>> headers_;
    std::map<int, std::unique_ptr<WebModel>> loaded_;  // by model index

    ui::TurnRequest request_;
    std::unique_ptr<Turn> turn_;
    long turn_id_ = 0;  // callbacks of an older turn are dropped
    bool waiting_for_model_ = false;
    bool cancelled_ = false;
    double started_at_ = 0;            // emscripten_get_now() when the turn began
    std::unique_ptr<WebFetch> fetch_;  // one per turn
    bool dirty_ = false;
    ui::TurnSnapshot snapshot_;
};

}  // namespace headstart
