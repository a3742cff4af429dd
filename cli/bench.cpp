// cli/bench.cpp — `headstart bench`: how fast the μLM writes an opener on this machine.
//
// For each model and thread count: load time, resident memory, and over every prompt x run the
// p50 / p95 of time-to-first-token, time-to-4-words and per-token decode — with the KV cache
// (prefill once, one step per token) and, in the same process on the same openers, without it
// (the whole sequence re-run for every token, as the published demo does), with the ratio; and
// read ahead: TTFT and 4 words when the question's finished words were read into the KV cache
// while it was typed (core/prompt_cache.h), so Enter leaves only the last word + ChatML tail, and
// after a pause, when the whole prompt was read and Enter runs one token.
// Greedy decoding, so both paths produce the same tokens (checked).
//
//   headstart bench [--models A.onnx,B.onnx] [--tokenizer F] [--threads 1,2] [--runs N]
//                   [--kernels auto,fp32] [--prompts FILE.jsonl] [--no-baseline] [--teacher-forced] [--json OUT.json]
//                   [--profile DIR]
//
// --kernels times every model with each of the loader's kernel choices (native/ort_model.h): "auto"
// (what the models folder's kernels.json chose, the default), "fp32", "nbits8-bN".
// --profile DIR: ONNX Runtime's profiler on every run (its overhead is in the times printed; time without
// it), one DIR/<model>.<kernels>.t<threads>_<date>.json each; scripts/ort_profile.py DIR sums them per op.
//
// --teacher-forced feeds a fixed, plausible opener per prompt instead of the model's own tokens:
// the same prefill/step/sample work, so untrained models of every size can be timed (scripts/bench).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/bench_prompts.h"
#include "core/prompt_cache.h"
#include "core/tokenizer.h"
#include "core/turn.h"
#include "native/model_files.h"
#include "native/ort_model.h"

namespace headstart {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

double rss_mb() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0.0;
}

// The published demo's way: no KV cache, every token re-runs the whole sequence.
class RecomputeEveryStep final : public LanguageModel {
public:
    explicit RecomputeEveryStep(LanguageModel& inner) : inner_(inner) {}
    const ModelInfo& info() const override { return inner_.info(); }
    Status prefill(const std::vector<int>& prompt) override {
        ids_ = prompt;
        return inner_.prefill(ids_);
    }
    Status step(int token) override {
        ids_.push_back(token);
        return inner_.prefill(ids_);
    }
    Status extend(int keep, const std::vector<int>& tokens) override {
        ids_.resize(static_cast<size_t>(keep));
        ids_.insert(ids_.end(), tokens.begin(), tokens.end());
        return inner_.prefill(ids_);
    }
    const std::vector<float>& logits() const override { return inner_.logits(); }
    int past_length() const override { return static_cast<int>(ids_.size()); }

private:
    LanguageModel& inner_;
    std::vector<int> ids_;
};

struct OpenerRun {
    double ttft_ms = 0, four_words_ms = -1;
    std::vector<double> step_ms;
    std::string opener;
};

Result<OpenerRun> run_opener(LanguageModel& model, const Tokenizer& tok, const std::string& question) {
    TurnConfig cfg;
    cfg.sampler.temperature = 0;  // greedy: the same opener with and without the cache
    cfg.sampler.repetition_penalty = 1.0f;
    cfg.opener.max_words = 8;
    cfg.opener.stop_on_low_confidence = false;  // measure full-length openers
    cfg.opener.prefer_clause_boundary = false;
    Turn turn(tok, cfg);
    const auto t0 = Clock::now();
    const auto now = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
    auto prompt = turn.begin(question, now());
    if (!prompt.ok()) return Error{prompt.error()};
    if (auto st = model.prefill(*prompt); !st.ok()) return Error{st.error()};
    OpenerRun r;
    while (true) {
        auto next = turn.on_logits(model.logits(), now());
        if (!next.ok()) return Error{next.error()};
        if (!next->has_value()) break;
        const auto s0 = Clock::now();
        if (auto st = model.step(**next); !st.ok()) return Error{st.error()};
        r.step_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s0).count());
    }
    auto req = turn.handoff(now());  // fixes the opener (and the Handoff event for 4-word timing)
    if (!req.ok()) return Error{req.error()};
    const TurnMetrics m = turn.timeline().metrics();
    r.ttft_ms = m.local_ttft_ms.value_or(0);
    r.four_words_ms = m.time_to_4_words_ms.value_or(-1);
    r.opener = turn.opener();
    return r;
}

