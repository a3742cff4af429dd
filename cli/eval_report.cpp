// cli/eval_report.cpp — `headstart eval`'s figures: per system, the turns summed up (opener latency,
// on-topic share, distinct-n, correction paths, join defects, latency per profile) as summary.json's
// objects, and summary.md's tables from them.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/eval.h"
#include "core/words.h"

namespace headstart::eval_cli {

namespace {

json opt_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

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

// The reference opener's mean log-likelihood per token of a system's summary, else "—".
std::string reference_ll(const json& sys, int decimals) {
    if (!sys.contains("reference_opener") || !sys["reference_opener"].contains("mean_log_likelihood")) return "—";
    return fmt(sys["reference_opener"]["mean_log_likelihood"].get<double>(), decimals);
}

}  // namespace

std::string summary_markdown(const json& s) {
    std::string md = "# Headstart evaluation\n\n";
    md += "Prompts: " + std::to_string(s["prompts"].get<int>()) + " from " + s["prompt_sets"].dump() + "; cloud " +
          s["cloud"].get<std::string>() + " (" + s["mode"].get<std::string>() + " mode); profiles " +
          s["profiles"].dump() + ". Latencies in ms.\n\n";
    md +=
        "## Openers\n\n| system | opener ready p50 | p95 | local TTFT p50 | 4 words p50 | held-out ppl (tokens) | distinct-1 | distinct-2 | on topic | join defects | failed |\n";
    md += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (const auto& [name, sys] : s["systems"].items()) {
        const json& lat = sys["opener_latency_ms"];
        std::string ppl = "—";
        if (sys.contains("heldout") && sys["heldout"].contains("perplexity"))
            ppl = fmt(sys["heldout"]["perplexity"].get<double>(), 2) + " (" +
                  std::to_string(sys["heldout"]["tokens"].get<long long>()) + ")";
        const bool has_opener = sys["kind"] != "cloud-only";
        md += "| " + name + " | " + (has_opener ? dist_cell(lat["handoff"], "p50") : "—") + " | " +
              (has_opener ? dist_cell(lat["handoff"], "p95") : "—") + " | " + dist_cell(lat["local_ttft"], "p50") +
              " | " + dist_cell(lat["time_to_4_words"], "p50") + " | " + ppl + " | " +
              (has_opener ? fmt(sys["distinct_1"].get<double>(), 3) : "—") + " | " +
              (has_opener ? fmt(sys["distinct_2"].get<double>(), 3) : "—") + " | " +
              (has_opener ? pct(sys["on_topic"]) : "—") + " | " +
              (has_opener ? pct(sys["join_defects"]["turns_with_defects"]) : "—") + " | " +
              std::to_string(sys["failed"].get<int>()) + " |\n";
    }
    md +=
        "\n## Opener quality\n\nShown opener (after the confidence gate) and the μLM's own words (before it): the share that "
        "has a content word of the question (generic openers apart), distinct-2 of the μLM's words, held-out reply "
        "perplexity, and the mean log-likelihood per token of the reference answer's first 8 words.\n\n"
        "| system | shown: shares a content word | shown: generic | μLM words: shares a content word | μLM words: distinct-2 | "
        "held-out reply ppl (tokens) | reference opener log-lik / token (prompts) |\n| --- | --- | --- | --- | --- | --- | --- |\n";
    for (const auto& [name, sys] : s["systems"].items()) {
        if (sys["kind"] == "cloud-only") continue;
        std::string reply = "—", ref = "—";
        if (sys.contains("heldout") && sys["heldout"].contains("reply_perplexity") &&
            sys["heldout"]["reply_tokens"].get<long long>() > 0)
            reply = fmt(sys["heldout"]["reply_perplexity"].get<double>(), 2) + " (" +
                    std::to_string(sys["heldout"]["reply_tokens"].get<long long>()) + ")";
        if (const std::string ll = reference_ll(sys, 3); ll != "—")
            ref = ll + " (" + std::to_string(sys["reference_opener"]["prompts"].get<int>()) + ")";
        const json& mt = sys["mulm_text"];
        const bool has_mt = mt.is_object();
        md += "| " + name + " | " + pct(sys["shares_content_word"]) + " | " +
              std::to_string(sys["on_topic_generic"].get<int>()) + " | " +
              (has_mt ? pct(mt["shares_content_word"]) : "—") + " | " +
              (has_mt ? fmt(mt["distinct_2"].get<double>(), 3) : "—") + " | " + reply + " | " + ref + " |\n";
    }
    md += "\n## Correction paths\n\n| system | paths |\n| --- | --- |\n";
    for (const auto& [name, sys] : s["systems"].items()) {
        std::string cells;
        for (const auto& p : sys["paths"])
            cells += (cells.empty() ? "" : ", ") + p["label"].get<std::string>() + " " + pct(p);
        md += "| " + name + " | " + cells + " |\n";
    }
    md +=
        "\n## Latency under each profile\n\n| system | profile | cloud TTFT p50 | first word shown p50 | p95 | masked p50 | stall p50 | stall p95 | no stall |\n";
    md += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (const auto& [name, sys] : s["systems"].items())
        for (const auto& profile_name : s["profiles"]) {
            const std::string profile = profile_name.get<std::string>();
            const json& p = sys["profiles"][profile];
            md += "| " + name + " | " + profile + " | " + dist_cell(p["cloud_ttft_ms"], "p50") + " | " +
                  dist_cell(p["perceived_first_word_ms"], "p50") + " | " +
                  dist_cell(p["perceived_first_word_ms"], "p95") + " | " + dist_cell(p["masked_ms"], "p50") + " | " +
                  dist_cell(p["stall_ms"], "p50") + " | " + dist_cell(p["stall_ms"], "p95") + " | " +
                  pct(p["no_stall"]) + " |\n";
        }
    if (s.contains("sets") && s["sets"].size() > 1) {
        md +=
            "\n## Per benchmark\n\nOn topic: the shown opener shares a content word with the question or is generic; "
            "agreement: content-word F1 of the opener with the reference answer's first 8 words (mean); log-lik: "
            "the μLM's mean log-likelihood per token of those 8 words; paths: `no-reference` is the offline cloud's honest "
            "no-answer reply (its corpus has no question close enough), counted apart from the rewrites; cloud knew "
            "it: the share of answered turns it had a reference for; latencies p50 in ms, one value per profile (" +
            s["profiles"].dump() + ").\n";
        for (const auto& [set, st] : s["sets"].items()) {
            md += "\n### " + set + " (" + std::to_string(st["prompts"].get<int>()) + " prompts, " +
                  std::to_string(st["with_reference"].get<int>()) + " with a reference)\n\n";
            md +=
                "| system | on topic | agreement | log-lik | paths | join defects | local TTFT | 4 words | first word "
                "shown | masked | stall | cloud knew it |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
                "| --- |\n";
            for (const auto& [name, sys] : st["systems"].items()) {
                if (sys["turns"].get<int>() == 0) continue;  // the oracle on a set without references
                const bool has_opener = sys["kind"] != "cloud-only";
                const json& lat = sys["opener_latency_ms"];
                std::string paths, first, masked, stall;
                int shown = 0;
                for (const auto& p : sys["paths"])
                    if (shown++ < 4)
                        paths += (paths.empty() ? "" : ", ") + p["label"].get<std::string>() + " " +
                                 fmt(100 * p["p"].get<double>()) + "%";
                for (const auto& profile : s["profiles"]) {
                    const json& p = sys["profiles"][profile.get<std::string>()];
                    const auto add = [](std::string* cell, const std::string& v) {
                        *cell += (cell->empty() ? "" : " / ") + v;
                    };
                    add(&first, dist_cell(p["perceived_first_word_ms"], "p50"));
                    add(&masked, dist_cell(p["masked_ms"], "p50"));
                    add(&stall, dist_cell(p["stall_ms"], "p50"));
                }
                const json& ag = sys["agreement_f1"];
                const std::string ll = reference_ll(sys, 2);
                md += "| " + name + " | " + (has_opener ? pct(sys["on_topic"]) : "—") + " | " +
                      (has_opener && ag.value("n", 0) > 0 ? fmt(ag["mean"].get<double>(), 2) : "—") + " | " + ll +
                      " | " + paths + " | " + (has_opener ? pct(sys["join_defects"]["turns_with_defects"]) : "—") +
                      " | " + dist_cell(lat["local_ttft"], "p50") + " | " + dist_cell(lat["time_to_4_words"], "p50") +
                      " | " + first + " | " + (has_opener ? masked : "—") + " | " + (has_opener ? stall : "—") + " | " +
                      pct(sys["cloud_had_reference"]) + " |\n";
            }
        }
    }
    bool judged = false;
    for (const auto& [name, sys] : s["systems"].items()) {
        if (!sys.contains("judge")) continue;
        if (!judged) {
            md +=
                "\n## LLM as judge (μLM + cloud vs cloud only)\n\n| system | pairs | prefers it | equivalent | prefers cloud only | unparsed |\n";
            md += "| --- | --- | --- | --- | --- | --- |\n";
            judged = true;
        }
        const json& j = sys["judge"];
        md += "| " + name + " | " + std::to_string(j["n"].get<int>()) + " | " + pct(j["headstart"]) + " | " +
              pct(j["equivalent"]) + " | " + pct(j["cloud_only"]) + " | " + std::to_string(j["unparsed"].get<int>()) +
              " |\n";
    }
    if (s.contains("study")) {
        const json& j = s["study"];
        md += "\n## Desktop study (same analysis)\n\n" + std::to_string(j["n"].get<int>()) +
              " rated pairs: prefers μLM + cloud " + pct(j["headstart"]) + ", equivalent " + pct(j["equivalent"]) +
              ", prefers cloud only " + pct(j["cloud_only"]) + ".\n";
    }
    return md;
}

const char* kind_name(SystemKind kind) {
    switch (kind) {
        case SystemKind::Model: return "mulm";
        case SystemKind::Canned: return "canned";
        case SystemKind::Oracle: return "oracle";
        case SystemKind::CloudOnly: break;
    }
    return "cloud-only";
}

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"cannot read " + path};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json distribution_json(const Distribution& d) {
    if (d.n == 0) return {{"n", 0}};
    return {{"n", d.n},     {"mean", d.mean}, {"min", d.min}, {"p50", d.p50},
            {"p90", d.p90}, {"p95", d.p95},   {"p99", d.p99}, {"max", d.max}};
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

json system_summary(const Run& run, const std::vector<TurnRecord>& records, size_t s, int set) {
    const System& sys = run.systems[s];
    std::vector<double> ttft, four, handoff, opener_words, agreement;
    std::vector<std::string> openers, paths;
    std::vector<std::string> mulm_texts;
    int mulm_content_word = 0, mulm_generic = 0;
    int no_reference = 0, answered_turns = 0;
    int on_topic = 0, generic = 0, content_word = 0, with_opener = 0, failed = 0, defect_turns = 0, judged_seams = 0,
        turns = 0;
    JoinDefects totals;
    json profiles = json::object();
    for (size_t p = 0; p < run.profiles.size(); ++p) {
        std::vector<double> cloud_ttft, first_word, masked, stall, before;
        int n = 0, pf = 0, no_stall = 0;
        for (size_t q = 0; q < run.prompts.size(); ++q) {
            if (set >= 0 && run.prompt_set[q] != static_cast<size_t>(set)) continue;
            const TurnRecord& r = records[record_index(run, s, p, q)];
            if (!r.ran) continue;
            ++n;
            ++turns;
            paths.push_back(r.path);
            if (r.failed) {
                ++pf;
                ++failed;
            }
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
                if (r.agreement) agreement.push_back(*r.agreement);
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
            ++answered_turns;
            if (r.no_reference) ++no_reference;
            if (m.cloud_ttft_ms) cloud_ttft.push_back(*m.cloud_ttft_ms);
            if (m.perceived_first_word_ms) first_word.push_back(*m.perceived_first_word_ms);
            masked.push_back(m.masked_ms);
            stall.push_back(m.stall_ms);
            if (m.stall_ms < 1.0) ++no_stall;
            before.push_back(m.words_before_cloud);
        }
        const Distribution b = summarize_values(before);
        profiles[run.profiles[p].empty() ? "server-default" : run.profiles[p]] = {
            {"turns", n},
            {"failed", pf},
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
    json sj = {{"kind", kind_name(sys.kind)},
               {"turns", turns},
               {"failed", failed},
               {"opener_latency_ms",
                {{"local_ttft", distribution_json(summarize_values(ttft))},
                 {"time_to_4_words", distribution_json(summarize_values(four))},
                 {"handoff", distribution_json(summarize_values(handoff))}}},
               {"opener_words", distribution_json(summarize_values(opener_words))},
               {"distinct_1", distinct_n(openers, 1)},
               {"distinct_2", distinct_n(openers, 2)},
               {"on_topic", proportion_json(wilson_interval(on_topic, with_opener))},
               {"on_topic_generic", generic},
               {"shares_content_word", proportion_json(wilson_interval(content_word, with_opener))},
               {"agreement_f1", distribution_json(summarize_values(agreement))},
               {"mulm_text",
                sys.kind == SystemKind::Model
                    ? json{{"shares_content_word", proportion_json(wilson_interval(mulm_content_word, with_opener))},
                           {"generic", mulm_generic},
                           {"distinct_1", distinct_n(mulm_texts, 1)},
                           {"distinct_2", distinct_n(mulm_texts, 2)}}
                    : json(nullptr)},
               {"paths", paths_json},
               {"cloud_had_reference", proportion_json(wilson_interval(answered_turns - no_reference, answered_turns))},
               {"join_defects",
                {{"turns_judged", judged_seams},
                 {"turns_with_defects", proportion_json(wilson_interval(defect_turns, judged_seams))},
                 {"repeated_words", totals.repeated_words},
                 {"doubled_spaces", totals.doubled_spaces},
                 {"space_before_punctuation", totals.space_before_punctuation},
                 {"broken_words", totals.broken_words}}},
               {"profiles", profiles}};
    return sj;
}

}  // namespace headstart::eval_cli
