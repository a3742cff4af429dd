// core/correction.cpp — see correction.h.
//
// Map of this file:
//   Method 1          pass_through_gate(): cut an unsure opener at its last confident word, or replace it
//   Method 2          split_pivot(): the cloud's bridge and answer, blame words dropped
//   compose           compose_answer(): opener + continuation (continue, pivot, rewrite, gate) -> segments
#include "core/correction.h"

#include <cmath>
#include <cstdio>

#include "core/words.h"

namespace headstart {

const char* to_string(CorrectionPath path) {
    switch (path) {
        case CorrectionPath::Continue: return "continue";
        case CorrectionPath::ConfidenceGate: return "gate";
        case CorrectionPath::SelfRepairPivot: return "pivot";
        case CorrectionPath::RetractAndReplace: return "rewrite";
    }
    return "unknown";
}

const char* to_string(SegmentStyle style) {
    switch (style) {
        case SegmentStyle::Normal: return "normal";
        case SegmentStyle::Struck: return "struck";
        case SegmentStyle::Bridge: return "bridge";
        case SegmentStyle::Cut: return "cut";
    }
    return "unknown";
}

const char* to_string(PresentationMode mode) { return mode == PresentationMode::Display ? "display" : "speech"; }

namespace {

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

}  // namespace

// ---- Method 1 ------------------------------------------------------------------------------

GateDecision pass_through_gate(std::string_view opener) {
    GateDecision g;
    g.opener = std::string(trim_spaces(opener));
    g.kept_words = static_cast<int>(split_words(g.opener).size());
    g.why = "gate passed";
    return g;
}

Result<GateDecision> apply_confidence_gate(std::string_view opener, const std::vector<WordConfidence>& words,
                                           const ConfidenceGateConfig& config) {
    if (std::isnan(config.min_word_logprob) || std::isnan(config.max_word_entropy))
        return Error{"confidence gate: thresholds must be numbers"};
    const std::string_view text = trim_spaces(opener);
    if (!config.enabled) {
        GateDecision g = pass_through_gate(text);
        g.why = "gate off";
        return g;
    }
    const std::vector<WordSpan> spans = split_words(text);
    if (spans.size() != words.size())
        return Error{"confidence gate: " + std::to_string(words.size()) + " word confidences for an opener of " +
                     std::to_string(spans.size()) + " words"};

    std::size_t kept = 0;
    while (kept < words.size() && words[kept].min_logprob >= config.min_word_logprob &&
           words[kept].max_entropy <= config.max_word_entropy)
        ++kept;
    if (kept == words.size() && !words.empty()) {
        GateDecision g = pass_through_gate(text);
        g.why = "gate passed: all " + std::to_string(words.size()) + " words confident";
        return g;
    }

    GateDecision g;
    g.fired = true;
    std::string doubt;
    if (kept < words.size()) {
        const WordConfidence& w = words[kept];
        const std::string word(text.substr(spans[kept].begin, spans[kept].end - spans[kept].begin));
        doubt = "word " + std::to_string(kept + 1) + " '" + word + "' is unsure (" +
                (w.min_logprob < config.min_word_logprob
                     ? "log-prob " + number(w.min_logprob) + " < " + number(config.min_word_logprob)
                     : "entropy " + number(w.max_entropy) + " > " + number(config.max_word_entropy)) +
                ")";
    } else {
        doubt = "the μLM wrote no words";
    }
    if (static_cast<int>(kept) >= config.min_kept_words && kept > 0) {
        const std::size_t cut_at = spans[kept - 1].end;
        g.opener = std::string(text.substr(0, cut_at));
        g.cut = std::string(text.substr(cut_at));
        g.kept_words = static_cast<int>(kept);
        g.why = "gate cut the opener: " + doubt + "; kept " + std::to_string(kept) + " words";
    } else {
        g.used_fallback = true;
        g.opener = std::string(trim_spaces(config.fallback_opener));
        g.cut = std::string(text);
        g.kept_words = 0;
        g.why = "gate replaced the opener by '" + g.opener + "': " + doubt + "; only " + std::to_string(kept) +
                " confident words";
    }
    return g;
}

// ---- Method 2 ------------------------------------------------------------------------------

namespace {

bool is_bridge_word(const std::string& k) {
    static constexpr const char* kWords[] = {"actually", "or", "rather", "well", "in",    "fact", "oh", "hmm",
                                             "wait",     "so", "ok",     "okay", "right", "um",   "uh", "instead"};
    for (const char* w : kWords)
        if (k == w) return true;
    return false;
}

bool is_blame_word(const std::string& k) {
    static constexpr const char* kWords[] = {"wrong",     "incorrect",  "incorrectly", "mistake",   "mistaken",
                                             "mistakes",  "inaccurate", "sorry",       "apologies", "apologize",
                                             "apologise", "oops",       "misspoke",    "misspoken", "correction",
                                             "erroneous", "false",      "untrue"};
    for (const char* w : kWords)
        if (k == w) return true;
    return false;
}

bool has_blame(const std::vector<std::string>& keys) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (is_blame_word(keys[i])) return true;
        if (i + 1 < keys.size() &&
            ((keys[i] == "my" && keys[i + 1] == "bad") || (keys[i] == "scratch" && keys[i + 1] == "that")))
            return true;
    }
    return false;
}

