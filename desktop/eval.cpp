// desktop/eval.cpp — `headstart eval`: the measurements of issue #7 on any μLM, any prompt set and
// any OpenAI-compatible cloud, with the baselines in the same harness. The metrics themselves are
// core/eval.h (pure, unit-tested); this file runs the turns and writes the files.
//
//   headstart eval --prompts assets/prompts/smoke.jsonl --models a.onnx,b.onnx --cloud URL
//                  [--profiles wifi,lte] [--baselines canned,cloud-only] [--judge URL --judge-model M]
//                  [--heldout texts.jsonl] [--study trials.jsonl|study.sqlite] [--out DIR]
//
// Systems: every --models entry (a μLM or any Optimum-layout ONNX causal LM; its tokenizer.json is
// looked for beside it, then one folder up, then --tokenizer), plus the baselines "canned"
// ("Sure —" + cloud) and "cloud-only". Each system answers every prompt under every latency
// profile (TurnConfig::latency_profile, headstart-cloud's per-request "headstart_latency"); the
// opener policy is told the profile's expected first-token time, as the app would be.
//
// Output (--out, default build/eval):
//   turns.jsonl    one line per (system, profile, prompt): opener, path, answer, defects, metrics
//   judge.jsonl    one line per judged pair (with --judge): the reply and the choice
//   judge_trials.jsonl  the parsed pairs as study trials (core/study.h to_json), so a judge run and
//                  the desktop study are one format, summarized by one function (--study reads both)
//   summary.json   per system: opener latency percentiles, held-out perplexity, distinct-n,
//                  on-topic share, correction paths, join defects, judge; per profile: cloud
//                  TTFT, first word shown, masked latency, stall
//   summary.md     the same as tables
//
// Other options:
//   --tokenizer F        tokenizer when none lies beside a model (the canned / cloud-only baselines
//                        need none)
//   --canned TEXT        the canned opener ("Sure —")
//   --cloud-model NAME --api-key-env VAR --mode chat|prefill (chat) --max-tokens N (96)
//   --judge-key-env VAR  the judge's API key variable; --judge-seed S (A/B order, balanced blocks)
//   --heldout-limit N    held-out texts used (200); --context N tokens per window (the model
//                        card's context_length, else 2048)
//   --temperature T      the μLM's sampling temperature (default: the app's; 0 = greedy openers)
//   --limit N            first N prompts of each set; --jobs N turns at once (1); --seed S (7)
//   --threads N          ORT threads per μLM (1); --wpm N presenter pace (200); --deadline-ms MS
//   --quiet              no per-turn progress lines
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cloud/latency.h"
#include "core/metrics_json.h"
#include "core/eval.h"
#include "core/study.h"
#include "core/tokenizer.h"
#include "core/turn.h"
#include "core/words.h"
#include "desktop/http_client.h"
#include "desktop/ort_model.h"
#include "desktop/turn_runner.h"
#ifdef HEADSTART_HAVE_SQLITE
#include "desktop/study_store.h"
#endif

