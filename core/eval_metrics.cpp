// core/eval_metrics.cpp — see eval_metrics.h.
#include "core/eval_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/words.h"

namespace headstart {

using json = nlohmann::json;

// ---- prompt sets ---------------------------------------------------------------------------

namespace {

std::string string_field(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    return {};
}

std::string question_of(const json& j) {
    for (const char* key : {"question", "prompt", "text", "instruction"}) {
        std::string q = string_field(j, key);
        if (!q.empty()) return q;
    }
    if (auto t = j.find("turns"); t != j.end() && t->is_array() && !t->empty() && (*t)[0].is_string())
        return (*t)[0].get<std::string>();
    if (auto m = j.find("messages"); m != j.end() && m->is_array())
        for (const auto& msg : *m)
            if (msg.is_object() && string_field(msg, "role") == "user") return string_field(msg, "content");
    return {};
}

}  // namespace

Result<std::vector<EvalPrompt>> parse_prompt_set(std::string_view jsonl, std::string_view set_name) {
    std::vector<EvalPrompt> out;
    size_t line_no = 0, pos = 0;
    while (pos <= jsonl.size()) {
        size_t nl = jsonl.find('\n', pos);
        if (nl == std::string_view::npos) nl = jsonl.size();
        const std::string_view line = trim_spaces(jsonl.substr(pos, nl - pos));
        ++line_no;
        pos = nl + 1;
        if (line.empty()) continue;
        const json j = json::parse(line.begin(), line.end(), nullptr, false);
        if (j.is_discarded() || !j.is_object()) return Error{"line " + std::to_string(line_no) + ": not a JSON object"};
        EvalPrompt p;
        p.question = std::string(trim_spaces(question_of(j)));
        if (p.question.empty())
            return Error{"line " + std::to_string(line_no) +
                         ": no question (question / prompt / text / turns / messages)"};
        p.id = string_field(j, "id");
        if (p.id.empty()) p.id = string_field(j, "question_id");
        if (p.id.empty()) p.id = std::string(set_name) + "-" + std::to_string(line_no);
        p.category = string_field(j, "category");
        p.reference = string_field(j, "reference");
        out.push_back(std::move(p));
    }
    return out;
}

// ---- latency distributions -------------------------------------------------------------------

double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
    const double rank = std::clamp(q, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(rank));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

Distribution summarize_values(std::vector<double> values) {
    values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }),
                 values.end());
    Distribution d;
    d.n = static_cast<int>(values.size());
    if (values.empty()) return d;
    std::sort(values.begin(), values.end());
    double sum = 0;
    for (double v : values) sum += v;
    d.mean = sum / static_cast<double>(values.size());
    d.min = values.front();
    d.max = values.back();
    d.p50 = percentile(values, 50);
    d.p90 = percentile(values, 90);
    d.p95 = percentile(values, 95);
    d.p99 = percentile(values, 99);
    return d;
}

// ---- diversity and topicality ------------------------------------------------------------------

namespace {

std::vector<std::string> keys_of(std::string_view text) {
    std::vector<std::string> keys;
    for (const auto& w : words_of(text)) {
        std::string k = word_key(w);
        if (!k.empty()) keys.push_back(std::move(k));
    }
    return keys;
}

bool is_consonant(char c) { return c >= 'a' && c <= 'z' && c != 'a' && c != 'e' && c != 'i' && c != 'o' && c != 'u'; }

}  // namespace

double distinct_n(const std::vector<std::string>& texts, int n) {
    if (n < 1) return 0.0;
    std::set<std::vector<std::string>> unique;
    size_t total = 0;
    for (const auto& t : texts) {
        const auto keys = keys_of(t);
        for (size_t i = 0; i + static_cast<size_t>(n) <= keys.size(); ++i) {
            unique.insert(
                std::vector<std::string>(keys.begin() + static_cast<long>(i), keys.begin() + static_cast<long>(i) + n));
            ++total;
        }
    }
    return total ? static_cast<double>(unique.size()) / static_cast<double>(total) : 0.0;
}