bool is_clause_mark(char32_t c) {
    return c == ',' || c == ';' || c == ':' || c == '.' || c == '!' || c == '?' || c == 0x2014 || c == 0x2013 ||
           c == 0x2026;
}

struct Clause {
    std::size_t begin, end;  // end: after the mark and the spaces that follow it
    bool complete;           // ended by a mark
};

// Leading clauses of `t`: a clause ends at a mark followed by a space (or by the end of a
// finished text), so "3.5" and "well-known" never split.
std::vector<Clause> leading_clauses(std::string_view t, bool done, std::size_t max_clauses) {
    std::vector<Clause> out;
    std::size_t start = 0, i = 0;
    while (i < t.size() && out.size() < max_clauses) {
        std::size_t n = 1;
        const char32_t c = decode_code_point(t, i, &n);
        i += n;
        if (!is_clause_mark(c)) continue;
        const bool at_end = i >= t.size();
        std::size_t m = 1;
        if (at_end ? !done : text_class(decode_code_point(t, i, &m)) != TextClass::Space) continue;
        while (i < t.size() && text_class(decode_code_point(t, i, &m)) == TextClass::Space) i += m;
        out.push_back(Clause{start, i, true});
        start = i;
    }
    if (start < t.size() && out.size() < max_clauses) out.push_back(Clause{start, t.size(), done});
    return out;
}

std::vector<std::string> keys_of(std::string_view text) {
    std::vector<std::string> keys;
    for (const std::string& w : words_of(text)) keys.push_back(word_key(w));
    return keys;
}

}  // namespace

PivotParts split_pivot(std::string_view cloud_text, bool cloud_done, std::string_view default_bridge) {
    constexpr std::size_t kMaxClauses = 4;
    constexpr std::size_t kMaxBlameWords = 8;
    const std::string_view t = trim_leading_spaces(cloud_text);
    const std::vector<Clause> clauses = leading_clauses(t, cloud_done, kMaxClauses);

    PivotParts p;
    std::size_t consumed = 0;
    bool had_bridge = false, had_blame = false, stopped_at_content = false;
    for (const Clause& c : clauses) {
        const std::vector<std::string> keys = keys_of(t.substr(c.begin, c.end - c.begin));
        bool all_bridge = true;
        for (const std::string& k : keys) all_bridge = all_bridge && is_bridge_word(k);
        const bool blame = keys.size() <= kMaxBlameWords && has_blame(keys);
        if (!c.complete) {
            // Still growing: a long clause is content whatever comes; a short one may still turn
            // out to be an apology or a bridge.
            stopped_at_content = keys.size() > kMaxBlameWords;
            break;
        }
        if (all_bridge) {
            had_bridge = had_bridge || !keys.empty();
            consumed = c.end;
            continue;
        }
        if (blame) {
            had_blame = true;
            consumed = c.end;
            continue;
        }
        stopped_at_content = true;
        break;
    }
    p.settled = cloud_done || stopped_at_content || clauses.size() >= kMaxClauses;
    p.answer = std::string(t.substr(consumed));

    const std::string fallback = std::string(trim_trailing_spaces(default_bridge)) + " ";
    if (had_blame) {
        p.bridge = fallback;
        p.bridge_replaced = true;
        p.why = "the cloud's blame clause was dropped; default bridge used";
    } else if (had_bridge) {
        std::string b(trim_spaces(t.substr(0, consumed)));
        const char32_t first = first_code_point(b);
        if (first != 0x2014 && first != 0x2013 && first != '-') b = "— " + b;
        // "— Actually," -> "— actually,": the bridge continues the opener's sentence.
        for (std::size_t i = 0; i < b.size(); ++i) {
            if (b[i] >= 'A' && b[i] <= 'Z') {
                b[i] = static_cast<char>(b[i] - 'A' + 'a');
                break;
            }
            if (b[i] >= 'a' && b[i] <= 'z') break;
        }
        p.bridge = b + " ";
        p.why = "the cloud's own bridge kept";
    } else {
        p.bridge = fallback;
        p.bridge_replaced = true;
        p.why = "the cloud wrote no bridge; default bridge supplied";
    }
    const Boundary end = trailing_boundary(p.bridge);
    if (end == Boundary::Clause) p.answer = lower_sentence_opener(p.answer);
    return p;
}

