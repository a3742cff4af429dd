// cli/eval_turns.cpp — `headstart eval`'s turns: one (system, profile, prompt) each, through the same
// run_turn() the CLI and the app use, unpaced; --jobs workers sharing --model-slots μLM sessions per
// system (ModelPool): a turn holds a session from its prefill to its handoff only, so the jobs that wait
// on the cloud's latency do not each need a model.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/eval.h"
#include "core/eval_metrics.h"
#include "core/handoff.h"
#include "core/latency_profile.h"
#include "core/metrics_json.h"
#include "core/opener_policy.h"
#include "core/words.h"
#include "native/ort_model.h"
#include "native/turn_runner.h"

namespace headstart::eval_cli {

namespace {

json opt_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// One system's μLM sessions: loaded on first need, at most `slots` of them, lent one turn at a time.
class ModelPool {
public:
    ModelPool(std::string path, int threads, std::string kernels, int slots)
        : path_(std::move(path)), threads_(threads), kernels_(std::move(kernels)), slots_(slots) {}

    // A free session (waiting for one when all `slots` are lent), or the load error.
    Result<LanguageModel*> acquire() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            if (!error_.empty()) return Error{error_};
            if (!free_.empty()) {
                LanguageModel* m = free_.back();
                free_.pop_back();
                return m;
            }
            if (loaded_ < slots_) break;
            changed_.wait(lock);
        }
        ++loaded_;
        lock.unlock();
        OrtModelOptions mo;
        mo.threads = threads_;
        mo.kernels = kernels_;
        auto m = load_ort_model(path_, mo);
        lock.lock();
        if (!m.ok()) {
            error_ = m.error();
            changed_.notify_all();
            return Error{error_};
        }
        all_.push_back(std::move(*m));
        return all_.back().get();
    }
    void release(LanguageModel* m) {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(m);
        changed_.notify_one();
    }

private:
    std::string path_;
    int threads_;
    std::string kernels_;
    int slots_, loaded_ = 0;
    std::string error_;
    std::vector<std::unique_ptr<LanguageModel>> all_;
    std::vector<LanguageModel*> free_;
    std::mutex mutex_;
    std::condition_variable changed_;
};

// A session lent for one turn, given back at the handoff (or when the turn ends first).
class Lease {
public:
    Lease(ModelPool* pool, LanguageModel* model) : pool_(pool), model_(model) {}
    ~Lease() { release(); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    LanguageModel* model() const { return model_; }  // null once given back
    void release() {
        if (pool_ && model_) pool_->release(model_);
        model_ = nullptr;
    }

private:
    ModelPool* pool_;
    LanguageModel* model_;
};

std::string oracle_opener(const EvalPrompt& prompt, const OpenerPolicyConfig& policy) {
    return reference_opener(prompt.reference, word_budget(policy));
}

TurnConfig turn_config(const Run& run, const System& sys, const std::string& profile, size_t prompt_index) {
    TurnConfig c;
    c.opener_source = sys.kind == SystemKind::Model                                      ? OpenerSource::Model
                      : sys.kind == SystemKind::Canned || sys.kind == SystemKind::Oracle ? OpenerSource::Canned
                                                                                         : OpenerSource::None;
    c.canned_opener = run.options.canned;
    c.handoff.mode = run.options.mode;
    c.handoff.model = run.options.cloud.model;
    c.handoff.max_tokens = run.options.max_tokens;
    c.latency_profile = profile;
    LatencyProfile lp;
    if (!profile.empty() && latency_profile(profile, &lp)) c.opener.expected_cloud_latency_ms = lp.first_token_ms;
    c.presenter.words_per_minute = c.opener.words_per_minute = run.options.wpm;
    c.sampler.seed = run.options.seed + prompt_index;
    if (run.options.temperature >= 0)
        c.sampler.temperature =
            static_cast<float>(run.options.temperature);  // the same opener for a prompt under every profile
    if (sys.kind == SystemKind::Oracle) c.canned_opener = oracle_opener(run.prompts[prompt_index], c.opener);
    return c;
}

// `lease` holds the turn's μLM session (null for the systems without one).
TurnRecord run_one(const Run& run, const Job& job, Lease* lease, HttpClient& http) {
    const System& sys = run.systems[job.system];
    const EvalPrompt& prompt = run.prompts[job.prompt];
    const std::string& profile = run.profiles[job.profile];
    TurnRecord r;
    Turn turn(run.tokenizers.at(sys.tokenizer_path), turn_config(run, sys, profile, job.prompt));
    TurnRunOptions ro;
    ro.endpoint = run.options.cloud;
    ro.paced = false;  // the presenter's timeline is still computed: masked latency and stall hold
    ro.idle_timeout_ms = run.options.deadline_ms;
    ro.total_timeout_ms = std::max(30000, run.options.deadline_ms * 3);
    // The μLM is done once the turn hands off: its session goes back to the pool for the next turn.
    const auto on_update = [lease](const Turn& t) {
        if (lease && t.timeline().first(EventKind::Handoff)) lease->release();
    };
    Status st = run_turn(turn, prompt.question, lease ? lease->model() : nullptr, http, ro, on_update);
    if (lease) lease->release();
    if (!st.ok()) {
        r.error = st.error();
        return r;
    }
    r.ran = true;
    const CorrectedAnswer answer = turn.answer();
    r.opener = turn.opener();
    r.answer = answer.visible_text();
    r.failed = turn.cloud_failed();
    r.no_reference = !r.failed && is_offline_no_answer(r.answer);
    r.path = r.failed                            ? "failed"
             : sys.kind == SystemKind::CloudOnly ? "cloud-only"
             : r.no_reference                    ? "no-reference"  // a rewrite, but because the cloud knew nothing
                                                 : answer.label();
    r.metrics = turn.timeline().metrics();
    if (const Event* h = turn.timeline().first(EventKind::Handoff)) r.handoff_ms = h->t_ms;
    if (sys.kind != SystemKind::CloudOnly) {
        r.topic = check_on_topic(prompt.question, r.opener);
        for (const auto& t : turn.opener_tokens()) r.mulm_text += t.text;
        r.mulm_text = std::string(trim_spaces(r.mulm_text));
        r.mulm_topic = check_on_topic(prompt.question, r.mulm_text);
        if (!r.failed && !r.no_reference) r.defects = find_join_defects(r.opener, r.answer);
        if (!prompt.reference.empty()) r.agreement = content_word_f1(r.opener, reference_opener(prompt.reference, 8));
    }
    r.recorded =
        record_turn(turn.timeline(), sys.kind == SystemKind::CloudOnly ? Condition::CloudOnly : Condition::Headstart,
                    sys.kind == SystemKind::CloudOnly ? "" : answer.label(), &answer);
    const TurnMetrics& m = r.metrics;
    r.row = {{"prompt_id", prompt.id},
             {"category", prompt.category},
             {"question", prompt.question},
             {"system", sys.name},
             {"kind", kind_name(sys.kind)},
             {"profile", profile.empty() ? "server-default" : profile},
             {"opener", r.opener},
             {"mulm_text", r.mulm_text},
             {"opener_words", static_cast<int>(words_of(r.opener).size())},
             {"stop_reason", to_string(turn.opener_decision().reason)},
             {"gate_fired", turn.gate().fired},
             {"on_topic", sys.kind == SystemKind::CloudOnly ? json(nullptr) : json(r.topic.on_topic)},
             {"on_topic_generic", r.topic.generic},
             {"shared_words", r.topic.shared},
             {"agreement", opt_json(r.agreement)},
             {"verdict", turn.verdict() ? json({{"verdict", to_string(turn.verdict()->verdict)},
                                                {"source", to_string(turn.verdict()->source)}})
                                        : json(nullptr)},
             {"path", r.path},
             {"answer", r.answer},
             {"cloud_failed", r.failed},
             {"cloud_no_reference", r.no_reference},
             {"failure", turn.failure()},
             {"join_defects",
              {{"applicable", r.defects.applicable},
               {"repeated_words", r.defects.repeated_words},
               {"doubled_spaces", r.defects.doubled_spaces},
               {"space_before_punctuation", r.defects.space_before_punctuation},
               {"broken_words", r.defects.broken_words},
               {"notes", r.defects.notes}}},
             {"metrics", metrics_json(m)}};
    r.row["metrics"]["handoff_ms"] = opt_json(r.handoff_ms);
    return r;
}

}  // namespace