namespace headstart {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

enum class SystemKind { Model, Canned, CloudOnly };

struct System {
    std::string name;
    SystemKind kind = SystemKind::Model;
    std::string model_path, tokenizer_path;
};

struct EvalOptions {
    std::vector<std::string> models, prompt_files, profiles;
    std::vector<std::string> baselines = {"canned", "cloud-only"};
    std::string tokenizer, canned = "Sure —";
    std::string out = "build/eval";
    std::string heldout, study;
    int heldout_limit = 200, context = 0;
    int limit = 0, jobs = 1, threads = 1, max_tokens = 96;
    unsigned long long seed = 7, judge_seed = 11;
    double wpm = 200;
    double temperature = -1;  // < 0: the app's default sampler; 0: greedy
    int deadline_ms = 10000;
    bool quiet = false;
    Endpoint cloud, judge;
    std::string cloud_key_env, judge_key_env, judge_url;
    HandoffMode mode = HandoffMode::Chat;
};

int usage(const std::string& why) {
    std::fprintf(stderr,
                 "headstart eval: %s\n"
                 "usage: headstart eval [--prompts F.jsonl,...] [--models A.onnx,B.onnx] [--tokenizer F]\n"
                 "                      [--baselines canned,cloud-only|none] [--cloud URL] [--profiles wifi,lte,...]\n"
                 "                      [--judge URL --judge-model M] [--heldout F.jsonl] [--study F] [--out DIR]\n"
                 "                      [--limit N] [--jobs N] [--seed S] [--temperature T] [--mode chat|prefill] [--max-tokens N] [--quiet]\n"
                 "(every option: the top of desktop/eval.cpp)\n",
                 why.c_str());
    return 2;
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

bool number(const char* s, double lo, double hi, double* out) {
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) return false;
    *out = v;
    return true;
}

std::string parse_options(int argc, char** argv, EvalOptions* o) {
    std::string judge_model;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quiet") { o->quiet = true; continue; }
        if (i + 1 >= argc) return "missing value for " + a;
        const std::string v = argv[++i];
        double n = 0;
        const auto num = [&](double lo, double hi) { return number(v.c_str(), lo, hi, &n); };
        if (a == "--models") o->models = split_list(v);
        else if (a == "--prompts") o->prompt_files = split_list(v);
        else if (a == "--profiles") o->profiles = split_list(v);
        else if (a == "--baselines") o->baselines = v == "none" ? std::vector<std::string>{} : split_list(v);
        else if (a == "--tokenizer") o->tokenizer = v;
        else if (a == "--canned") o->canned = v;
        else if (a == "--out") o->out = v;
        else if (a == "--heldout") o->heldout = v;
        else if (a == "--study") o->study = v;
        else if (a == "--cloud") o->cloud.base_url = v;
        else if (a == "--cloud-model") o->cloud.model = v;
        else if (a == "--api-key-env") o->cloud_key_env = v;
        else if (a == "--judge") o->judge_url = v;
        else if (a == "--judge-model") judge_model = v;
        else if (a == "--judge-key-env") o->judge_key_env = v;
        else if (a == "--mode") {
            if (v == "chat") o->mode = HandoffMode::Chat;
            else if (v == "prefill") o->mode = HandoffMode::Prefill;
            else return "--mode is chat or prefill";
        }
        else if (a == "--heldout-limit") { if (!num(1, 1e7)) return "bad --heldout-limit"; o->heldout_limit = static_cast<int>(n); }
        else if (a == "--context") { if (!num(2, 1e6)) return "bad --context"; o->context = static_cast<int>(n); }
        else if (a == "--limit") { if (!num(1, 1e7)) return "bad --limit"; o->limit = static_cast<int>(n); }
        else if (a == "--jobs") { if (!num(1, 64)) return "bad --jobs (1..64)"; o->jobs = static_cast<int>(n); }
        else if (a == "--threads") { if (!num(1, 64)) return "bad --threads"; o->threads = static_cast<int>(n); }
        else if (a == "--max-tokens") { if (!num(1, 4096)) return "bad --max-tokens"; o->max_tokens = static_cast<int>(n); }
        else if (a == "--temperature") { if (!num(0, 10)) return "bad --temperature"; o->temperature = n; }
        else if (a == "--seed") { if (!num(0, 1e18)) return "bad --seed"; o->seed = static_cast<unsigned long long>(n); }
        else if (a == "--judge-seed") { if (!num(0, 1e18)) return "bad --judge-seed"; o->judge_seed = static_cast<unsigned long long>(n); }
        else if (a == "--wpm") { if (!num(30, 2000)) return "bad --wpm (30..2000)"; o->wpm = n; }
        else if (a == "--deadline-ms") { if (!num(100, 600000)) return "bad --deadline-ms"; o->deadline_ms = static_cast<int>(n); }
        else return "unknown option " + a;
    }
    for (const auto& b : o->baselines)
        if (b != "canned" && b != "cloud-only") return "--baselines takes canned, cloud-only or none";
    for (const auto& p : o->profiles) {
        LatencyProfile lp;
        if (!latency_profile(p, &lp)) return "unknown latency profile " + p + " (none, wifi, lte, congested, satellite)";
    }
    if (o->prompt_files.empty()) o->prompt_files = {"assets/prompts/smoke.jsonl"};
    if (o->models.empty() && o->baselines.empty()) return "nothing to evaluate: give --models or --baselines";
    if (o->judge_url.empty()) o->judge.base_url.clear();  // Endpoint defaults to a local URL: no judge unless asked
    else o->judge.base_url = o->judge_url, o->judge.model = judge_model.empty() ? "judge" : judge_model;
    const auto key = [](const std::string& var, std::string* out) -> std::string {
        if (var.empty()) return "";
        const char* k = std::getenv(var.c_str());
        if (!k || !*k) return "the environment variable " + var + " is empty";
        *out = k;
        return "";
    };
    if (auto e = key(o->cloud_key_env, &o->cloud.api_key); !e.empty()) return e;
    if (auto e = key(o->judge_key_env, &o->judge.api_key); !e.empty()) return e;
    return "";
}

// tokenizer.json beside the model, then one folder up (Optimum exports keep onnx/model.onnx).
std::string tokenizer_for(const std::string& model, const std::string& fallback) {
    const fs::path dir = fs::path(model).parent_path();
    for (const fs::path& p : {dir / "tokenizer.json", dir.parent_path() / "tokenizer.json"})
        if (fs::exists(p)) return p.string();
    return fallback;
}

// The model card beside a model ("tiny.onnx" -> "tiny.json"), or null.
json model_card(const std::string& model) {
    fs::path card = fs::path(model).replace_extension(".json");
    std::ifstream in(card);
    if (!in) return nullptr;
    json j = json::parse(in, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
}

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"cannot read " + path};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json opt_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json distribution_json(const Distribution& d) {
    if (d.n == 0) return {{"n", 0}};
    return {{"n", d.n}, {"mean", d.mean}, {"min", d.min}, {"p50", d.p50}, {"p90", d.p90},
            {"p95", d.p95}, {"p99", d.p99}, {"max", d.max}};
}

json proportion_json(const Proportion& p) {
    return {{"count", p.count}, {"n", p.n}, {"p", p.p}, {"ci95", {p.lo, p.hi}}};
}

json study_summary_json(const StudySummary& s) {
    return {{"n", s.n},
            {"headstart", proportion_json(s.headstart)},
            {"equivalent", proportion_json(s.equivalent)},
            {"cloud_only", proportion_json(s.cloud_only)},
            {"headstart_at_least_as_good", proportion_json(s.headstart_at_least_as_good)},
            {"mean_first_word_headstart_ms", opt_json(s.mean_first_word_headstart_ms)},
            {"mean_first_word_cloud_only_ms", opt_json(s.mean_first_word_cloud_only_ms)}};
}

// ---- one turn --------------------------------------------------------------------------------

struct Job {
    size_t system = 0, profile = 0, prompt = 0;
};