// ---- compose -------------------------------------------------------------------------------

std::string CorrectedAnswer::label() const {
    if (gated && path != CorrectionPath::ConfidenceGate) return std::string("gate+") + to_string(path);
    return to_string(path);
}

std::string CorrectedAnswer::visible_text() const {
    std::string out;
    for (const Segment& s : segments)
        if (s.style == SegmentStyle::Normal || s.style == SegmentStyle::Bridge) out += s.text;
    return std::string(trim_leading_spaces(out));
}

std::vector<Segment> answer_words(const CorrectedAnswer& answer) {
    std::vector<Segment> out;
    for (const Segment& s : answer.segments) {
        // Words split as the presenter splits them: at Unicode White_Space.
        const std::string_view text = s.text;
        for (std::size_t i = 0; i < text.size();) {
            std::size_t n = 1;
            if (text_class(decode_code_point(text, i, &n)) == TextClass::Space) {
                i += n;
                continue;
            }
            const std::size_t begin = i;
            while (i < text.size() && text_class(decode_code_point(text, i, &n)) != TextClass::Space) i += n;
            out.push_back(Segment{std::string(text.substr(begin, i - begin)), s.style, s.origin});
        }
    }
    return out;
}

namespace {

// The opener's segments: the gated opener in `style`, with the gate's cut words beside it.
void add_opener(std::vector<Segment>& out, const GateDecision& g, SegmentStyle style) {
    if (g.used_fallback) {
        if (!g.cut.empty()) out.push_back(Segment{g.cut, SegmentStyle::Cut, Origin::Device});
        if (!g.opener.empty()) out.push_back(Segment{g.opener, style, Origin::Fallback});
        return;
    }
    if (!g.opener.empty()) out.push_back(Segment{g.opener, style, Origin::Device});
    if (!g.cut.empty()) out.push_back(Segment{g.cut, SegmentStyle::Cut, Origin::Device});
}

// opener + text, by the joiner's rules; returns what goes after the opener.
std::string joined_tail(const std::string& opener, std::string_view text, bool done, const JoinConfig& cfg,
                        int* dropped = nullptr) {
    ContinuationJoiner j(opener, cfg);
    std::string tail = j.push(text);
    if (done) tail += j.finish();
    if (dropped) *dropped = j.dropped_overlap_words();
    return tail;
}

}  // namespace