bool is_stop_word(std::string_view key) {
    static const std::set<std::string, std::less<>> kStop = {
        "a",      "about",   "above", "after", "again",  "all",     "also",  "am",     "an",      "and",
        "any",    "are",     "as",    "at",    "be",     "because", "been",  "before", "being",   "best",
        "better", "between", "both",  "but",   "by",     "can",     "cant",  "could",  "couldnt", "did",
        "do",     "does",    "doing", "dont",  "down",   "during",  "each",  "else",   "even",    "ever",
        "every",  "explain", "few",   "for",   "from",   "further", "get",   "gets",   "give",    "go",
        "good",   "got",     "had",   "has",   "have",   "having",  "he",    "her",    "here",    "hers",
        "him",    "his",     "how",   "i",     "id",     "if",      "im",    "in",     "into",    "is",
        "isnt",   "it",      "its",   "ive",   "just",   "know",    "let",   "lets",   "like",    "make",
        "me",     "might",   "more",  "most",  "much",   "must",    "my",    "need",   "no",      "nor",
        "not",    "now",     "of",    "off",   "on",     "once",    "one",   "only",   "or",      "other",
        "our",    "out",     "over",  "own",   "please", "really",  "same",  "should", "so",      "some",
        "such",   "sure",    "tell",  "than",  "that",   "thats",   "the",   "their",  "them",    "then",
        "there",  "theres",  "these", "they",  "thing",  "things",  "this",  "those",  "through", "to",
        "too",    "under",   "until", "up",    "us",     "use",     "very",  "want",   "was",     "way",
        "ways",   "we",      "well",  "were",  "what",   "whats",   "when",  "where",  "which",   "while",
        "who",    "whom",    "why",   "will",  "with",   "without", "would", "yes",    "you",     "youll",
        "your",   "youre",   "yours",
    };
    return kStop.count(key) > 0;
}

std::string light_stem(std::string_view key) {
    std::string s(key);
    const auto ends = [&](std::string_view suf) {
        return s.size() > suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
    };
    if (s.size() > 4 && ends("ies")) s.replace(s.size() - 3, 3, "y");
    else if (s.size() > 5 && ends("ing")) s.resize(s.size() - 3);
    else if (s.size() > 4 && ends("ed")) s.resize(s.size() - 2);
    else if (s.size() > 3 && ends("s") && !ends("ss") && !ends("us") && !ends("is")) s.resize(s.size() - 1);
    if (s.size() > 3 && s.back() == 'e') s.pop_back();
    if (s.size() > 3 && s[s.size() - 1] == s[s.size() - 2] && is_consonant(s.back())) s.pop_back();
    return s;
}

std::vector<std::string> content_words(std::string_view text) {
    std::vector<std::string> out;
    for (const auto& k : keys_of(text)) {
        if (is_stop_word(k)) continue;
        if (k.size() == 1 && !(k[0] & 0x80)) continue;  // "x", "5": too weak to count as a shared topic
        std::string stem = light_stem(k);
        if (std::find(out.begin(), out.end(), stem) == out.end()) out.push_back(std::move(stem));
    }
    return out;
}

double content_word_f1(std::string_view a, std::string_view b) {
    const auto wa = content_words(a), wb = content_words(b);
    const std::set<std::string> sa(wa.begin(), wa.end()), sb(wb.begin(), wb.end());
    if (sa.empty() || sb.empty()) return 0;
    size_t shared = 0;
    for (const auto& w : sa) shared += sb.count(w);
    if (shared == 0) return 0;
    const double recall = static_cast<double>(shared) / static_cast<double>(sa.size());
    const double precision = static_cast<double>(shared) / static_cast<double>(sb.size());
    return 2 * recall * precision / (recall + precision);
}

bool is_generic_opener(std::string_view opener) {
    static const std::vector<std::vector<std::string>> kGeneric = {
        {"sure"},
        {"of", "course"},
        {"certainly"},
        {"absolutely"},
        {"yes"},
        {"no"},
        {"well"},
        {"okay"},
        {"ok"},
        {"good", "question"},
        {"great", "question"},
        {"interesting", "question"},
        {"here", "is"},
        {"here", "are"},
        {"heres"},
        {"there", "are"},
        {"there", "is"},
        {"theres"},
        {"it", "depends"},
        {"that", "depends"},
        {"let", "me"},
        {"lets"},
        {"the", "answer"},
        {"the", "short", "answer"},
        {"in", "short"},
        {"happy", "to"},
        {"i", "can", "help"},
        {"i", "think"},
        {"i", "would"},
        {"id", "suggest"},
        {"id", "recommend"},
        {"one", "way"},
        {"a", "good", "way"},
        {"the", "best", "way"},
        {"a", "few"},
        {"first"},
        {"to", "start"},
        {"start", "by"},
        {"the", "key"},
        {"generally"},
        {"in", "general"},
        {"great"},
        {"good"},
    };
    const auto keys = keys_of(opener);
    for (const auto& g : kGeneric)
        if (keys.size() >= g.size() && std::equal(g.begin(), g.end(), keys.begin())) return true;
    return false;
}