struct TurnRecord {
    bool ran = false;
    std::string error;  // the turn could not even start (model failed to load, bad question)
    std::string opener, answer, path;
    std::string mulm_text;  // every token the μLM wrote for the opener, before the gate (μLM systems)
    bool failed = false;
    TurnMetrics metrics;
    std::optional<double> handoff_ms;
    OnTopic topic;
    OnTopic mulm_topic;  // the same test on mulm_text: the μLM's own words, whatever the gate did
    JoinDefects defects;
    RecordedTurn recorded;
    json row;
};

// Shared read-only state of a run.
struct Run {
    EvalOptions options;
    std::vector<System> systems;
    std::vector<EvalPrompt> prompts;
    std::vector<std::string> profiles;  // "" = the server's own profile
    std::map<std::string, Tokenizer> tokenizers;
};

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
    if (run.options.temperature >= 0) c.sampler.temperature = static_cast<float>(run.options.temperature);  // the same opener for a prompt under every profile
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
    r.recorded = record_turn(turn.timeline(), sys.kind == SystemKind::CloudOnly ? Condition::CloudOnly : Condition::Headstart,
                             sys.kind == SystemKind::CloudOnly ? "" : answer.label(), &answer);
    const TurnMetrics& m = r.metrics;
    r.row = {{"prompt_id", prompt.id},
             {"category", prompt.category},
             {"question", prompt.question},
             {"system", sys.name},
             {"kind", sys.kind == SystemKind::Model ? "mulm" : sys.kind == SystemKind::Canned ? "canned" : "cloud-only"},
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
             {"join_defects", {{"applicable", r.defects.applicable},
                               {"repeated_words", r.defects.repeated_words},
                               {"doubled_spaces", r.defects.doubled_spaces},
                               {"space_before_punctuation", r.defects.space_before_punctuation},
                               {"broken_words", r.defects.broken_words},
                               {"notes", r.defects.notes}}},
             {"metrics", metrics_json(m)}};
    r.row["metrics"]["handoff_ms"] = opt_json(r.handoff_ms);
    return r;
}

// ---- held-out perplexity -----------------------------------------------------------------------

struct HeldoutResult {
    int texts = 0, windows = 0, context = 0;
    PerplexityAccumulator acc;    // every token after a window's first
    PerplexityAccumulator reply;  // the assistant replies' tokens only (what training scored)
    std::string error;
};

// Teacher forcing through the KV cache: each window starts with a prefill of its first token, then
// one step per token; every next token's NLL is read from the logits before it is fed.
HeldoutResult heldout_perplexity(LanguageModel& model, const Tokenizer& tok,
                                 const std::vector<std::vector<HeldoutSegment>>& texts, int context) {
    HeldoutResult r;
    r.context = context;
    for (const auto& segments : texts) {
        std::vector<int> ids;
        std::vector<char> is_reply;
        for (const auto& seg : segments) {
            const std::vector<int> seg_ids = tok.encode(seg.text);
            ids.insert(ids.end(), seg_ids.begin(), seg_ids.end());
            is_reply.insert(is_reply.end(), seg_ids.size(), seg.reply ? 1 : 0);
        }
        if (ids.size() < 2) continue;
        ++r.texts;
        for (size_t start = 0; start + 1 < ids.size(); start += static_cast<size_t>(context)) {
            const size_t end = std::min(ids.size(), start + static_cast<size_t>(context));
            ++r.windows;
            Status st = model.prefill({ids[start]});
            for (size_t i = start + 1; st.ok() && i < end; ++i) {
                const double nll = token_nll(model.logits(), ids[i]);
                r.acc.add(nll);
                if (is_reply[i]) r.reply.add(nll);
                if (i + 1 < end) st = model.step(ids[i]);
            }
            if (!st.ok()) { r.error = st.error(); return r; }
        }
    }
    return r;
}

// ---- the reference opener's likelihood ------------------------------------------------------------

struct ReferenceOpenerResult {
    int prompts = 0;
    PerplexityAccumulator acc;  // over the tokens of every reference opener
    std::string error;
};

// How likely the μLM finds the opener a strong model wrote: the mean log-likelihood per token of the
// reference answer's first `words` words after the question's ChatML prompt (teacher-forced). It
// compares μLMs without a judge; higher is better.
ReferenceOpenerResult reference_opener_likelihood(LanguageModel& model, const Tokenizer& tok,
                                                  const std::vector<EvalPrompt>& prompts, int words) {
    ReferenceOpenerResult r;
    for (const auto& p : prompts) {
        const std::string opener = reference_opener(p.reference, words);
        if (opener.empty()) continue;
        const std::vector<int> prompt = mulm_prompt_ids(tok, p.question, true);
        const std::vector<int> target = tok.encode(opener);
        if (prompt.empty() || target.empty()) continue;
        ++r.prompts;
        Status st = model.prefill(prompt);
        for (size_t i = 0; st.ok() && i < target.size(); ++i) {
            r.acc.add(token_nll(model.logits(), target[i]));
            if (i + 1 < target.size()) st = model.step(target[i]);
        }
        if (!st.ok()) { r.error = st.error(); return r; }
    }
    return r;
}

// ---- LLM as judge --------------------------------------------------------------------------------