CorrectedAnswer compose_answer(const CorrectionInput& in, const CorrectionConfig& config) {
    const GateDecision& g = in.gate;
    CorrectedAnswer a;
    a.gated = g.fired;
    const std::string gate_note = g.fired ? g.why + "; " : "";

    switch (in.verdict) {
        case Verdict::Continue: {
            a.path = g.fired ? CorrectionPath::ConfidenceGate : CorrectionPath::Continue;
            add_opener(a.segments, g, SegmentStyle::Normal);
            int dropped = 0;
            const std::string tail = joined_tail(g.opener, in.cloud_text, in.cloud_done, config.join, &dropped);
            if (!tail.empty()) a.segments.push_back(Segment{tail, SegmentStyle::Normal, Origin::Cloud});
            a.why = gate_note + "the cloud continued the opener";
            if (dropped > 0) a.why += " (" + std::to_string(dropped) + " restated words dropped)";
            break;
        }
        case Verdict::Pivot: {
            a.path = CorrectionPath::SelfRepairPivot;
            const PivotParts parts = split_pivot(in.cloud_text, in.cloud_done, config.pivot_bridge);
            a.settled = parts.settled;
            add_opener(a.segments, g, SegmentStyle::Normal);
            if (g.used_fallback) {
                // A generic opener has nothing to repair: the answer follows it, bridge dropped.
                if (parts.settled) {
                    const std::string tail = joined_tail(g.opener, parts.answer, in.cloud_done, config.join);
                    if (!tail.empty()) a.segments.push_back(Segment{tail, SegmentStyle::Normal, Origin::Cloud});
                }
                a.why = gate_note + "nothing to repair after the fallback opener; the answer follows it";
                break;
            }
            if (parts.settled) {
                std::string bridge = parts.bridge;
                // "way —" + "— actually, ": one dash.
                const char32_t lc = last_code_point(trim_trailing_spaces(g.opener));
                std::size_t n = 1;
                if (!bridge.empty() && decode_code_point(bridge, 0, &n) == lc && (lc == 0x2014 || lc == 0x2013))
                    bridge = std::string(trim_leading_spaces(std::string_view(bridge).substr(n)));
                const std::string gap = seam(g.opener, bridge, true, "");
                a.segments.push_back(Segment{gap + bridge, SegmentStyle::Bridge, Origin::Cloud});
                if (!parts.answer.empty())
                    a.segments.push_back(Segment{parts.answer, SegmentStyle::Normal, Origin::Cloud});
            }
            a.why = gate_note + "the cloud repaired the opener in place: " + parts.why;
            break;
        }
        case Verdict::Rewrite: {
            a.path = CorrectionPath::RetractAndReplace;
            const std::string replacement(in.cloud_done ? trim_spaces(in.cloud_text)
                                                        : trim_leading_spaces(in.cloud_text));
            if (g.used_fallback) {
                add_opener(a.segments, g, SegmentStyle::Normal);
                const std::string tail = joined_tail(g.opener, replacement, in.cloud_done, config.join);
                if (!tail.empty()) a.segments.push_back(Segment{tail, SegmentStyle::Normal, Origin::Cloud});
                a.why = gate_note + "nothing to retract after the fallback opener; the answer follows it";
                break;
            }
            if (replacement.empty() && in.cloud_done) {
                add_opener(a.segments, g, SegmentStyle::Normal);
                a.why = gate_note + "the cloud announced a rewrite but sent no text; the opener stays";
                break;
            }
            const std::string space = g.opener.empty() ? "" : " ";
            if (config.mode == PresentationMode::Display) {
                add_opener(a.segments, g, SegmentStyle::Struck);
                if (!replacement.empty())
                    a.segments.push_back(Segment{space + replacement, SegmentStyle::Normal, Origin::Cloud});
                a.why = gate_note + "the cloud retracted the opener; it is struck through and replaced";
            } else {
                add_opener(a.segments, g, SegmentStyle::Normal);
                if (!replacement.empty()) {
                    if (!g.opener.empty()) {
                        // After a finished sentence or a dash, no extra dash is spoken.
                        const char32_t lc = last_code_point(g.opener);
                        const bool finished =
                            trailing_boundary(g.opener) == Boundary::Sentence || lc == 0x2014 || lc == 0x2013;
                        const std::string phrase(trim_spaces(config.speech_rephrase));
                        a.segments.push_back(
                            Segment{(finished ? " " : " — ") + phrase + " ", SegmentStyle::Bridge, Origin::Cloud});
                        a.segments.push_back(Segment{replacement, SegmentStyle::Normal, Origin::Cloud});
                    } else {
                        a.segments.push_back(Segment{replacement, SegmentStyle::Normal, Origin::Cloud});
                    }
                }
                a.why = gate_note + "the cloud retracted the opener; spoken as a rephrase";
            }
            break;
        }
    }
    return a;
}

}  // namespace headstart
