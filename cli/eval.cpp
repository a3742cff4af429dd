// cli/eval.cpp — `headstart eval`: the measurements on any μLM, any prompt set and any
// OpenAI-compatible cloud, with the baselines in the same harness. The metrics themselves are
// core/eval_metrics.h (pure, unit-tested); this file parses the options and runs the steps in order:
//
//   prompts, systems -> the turns (eval_turns.cpp) -> the judge (eval_judge.cpp) -> per system:
//   the turn figures (eval_report.cpp) and the teacher-forced scores (eval_scores.cpp) -> summary.json,
//   summary.md (eval_report.cpp)
//
//   headstart eval --prompts assets/prompts/smoke.jsonl --models a.onnx,b.onnx --cloud URL
//                  [--profiles wifi,lte] [--baselines canned,cloud-only,oracle] [--judge URL --judge-model M]
//                  [--heldout texts.jsonl] [--study trials.jsonl|study.sqlite] [--out DIR]
//
// Systems: every --models entry (a μLM or any Optimum-layout ONNX causal LM; its tokenizer.json is
// looked for beside it, then one folder up, then --tokenizer), plus the baselines "canned"
// ("Sure —" + cloud), "cloud-only" and "oracle" (the reference answer's first 4-8 words as the opener,
// the profile's word budget: the upper bound of an opener; prompts without a reference are skipped). Each system answers every prompt under every latency
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
//                  summary.json's "sets": the same figures per prompt set (per --prompts file)
//   summary.md     the same as tables, then one table per prompt set
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
//   --model-slots N      μLM sessions per system the jobs share (1): a turn holds one from its prefill to
//                        its handoff, then waits on the cloud without it, so many jobs need few sessions
//   --kernels K          what runs the μLMs' int8 weights (auto: kernels.json beside each, else fp32; fp32; nbits8-bN)
//   --threads N          ORT threads per μLM (1); --wpm N presenter pace (200); --deadline-ms MS
//   --quiet              no per-turn progress lines
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/eval.h"
#include "core/latency_profile.h"
#include "native/http_client.h"
#include "native/ort_model.h"
#include "native/turn_runner.h"

namespace headstart {

using namespace eval_cli;

namespace {

namespace fs = std::filesystem;

int usage(const std::string& why) {
    std::fprintf(
        stderr,
        "headstart eval: %s\n"
        "usage: headstart eval [--prompts F.jsonl,...] [--models A.onnx,B.onnx] [--tokenizer F]\n"
        "                      [--baselines canned,cloud-only,oracle|none] [--cloud URL] [--profiles wifi,lte,...]\n"
        "                      [--judge URL --judge-model M] [--heldout F.jsonl] [--study F] [--out DIR]\n"
        "                      [--limit N] [--jobs N] [--model-slots N] [--seed S] [--temperature T] [--mode chat|prefill]\n"
        "                      [--max-tokens N] [--quiet]\n"
        "(every option: the top of cli/eval.cpp)\n",
        why.c_str());
    return 2;
}

std::string parse_options(int argc, char** argv, EvalOptions* o) {
    std::string judge_model;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quiet") {
            o->quiet = true;
            continue;
        }
        if (i + 1 >= argc) return "missing value for " + a;
        const std::string v = argv[++i];
        double n = 0;
        const auto num = [&](double lo, double hi) { return parse_number(v.c_str(), lo, hi, &n); };
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
        } else if (a == "--heldout-limit") {
            if (!num(1, 1e7)) return "bad --heldout-limit";
            o->heldout_limit = static_cast<int>(n);
        } else if (a == "--context") {
            if (!num(2, 1e6)) return "bad --context";
            o->context = static_cast<int>(n);
        } else if (a == "--limit") {
            if (!num(1, 1e7)) return "bad --limit";
            o->limit = static_cast<int>(n);
        } else if (a == "--jobs") {
            if (!num(1, 512)) return "bad --jobs (1..512)";
            o->jobs = static_cast<int>(n);
        } else if (a == "--model-slots") {
            if (!num(1, 64)) return "bad --model-slots (1..64)";
            o->model_slots = static_cast<int>(n);
        } else if (a == "--threads") {
            if (!num(1, 64)) return "bad --threads";
            o->threads = static_cast<int>(n);
        } else if (a == "--kernels") {
            if (const std::string bad = check_kernels(v); !bad.empty()) return "--kernels: " + bad;
            o->kernels = v;
        } else if (a == "--max-tokens") {
            if (!num(1, 4096)) return "bad --max-tokens";
            o->max_tokens = static_cast<int>(n);
        } else if (a == "--temperature") {
            if (!num(0, 10)) return "bad --temperature";
            o->temperature = n;
        } else if (a == "--seed") {
            if (!num(0, 1e18)) return "bad --seed";
            o->seed = static_cast<unsigned long long>(n);
        } else if (a == "--judge-seed") {
            if (!num(0, 1e18)) return "bad --judge-seed";
            o->judge_seed = static_cast<unsigned long long>(n);
        } else if (a == "--wpm") {
            if (!num(30, 2000)) return "bad --wpm (30..2000)";
            o->wpm = n;
        } else if (a == "--deadline-ms") {
            if (!num(100, 600000)) return "bad --deadline-ms";
            o->deadline_ms = static_cast<int>(n);
        } else return "unknown option " + a;
    }
    for (const auto& b : o->baselines)
        if (b != "canned" && b != "cloud-only" && b != "oracle")
            return "--baselines takes canned, cloud-only, oracle or none";
    for (const auto& p : o->profiles) {
        LatencyProfile lp;
        if (!latency_profile(p, &lp))
            return "unknown latency profile " + p + " (none, wifi, lte, congested, satellite)";
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

}  // namespace

