// core/verdict.cpp — see verdict.h.
#include "core/verdict.h"

#include <algorithm>
#include <vector>

#include "core/words.h"

namespace headstart {

const char* to_string(Verdict verdict) {
    switch (verdict) {
        case Verdict::Continue: return "continue";
        case Verdict::Pivot: return "pivot";
        case Verdict::Rewrite: return "rewrite";
    }
    return "unknown";
}

const char* verdict_tag(Verdict verdict) {
    switch (verdict) {
        case Verdict::Continue: return "[[continue]]";
        case Verdict::Pivot: return "[[pivot]]";
        case Verdict::Rewrite: return "[[rewrite]]";
    }
    return "";
}

const char* to_string(VerdictSource source) { return source == VerdictSource::Tag ? "tag" : "inferred"; }

std::optional<Verdict> verdict_from_name(std::string_view name) {
    std::string key;
    for (char ch : trim_spaces(name)) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        key.push_back(ch);
    }
    if (key == "continue" || key == "cont" || key == "ok") return Verdict::Continue;
    if (key == "pivot" || key == "repair") return Verdict::Pivot;
    if (key == "rewrite" || key == "retract" || key == "replace") return Verdict::Rewrite;
    return std::nullopt;
}

namespace {

struct Word {
    std::string text;
    std::string key;
    bool complete;  // something follows it, or the text is final
};

std::vector<Word> leading_words(std::string_view text, bool final_text) {
    std::vector<Word> out;
    for (const WordSpan& w : split_words(text)) {
        std::string_view t = text.substr(w.begin, w.end - w.begin);
        out.push_back(Word{std::string(t), word_key(t), final_text || w.end < text.size()});
    }
    return out;
}

VerdictReport inferred(Verdict v, std::string why) { return VerdictReport{v, VerdictSource::Inferred, std::move(why)}; }

std::string quoted_words(const std::vector<Word>& words, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n && i < words.size(); ++i) s += (i ? " " : "") + words[i].text;
    return "'" + s + "'";
}

}  // namespace

std::optional<VerdictReport> infer_verdict(std::string_view opener, std::string_view continuation, bool final_text) {
    const std::vector<Word> ow = leading_words(opener, true);
    const std::vector<Word> cw = leading_words(continuation, final_text);
    if (ow.empty()) return inferred(Verdict::Continue, "no tag; no opener to judge against");
    if (cw.empty()) {
        if (!final_text) return std::nullopt;
        return inferred(Verdict::Continue, "no tag; the continuation has no words");
    }
    std::size_t complete = 0;
    while (complete < cw.size() && cw[complete].complete) ++complete;
    if (complete == 0) return std::nullopt;  // even the first word may still grow

    // 1-2: does it restate the opener from its start?
    std::size_t match = 0;
    while (match < complete && match < ow.size() && cw[match].key == ow[match].key) ++match;
    if (match == ow.size())
        return inferred(Verdict::Continue, "no tag; the cloud restated the whole opener (repetition dropped)");
    if (match == complete && !final_text) return std::nullopt;  // still matching: wait for the next word
    if (match >= 2)
        return inferred(Verdict::Rewrite, "no tag; the continuation restarts the answer (repeats " +
                                              quoted_words(cw, match) + ", then departs)");

    // 3: a repair bridge.
    const std::string& first = cw[0].key;
    if (first == "actually")
        return inferred(Verdict::Pivot, "no tag; the continuation opens with the bridge 'actually'");
    if (first == "or" || first == "well") {
        if (complete < 2 && !final_text) return std::nullopt;  // "or" may become "or rather"
        const std::string_view second = complete >= 2 ? std::string_view(cw[1].key) : std::string_view();
        if (second == "actually" || (first == "or" && second == "rather"))
            return inferred(Verdict::Pivot, "no tag; the continuation opens with the bridge " + quoted_words(cw, 2));
    }

    // 4: a new sentence after an unfinished opener.
    const Boundary end = trailing_boundary(opener);
    const bool unfinished =
        end == Boundary::None || (end == Boundary::Clause && last_code_point(trim_trailing_spaces(opener)) == ',');
    if (unfinished && starts_with_capital(cw[0].text) && is_sentence_opening_word(first))
        return inferred(Verdict::Rewrite, "no tag; the continuation starts a new sentence ('" + cw[0].text +
                                              "') after an unfinished opener");

    return inferred(Verdict::Continue, "no tag; the continuation reads as a continuation");
}

VerdictParser::VerdictParser(std::string opener, VerdictConfig config) : opener_(std::move(opener)), config_(config) {}

std::string VerdictParser::push(std::string_view delta) {
    if (report_) return std::string(delta);
    held_.append(delta);
    return try_decide(false);
}

std::string VerdictParser::finish() {
    if (report_) return {};
    return try_decide(true);
}

std::string VerdictParser::decide(VerdictReport report, std::string pass_on) {
    if (!stripped_note_.empty()) report.why = stripped_note_ + report.why;
    report_ = std::move(report);
    held_.clear();
    return pass_on;
}

std::string VerdictParser::try_decide(bool final_text) {
    const std::string_view text = trim_leading_spaces(held_);
    if (!tag_ruled_out_) {
        if (text.empty()) {
            if (!final_text) return {};
            return decide(inferred(Verdict::Continue, "no tag; the continuation is empty"), {});
        }
        if (text[0] != '[') {
            tag_ruled_out_ = true;
        } else if (text.size() == 1 && !final_text) {
            return {};  // "[" alone: "[[" or "[name]" may follow
        } else {
            const bool doubled = text.size() >= 2 && text[1] == '[';
            const std::string_view close = doubled ? "]]" : "]";
            const std::size_t open_len = doubled ? 2 : 1;
            const std::size_t pos = text.find(close, open_len);
            const std::size_t line = text.find_first_of("\n\r", open_len);
            const bool closed = pos != std::string_view::npos && (line == std::string_view::npos || pos < line);
            if (closed) {
                const std::string_view name = text.substr(open_len, pos - open_len);
                const std::string after(text.substr(pos + close.size()));
                if (std::optional<Verdict> v = verdict_from_name(name)) {
                    std::string why = "tag " + std::string(verdict_tag(*v));
                    if (text.substr(0, pos + close.size()) != verdict_tag(*v))
                        why += " (written as " + std::string(text.substr(0, pos + close.size())) + ")";
                    return decide(VerdictReport{*v, VerdictSource::Tag, std::move(why)}, after);
                }
                if (doubled) {
                    // Protocol noise with an unknown name: drop it, judge the rest.
                    stripped_note_ = "unknown tag " + std::string(text.substr(0, pos + close.size())) + " stripped; ";
                    held_ = after;
                    tag_ruled_out_ = true;
                    return try_decide(final_text);
                }
                tag_ruled_out_ = true;  // "[1] ..." is text
            } else if (line != std::string_view::npos || text.size() >= config_.max_tag_bytes || final_text) {
                tag_ruled_out_ = true;  // never closed in time: text that happens to start with "["
            } else {
                return {};
            }
        }
    }
    const bool must_decide = final_text || held_.size() >= config_.max_inference_bytes;
    std::optional<VerdictReport> r = infer_verdict(opener_, trim_leading_spaces(held_), must_decide);
    if (!r) return {};
    std::string pass_on = std::move(held_);
    return decide(std::move(*r), std::move(pass_on));
}

}  // namespace headstart