Result<std::string> ask_judge(HttpClient& http, const Endpoint& judge, const std::string& system, const std::string& user) {
    const json body = {{"model", judge.model},
                       {"messages", json::array({{{"role", "system"}, {"content", system}},
                                                 {{"role", "user"}, {"content", user}}})},
                       {"temperature", 0},
                       {"max_tokens", 16},
                       {"stream", false}};
    HttpPost post;
    post.url = endpoint_url(judge, "/v1/chat/completions");
    post.body = body.dump();
    post.headers = auth_headers(judge);
    post.ca_file = judge.ca_file;
    post.idle_timeout_ms = 60000;
    post.total_timeout_ms = 120000;
    std::string bytes;
    const HttpOutcome out = http.post_stream(post, [&](std::string_view b) { bytes.append(b); return true; });
    if (!out.ok()) return Error{"judge: " + out.message};
    const json j = json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.contains("choices") || !j["choices"].is_array() || j["choices"].empty())
        return Error{"judge: not a chat completion: " + bytes.substr(0, 200)};
    const json& c = j["choices"][0];
    if (c.contains("message") && c["message"].contains("content") && c["message"]["content"].is_string())
        return c["message"]["content"].get<std::string>();
    if (c.contains("text") && c["text"].is_string()) return c["text"].get<std::string>();
    return Error{"judge: the reply has no content"};
}

// ---- the study, analysed by the same code ---------------------------------------------------------

Result<std::vector<StudyTrial>> load_study(const std::string& path) {
    const std::string ext = fs::path(path).extension().string();
    if (ext == ".jsonl" || ext == ".json") {
        auto text = read_file(path);
        if (!text.ok()) return Error{text.error()};
        std::vector<StudyTrial> trials;
        std::stringstream in(*text);
        int line_no = 0;
        for (std::string line; std::getline(in, line);) {
            ++line_no;
            if (trim_spaces(line).empty()) continue;
            auto t = trial_from_json(line);
            if (!t.ok()) return Error{path + ":" + std::to_string(line_no) + ": " + t.error()};
            trials.push_back(std::move(*t));
        }
        return trials;
    }
#ifdef HEADSTART_HAVE_SQLITE
    auto store = SqliteStudyStore::open(path);
    if (!store.ok()) return Error{store.error()};
    return (*store)->all();
#else
    return Error{"this build reads the study only as JSONL (one core/study.h trial per line): " + path};
#endif
}

// ---- the summary ---------------------------------------------------------------------------------

std::string fmt(double v, int decimals = 0) {
    if (!std::isfinite(v)) return "—";
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

std::string pct(const json& prop) {
    if (!prop.is_object() || prop.value("n", 0) == 0) return "—";
    return fmt(100 * prop["p"].get<double>()) + " % (" + std::to_string(prop["count"].get<int>()) + "/" +
           std::to_string(prop["n"].get<int>()) + ")";
}

std::string dist_cell(const json& d, const char* key) {
    if (!d.is_object() || d.value("n", 0) == 0) return "—";
    return fmt(d[key].get<double>());
}

std::string summary_markdown(const json& s) {
    std::string md = "# Headstart evaluation\n\n";
    md += "Prompts: " + std::to_string(s["prompts"].get<int>()) + " from " + s["prompt_sets"].dump() +
          "; cloud " + s["cloud"].get<std::string>() + " (" + s["mode"].get<std::string>() + " mode); profiles " +
          s["profiles"].dump() + ". Latencies in ms.\n\n";
    md += "## Openers\n\n| system | opener ready p50 | p95 | local TTFT p50 | held-out ppl (tokens) | distinct-1 | distinct-2 | on topic | join defects | failed |\n";
    md += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (const auto& [name, sys] : s["systems"].items()) {
        const json& lat = sys["opener_latency_ms"];
        std::string ppl = "—";
        if (sys.contains("heldout") && sys["heldout"].contains("perplexity"))
            ppl = fmt(sys["heldout"]["perplexity"].get<double>(), 2) + " (" + std::to_string(sys["heldout"]["tokens"].get<long long>()) + ")";
        const bool has_opener = sys["kind"] != "cloud-only";
        md += "| " + name + " | " + (has_opener ? dist_cell(lat["handoff"], "p50") : "—") + " | " +
              (has_opener ? dist_cell(lat["handoff"], "p95") : "—") + " | " + dist_cell(lat["local_ttft"], "p50") + " | " + ppl +
              " | " + (has_opener ? fmt(sys["distinct_1"].get<double>(), 3) : "—") + " | " +
              (has_opener ? fmt(sys["distinct_2"].get<double>(), 3) : "—") + " | " + (has_opener ? pct(sys["on_topic"]) : "—") +
              " | " + (has_opener ? pct(sys["join_defects"]["turns_with_defects"]) : "—") + " | " +
              std::to_string(sys["failed"].get<int>()) + " |\n";
    }
    md += "\n## Opener quality\n\nShown opener (after the confidence gate) and the μLM's own words (before it): the share that "
          "has a content word of the question (generic openers apart), distinct-2 of the μLM's words, held-out reply "
          "perplexity, and the mean log-likelihood per token of the reference answer's first 8 words.\n\n"
          "| system | shown: shares a content word | shown: generic | μLM words: shares a content word | μLM words: distinct-2 | "
          "held-out reply ppl (tokens) | reference opener log-lik / token (prompts) |\n| --- | --- | --- | --- | --- | --- | --- |\n";
    for (const auto& [name, sys] : s["systems"].items()) {
        if (sys["kind"] == "cloud-only") continue;
        std::string reply = "—", ref = "—";
        if (sys.contains("heldout") && sys["heldout"].contains("reply_perplexity") && sys["heldout"]["reply_tokens"].get<long long>() > 0)
            reply = fmt(sys["heldout"]["reply_perplexity"].get<double>(), 2) + " (" +
                    std::to_string(sys["heldout"]["reply_tokens"].get<long long>()) + ")";
        if (sys.contains("reference_opener") && sys["reference_opener"].contains("mean_log_likelihood"))
            ref = fmt(sys["reference_opener"]["mean_log_likelihood"].get<double>(), 3) + " (" +
                  std::to_string(sys["reference_opener"]["prompts"].get<int>()) + ")";
        const json& mt = sys["mulm_text"];
        const bool has_mt = mt.is_object();
        md += "| " + name + " | " + pct(sys["shares_content_word"]) + " | " + std::to_string(sys["on_topic_generic"].get<int>()) +
              " | " + (has_mt ? pct(mt["shares_content_word"]) : "—") + " | " + (has_mt ? fmt(mt["distinct_2"].get<double>(), 3) : "—") +
              " | " + reply + " | " + ref + " |\n";
    }
    md += "\n## Correction paths\n\n| system | paths |\n| --- | --- |\n";
    for (const auto& [name, sys] : s["systems"].items()) {
        std::string cells;
        for (const auto& p : sys["paths"])
            cells += (cells.empty() ? "" : ", ") + p["label"].get<std::string>() + " " + pct(p);
        md += "| " + name + " | " + cells + " |\n";
    }
    md += "\n## Latency under each profile\n\n| system | profile | cloud TTFT p50 | first word shown p50 | p95 | masked p50 | stall p50 | stall p95 | no stall |\n";
    md += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (const auto& [name, sys] : s["systems"].items())
        for (const auto& [profile, p] : sys["profiles"].items())
            md += "| " + name + " | " + profile + " | " + dist_cell(p["cloud_ttft_ms"], "p50") + " | " +
                  dist_cell(p["perceived_first_word_ms"], "p50") + " | " + dist_cell(p["perceived_first_word_ms"], "p95") + " | " +
                  dist_cell(p["masked_ms"], "p50") + " | " + dist_cell(p["stall_ms"], "p50") + " | " +
                  dist_cell(p["stall_ms"], "p95") + " | " + pct(p["no_stall"]) + " |\n";
    bool judged = false;
    for (const auto& [name, sys] : s["systems"].items()) {
        if (!sys.contains("judge")) continue;
        if (!judged) {
            md += "\n## LLM as judge (μLM + cloud vs cloud only)\n\n| system | pairs | prefers it | equivalent | prefers cloud only | unparsed |\n";
            md += "| --- | --- | --- | --- | --- | --- |\n";
            judged = true;
        }
        const json& j = sys["judge"];
        md += "| " + name + " | " + std::to_string(j["n"].get<int>()) + " | " + pct(j["headstart"]) + " | " + pct(j["equivalent"]) +
              " | " + pct(j["cloud_only"]) + " | " + std::to_string(j["unparsed"].get<int>()) + " |\n";
    }
    if (s.contains("study")) {
        const json& j = s["study"];
        md += "\n## Desktop study (same analysis)\n\n" + std::to_string(j["n"].get<int>()) + " rated pairs: prefers μLM + cloud " +
              pct(j["headstart"]) + ", equivalent " + pct(j["equivalent"]) + ", prefers cloud only " + pct(j["cloud_only"]) + ".\n";
    }
    return md;
}

}  // namespace