OnTopic check_on_topic(std::string_view question, std::string_view opener) {
    OnTopic r;
    if (trim_spaces(opener).empty()) return r;
    const auto q = content_words(question);
    for (const auto& w : content_words(opener))
        if (std::find(q.begin(), q.end(), w) != q.end()) r.shared.push_back(w);
    if (!r.shared.empty()) r.on_topic = true;
    else if (is_generic_opener(opener)) r.on_topic = r.generic = true;
    return r;
}

// ---- join defects ------------------------------------------------------------------------------

JoinDefects find_join_defects(std::string_view opener, std::string_view answer) {
    JoinDefects d;
    if (answer.find("\xEF\xBF\xBD") != std::string_view::npos) {
        ++d.broken_words;
        d.notes.push_back("U+FFFD in the answer (a character cut in two)");
    }
    const std::string_view o = trim_trailing_spaces(opener);
    if (o.empty() || answer.size() < o.size() || answer.compare(0, o.size(), o) != 0) return d;
    d.applicable = true;
    const std::string_view rest = answer.substr(o.size());
    if (rest.empty()) return d;

    // Spaces at the seam. A line break there is a paragraph or a list starting, not a doubled space.
    size_t i = 0, spaces = 0, line_breaks = 0;
    while (i < rest.size()) {
        size_t len = 1;
        if (text_class(decode_code_point(rest, i, &len)) != TextClass::Space) break;
        if (rest[i] == '\n' || rest[i] == '\r') ++line_breaks;
        i += len;
        ++spaces;
    }
    if (spaces >= 2 && line_breaks == 0) {
        ++d.doubled_spaces;
        d.notes.push_back("doubled space after the opener");
    }
    if (i < rest.size() && spaces >= 1 && std::string_view(",.;:!?").find(rest[i]) != std::string_view::npos) {
        ++d.space_before_punctuation;
        d.notes.push_back(std::string("space before '") + rest[i] + "' after the opener");
    }
    if (spaces == 0 && text_class(last_code_point(o)) == TextClass::Word &&
        text_class(first_code_point(rest)) == TextClass::Word) {
        ++d.broken_words;
        d.notes.push_back("the opener's last word is glued to the continuation");
    }

    // The opener's last words said again right after it.
    const auto before = keys_of(o);
    const auto after = keys_of(rest.substr(0, std::min<size_t>(rest.size(), 256)));
    for (size_t k = std::min<size_t>({4, before.size(), after.size()}); k >= 1; --k) {
        if (std::equal(before.end() - static_cast<long>(k), before.end(), after.begin())) {
            ++d.repeated_words;
            std::string said;
            for (size_t j = 0; j < k; ++j) said += (j ? " " : "") + after[j];
            d.notes.push_back("\"" + said + "\" repeated across the seam");
            break;
        }
    }
    return d;
}

// ---- correction paths ----------------------------------------------------------------------------

std::vector<PathShare> path_distribution(const std::vector<std::string>& labels) {
    std::map<std::string, int> counts;
    for (const auto& l : labels) ++counts[l];
    std::vector<PathShare> out;
    const int n = static_cast<int>(labels.size());
    for (const auto& [label, count] : counts) out.push_back({label, wilson_interval(count, n)});
    std::stable_sort(out.begin(), out.end(),
                     [](const PathShare& a, const PathShare& b) { return a.share.count > b.share.count; });
    return out;
}

// ---- LLM as judge ------------------------------------------------------------------------------

const char* to_string(JudgeChoice choice) {
    switch (choice) {
        case JudgeChoice::A: return "A";
        case JudgeChoice::B: return "B";
        case JudgeChoice::Equivalent: return "equivalent";
    }
    return "?";
}

std::pair<std::string, std::string> judge_messages(std::string_view question, std::string_view answer_a,
                                                   std::string_view answer_b) {
    std::string system =
        "You are an impartial judge. You compare two answers to the same question for helpfulness, "
        "correctness and fluency as a reader would experience them. Do not prefer an answer for its "
        "position or its length. Reply with exactly one word: A, B or equivalent.";
    std::string user = "Question:\n" + std::string(question) + "\n\nAnswer A:\n" + std::string(answer_a) +
                       "\n\nAnswer B:\n" + std::string(answer_b) +
                       "\n\nWhich answer is better? Reply with exactly one word: A, B or equivalent.";
    return {std::move(system), std::move(user)};
}

