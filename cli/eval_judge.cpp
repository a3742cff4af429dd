// cli/eval_judge.cpp — `headstart eval --judge`: an OpenAI-compatible judge compares each system's
// answer with cloud only's, A/B order balanced per block (core/eval_metrics.h judge_messages(),
// parse_judge_verdict()); the parsed pairs are written as study trials, so a judge run and the
// desktop study are one format, read back by load_study() and summarized by one function.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/eval.h"
#include "core/words.h"
#include "native/turn_runner.h"
#ifdef HEADSTART_HAVE_SQLITE
#include "native/sqlite_study_store.h"
#endif

namespace headstart::eval_cli {

namespace fs = std::filesystem;

namespace {

Result<std::string> ask_judge(HttpClient& http, const Endpoint& judge, const std::string& system,
                              const std::string& user) {
    const json body = {
        {"model", judge.model},
        {"messages", json::array({{{"role", "system"}, {"content", system}}, {{"role", "user"}, {"content", user}}})},
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
    const HttpOutcome out = http.post_stream(post, [&](std::string_view b) {
        bytes.append(b);
        return true;
    });
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

}  // namespace

std::map<size_t, std::pair<StudySummary, int>> judge_systems(const Run& run, const std::vector<TurnRecord>& records) {
    const EvalOptions& o = run.options;
    std::map<size_t, std::pair<StudySummary, int>> judged;  // system -> summary, unparsed
    size_t cloud_only = run.systems.size();
    for (size_t s = 0; s < run.systems.size(); ++s)
        if (run.systems[s].kind == SystemKind::CloudOnly) cloud_only = s;
    const auto record_of = [&](size_t system, size_t profile, size_t prompt) -> const TurnRecord& {
        return records[record_index(run, system, profile, prompt)];
    };
    if (o.judge.base_url.empty()) return judged;
    {
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
                    json row = {{"prompt_id", run.prompts[q].id},
                                {"system", run.systems[s].name},
                                {"headstart_is_a", t.headstart_is_a},
                                {"reply", reply.ok() ? *reply : reply.error()},
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
                    if (!o.quiet)
                        std::fprintf(stderr, "judge %s %s: %s\n", run.systems[s].name.c_str(),
                                     run.prompts[q].id.c_str(),
                                     choice.has_value() ? to_string(choice.value()) : "unparsed");
                }
                judged[s] = {summarize(trials), unparsed};
            }
        }
    }
    return judged;
}

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

}  // namespace headstart::eval_cli
