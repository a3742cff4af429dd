// cli/eval.h — what the parts of `headstart eval` share (cli/eval*.cpp); not a public interface.
//
//   EvalOptions, System, Run     the options, the systems under test, the run's read-only state
//   TurnRecord, run_turns()      one (system, profile, prompt) turn each; record_index() finds one
//   judge_systems(), load_study()   the LLM judge against cloud only; a study file read back
//   score_model()                held-out perplexity and the reference opener's likelihood
//   system_summary(), summary_markdown()   the figures per system, and the same as tables
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/eval_metrics.h"
#include "core/handoff.h"
#include "core/study.h"
#include "core/timeline.h"
#include "core/tokenizer.h"
#include "core/transport.h"
#include "core/turn.h"
#include "native/http_client.h"

namespace headstart::eval_cli {

using json = nlohmann::json;

// Oracle: the reference answer's first words as the opener (the word budget of the profile, 4-8), the upper
// bound of what an opener can do; it runs on the prompts that have a reference, and is skipped elsewhere.
enum class SystemKind { Model, Canned, CloudOnly, Oracle };

struct System {
    std::string name;
    SystemKind kind = SystemKind::Model;
    std::string model_path, tokenizer_path;
};

struct EvalOptions {
    std::vector<std::string> models, prompt_files, profiles;
    std::vector<std::string> baselines = {"canned", "cloud-only"};  // and "oracle"
    std::string tokenizer, canned = "Sure —";
    std::string out = "build/eval";
    std::string heldout, study;
    int heldout_limit = 200, context = 0;
    int limit = 0, jobs = 1, threads = 1, max_tokens = 96;
    std::string kernels = "auto";  // native/ort_model.h
    int model_slots = 1;           // μLM sessions per system shared by the jobs (each held from prefill to handoff)
    unsigned long long seed = 7, judge_seed = 11;
    double wpm = 200;
    double temperature = -1;  // < 0: the app's default sampler; 0: greedy
    int deadline_ms = 10000;
    bool quiet = false;
    Endpoint cloud, judge;
    std::string cloud_key_env, judge_key_env, judge_url;
    HandoffMode mode = HandoffMode::Chat;
};

struct Job {
    size_t system = 0, profile = 0, prompt = 0;
};

struct TurnRecord {
    bool ran = false;
    bool skipped = false;  // not applicable (the oracle on a prompt without a reference): no turn, no error
    std::string error;     // the turn could not even start (model failed to load, bad question)
    std::string opener, answer, path;
    std::string mulm_text;  // every token the μLM wrote for the opener, before the gate (μLM systems)
    bool failed = false;
    bool no_reference = false;  // the offline cloud had no reference for the question (kOfflineNoAnswer)
    TurnMetrics metrics;
    std::optional<double> handoff_ms;
    OnTopic topic;
    OnTopic mulm_topic;               // the same test on mulm_text: the μLM's own words, whatever the gate did
    std::optional<double> agreement;  // content_word_f1(opener, the reference's first 8 words), with a reference
    JoinDefects defects;
    RecordedTurn recorded;
    json row;
};

// Shared read-only state of a run.
struct Run {
    EvalOptions options;
    std::vector<System> systems;
    std::vector<EvalPrompt> prompts;
    std::vector<std::string> set_names;  // one per --prompts file, in order
    std::vector<size_t> prompt_set;      // per prompt: its index in set_names
    std::vector<std::string> profiles;   // "" = the server's own profile
    std::map<std::string, Tokenizer> tokenizers;
};

inline size_t record_index(const Run& run, size_t system, size_t profile, size_t prompt) {
    return (profile * run.systems.size() + system) * run.prompts.size() + prompt;
}

const char* kind_name(SystemKind kind);  // "mulm", "canned", "cloud-only", "oracle"
Result<std::string> read_file(const std::string& path);
json distribution_json(const Distribution& d);
json proportion_json(const Proportion& p);
json study_summary_json(const StudySummary& s);

// eval_turns.cpp: every (system, profile, prompt), spread over --jobs workers with their own μLMs;
// the records in record_index() order.
std::vector<TurnRecord> run_turns(const Run& run);

// eval_judge.cpp: each system with an opener against cloud only, on the first profile's answers
// (judge.jsonl, judge_trials.jsonl under --out): system -> (summary, unparsed replies).
std::map<size_t, std::pair<StudySummary, int>> judge_systems(const Run& run, const std::vector<TurnRecord>& records);
Result<std::vector<StudyTrial>> load_study(const std::string& path);

// eval_scores.cpp: the held-out texts of --heldout (at most --heldout-limit), and the teacher-forced
// scores of one μLM system, added to its summary ("heldout", "reference_opener" over every prompt with a
// reference, "reference_opener_sets" per prompt set, "scoring_error").
Result<std::vector<std::vector<HeldoutSegment>>> load_heldout(const EvalOptions& o);
void score_model(const Run& run, const System& sys, const json& card,
                 const std::vector<std::vector<HeldoutSegment>>& heldout_texts, json* summary);

// eval_report.cpp: one system's figures over the prompts of one set (set < 0: every prompt).
json system_summary(const Run& run, const std::vector<TurnRecord>& records, size_t system, int set = -1);
std::string summary_markdown(const json& summary);

}  // namespace headstart::eval_cli