// Teacher-forced: the same work as generating `opener` (prefill, then one step + one sample per
// token) whatever the weights know, so untrained models of each size can be timed. Four words
// are complete when the token that starts the fifth word is sampled.
Result<OpenerRun> run_forced(LanguageModel& model, const Tokenizer& tok, const std::string& question,
                             const std::string& opener) {
    SamplerConfig sc;
    sc.temperature = 0;
    sc.repetition_penalty = 1.0f;
    Sampler sampler(sc);
    const std::vector<int> forced = tok.encode(opener + " and so on", SpecialTokens::AsText);
    const std::vector<int> prompt = mulm_prompt_ids(tok, question, /*open_answer=*/true);
    const auto t0 = Clock::now();
    const auto now = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
    if (auto st = model.prefill(prompt); !st.ok()) return Error{st.error()};
    OpenerRun r;
    int word_starts = 0;
    for (size_t i = 0; i < forced.size(); ++i) {
        if (auto s = sampler.sample(model.logits()); !s.ok()) return Error{s.error()};
        if (i == 0) r.ttft_ms = now();
        if (i > 0 && tok.starts_word(forced[i]) && ++word_starts == 4) {
            r.four_words_ms = now();
            break;
        }
        const auto s0 = Clock::now();
        if (auto st = model.step(forced[i]); !st.ok()) return Error{st.error()};
        r.step_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s0).count());
        r.opener += tok.token_piece(forced[i]);
    }
    return r;
}

struct Series {
    std::vector<double> ttft, four, step, tokens_to_four;
    void add(const OpenerRun& r) {
        ttft.push_back(r.ttft_ms);
        if (r.four_words_ms >= 0) {
            four.push_back(r.four_words_ms);
            tokens_to_four.push_back(static_cast<double>(r.step_ms.size() + 1));
        }
        step.insert(step.end(), r.step_ms.begin(), r.step_ms.end());
    }
    json to_json() const {
        const auto pair = [](const std::vector<double>& v) {
            return json{{"p50", bench_percentile(v, 0.5)}, {"p95", bench_percentile(v, 0.95)}, {"n", v.size()}};
        };
        return {{"ttft_ms", pair(ttft)},
                {"time_to_4_words_ms", pair(four)},
                {"decode_ms_per_token", pair(step)},
                {"tokens_to_4_words_p50", bench_percentile(tokens_to_four, 0.5)}};
    }
};

// Openers whose prompt was partly in the KV cache when the clock started, and how much was left.
struct Ahead {
    Series runs;
    std::vector<double> fed, prompt;
    json to_json() const {
        json j = runs.to_json();
        j["prompt_tokens_p50"] = bench_percentile(prompt, 0.5);
        j["tokens_at_enter_p50"] = bench_percentile(fed, 0.5);
        return j;
    }
};

}  // namespace

