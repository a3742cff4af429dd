// wasm/web_bench.cpp — see web_bench.h. The teacher-forced method of cli/bench.cpp
// (run_forced), cut into callbacks: prefill; then per opener token sample + step, until the token
// that starts the fifth word is sampled. Step times are what the page sees (worker round trip
// included); the worker's own session.run time is reported beside them.
#include "wasm/web_bench.h"

#include <emscripten.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/bench_prompts.h"
#include "core/prompt_cache.h"
#include "core/sampler.h"
#include "core/tokenizer.h"
#include "core/turn.h"
#include "wasm/web_bridge.h"

namespace headstart {
namespace {

using json = nlohmann::json;

json pair(const std::vector<double>& v) {
    return {{"p50", bench_percentile(v, 0.5)}, {"p95", bench_percentile(v, 0.95)}, {"n", v.size()}};
}

// Openers whose prompt was partly read ahead (core/prompt_cache.h); their steps are not kept.
struct Ahead {
    std::vector<double> ttft, four, fed, prompt;
    json to_json() const {
        return {{"ttft_ms", pair(ttft)},
                {"time_to_4_words_ms", pair(four)},
                {"prompt_tokens_p50", bench_percentile(prompt, 0.5)},
                {"tokens_at_enter_p50", bench_percentile(fed, 0.5)}};
    }
};

struct Series {
    std::vector<double> ttft, four, step, run, prefill_run, tokens_to_four;
    Ahead typed, paused;
};

// How much of the prompt is in the KV cache when the clock starts (cli/bench.cpp's passes).
enum class Pass { Cold, Typed, Paused };

// One benchmark, alive until its report is sent (callbacks hold the only reference).
class Bench : public std::enable_shared_from_this<Bench> {
public:
    Bench(std::vector<std::string> models, std::string tokenizer, int runs, int threads)
        : models_(std::move(models)), tokenizer_(std::move(tokenizer)), runs_(runs), threads_(threads) {
        report_ = {{"prompts", kBenchPromptCount},
                   {"runs", runs_},
                   {"teacher_forced", true},
                   {"backend", "onnxruntime-web (wasm)"},
                   {"results", json::array()}};
    }

    void next_model() {
        if (model_index_ >= models_.size()) return report_to_page(report_.dump());
        model_ = std::make_unique<WebModel>();
        series_ = Series{};
        const double t0 = emscripten_get_now();
        auto self = shared_from_this();
        WebModelOptions options;
        options.threads = threads_;
        options.spin = true;  // as native ONNX Runtime does by default
        model_->load(models_[model_index_], tokenizer_, options, [self, t0](const Status& st) {
            self->load_ms_ = emscripten_get_now() - t0;
            if (!st.ok()) return self->fail(st.error());
            self->job_ = 0;
            self->next_opener();
        });
    }

private:
    void fail(const std::string& error) {
        report_["error"] = error;
        report_to_page(report_.dump());
    }

    // Job 0 is a warm-up run of prompt 0 (not counted); then every prompt, `runs_` times. Each
    // job writes the opener three times: cold (the whole prompt prefilled at Enter), typed ahead
    // (its finished words pre-read, untimed; Enter leaves the last word + ChatML tail) and after a
    // pause (the whole prompt pre-read; Enter runs its last token).
    void next_opener() {
        if (job_ >= 1 + static_cast<size_t>(runs_) * kBenchPromptCount) return finish_model();
        const size_t prompt = job_ == 0 ? 0 : (job_ - 1) % kBenchPromptCount;
        start_forced(kBenchPrompts[prompt].question, kBenchPrompts[prompt].opener);
    }

    void start_forced(const std::string& question, const std::string& opener) {
        const Tokenizer& tok = model_->tokenizer();
        SamplerConfig sc;
        sc.temperature = 0;
        sc.repetition_penalty = 1.0f;
        sampler_ = std::make_unique<Sampler>(sc);
        forced_ = tok.encode(opener + " and so on", SpecialTokens::AsText);
        prompt_ = mulm_prompt_ids(tok, question, /*open_answer=*/true);
        typed_prefix_ = prompt_prefix(tok, question, TurnConfig{});
        paused_prefix_ = prompt_prefix(tok, question, TurnConfig{}, /*whole=*/true);
        pass_ = Pass::Cold;
        begin_opener();
    }

    void begin_opener() {
        i_ = 0;
        word_starts_ = 0;
        run_ttft_ = 0;
        run_four_ = -1;
        run_steps_.clear();
        run_runs_.clear();
        auto self = shared_from_this();
        if (pass_ == Pass::Cold) {
            t0_ = emscripten_get_now();
            return model_->extend(0, prompt_, [self](const Status& st) { self->on_logits(st); });
        }
        // As natively: the pre-read starts from an empty cache (not from this question's cold run).
        model_->extend(0, pass_ == Pass::Typed ? typed_prefix_ : paused_prefix_, [self](const Status& st) {
            if (!st.ok()) return self->fail(st.error());
            self->t0_ = emscripten_get_now();
            self->model_->prefill(self->prompt_, [self](const Status& s) { self->on_logits(s); });
        });
    }

