// cli/eval_turns.cpp — `headstart eval`'s turns: one (system, profile, prompt) each, through the same
// run_turn() the CLI and the app use, unpaced; --jobs workers, each with its own μLM sessions.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/eval.h"
#include "core/latency_profile.h"
#include "core/metrics_json.h"
#include "core/words.h"
#include "native/ort_model.h"
#include "native/turn_runner.h"

namespace headstart::eval_cli {

namespace {

json opt_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

TurnConfig turn_config(const Run& run, const System& sys, const std::string& profile, size_t prompt_index) {
    TurnConfig c;
    c.opener_source = sys.kind == SystemKind::Model    ? OpenerSource::Model
                      : sys.kind == SystemKind::Canned ? OpenerSource::Canned
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
    return c;
}

TurnRecord run_one(const Run& run, const Job& job, LanguageModel* model, HttpClient& http) {
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
    Status st = run_turn(turn, prompt.question, model, http, ro);
    if (!st.ok()) {
        r.error = st.error();
        return r;
    }
    r.ran = true;
    const CorrectedAnswer answer = turn.answer();
    r.opener = turn.opener();
    r.answer = answer.visible_text();
    r.failed = turn.cloud_failed();
    r.path = r.failed ? "failed" : sys.kind == SystemKind::CloudOnly ? "cloud-only" : answer.label();
    r.metrics = turn.timeline().metrics();
    if (const Event* h = turn.timeline().first(EventKind::Handoff)) r.handoff_ms = h->t_ms;
    if (sys.kind != SystemKind::CloudOnly) {
        r.topic = check_on_topic(prompt.question, r.opener);
        for (const auto& t : turn.opener_tokens()) r.mulm_text += t.text;
        r.mulm_text = std::string(trim_spaces(r.mulm_text));
        r.mulm_topic = check_on_topic(prompt.question, r.mulm_text);
        if (!r.failed) r.defects = find_join_defects(r.opener, r.answer);
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
             {"verdict", turn.verdict() ? json({{"verdict", to_string(turn.verdict()->verdict)},
                                                {"source", to_string(turn.verdict()->source)}})
                                        : json(nullptr)},
             {"path", r.path},
             {"answer", r.answer},
             {"cloud_failed", r.failed},
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
    std::atomic<size_t> next{0}, done{0};
    std::mutex print_mutex;
    const auto worker = [&] {
        HttpClient http;
        std::map<size_t, std::unique_ptr<LanguageModel>> models;
        std::map<size_t, std::string> load_errors;
        for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
            const Job& job = jobs[i];
            const System& sys = run.systems[job.system];
            LanguageModel* model = nullptr;
            if (sys.kind == SystemKind::Model) {
                if (!models.count(job.system) && !load_errors.count(job.system)) {
                    OrtModelOptions mo;
                    mo.threads = o.threads;
                    auto m = load_ort_model(sys.model_path, mo);
                    if (m.ok()) models[job.system] = std::move(*m);
                    else load_errors[job.system] = m.error();
                }
                if (load_errors.count(job.system)) {
                    records[i].error = load_errors[job.system];
                    ++done;
                    continue;
                }
                model = models[job.system].get();
            }
            records[i] = run_one(run, job, model, http);
            const size_t d = ++done;
            if (!o.quiet) {
                std::lock_guard<std::mutex> lock(print_mutex);
                const TurnRecord& r = records[i];
                std::fprintf(stderr, "[%zu/%zu] %-12s %-10s %-10s %s\n", d, jobs.size(), sys.name.c_str(),
                             run.profiles[job.profile].empty() ? "default" : run.profiles[job.profile].c_str(),
                             r.ran ? r.path.c_str() : "ERROR",
                             r.ran ? ("\"" + r.opener + "\"").c_str() : r.error.c_str());
            }
        }
    };
    std::vector<std::thread> pool;
    for (int w = 0; w < std::min<int>(o.jobs, static_cast<int>(jobs.size())); ++w) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    return records;
}

}  // namespace headstart::eval_cli
