// core/joiner.cpp — see joiner.h.
#include "core/joiner.h"

#include <algorithm>

#include "core/words.h"

namespace headstart {

namespace {

constexpr std::size_t kMaxHeldBytes = 512;  // an overlap of 8 words never needs more

bool is_closing_punct(char32_t c) {
    switch (c) {
        case ',':
        case '.':
        case ';':
        case ':':
        case '!':
        case '?':
        case ')':
        case ']':
        case '}':
        case '%':
        case 0x2026:
        case 0x201D:
        case 0x00BB:
        case 0x203A:
        case 0x3001:
        case 0x3002:
        case 0xFF0C:
        case 0xFF0E:
        case 0xFF01:
        case 0xFF1F:
        case 0xFF1A:
        case 0xFF1B:
        case 0xFF09:
        case 0x300D:
        case 0x300F: return true;
        default: return false;
    }
}

bool is_opening_mark(char32_t c) {
    switch (c) {
        case '(':
        case '[':
        case '{':
        case 0x201C:
        case 0x2018:
        case 0x00AB:
        case 0x2039:
        case 0x00BF:
        case 0x00A1:
        case 0xFF08:
        case 0x300C:
        case 0x300E: return true;
        default: return false;
    }
}

// Dashes and straight quotes open or close depending on context: follow the cloud's spacing.
bool is_ambiguous_mark(char32_t c) {
    return c == 0x2014 || c == 0x2013 || c == '-' || c == '"' || c == '\'' || c == 0x2019;
}

// A mark written once when it ends the opener and starts the continuation.
bool is_mergeable_mark(char32_t c) { return c == ',' || c == ';' || c == ':' || c == 0x2014 || c == 0x2013; }

bool is_line_break(char32_t c) { return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029; }

// Removes leading spaces from `s`; returns them.
std::string take_leading_spaces(std::string& s) {
    const std::size_t n = s.size() - trim_leading_spaces(s).size();
    std::string ws = s.substr(0, n);
    s.erase(0, n);
    return ws;
}

// From the first line break to the last one in `ws` ("" when there is none).
std::string line_breaks_of(std::string_view ws) {
    std::size_t first = std::string_view::npos, last_end = 0;
    for (std::size_t i = 0; i < ws.size();) {
        std::size_t n = 1;
        if (is_line_break(decode_code_point(ws, i, &n))) {
            if (first == std::string_view::npos) first = i;
            last_end = i + n;
        }
        i += n;
    }
    return first == std::string_view::npos ? std::string() : std::string(ws.substr(first, last_end - first));
}

enum class Contraction { No, Yes, NeedMore };

// "'s", "'t", "'re", "'ve", "'ll", "'d", "'m" (straight or curly apostrophe) followed by a non-letter.
Contraction contraction_at_start(std::string_view s, bool final_text) {
    std::size_t n = 1;
    const char32_t c = decode_code_point(s, 0, &n);
    if (c != '\'' && c != 0x2019) return Contraction::No;
    std::string letters;
    std::size_t i = n;
    while (i < s.size() && letters.size() <= 2) {
        std::size_t m = 1;
        const char32_t d = decode_code_point(s, i, &m);
        if (text_class(d) != TextClass::Word) break;
        letters.push_back(d < 0x80 ? static_cast<char>(d >= 'A' && d <= 'Z' ? d - 'A' + 'a' : d) : '?');
        i += m;
    }
    if (i >= s.size() && !final_text && letters.size() <= 2) return Contraction::NeedMore;
    static constexpr const char* kTails[] = {"s", "t", "re", "ve", "ll", "d", "m"};
    for (const char* t : kTails)
        if (letters == t) return Contraction::Yes;
    return Contraction::No;
}

// True when a space follows, inside `text`, the last chunk of `w` that holds a word character: more text
// cannot change the word's key (a chunk "to," at the end of the text could still become "to,x").
bool key_settled(std::string_view text, const WordSpan& w) {
    std::size_t word_end = w.begin;
    for (std::size_t i = w.begin; i < w.end;) {
        std::size_t n = 1;
        if (text_class(decode_code_point(text, i, &n)) == TextClass::Word) word_end = i + n;
        i += n;
    }
    std::size_t i = word_end;
    while (i < text.size()) {
        std::size_t n = 1;
        if (text_class(decode_code_point(text, i, &n)) == TextClass::Space) return true;
        i += n;
    }
    return false;
}

}  // namespace

std::string seam(std::string_view left, std::string_view right, bool right_had_space,
                 std::string_view right_line_break) {
    const std::string_view left_trimmed = trim_trailing_spaces(left);
    if (left_trimmed.empty() || right.empty()) return {};
    const bool left_has_space = left_trimmed.size() != left.size();
    std::string want;
    if (!right_line_break.empty()) {
        want = std::string(right_line_break);
    } else {
        const char32_t lc = last_code_point(left_trimmed);
        const char32_t rc = first_code_point(right);
        if (is_opening_mark(lc)) want = "";
        else if (is_closing_punct(rc)) want = "";
        else if (contraction_at_start(right, true) == Contraction::Yes) want = "";
        else if (is_ambiguous_mark(rc)) want = (right_had_space || left_has_space) ? " " : "";
        else want = " ";
    }
    // What is on screen cannot be taken back: a space the opener already ends with counts.
    if (left_has_space && want == " ") return {};
    return want;
}

ContinuationJoiner::ContinuationJoiner(std::string opener, JoinConfig config)
    : opener_(repair_utf8(opener)), config_(config) {
    const std::vector<std::string> words = words_of(opener_);
    const std::size_t keep = static_cast<std::size_t>(std::max(0, config_.max_overlap_words));
    for (std::size_t i = words.size() > keep ? words.size() - keep : 0; i < words.size(); ++i)
        opener_keys_.push_back(word_key(words[i]));
}

std::string ContinuationJoiner::push(std::string_view delta) {
    std::string text = utf8_.push(delta);
    if (started_) {
        appended_ += text;
        return text;
    }
    held_ += text;
    return release(false);
}

std::string ContinuationJoiner::finish() {
    std::string tail = utf8_.finish();
    if (started_) {
        appended_ += tail;
        return tail;
    }
    held_ += tail;
    return release(true);
}

std::string ContinuationJoiner::release(bool final_text) {
    // 1. Overlap: is the continuation restating the opener's last words? Judged on its first kMaxHeldBytes
    // bytes (after leading spaces) however the stream was cut: a word that reaches past them is no restated
    // opener word, whether the network delivered it whole or in pieces.
    const std::string_view rest_all = trim_leading_spaces(held_);
    const bool decide_now = final_text || rest_all.size() >= kMaxHeldBytes;
    if (!overlap_decided_) {
        const std::string_view rest = rest_all.substr(0, kMaxHeldBytes);
        if (rest.empty() && !decide_now) return {};
        const std::vector<WordSpan> spans = split_words(rest);
        const bool starts_with_word = !rest.empty() && text_class(first_code_point(rest)) == TextClass::Word;
        // every word in view is whole: the text has ended inside the window
        const bool whole = final_text && rest.size() == rest_all.size();
        // A word's key is settled once a space follows the last chunk of it that holds a word character
        // (punctuation-only chunks split_words appends to it later change nothing).
        std::size_t complete = 0;
        while (complete < spans.size() && (whole || key_settled(rest, spans[complete]))) ++complete;
        const int n_opener = static_cast<int>(opener_keys_.size());
        const int lo = std::max(1, config_.min_overlap_words), hi = std::min(config_.max_overlap_words, n_opener);
        int best = 0;
        bool pending = false;
        for (int k = lo; starts_with_word && k <= hi; ++k) {
            bool mismatch = false, waiting = false;
            for (int j = 0; j < k; ++j) {
                if (static_cast<std::size_t>(j) >= spans.size()) {
                    waiting = true;
                    break;
                }
                const std::string key = word_key(rest.substr(spans[j].begin, spans[j].end - spans[j].begin));
                const std::string& expected = opener_keys_[static_cast<std::size_t>(n_opener - k + j)];
                if (static_cast<std::size_t>(j) >= complete) {
                    // A word still growing can only match if it is a prefix of the expected one; one that
                    // reaches past the window never does.
                    if (!decide_now && expected.compare(0, key.size(), key) == 0 && key.size() <= expected.size())
                        waiting = true;
                    else mismatch = true;
                    break;
                }
                if (key != expected) {
                    mismatch = true;
                    break;
                }
            }
            if (waiting) pending = true;
            else if (!mismatch) best = k;
        }
        if (pending && !decide_now) return {};
        overlap_decided_ = true;
        if (best > 0) {
            // Drop the restated words up to their last word character: trailing punctuation the
            // opener does not have (", then") is kept.
            const WordSpan& last = spans[static_cast<std::size_t>(best - 1)];
            std::size_t cut = last.end;
            while (cut > last.begin) {
                std::size_t n = 1;
                if (text_class(decode_code_point_before(rest, cut, &n)) == TextClass::Word) break;
                cut -= n;
            }
            held_ = std::string(rest_all.substr(cut));
            dropped_words_ = best;
        }
    }

    // 2. The seam: spacing, and one copy of a mark both sides carry.
    std::string removed_ws;
    for (;;) {
        std::string ws = take_leading_spaces(held_);
        removed_ws += ws;
        if (held_.empty()) {
            // Only whitespace so far: remember it and wait for the first visible character.
            held_ = removed_ws;
            return {};
        }
        const char32_t lc = last_code_point(trim_trailing_spaces(opener_));
        std::size_t n = 1;
        const char32_t rc = decode_code_point(held_, 0, &n);
        if (lc == rc && is_mergeable_mark(rc)) {
            held_.erase(0, n);
            continue;
        }
        break;
    }
    if (contraction_at_start(held_, decide_now) == Contraction::NeedMore) {
        held_ = removed_ws + held_;
        return {};
    }
    const std::string gap = seam(opener_, held_, !removed_ws.empty(), line_breaks_of(removed_ws));
    std::string out = gap + held_;
    held_.clear();
    started_ = true;
    appended_ += out;
    return out;
}

std::string join(std::string_view opener, std::string_view continuation, const JoinConfig& config) {
    const std::string shown(trim_trailing_spaces(repair_utf8(opener)));
    ContinuationJoiner joiner(shown, config);
    std::string out = shown;
    out += joiner.push(continuation);
    out += joiner.finish();
    return out;
}

}  // namespace headstart