int eval_main(int argc, char** argv) {
    Run run;
    EvalOptions& o = run.options;
    if (auto err = parse_options(argc, argv, &o); !err.empty()) return usage(err);
    const auto t_start = std::chrono::steady_clock::now();

    // Prompts.
    std::vector<std::string>& set_names = run.set_names;
    for (const auto& file : o.prompt_files) {
        auto text = read_file(file);
        if (!text.ok()) {
            std::fprintf(stderr, "headstart eval: %s\n", text.error().c_str());
            return 1;
        }
        const std::string set = fs::path(file).stem().string();
        auto prompts = parse_prompt_set(*text, set);
        if (!prompts.ok()) {
            std::fprintf(stderr, "headstart eval: %s: %s\n", file.c_str(), prompts.error().c_str());
            return 1;
        }
        size_t n = prompts->size();
        if (o.limit > 0) n = std::min(n, static_cast<size_t>(o.limit));
        for (size_t i = 0; i < n; ++i) {
            EvalPrompt p = (*prompts)[i];
            if (p.category.empty()) p.category = set;
            run.prompts.push_back(std::move(p));
            run.prompt_set.push_back(set_names.size());
        }
        set_names.push_back(set);
    }
    if (run.prompts.empty()) {
        std::fprintf(stderr, "headstart eval: no prompts\n");
        return 1;
    }

    // Systems and their tokenizers.
    for (const auto& m : o.models) {
        System s;
        s.name = fs::path(m).stem().string();
        if (s.name == "model" || s.name == "decoder_model" ||
            s.name == "decoder_model_merged")  // Optimum: onnx/model.onnx
            s.name = fs::path(m).parent_path().parent_path().filename().string() + "/" + s.name;
        s.model_path = m;
        s.tokenizer_path = tokenizer_for(m, o.tokenizer);
        if (s.tokenizer_path.empty()) {
            std::fprintf(stderr, "headstart eval: no tokenizer.json beside %s (give --tokenizer)\n", m.c_str());
            return 1;
        }
        for (const auto& other : run.systems)
            if (other.name == s.name) s.name += "#" + std::to_string(run.systems.size());
        run.systems.push_back(s);
    }
    for (const auto& b : o.baselines) {
        System s;
        s.name = b;
        s.kind = b == "canned" ? SystemKind::Canned : b == "oracle" ? SystemKind::Oracle : SystemKind::CloudOnly;
        s.tokenizer_path =
            o.tokenizer.empty() ? (run.systems.empty() ? "" : run.systems.front().tokenizer_path) : o.tokenizer;
        run.systems.push_back(s);
    }
    for (const auto& s : run.systems) {
        if (run.tokenizers.count(s.tokenizer_path)) continue;
        if (s.tokenizer_path.empty()) {
            run.tokenizers.emplace("", Tokenizer());
            continue;
        }
        auto tok = Tokenizer::load(s.tokenizer_path);
        if (!tok.ok()) {
            std::fprintf(stderr, "headstart eval: %s\n", tok.error().c_str());
            return 1;
        }
        run.tokenizers.emplace(s.tokenizer_path, std::move(*tok));
    }
    run.profiles = o.profiles.empty() ? std::vector<std::string>{""} : o.profiles;

    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec) {
        std::fprintf(stderr, "headstart eval: cannot create %s: %s\n", o.out.c_str(), ec.message().c_str());
        return 1;
    }

    // The cloud must answer before hundreds of turns fail one by one.
    {
        HttpClient http;
        const HttpOutcome h = http.get(endpoint_url(o.cloud, "/v1/models"), auth_headers(o.cloud), 5000);
        if (h.failure == TransportFailure::Unreachable || h.failure == TransportFailure::Timeout) {
            std::fprintf(
                stderr,
                "headstart eval: the cloud at %s does not answer (%s); start one with `headstart serve` or give --cloud\n",
                o.cloud.base_url.c_str(), h.message.c_str());
            return 1;
        }
    }

    // Turns.
    const std::vector<TurnRecord> records = run_turns(run);
    const size_t n_turns = records.size();
    std::ofstream turns_out(o.out + "/turns.jsonl");
    int errors = 0, skipped = 0;
    for (size_t p = 0; p < run.profiles.size(); ++p)
        for (size_t s = 0; s < run.systems.size(); ++s)
            for (size_t q = 0; q < run.prompts.size(); ++q) {
                const TurnRecord& r = records[record_index(run, s, p, q)];
                if (r.ran) turns_out << r.row.dump() << "\n";
                else if (r.skipped) ++skipped;
                else {
                    ++errors;
                    std::fprintf(stderr, "headstart eval: %s / %s: %s\n", run.systems[s].name.c_str(),
                                 run.prompts[q].id.c_str(), r.error.c_str());
                }
            }
    turns_out.close();

    auto heldout_texts = load_heldout(o);
    if (!heldout_texts.ok()) {
        std::fprintf(stderr, "headstart eval: %s\n", heldout_texts.error().c_str());
        return 1;
    }
    const auto judged = judge_systems(run, records);

    // The summary.
    json summary = {{"generated_by", "headstart eval"},
                    {"prompts", static_cast<int>(run.prompts.size())},
                    {"prompt_sets", set_names},
                    {"cloud", o.cloud.base_url},
                    {"mode", to_string(o.mode)},
                    {"profiles", o.profiles.empty() ? std::vector<std::string>{"server-default"} : o.profiles},
                    {"temperature", o.temperature >= 0 ? json(o.temperature) : json("app default")},
                    {"turns", static_cast<int>(n_turns) - errors - skipped},
                    {"skipped", skipped},
                    {"errors", errors},
                    {"systems", json::object()}};
    for (size_t s = 0; s < run.systems.size(); ++s) {
        const System& sys = run.systems[s];
        json sj = system_summary(run, records, s);
        if (sys.kind == SystemKind::Model) {
            sj["model"] = sys.model_path;
            sj["tokenizer"] = sys.tokenizer_path;
            const json card = model_card(sys.model_path);
            if (card.is_object() && card.contains("parameters")) sj["parameters"] = card["parameters"];
            score_model(run, sys, card, *heldout_texts, &sj);
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
    // The same figures per prompt set (the benchmarks apart).
    summary["sets"] = json::object();
    for (size_t set = 0; set < set_names.size(); ++set) {
        int n = 0, with_ref = 0;
        for (size_t q = 0; q < run.prompts.size(); ++q)
            if (run.prompt_set[q] == set) ++n, with_ref += !run.prompts[q].reference.empty();
        json sets = {{"prompts", n}, {"with_reference", with_ref}, {"systems", json::object()}};
        for (size_t s = 0; s < run.systems.size(); ++s) {
            json sj = system_summary(run, records, s, static_cast<int>(set));
            const json& all = summary["systems"][run.systems[s].name];
            if (all.contains("reference_opener_sets") && all["reference_opener_sets"].contains(set_names[set]))
                sj["reference_opener"] = all["reference_opener_sets"][set_names[set]];
            if (all.contains("parameters")) sj["parameters"] = all["parameters"];
            sets["systems"][run.systems[s].name] = sj;
        }
        summary["sets"][set_names[set]] = sets;
    }
    if (!o.study.empty()) {
        auto trials = load_study(o.study);
        if (!trials.ok()) {
            std::fprintf(stderr, "headstart eval: %s\n", trials.error().c_str());
            return 1;
        }
        summary["study"] = study_summary_json(summarize(*trials));
        summary["study"]["file"] = o.study;
    }
    summary["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

    std::ofstream(o.out + "/summary.json") << summary.dump(2) << "\n";
    const std::string md = summary_markdown(summary);
    std::ofstream(o.out + "/summary.md") << md;
    if (!o.quiet) std::printf("%s\n", md.c_str());
    std::printf("headstart eval: %d turns (%d errors) -> %s/{turns.jsonl,summary.json,summary.md%s}\n",
                static_cast<int>(n_turns) - errors - skipped, errors, o.out.c_str(),
                judged.empty() ? "" : ",judge.jsonl");
    return errors ? 1 : 0;
}

}  // namespace headstart