int bench_main(int argc, char** argv) {
    std::vector<std::string> models;  // default: every trained μLM in assets/models
    std::string tokenizer_path = "assets/models/tokenizer.json", json_path, prompts_path, profile_dir;
    std::vector<int> threads = {1, 2};
    std::vector<std::string> kernels = {"auto"};  // native/ort_model.h: what runs the int8 weights
    int runs = 3;
    bool baseline = true, forced = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--no-baseline") {
            baseline = false;
            continue;
        }
        if (a == "--teacher-forced") {
            forced = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "headstart bench: missing value for %s\n", a.c_str());
            return 2;
        }
        const std::string v = argv[++i];
        if (a == "--models") models = split_list(v);
        else if (a == "--tokenizer") tokenizer_path = v;
        else if (a == "--threads") {
            threads.clear();
            for (auto& t : split_list(v)) threads.push_back(std::max(1, std::atoi(t.c_str())));
        } else if (a == "--runs") runs = std::max(1, std::atoi(v.c_str()));
        else if (a == "--kernels") {
            kernels = split_list(v);
            for (const auto& k : kernels)
                if (const std::string bad = check_kernels(k); !bad.empty()) {
                    std::fprintf(stderr, "headstart bench: --kernels: %s\n", bad.c_str());
                    return 2;
                }
        } else if (a == "--json") json_path = v;
        else if (a == "--profile") profile_dir = v;
        else if (a == "--prompts") prompts_path = v;
        else {
            std::fprintf(stderr, "headstart bench: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (models.empty())
        for (const auto& m : trained_models()) models.push_back(m.model_path);
    if (models.empty()) {
        std::fprintf(stderr, "headstart bench: no --models and no trained μLM in assets/models\n");
        return 2;
    }
    if (!profile_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(profile_dir, ec);
        if (ec) {
            std::fprintf(stderr, "headstart bench: --profile %s: %s\n", profile_dir.c_str(), ec.message().c_str());
            return 1;
        }
    }
    auto tok = Tokenizer::load(tokenizer_path);
    if (!tok.ok()) {
        std::fprintf(stderr, "headstart bench: %s\n", tok.error().c_str());
        return 1;
    }
    std::vector<std::string> prompts, openers;
    for (const auto& p : kBenchPrompts) {
        prompts.push_back(p.question);
        openers.push_back(p.opener);
    }
    if (!prompts_path.empty()) {
        std::ifstream in(prompts_path);
        if (!in) {
            std::fprintf(stderr, "headstart bench: cannot read %s\n", prompts_path.c_str());
            return 1;
        }
        if (forced) {
            std::fprintf(stderr, "headstart bench: --teacher-forced uses the built-in prompts\n");
            return 2;
        }
        prompts.clear();
        std::string line;
        while (std::getline(in, line)) {
            auto j = json::parse(line, nullptr, false);
            if (j.is_object() && j.contains("question") && j["question"].is_string()) prompts.push_back(j["question"]);
            else if (j.is_object() && j.contains("prompt") && j["prompt"].is_string()) prompts.push_back(j["prompt"]);
        }
    }

    const auto opener_run = [&](LanguageModel& m, size_t i) {
        return forced ? run_forced(m, *tok, prompts[i], openers[i]) : run_opener(m, *tok, prompts[i]);
    };
    json report = {{"prompts", prompts.size()}, {"runs", runs}, {"teacher_forced", forced}, {"results", json::array()}};
    std::printf("%-28s %3s %8s %7s | %-15s %-15s %-15s | %-15s %7s\n", "model", "thr", "load ms", "RSS MB",
                "TTFT p50/p95", "4 words p50/95", "decode ms/tok", "no-cache 4w/tok", "speedup");
    int status = 0;
    std::vector<std::pair<std::string, int>> configs;  // kernels x threads, per model
    for (const auto& k : kernels)
        for (int t : threads) configs.emplace_back(k, t);
    for (const auto& path : models) {
        for (const auto& [k, t] : configs) {
            const double rss0 = rss_mb();
            const auto l0 = Clock::now();
            OrtModelOptions mo;
            mo.threads = t;
            mo.kernels = k;
            if (!profile_dir.empty()) {
                std::string stem = path.substr(path.rfind('/') + 1);
                stem = stem.substr(0, stem.rfind(".onnx"));
                mo.profile_prefix = profile_dir + "/" + stem + "." + k + ".t" + std::to_string(t);
            }
            auto model = load_ort_model(path, mo);
            const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - l0).count();
            if (!model.ok()) {
                std::fprintf(stderr, "headstart bench: %s\n", model.error().c_str());
                status = 1;
                break;
            }
            LanguageModel& m = **model;
            if (auto w = opener_run(m, 0); !w.ok()) {  // warm-up
                std::fprintf(stderr, "headstart bench: %s\n", w.error().c_str());
                status = 1;
                break;
            }
            Series cached, recompute;
            Ahead typed, paused;
            // Read ahead (core/prompt_cache.h): `prefix` was read into the KV cache while the
            // question was typed (untimed); the clock starts at Enter.
            const auto ahead_run = [&](size_t q, const std::vector<int>& prefix, Ahead& into) -> Status {
                CachingModel ahead(m);
                if (auto st = ahead.preread(prefix); !st.ok()) return st;
                auto c = opener_run(ahead, q);
                if (!c.ok()) return Error{c.error()};
                into.runs.add(*c);
                const double n = static_cast<double>(mulm_prompt_ids(*tok, prompts[q], true).size());
                into.prompt.push_back(n);
                into.fed.push_back(n - ahead.reused_on_last_prefill());
                return Ok{};
            };
            int mismatches = 0;
            for (int r = 0; r < runs; ++r)
                for (size_t q = 0; q < prompts.size(); ++q) {
                    auto a = opener_run(m, q);
                    if (!a.ok()) {
                        std::fprintf(stderr, "headstart bench: %s\n", a.error().c_str());
                        return 1;
                    }
                    cached.add(*a);
                    // Typed ahead: its finished words were read, Enter came right after the last
                    // word (the conservative case: that word and the ChatML tail are left). After a
                    // pause: the whole prompt was read, Enter runs its last token.
                    for (auto [prefix, into] :
                         {std::pair(prompt_prefix(*tok, prompts[q], TurnConfig{}), &typed),
                          std::pair(prompt_prefix(*tok, prompts[q], TurnConfig{}, true), &paused)})
                        if (auto st = ahead_run(q, prefix, *into); !st.ok()) {
                            std::fprintf(stderr, "headstart bench: %s\n", st.error().c_str());
                            return 1;
                        }
                    if (baseline) {
                        RecomputeEveryStep slow(m);
                        auto b = opener_run(slow, q);
                        if (!b.ok()) {
                            std::fprintf(stderr, "headstart bench: %s\n", b.error().c_str());
                            return 1;
                        }
                        recompute.add(*b);
                        if (b->opener != a->opener) ++mismatches;
                    }
                }
            const double rss = rss_mb() - rss0;
            json row = {{"model", path},
                        {"kernels_asked", k},
                        {"kernels", m.info().kernels},
                        {"threads", t},
                        {"load_ms", load_ms},
                        {"rss_mb", rss},
                        {"kv_cache", cached.to_json()},
                        {"typed_ahead", typed.to_json()},
                        {"paused_ahead", paused.to_json()}};
            char base[64] = "—", ratio[32] = "—";
            if (baseline) {
                row["no_kv_cache"] = recompute.to_json();
                row["opener_mismatches"] = mismatches;
                const double four_ratio =
                    bench_percentile(recompute.four, 0.5) / std::max(1e-9, bench_percentile(cached.four, 0.5));
                const double step_ratio =
                    bench_percentile(recompute.step, 0.5) / std::max(1e-9, bench_percentile(cached.step, 0.5));
                row["speedup_4_words_p50"] = four_ratio;
                row["speedup_decode_p50"] = step_ratio;
                std::snprintf(base, sizeof base, "%.1f / %.2f", bench_percentile(recompute.four, 0.5),
                              bench_percentile(recompute.step, 0.5));
                std::snprintf(ratio, sizeof ratio, "%.2fx", four_ratio);
            }
            report["results"].push_back(row);
            std::string name = path.substr(path.rfind('/') + 1);
            if (kernels.size() > 1 || m.info().kernels != "fp32") name += " [" + m.info().kernels + "]";
            std::printf("%-28s %3d %8.1f %7.1f | %6.2f / %-6.2f %6.2f / %-6.2f %6.3f / %-6.3f | %-15s %7s\n",
                        name.c_str(), t, load_ms, rss, bench_percentile(cached.ttft, 0.5),
                        bench_percentile(cached.ttft, 0.95), bench_percentile(cached.four, 0.5),
                        bench_percentile(cached.four, 0.95), bench_percentile(cached.step, 0.5),
                        bench_percentile(cached.step, 0.95), base, ratio);
            std::printf("  (%s: 4 words took %.0f tokens, p50, with this tokenizer)\n", name.c_str(),
                        bench_percentile(cached.tokens_to_four, 0.5));
            for (auto [label, a] : {std::pair("typed ahead", &typed), std::pair("after a pause", &paused)})
                std::printf(
                    "  %s: TTFT %.2f / %.2f, 4 words %.2f / %.2f (p50 / p95; %.0f of %.0f prompt tokens left at Enter, p50)\n",
                    label, bench_percentile(a->runs.ttft, 0.5), bench_percentile(a->runs.ttft, 0.95),
                    bench_percentile(a->runs.four, 0.5), bench_percentile(a->runs.four, 0.95),
                    bench_percentile(a->fed, 0.5), bench_percentile(a->prompt, 0.5));
            if (mismatches)
                std::printf("  warning: %d openers differ between the cached and recomputed runs\n", mismatches);
        }
    }
    if (!json_path.empty()) {
        std::ofstream(json_path) << report.dump(2) << "\n";
        std::printf("wrote %s\n", json_path.c_str());
    }
    return status;
}

}  // namespace headstart
