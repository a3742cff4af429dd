// desktop/native_driver.h — ui::TurnDriver for native builds: each turn runs on a worker thread
// (ONNX Runtime μLM + cpp-httplib cloud, native/turn_runner.h); the UI thread reads copies.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/model.h"
#include "core/prompt_cache.h"
#include "core/tokenizer.h"
#include "ui/driver.h"

namespace headstart {

class NativeTurnDriver final : public ui::TurnDriver {
public:
    explicit NativeTurnDriver(std::vector<ui::ModelChoice> models, int threads = 1);
    ~NativeTurnDriver() override;

    std::vector<ui::ModelChoice> models() const override { return models_; }
    void start(const ui::TurnRequest& request) override;
    void cancel() override;
    bool preread(const ui::TurnRequest& request) override;
    ui::TurnSnapshot snapshot() const override;

private:
    struct Loaded {
        Tokenizer tokenizer;
        std::unique_ptr<LanguageModel> model;
        std::unique_ptr<CachingModel> cached;  // over `model`: what turns and pre-reads use
    };
    // The model (and tokenizer) at `index`, loaded on first use; worker threads only. `loading`
    // (if given) is told the model's name before anything is read from disk.
    Result<Loaded*> ensure_loaded(int index, bool wants_model,
                                  const std::function<void(const std::string&)>& loading = nullptr);
    void run(ui::TurnRequest request);
    void preread_jobs();  // the worker while the user types: pre-reads the latest request
    void publish(const Turn* turn, const std::string& status, bool running, const std::string& error = {});

    std::vector<ui::ModelChoice> models_;
    int threads_;
    std::map<int, Loaded> loaded_;  // by model index, loaded on first use (worker thread only)
    std::thread worker_;
    std::atomic<bool> cancel_{false};
    // Pre-reads: the latest typed request not yet read, and whether the worker is on them.
    std::optional<ui::TurnRequest> preread_pending_;
    bool preread_busy_ = false;
    mutable std::mutex mutex_;
    ui::TurnSnapshot snapshot_;
    // The turn's clock (run_turn starts its own at the same moment): elapsed_ms counts from here
    // while the turn runs and stops when it ends.
    std::optional<std::chrono::steady_clock::time_point> turn_started_;
    double final_elapsed_ms_ = 0;
};

}  // namespace headstart