std::vector<TurnRecord> run_turns(const Run& run) {
    const EvalOptions& o = run.options;
    std::vector<Job> jobs;
    for (size_t p = 0; p < run.profiles.size(); ++p)
        for (size_t s = 0; s < run.systems.size(); ++s)
            for (size_t q = 0; q < run.prompts.size(); ++q) jobs.push_back({s, p, q});  // record_index() order
    std::vector<TurnRecord> records(jobs.size());
    std::vector<std::unique_ptr<ModelPool>> pools(run.systems.size());
    for (size_t s = 0; s < run.systems.size(); ++s)
        if (run.systems[s].kind == SystemKind::Model)
            pools[s] = std::make_unique<ModelPool>(run.systems[s].model_path, o.threads, o.kernels, o.model_slots);
    std::atomic<size_t> next{0}, done{0};
    std::mutex print_mutex;
    const auto t0 = std::chrono::steady_clock::now();
    double last_progress_s = 0;
    const auto worker = [&] {
        HttpClient http;
        for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
            const Job& job = jobs[i];
            const System& sys = run.systems[job.system];
            if (sys.kind == SystemKind::Oracle && run.prompts[job.prompt].reference.empty()) {
                records[i].skipped = true;  // no reference, no oracle
                ++done;
                continue;
            }
            std::optional<Lease> lease;
            if (sys.kind == SystemKind::Model) {
                auto m = pools[job.system]->acquire();
                if (!m.ok()) {
                    records[i].error = m.error();
                    ++done;
                    continue;
                }
                lease.emplace(pools[job.system].get(), *m);
            }
            records[i] = run_one(run, job, lease ? &*lease : nullptr, http);
            lease.reset();
            const size_t d = ++done;
            std::lock_guard<std::mutex> lock(print_mutex);
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (!o.quiet) {
                const TurnRecord& r = records[i];
                std::fprintf(stderr, "[%zu/%zu] %-12s %-10s %-10s %s\n", d, jobs.size(), sys.name.c_str(),
                             run.profiles[job.profile].empty() ? "default" : run.profiles[job.profile].c_str(),
                             r.ran ? r.path.c_str() : "ERROR",
                             r.ran ? ("\"" + r.opener + "\"").c_str() : r.error.c_str());
            } else if (elapsed - last_progress_s >= 15 || d == jobs.size()) {  // the progress line
                last_progress_s = elapsed;
                const double left = elapsed / static_cast<double>(d) * static_cast<double>(jobs.size() - d);
                std::fprintf(stderr, "headstart eval: %zu/%zu turns (%.0f %%), %.0f s, about %.0f s left\n", d,
                             jobs.size(), 100.0 * static_cast<double>(d) / static_cast<double>(jobs.size()), elapsed,
                             left);
            }
        }
    };
    std::vector<std::thread> pool;
    for (int w = 0; w < std::min<int>(o.jobs, static_cast<int>(jobs.size())); ++w) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    return records;
}

}  // namespace headstart::eval_cli