std::optional<JudgeChoice> parse_judge_verdict(std::string_view reply) {
    static const std::set<std::string, std::less<>> kLeadIn = {"answer", "response",  "verdict", "option",
                                                               "choice", "assistant", "output",  "winner"};
    static const std::set<std::string, std::less<>> kTie = {"equivalent", "tie", "equal", "equally", "same"};
    const auto words = words_of(reply);
    std::vector<JudgeChoice> found;
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string key = word_key(words[i]);
        if (kTie.count(key)) {
            found.push_back(JudgeChoice::Equivalent);
            continue;
        }
        if (key != "a" && key != "b") continue;
        // The bare letter, once punctuation and markup are stripped ("**A**", "A.", "\"B\"}").
        std::string bare;
        for (char c : words[i])
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) bare += c;
        const bool upper = bare == "A" || bare == "B";
        const bool led_in = i > 0 && kLeadIn.count(word_key(words[i - 1]));
        if (led_in || (upper && (i == 0 || words.size() <= 3)) || words.size() == 1 ||
            (upper && i + 1 < words.size() && (word_key(words[i + 1]) == "is" || word_key(words[i + 1]) == "wins")))
            found.push_back(key == "a" ? JudgeChoice::A : JudgeChoice::B);
    }
    if (found.empty()) return std::nullopt;
    const bool has_a = std::count(found.begin(), found.end(), JudgeChoice::A) > 0;
    const bool has_b = std::count(found.begin(), found.end(), JudgeChoice::B) > 0;
    const bool has_tie = std::count(found.begin(), found.end(), JudgeChoice::Equivalent) > 0;
    if (has_a && has_b) return has_tie ? std::optional<JudgeChoice>(JudgeChoice::Equivalent) : std::nullopt;
    return found.front();
}

Rating judge_rating(JudgeChoice choice) {
    switch (choice) {
        case JudgeChoice::A: return Rating::ABetter;
        case JudgeChoice::B: return Rating::BBetter;
        case JudgeChoice::Equivalent: return Rating::Equivalent;
    }
    return Rating::Equivalent;
}

// ---- held-out perplexity -----------------------------------------------------------------------

Result<std::vector<HeldoutSegment>> heldout_segments(std::string_view json_line) {
    const json j = json::parse(json_line.begin(), json_line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Error{"not a JSON object"};
    if (auto t = j.find("text"); t != j.end() && t->is_string())
        return std::vector<HeldoutSegment>{{t->get<std::string>() + "<|endoftext|>", false}};
    auto m = j.find("messages");
    if (m == j.end() || !m->is_array() || m->empty()) return Error{"neither \"text\" nor \"messages\""};
    std::vector<HeldoutSegment> out;
    for (const auto& msg : *m) {
        const std::string role = msg.is_object() ? string_field(msg, "role") : "";
        if (role.empty() || !msg.contains("content") || !msg["content"].is_string())
            return Error{"a message without role or content"};
        const std::string content = msg["content"].get<std::string>();
        if (role == "assistant") {
            out.push_back({"<|im_start|>assistant\n", false});
            out.push_back({content + "<|im_end|>", true});
            out.push_back({"\n", false});
        } else {
            out.push_back({"<|im_start|>" + role + "\n" + content + "<|im_end|>\n", false});
        }
    }
    out.push_back({"<|endoftext|>", false});
    return out;
}

Result<std::string> heldout_text(std::string_view json_line) {
    auto segments = heldout_segments(json_line);
    if (!segments.ok()) return Error{segments.error()};
    std::string out;
    for (const auto& s : *segments) out += s.text;
    return out;
}

std::string reference_opener(std::string_view reference, int n_words) {
    const std::string_view text = trim_leading_spaces(reference);
    const std::vector<WordSpan> spans = split_words(text);
    if (spans.empty() || n_words <= 0) return {};
    const WordSpan& last = spans[std::min(spans.size(), static_cast<size_t>(n_words)) - 1];
    return std::string(text.substr(0, last.end));
}

double token_nll(const std::vector<float>& logits, int target) {
    if (target < 0 || static_cast<size_t>(target) >= logits.size()) return std::numeric_limits<double>::quiet_NaN();
    double mx = -std::numeric_limits<double>::infinity();
    for (float v : logits) mx = std::max(mx, static_cast<double>(v));
    double sum = 0;
    for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
    return std::log(sum) + mx - static_cast<double>(logits[static_cast<size_t>(target)]);
}

double PerplexityAccumulator::perplexity() const { return tokens ? std::exp(mean_nll()) : 0.0; }

}  // namespace headstart