int eval_main(int argc, char** argv) {
    Run run;
    EvalOptions& o = run.options;
    if (auto err = parse_options(argc, argv, &o); !err.empty()) return usage(err);
    const auto t_start = std::chrono::steady_clock::now();

    // Prompts.
    std::vector<std::string> set_names;
    for (const auto& file : o.prompt_files) {
        auto text = read_file(file);
        if (!text.ok()) { std::fprintf(stderr, "headstart eval: %s\n", text.error().c_str()); return 1; }
        const std::string set = fs::path(file).stem().string();
        auto prompts = parse_prompt_set(*text, set);
        if (!prompts.ok()) { std::fprintf(stderr, "headstart eval: %s: %s\n", file.c_str(), prompts.error().c_str()); return 1; }
        size_t n = prompts->size();
        if (o.limit > 0) n = std::min(n, static_cast<size_t>(o.limit));
        for (size_t i = 0; i < n; ++i) {
            EvalPrompt p = (*prompts)[i];
            if (p.category.empty()) p.category = set;
            run.prompts.push_back(std::move(p));
        }
        set_names.push_back(set);
    }
    if (run.prompts.empty()) { std::fprintf(stderr, "headstart eval: no prompts\n"); return 1; }

    // Systems and their tokenizers.
    for (const auto& m : o.models) {
        System s;
        s.name = fs::path(m).stem().string();
        if (s.name == "model" || s.name == "decoder_model" || s.name == "decoder_model_merged")  // Optimum: onnx/model.onnx
            s.name = fs::path(m).parent_path().parent_path().filename().string() + "/" + s.name;
        s.model_path = m;
        s.tokenizer_path = tokenizer_for(m, o.tokenizer);
        if (s.tokenizer_path.empty()) { std::fprintf(stderr, "headstart eval: no tokenizer.json beside %s (give --tokenizer)\n", m.c_str()); return 1; }
        for (const auto& other : run.systems)
            if (other.name == s.name) s.name += "#" + std::to_string(run.systems.size());
        run.systems.push_back(s);
    }
    for (const auto& b : o.baselines) {
        System s;
        s.name = b;
        s.kind = b == "canned" ? SystemKind::Canned : SystemKind::CloudOnly;
        s.tokenizer_path = o.tokenizer.empty() ? (run.systems.empty() ? "" : run.systems.front().tokenizer_path) : o.tokenizer;
        run.systems.push_back(s);
    }
    for (const auto& s : run.systems) {
        if (run.tokenizers.count(s.tokenizer_path)) continue;
        if (s.tokenizer_path.empty()) { run.tokenizers.emplace("", Tokenizer()); continue; }
        auto tok = Tokenizer::load(s.tokenizer_path);
        if (!tok.ok()) { std::fprintf(stderr, "headstart eval: %s\n", tok.error().c_str()); return 1; }
        run.tokenizers.emplace(s.tokenizer_path, std::move(*tok));
    }
    run.profiles = o.profiles.empty() ? std::vector<std::string>{""} : o.profiles;

    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec) { std::fprintf(stderr, "headstart eval: cannot create %s: %s\n", o.out.c_str(), ec.message().c_str()); return 1; }

    // The cloud must answer before hundreds of turns fail one by one.
    {
        HttpClient http;
        const HttpOutcome h = http.get(endpoint_url(o.cloud, "/v1/models"), auth_headers(o.cloud), 5000);
        if (h.failure == TransportFailure::Unreachable || h.failure == TransportFailure::Timeout) {
            std::fprintf(stderr, "headstart eval: the cloud at %s does not answer (%s); start one with `headstart serve` or give --cloud\n",
                         o.cloud.base_url.c_str(), h.message.c_str());
            return 1;
        }
    }

    // Turns: every (system, profile, prompt), spread over --jobs workers with their own μLMs.
    std::vector<Job> jobs;
    for (size_t p = 0; p < run.profiles.size(); ++p)
        for (size_t s = 0; s < run.systems.size(); ++s)
            for (size_t q = 0; q < run.prompts.size(); ++q) jobs.push_back({s, p, q});
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
                if (load_errors.count(job.system)) { records[i].error = load_errors[job.system]; ++done; continue; }
                model = models[job.system].get();
            }
            records[i] = run_one(run, job, model, http);
            const size_t d = ++done;
            if (!o.quiet) {
                std::lock_guard<std::mutex> lock(print_mutex);
                const TurnRecord& r = records[i];
                std::fprintf(stderr, "[%zu/%zu] %-12s %-10s %-10s %s\n", d, jobs.size(), sys.name.c_str(),
                             run.profiles[job.profile].empty() ? "default" : run.profiles[job.profile].c_str(),
                             r.ran ? r.path.c_str() : "ERROR", r.ran ? ("\"" + r.opener + "\"").c_str() : r.error.c_str());
            }
        }
    };
    {
        std::vector<std::thread> pool;
        for (int w = 0; w < std::min<int>(o.jobs, static_cast<int>(jobs.size())); ++w) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
    }

    std::ofstream turns_out(o.out + "/turns.jsonl");
    int errors = 0;
    for (size_t i = 0; i < jobs.size(); ++i) {
        if (records[i].ran) turns_out << records[i].row.dump() << "\n";
        else {
            ++errors;
            std::fprintf(stderr, "headstart eval: %s / %s: %s\n", run.systems[jobs[i].system].name.c_str(),
                         run.prompts[jobs[i].prompt].id.c_str(), records[i].error.c_str());
        }
    }
    turns_out.close();

    // Held-out perplexity of every model system.
    std::vector<std::vector<HeldoutSegment>> heldout_texts;
    if (!o.heldout.empty()) {
        auto text = read_file(o.heldout);
        if (!text.ok()) { std::fprintf(stderr, "headstart eval: %s\n", text.error().c_str()); return 1; }
        std::stringstream in(*text);
        for (std::string line; std::getline(in, line) && static_cast<int>(heldout_texts.size()) < o.heldout_limit;) {
            if (trim_spaces(line).empty()) continue;
            auto t = heldout_segments(line);
            if (t.ok()) heldout_texts.push_back(std::move(*t));
        }
    }

    // The judge: each system with an opener against cloud only, on the first profile's answers.
    std::map<size_t, std::pair<StudySummary, int>> judged;  // system -> summary, unparsed
    size_t cloud_only = run.systems.size();
    for (size_t s = 0; s < run.systems.size(); ++s)
        if (run.systems[s].kind == SystemKind::CloudOnly) cloud_only = s;
    const auto record_of = [&](size_t system, size_t profile, size_t prompt) -> const TurnRecord& {
        return records[(profile * run.systems.size() + system) * run.prompts.size() + prompt];
    };
    if (!o.judge.base_url.empty()) {
        if (cloud_only == run.systems.size()) {
            std::fprintf(stderr, "headstart eval: --judge compares against cloud only: keep the cloud-only baseline\n");
        } else {
            std::ofstream judge_out(o.out + "/judge.jsonl");
            std::ofstream trials_out(o.out + "/judge_trials.jsonl");  // study records: `--study` reads them back
            HttpClient http;
            for (size_t s = 0; s < run.systems.size(); ++s) {
                if (s == cloud_only) continue;
                std::vector<StudyTrial> trials;
                int unparsed = 0, index = 0;
                for (size_t q = 0; q < run.prompts.size(); ++q) {
                    const TurnRecord& h = record_of(s, 0, q);
                    const TurnRecord& c = record_of(cloud_only, 0, q);
                    if (!h.ran || !c.ran || h.failed || c.failed) continue;
                    StudyTrial t;
                    t.participant = "judge:" + o.judge.model;
                    t.index = index;
                    t.question = run.prompts[q].question;
                    t.headstart_is_a = headstart_is_a(o.judge_seed + s, index++);
                    t.a = t.headstart_is_a ? h.recorded : c.recorded;
                    t.b = t.headstart_is_a ? c.recorded : h.recorded;
                    const auto [sys_msg, user_msg] = judge_messages(t.question, t.headstart_is_a ? h.answer : c.answer,
                                                                    t.headstart_is_a ? c.answer : h.answer);
                    auto reply = ask_judge(http, o.judge, sys_msg, user_msg);
                    std::optional<JudgeChoice> choice;
                    if (reply.ok()) choice = parse_judge_verdict(*reply);
                    json row = {{"prompt_id", run.prompts[q].id}, {"system", run.systems[s].name},
                                {"headstart_is_a", t.headstart_is_a}, {"reply", reply.ok() ? *reply : reply.error()},
                                {"choice", choice ? json(to_string(*choice)) : json(nullptr)}};
                    if (choice) {
                        t.rating = judge_rating(*choice);
                        row["preferred"] = to_string(preference(t));
                        trials_out << to_json(t) << "\n";
                        trials.push_back(std::move(t));
                    } else {
                        ++unparsed;
                    }
                    judge_out << row.dump() << "\n";
                    if (!o.quiet) std::fprintf(stderr, "judge %s %s: %s\n", run.systems[s].name.c_str(), run.prompts[q].id.c_str(),
                                               choice.has_value() ? to_string(choice.value()) : "unparsed");
                }
                judged[s] = {summarize(trials), unparsed};
            }
        }
    }

    // The summary.
    json summary = {{"generated_by", "headstart eval"},
                    {"prompts", static_cast<int>(run.prompts.size())},
                    {"prompt_sets", set_names},
                    {"cloud", o.cloud.base_url},
                    {"mode", to_string(o.mode)},
                    {"profiles", o.profiles.empty() ? std::vector<std::string>{"server-default"} : o.profiles},
                    {"temperature", o.temperature >= 0 ? json(o.temperature) : json("app default")},
                    {"turns", static_cast<int>(jobs.size()) - errors},
                    {"errors", errors},
                    {"systems", json::object()}};
    std::vector<EvalPrompt> with_reference;  // the prompts whose set has a reference answer
    for (const auto& p : run.prompts)
        if (!p.reference.empty()) with_reference.push_back(p);
    for (size_t s = 0; s < run.systems.size(); ++s) {
        const System& sys = run.systems[s];
        std::vector<double> ttft, four, handoff, opener_words;
        std::vector<std::string> openers, paths;
        std::vector<std::string> mulm_texts;
        int mulm_content_word = 0, mulm_generic = 0;
        int on_topic = 0, generic = 0, content_word = 0, with_opener = 0, failed = 0, defect_turns = 0, judged_seams = 0, turns = 0;
        JoinDefects totals;
        json profiles = json::object();
        for (size_t p = 0; p < run.profiles.size(); ++p) {
            std::vector<double> cloud_ttft, first_word, masked, stall, before;
            int n = 0, pf = 0, no_stall = 0;
            for (size_t q = 0; q < run.prompts.size(); ++q) {
                const TurnRecord& r = record_of(s, p, q);
                if (!r.ran) continue;
                ++n;
                ++turns;
                paths.push_back(r.path);
                if (r.failed) { ++pf; ++failed; }
                const TurnMetrics& m = r.metrics;
                if (m.local_ttft_ms) ttft.push_back(*m.local_ttft_ms);
                if (m.time_to_4_words_ms) four.push_back(*m.time_to_4_words_ms);
                if (r.handoff_ms && sys.kind != SystemKind::CloudOnly) handoff.push_back(*r.handoff_ms);
                if (p == 0 && sys.kind != SystemKind::CloudOnly) {  // openers do not depend on the profile's seed
                    openers.push_back(r.opener);
                    opener_words.push_back(static_cast<double>(words_of(r.opener).size()));
                    ++with_opener;
                    if (r.topic.on_topic) ++on_topic;
                    if (r.topic.generic) ++generic;
                    if (r.topic.on_topic && !r.topic.generic) ++content_word;
                    if (sys.kind == SystemKind::Model) {
                        mulm_texts.push_back(r.mulm_text);
                        if (r.mulm_topic.on_topic && !r.mulm_topic.generic) ++mulm_content_word;
                        if (r.mulm_topic.generic) ++mulm_generic;
                    }
                }
                if (r.defects.applicable) {
                    ++judged_seams;
                    if (r.defects.total() > 0) ++defect_turns;
                    totals.repeated_words += r.defects.repeated_words;
                    totals.doubled_spaces += r.defects.doubled_spaces;
                    totals.space_before_punctuation += r.defects.space_before_punctuation;
                    totals.broken_words += r.defects.broken_words;
                }
                if (r.failed) continue;
                if (m.cloud_ttft_ms) cloud_ttft.push_back(*m.cloud_ttft_ms);
                if (m.perceived_first_word_ms) first_word.push_back(*m.perceived_first_word_ms);
                masked.push_back(m.masked_ms);
                stall.push_back(m.stall_ms);
                if (m.stall_ms < 1.0) ++no_stall;
                before.push_back(m.words_before_cloud);
            }
            const Distribution b = summarize_values(before);
            profiles[run.profiles[p].empty() ? "server-default" : run.profiles[p]] = {
                {"turns", n}, {"failed", pf},
                {"cloud_ttft_ms", distribution_json(summarize_values(cloud_ttft))},
                {"perceived_first_word_ms", distribution_json(summarize_values(first_word))},
                {"masked_ms", distribution_json(summarize_values(masked))},
                {"stall_ms", distribution_json(summarize_values(stall))},
                {"no_stall", proportion_json(wilson_interval(no_stall, n - pf))},
                {"words_before_cloud_mean", b.n ? json(b.mean) : json(nullptr)}};
        }
        json paths_json = json::array();
        for (const auto& ps : path_distribution(paths)) {
            json pj = proportion_json(ps.share);
            pj["label"] = ps.label;
            paths_json.push_back(pj);
        }
        json sj = {{"kind", sys.kind == SystemKind::Model ? "mulm" : sys.kind == SystemKind::Canned ? "canned" : "cloud-only"},
                   {"turns", turns},
                   {"failed", failed},
                   {"opener_latency_ms", {{"local_ttft", distribution_json(summarize_values(ttft))},
                                          {"time_to_4_words", distribution_json(summarize_values(four))},
                                          {"handoff", distribution_json(summarize_values(handoff))}}},
                   {"opener_words", distribution_json(summarize_values(opener_words))},
                   {"distinct_1", distinct_n(openers, 1)},
                   {"distinct_2", distinct_n(openers, 2)},
                   {"on_topic", proportion_json(wilson_interval(on_topic, with_opener))},
                   {"on_topic_generic", generic},
                   {"shares_content_word", proportion_json(wilson_interval(content_word, with_opener))},
                   {"mulm_text", sys.kind == SystemKind::Model
                                     ? json{{"shares_content_word", proportion_json(wilson_interval(mulm_content_word, with_opener))},
                                            {"generic", mulm_generic},
                                            {"distinct_1", distinct_n(mulm_texts, 1)},
                                            {"distinct_2", distinct_n(mulm_texts, 2)}}
                                     : json(nullptr)},
                   {"paths", paths_json},
                   {"join_defects", {{"turns_judged", judged_seams},
                                     {"turns_with_defects", proportion_json(wilson_interval(defect_turns, judged_seams))},
                                     {"repeated_words", totals.repeated_words},
                                     {"doubled_spaces", totals.doubled_spaces},
                                     {"space_before_punctuation", totals.space_before_punctuation},
                                     {"broken_words", totals.broken_words}}},
                   {"profiles", profiles}};
        if (sys.kind == SystemKind::Model) {
            sj["model"] = sys.model_path;
            sj["tokenizer"] = sys.tokenizer_path;
            const json card = model_card(sys.model_path);
            if (card.is_object() && card.contains("parameters")) sj["parameters"] = card["parameters"];
            if (!heldout_texts.empty() || !with_reference.empty()) {
                OrtModelOptions mo;
                mo.threads = o.threads;
                auto scorer = load_ort_model(sys.model_path, mo);  // one session for both teacher-forced scores
                const Tokenizer& tok = run.tokenizers.at(sys.tokenizer_path);
                if (!scorer.ok()) sj["scoring_error"] = scorer.error();
                if (scorer.ok() && !heldout_texts.empty()) {
                    int context = o.context;
                    if (!context && card.is_object() && card.contains("architecture") &&
                        card["architecture"].value("context_length", 0) > 1)
                        context = card["architecture"]["context_length"].get<int>();
                    if (!context) context = 2048;
                    const HeldoutResult h = heldout_perplexity(**scorer, tok, heldout_texts, context);
                    if (!h.error.empty()) sj["heldout"] = {{"error", h.error}};
                    else
                        sj["heldout"] = {{"file", o.heldout}, {"texts", h.texts}, {"windows", h.windows}, {"context", h.context},
                                         {"tokens", h.acc.tokens}, {"mean_nll", h.acc.mean_nll()}, {"perplexity", h.acc.perplexity()},
                                         {"reply_tokens", h.reply.tokens}, {"reply_mean_nll", h.reply.mean_nll()},
                                         {"reply_perplexity", h.reply.perplexity()}};
                }
                if (scorer.ok() && !with_reference.empty()) {
                    const ReferenceOpenerResult ro = reference_opener_likelihood(**scorer, tok, with_reference, 8);
                    if (!ro.error.empty()) sj["reference_opener"] = {{"error", ro.error}};
                    else
                        sj["reference_opener"] = {{"words", 8}, {"prompts", ro.prompts}, {"tokens", ro.acc.tokens},
                                                  {"mean_log_likelihood", -ro.acc.mean_nll()}};
                }
            }
        }
        if (auto it = judged.find(s); it != judged.end()) {
            json jj = study_summary_json(it->second.first);
            jj["unparsed"] = it->second.second;
            jj["judge"] = o.judge.base_url;
            jj["judge_model"] = o.judge.model;
            sj["judge"] = jj;
        }
        summary["systems"][sys.name] = sj;
    }
    if (!o.study.empty()) {
        auto trials = load_study(o.study);
        if (!trials.ok()) { std::fprintf(stderr, "headstart eval: %s\n", trials.error().c_str()); return 1; }
        summary["study"] = study_summary_json(summarize(*trials));
        summary["study"]["file"] = o.study;
    }
    summary["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

    std::ofstream(o.out + "/summary.json") << summary.dump(2) << "\n";
    const std::string md = summary_markdown(summary);
    std::ofstream(o.out + "/summary.md") << md;
    if (!o.quiet) std::printf("%s\n", md.c_str());
    std::printf("headstart eval: %d turns (%d errors) -> %s/{turns.jsonl,summary.json,summary.md%s}\n",
                static_cast<int>(jobs.size()) - errors, errors, o.out.c_str(), judged.empty() ? "" : ",judge.jsonl");
    return errors ? 1 : 0;
}

}  // namespace headstart