    void on_logits(const Status& st) {
        if (!st.ok()) return fail(st.error());
        const double now = emscripten_get_now();
        if (i_ > 0) {  // the step just done
            run_steps_.push_back(now - s0_);
            run_runs_.push_back(model_->last_run_ms());
        }
        if (auto s = sampler_->sample(model_->logits()); !s.ok()) return fail(s.error());
        const Tokenizer& tok = model_->tokenizer();
        if (i_ == 0) {
            run_ttft_ = emscripten_get_now() - t0_;
            run_prefill_ = model_->last_run_ms();
        }
        if (i_ >= forced_.size() || (i_ > 0 && tok.starts_word(forced_[i_]) && ++word_starts_ == 4)) {
            if (i_ < forced_.size()) run_four_ = emscripten_get_now() - t0_;
            return end_opener();
        }
        s0_ = emscripten_get_now();
        const int token = forced_[i_++];
        auto self = shared_from_this();
        model_->step(token, [self](const Status& s) { self->on_logits(s); });
    }

    void end_opener() {
        if (pass_ == Pass::Cold) {
            record_cold();
            pass_ = Pass::Typed;
            return begin_opener();
        }
        if (job_ > 0) {
            Ahead& a = pass_ == Pass::Typed ? series_.typed : series_.paused;
            a.ttft.push_back(run_ttft_);
            if (run_four_ >= 0) a.four.push_back(run_four_);
            a.prompt.push_back(static_cast<double>(prompt_.size()));
            a.fed.push_back(static_cast<double>(prompt_.size() - model_->reused_on_last_prefill()));
        }
        if (pass_ == Pass::Typed) {
            pass_ = Pass::Paused;
            return begin_opener();
        }
        ++job_;
        // Yield to the browser between openers (the page stays alive; timings are per opener).
        auto self = new std::shared_ptr<Bench>(shared_from_this());
        emscripten_async_call(
            [](void* p) {
                auto* holder = static_cast<std::shared_ptr<Bench>*>(p);
                std::shared_ptr<Bench> b = *holder;
                delete holder;
                b->next_opener();
            },
            self, 0);
    }

    void record_cold() {
        if (job_ == 0) return;  // the warm-up
        series_.ttft.push_back(run_ttft_);
        series_.prefill_run.push_back(run_prefill_);
        if (run_four_ >= 0) {
            series_.four.push_back(run_four_);
            series_.tokens_to_four.push_back(static_cast<double>(run_steps_.size() + 1));
        }
        series_.step.insert(series_.step.end(), run_steps_.begin(), run_steps_.end());
        series_.run.insert(series_.run.end(), run_runs_.begin(), run_runs_.end());
    }

    void finish_model() {
        const ModelInfo& info = model_->info();
        json row = {{"model", models_[model_index_]},
                    {"threads", threads_},
                    {"load_ms", load_ms_},
                    {"n_layers", info.n_layers},
                    {"vocab_size", info.vocab_size},
                    {"kv_cache",
                     {{"ttft_ms", pair(series_.ttft)},
                      {"time_to_4_words_ms", pair(series_.four)},
                      {"decode_ms_per_token", pair(series_.step)},
                      {"tokens_to_4_words_p50", bench_percentile(series_.tokens_to_four, 0.5)}}},
                    {"typed_ahead", series_.typed.to_json()},
                    {"paused_ahead", series_.paused.to_json()},
                    {"worker_prefill_ms", pair(series_.prefill_run)},
                    {"worker_run_ms_per_token", pair(series_.run)}};
        report_["results"].push_back(row);
        model_.reset();  // releases the session in the worker
        ++model_index_;
        next_model();
    }

    std::vector<std::string> models_;
    std::string tokenizer_;
    int runs_, threads_;
    json report_;
    size_t model_index_ = 0;
    std::unique_ptr<WebModel> model_;
    double load_ms_ = 0;
    Series series_;
    size_t job_ = 0;
    // The opener in progress.
    std::unique_ptr<Sampler> sampler_;
    std::vector<int> forced_, prompt_, typed_prefix_, paused_prefix_;
    Pass pass_ = Pass::Cold;
    size_t i_ = 0;
    int word_starts_ = 0;
    double t0_ = 0, s0_ = 0, run_ttft_ = 0, run_four_ = -1, run_prefill_ = 0;
    std::vector<double> run_steps_, run_runs_;
};

}  // namespace

void start_web_bench(const std::string& page_config_json) {
    // Read without exceptions (the web build has none): wrong types read as the defaults.
    const json cfg = json::parse(page_config_json, nullptr, false);
    const json b = cfg.is_object() && cfg.contains("bench") && cfg["bench"].is_object() ? cfg["bench"] : json::object();
    const auto number = [&](const char* key, int fallback) {
        return b.contains(key) && b[key].is_number() ? b[key].get<int>() : fallback;
    };
    std::vector<std::string> models;
    if (b.contains("models") && b["models"].is_array())
        for (const auto& m : b["models"])
            if (m.is_string()) models.push_back(m);
    const std::string tokenizer = b.contains("tokenizer") && b["tokenizer"].is_string()
                                      ? b["tokenizer"].get<std::string>()
                                      : std::string("models/tokenizer.json");
    const int runs = std::max(1, number("runs", 3));
    const int threads = std::max(0, number("threads", 0));
    if (models.empty()) return report_to_page(R"J({"error":"bench: no models given (?bench=URL,URL)"})J");
    std::make_shared<Bench>(std::move(models), tokenizer, runs, threads)->next_model();
}

}  // namespace headstart
