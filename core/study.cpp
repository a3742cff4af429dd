// core/study.cpp — see study.h.
#include "core/study.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

namespace headstart {

const char* to_string(Condition c) {
    switch (c) {
        case Condition::CloudOnly: return "cloud_only";
        case Condition::Headstart: return "headstart";
    }
    return "unknown";
}

const char* to_string(Rating r) {
    switch (r) {
        case Rating::ABetter: return "a_better";
        case Rating::Equivalent: return "equivalent";
        case Rating::BBetter: return "b_better";
    }
    return "unknown";
}

std::optional<Rating> rating_from_name(std::string_view name) {
    if (name == "a_better" || name == "a") return Rating::ABetter;
    if (name == "equivalent" || name == "equal" || name == "=") return Rating::Equivalent;
    if (name == "b_better" || name == "b") return Rating::BBetter;
    return std::nullopt;
}

const char* to_string(Preference p) {
    switch (p) {
        case Preference::Headstart: return "headstart";
        case Preference::Equivalent: return "equivalent";
        case Preference::CloudOnly: return "cloud_only";
    }
    return "unknown";
}

// ---- recorded turns -----------------------------------------------------------------------

std::optional<double> RecordedTurn::first_word_ms() const {
    if (words.empty()) return std::nullopt;
    return words.front().shown_ms;
}

double RecordedTurn::end_ms() const {
    double end = 0.0;
    for (const ReplayWord& w : words) end = std::max(end, w.shown_ms + w.duration_ms);
    return end;
}

std::string RecordedTurn::text() const {
    std::string out;
    for (const ReplayWord& w : words) {
        if (!out.empty()) out += ' ';
        out += w.word;
    }
    return out;
}

RecordedTurn record_turn(const Timeline& timeline, Condition condition, std::string path,
                         const CorrectedAnswer* answer) {
    RecordedTurn r;
    r.condition = condition;
    r.path = std::move(path);
    const Event* request = timeline.first(EventKind::Request);
    const double t0 = request ? request->t_ms : 0.0;
    for (const Event& e : timeline.events()) {
        if (e.kind == EventKind::WordShown) r.words.push_back(ReplayWord{e.text, e.t_ms - t0, e.duration_ms, e.origin});
        if (e.kind == EventKind::CloudFailed) r.failed = true;
        if (e.kind == EventKind::Verdict && r.retract_ms < 0 &&
            (e.text.rfind("rewrite", 0) == 0 || e.text.rfind("gate+rewrite", 0) == 0))
            r.retract_ms = e.t_ms - t0;
    }
    if (answer) {
        size_t i = 0;
        for (const Segment& w : answer_words(*answer)) {
            if (w.style == SegmentStyle::Cut) continue;
            if (i >= r.words.size()) break;
            r.words[i++].style = w.style;
        }
    }
    // The presenter shows words in order; keep them sorted even if a caller merged timelines.
    std::stable_sort(r.words.begin(), r.words.end(),
                     [](const ReplayWord& x, const ReplayWord& y) { return x.shown_ms < y.shown_ms; });
    return r;
}

std::size_t words_due(const RecordedTurn& turn, double t_ms) {
    const auto it = std::upper_bound(turn.words.begin(), turn.words.end(), t_ms,
                                     [](double t, const ReplayWord& w) { return t < w.shown_ms; });
    return static_cast<std::size_t>(it - turn.words.begin());
}

// ---- randomization ------------------------------------------------------------------------

bool headstart_is_a(std::uint64_t seed, int index) {
    if (index < 0) index = 0;
    const std::uint64_t block = static_cast<std::uint64_t>(index / 2);
    // mt19937_64's output sequence is fixed by the standard: the same order on every platform.
    std::mt19937_64 rng(seed ^ (0x9E3779B97F4A7C15ull * (block + 1)));
    const bool first_is_headstart = (rng() >> 63) != 0;
    return (index % 2 == 0) ? first_is_headstart : !first_is_headstart;
}

// ---- ratings and summary ------------------------------------------------------------------

Preference preference(const StudyTrial& t) {
    switch (t.rating) {
        case Rating::Equivalent: return Preference::Equivalent;
        case Rating::ABetter: return t.headstart_is_a ? Preference::Headstart : Preference::CloudOnly;
        case Rating::BBetter: return t.headstart_is_a ? Preference::CloudOnly : Preference::Headstart;
    }
    return Preference::Equivalent;
}

Proportion wilson_interval(int k, int n, double z) {
    Proportion p;
    p.n = std::max(0, n);
    p.count = std::clamp(k, 0, p.n);
    if (p.n == 0) return p;
    const double nn = p.n, phat = p.count / nn, z2 = z * z;
    const double denom = 1.0 + z2 / nn;
    const double centre = (phat + z2 / (2.0 * nn)) / denom;
    const double half = z * std::sqrt(phat * (1.0 - phat) / nn + z2 / (4.0 * nn * nn)) / denom;
    p.p = phat;
    p.lo = std::max(0.0, centre - half);
    p.hi = std::min(1.0, centre + half);
    return p;
}

StudySummary summarize(const std::vector<StudyTrial>& trials) {
    StudySummary s;
    s.n = static_cast<int>(trials.size());
    int headstart = 0, equivalent = 0, cloud_only = 0;
    double sum_h = 0, sum_c = 0;
    int n_h = 0, n_c = 0;
    for (const StudyTrial& t : trials) {
        switch (preference(t)) {
            case Preference::Headstart: ++headstart; break;
            case Preference::Equivalent: ++equivalent; break;
            case Preference::CloudOnly: ++cloud_only; break;
        }
        for (const RecordedTurn* r : {&t.a, &t.b}) {
            const auto first = r->first_word_ms();
            if (!first) continue;
            if (r->condition == Condition::Headstart) {
                sum_h += *first;
                ++n_h;
            } else {
                sum_c += *first;
                ++n_c;
            }
        }
    }
    s.headstart = wilson_interval(headstart, s.n);
    s.equivalent = wilson_interval(equivalent, s.n);
    s.cloud_only = wilson_interval(cloud_only, s.n);
    s.headstart_at_least_as_good = wilson_interval(headstart + equivalent, s.n);
    if (n_h) s.mean_first_word_headstart_ms = sum_h / n_h;
    if (n_c) s.mean_first_word_cloud_only_ms = sum_c / n_c;
    return s;
}

// ---- CSV ----------------------------------------------------------------------------------

std::string csv_field(std::string_view text) {
    std::string s(text);
    if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s.insert(s.begin(), '\'');
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

namespace {

std::string number(std::optional<double> v) {
    if (!v) return "";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", *v);
    return buf;
}

const RecordedTurn& of(const StudyTrial& t, Condition c) { return t.a.condition == c ? t.a : t.b; }

}  // namespace

std::string study_csv(const std::vector<StudyTrial>& trials) {
    std::string out =
        "created_at,participant,trial,question,a,b,rating,preferred,"
        "headstart_first_word_ms,cloud_only_first_word_ms,headstart_path,headstart_text,cloud_only_text,"
        "decision_ms\r\n";
    for (const StudyTrial& t : trials) {
        const RecordedTurn& h = of(t, Condition::Headstart);
        const RecordedTurn& c = of(t, Condition::CloudOnly);
        const std::string fields[] = {
            csv_field(t.created_at),   csv_field(t.participant),  std::to_string(t.index), csv_field(t.question),
            to_string(t.a.condition),  to_string(t.b.condition),  to_string(t.rating),     to_string(preference(t)),
            number(h.first_word_ms()), number(c.first_word_ms()), csv_field(h.path),       csv_field(h.text()),
            csv_field(c.text()),       number(t.decision_ms),
        };
        for (size_t i = 0; i < std::size(fields); ++i) {
            if (i) out += ',';
            out += fields[i];
        }
        out += "\r\n";
    }
    return out;
}

// ---- JSON ---------------------------------------------------------------------------------

namespace {

using nlohmann::json;

json turn_json(const RecordedTurn& r) {
    json words = json::array();
    for (const ReplayWord& w : r.words)
        words.push_back({{"w", w.word},
                         {"t", w.shown_ms},
                         {"d", w.duration_ms},
                         {"o", to_string(w.origin)},
                         {"s", to_string(w.style)}});
    return {{"condition", to_string(r.condition)},
            {"path", r.path},
            {"failed", r.failed},
            {"retract_ms", r.retract_ms},
            {"words", words}};
}

// Typed reads that never throw (the wasm build runs without exceptions): a missing key gives the
// fallback, a key of the wrong type is an error.
struct Reader {
    const json& j;
    std::string error;
    std::string str(const char* key) {
        auto it = j.find(key);
        if (it == j.end() || it->is_null()) return {};
        if (!it->is_string()) {
            error = std::string("\"") + key + "\" must be a string";
            return {};
        }
        return it->get<std::string>();
    }
    double num(const char* key) {
        auto it = j.find(key);
        if (it == j.end() || it->is_null()) return 0.0;
        if (!it->is_number()) {
            error = std::string("\"") + key + "\" must be a number";
            return 0.0;
        }
        return it->get<double>();
    }
    bool flag(const char* key, bool fallback) {
        auto it = j.find(key);
        if (it == j.end() || it->is_null()) return fallback;
        if (!it->is_boolean()) {
            error = std::string("\"") + key + "\" must be true or false";
            return fallback;
        }
        return it->get<bool>();
    }
};

Result<RecordedTurn> turn_from(const json& j) {
    if (!j.is_object()) return Error{"a recorded turn must be an object"};
    Reader in{j, {}};
    RecordedTurn r;
    const std::string c = in.str("condition");
    if (c == "headstart") r.condition = Condition::Headstart;
    else if (c == "cloud_only") r.condition = Condition::CloudOnly;
    else return Error{"unknown condition '" + c + "'"};
    r.path = in.str("path");
    r.failed = in.flag("failed", false);
    r.retract_ms = j.contains("retract_ms") ? in.num("retract_ms") : -1.0;
    auto words = j.find("words");
    if (words != j.end() && !words->is_array()) return Error{"\"words\" must be an array"};
    if (words != j.end()) {
        for (const json& w : *words) {
            if (!w.is_object()) return Error{"a word must be an object"};
            Reader wr{w, {}};
            ReplayWord rw;
            rw.word = wr.str("w");
            rw.shown_ms = wr.num("t");
            rw.duration_ms = wr.num("d");
            const std::string o = wr.str("o");
            rw.origin = o == "cloud" ? Origin::Cloud : o == "fallback" ? Origin::Fallback : Origin::Device;
            const std::string st = wr.str("s");
            rw.style = st == "struck"   ? SegmentStyle::Struck
                       : st == "bridge" ? SegmentStyle::Bridge
                                        : SegmentStyle::Normal;
            if (!wr.error.empty()) return Error{wr.error};
            r.words.push_back(std::move(rw));
        }
    }
    if (!in.error.empty()) return Error{in.error};
    return r;
}

}  // namespace

std::string to_json(const StudyTrial& t) {
    const json j = {{"participant", t.participant},
                    {"index", t.index},
                    {"question", t.question},
                    {"headstart_is_a", t.headstart_is_a},
                    {"rating", to_string(t.rating)},
                    {"decision_ms", t.decision_ms},
                    {"created_at", t.created_at},
                    {"a", turn_json(t.a)},
                    {"b", turn_json(t.b)}};
    // Invalid UTF-8 (a μLM can emit it only as U+FFFD, but be safe) is replaced, never thrown.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<StudyTrial> trial_from_json(std::string_view text) {
    const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return Error{"a study trial is not valid JSON"};
    Reader in{j, {}};
    StudyTrial t;
    t.participant = in.str("participant");
    const double index = in.num("index");
    // A trial number, not any double: out of int's range the cast would be undefined (found by fuzz_study).
    if (!(index >= 0 && index <= 1e9) || index != std::floor(index))
        return Error{"a study trial's \"index\" must be a whole number >= 0"};
    t.index = static_cast<int>(index);
    t.question = in.str("question");
    t.headstart_is_a = in.flag("headstart_is_a", true);
    const auto rating = rating_from_name(in.str("rating"));
    t.decision_ms = in.num("decision_ms");
    t.created_at = in.str("created_at");
    if (!in.error.empty()) return Error{"a study trial: " + in.error};
    if (!rating) return Error{"a study trial has no valid rating"};
    t.rating = *rating;
    const auto a_it = j.find("a"), b_it = j.find("b");
    if (a_it == j.end() || b_it == j.end()) return Error{"a study trial needs turns a and b"};
    auto a = turn_from(*a_it);
    if (!a.ok()) return Error{"turn A: " + a.error()};
    auto b = turn_from(*b_it);
    if (!b.ok()) return Error{"turn B: " + b.error()};
    t.a = std::move(a.value());
    t.b = std::move(b.value());
    return t;
}

}  // namespace headstart
