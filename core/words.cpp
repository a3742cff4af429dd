// core/words.cpp — see words.h.
#include "core/words.h"

namespace headstart {

char32_t decode_code_point(std::string_view s, std::size_t i, std::size_t* len) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = byte(0);
    *len = 1;
    if (c < 0x80) return c;
    int need;
    char32_t cp;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte (no overlongs, surrogates)
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c == 0xE0) {
        need = 3;
        cp = c & 0x0F;
        lo = 0xA0;
    } else if (c == 0xED) {
        need = 3;
        cp = c & 0x0F;
        hi = 0x9F;
    } else if (c >= 0xE1 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c == 0xF0) {
        need = 4;
        cp = c & 0x07;
        lo = 0x90;
    } else if (c == 0xF4) {
        need = 4;
        cp = c & 0x07;
        hi = 0x8F;
    } else if (c >= 0xF1 && c <= 0xF3) {
        need = 4;
        cp = c & 0x07;
    } else return 0xFFFD;
    if (i + need > s.size()) return 0xFFFD;
    for (int k = 1; k < need; ++k) {
        const unsigned char b = byte(k);
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0xFFFD;
        cp = (cp << 6) | (b & 0x3F);
    }
    *len = static_cast<std::size_t>(need);
    return cp;
}

char32_t decode_code_point_before(std::string_view s, std::size_t end, std::size_t* len) {
    // Walk back over at most three continuation bytes, then check the sequence ends exactly at `end`.
    std::size_t start = end - 1;
    for (int k = 0; k < 3 && start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80; ++k) --start;
    std::size_t n = 1;
    const char32_t cp = decode_code_point(s, start, &n);
    if (start + n == end) {
        *len = n;
        return cp;
    }
    *len = 1;
    const unsigned char last = static_cast<unsigned char>(s[end - 1]);
    return last < 0x80 ? last : 0xFFFD;
}

TextClass text_class(char32_t c) {
    if (c < 0x80) {
        if (c <= 0x20 || c == 0x7F) return TextClass::Space;  // controls count as spaces
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return TextClass::Word;
        return TextClass::Punct;
    }
    switch (c) {
        case 0x0085:
        case 0x00A0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
        case 0xFEFF:
        case 0x200B: return TextClass::Space;
        case 0x00A1:
        case 0x00A7:
        case 0x00AB:
        case 0x00B6:
        case 0x00B7:
        case 0x00BB:
        case 0x00BF: return TextClass::Punct;
        default: break;
    }
    if (c >= 0x2000 && c <= 0x200A) return TextClass::Space;
    if ((c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E)) return TextClass::Punct;
    if ((c >= 0x3001 && c <= 0x3003) || (c >= 0x3008 && c <= 0x3011)) return TextClass::Punct;
    if ((c >= 0xFF01 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF1F) || (c >= 0xFF3B && c <= 0xFF40) ||
        (c >= 0xFF5B && c <= 0xFF65))
        return TextClass::Punct;
    return TextClass::Word;  // letters of every script, digits, CJK, emoji, U+FFFD
}

char32_t first_code_point(std::string_view s) {
    if (s.empty()) return 0;
    std::size_t n = 1;
    return decode_code_point(s, 0, &n);
}

char32_t last_code_point(std::string_view s) {
    if (s.empty()) return 0;
    std::size_t n = 1;
    return decode_code_point_before(s, s.size(), &n);
}

std::vector<WordSpan> split_words(std::string_view text) {
    std::vector<WordSpan> words;
    bool have_pending = false;  // punctuation-only chunks before the first word
    std::size_t pending_begin = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t n = 1;
        if (text_class(decode_code_point(text, i, &n)) == TextClass::Space) {
            i += n;
            continue;
        }
        // A chunk: a maximal run of non-space characters.
        const std::size_t chunk_begin = i;
        bool has_word = false;
        while (i < text.size()) {
            const TextClass cls = text_class(decode_code_point(text, i, &n));
            if (cls == TextClass::Space) break;
            has_word = has_word || cls == TextClass::Word;
            i += n;
        }
        if (has_word) {
            words.push_back(WordSpan{have_pending ? pending_begin : chunk_begin, i});
            have_pending = false;
        } else if (!words.empty()) {
            words.back().end = i;  // " —" after a word belongs to it
        } else if (!have_pending) {
            have_pending = true;
            pending_begin = chunk_begin;
        }
    }
    return words;
}

std::vector<std::string> words_of(std::string_view text) {
    std::vector<std::string> out;
    for (const WordSpan& w : split_words(text)) out.emplace_back(text.substr(w.begin, w.end - w.begin));
    return out;
}

namespace {

bool is_closing_mark(char32_t c) {
    switch (c) {
        case ')':
        case ']':
        case '}':
        case '"':
        case '\'':
        case '*':
        case '_':
        case 0x2019:
        case 0x201D:
        case 0x00BB:
        case 0x203A:
        case 0x300D:
        case 0x300F:
        case 0xFF09: return true;
        default: return false;
    }
}

}  // namespace

Boundary trailing_boundary(std::string_view text) {
    std::string_view t = trim_trailing_spaces(text);
    while (!t.empty()) {
        std::size_t n = 1;
        const char32_t c = decode_code_point_before(t, t.size(), &n);
        if (!is_closing_mark(c)) break;
        t.remove_suffix(n);
    }
    if (t.empty()) return Boundary::None;
    std::size_t n = 1;
    const char32_t c = decode_code_point_before(t, t.size(), &n);
    switch (c) {
        case '.':
            // "..." trails off rather than ends: a clause mark.
            if (t.size() >= 3 && t.substr(t.size() - 3) == "...") return Boundary::Clause;
            return Boundary::Sentence;
        case '!':
        case '?':
        case 0x3002:
        case 0xFF01:
        case 0xFF1F:
        case 0xFF0E: return Boundary::Sentence;
        case ',':
        case ';':
        case ':':
        case 0x2014:
        case 0x2013:
        case 0x2026:
        case 0x3001:
        case 0xFF0C:
        case 0xFF1B:
        case 0xFF1A: return Boundary::Clause;
        case '-': {
            // A spaced hyphen or "--" stands in for a dash; "well-" alone is a broken word.
            const std::string_view before = t.substr(0, t.size() - 1);
            if (before.empty()) return Boundary::None;
            const char32_t p = last_code_point(before);
            return (p == '-' || text_class(p) == TextClass::Space) ? Boundary::Clause : Boundary::None;
        }
        default: return Boundary::None;
    }
}

std::string word_key(std::string_view word) {
    std::string key;
    for (std::size_t i = 0; i < word.size();) {
        std::size_t n = 1;
        const char32_t c = decode_code_point(word, i, &n);
        if (text_class(c) == TextClass::Word) {
            if (c >= 'A' && c <= 'Z') key.push_back(static_cast<char>(c - 'A' + 'a'));
            else key.append(word.substr(i, n));
        }
        i += n;
    }
    return key;
}

bool starts_with_capital(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = 1;
        const char32_t c = decode_code_point(text, i, &n);
        if (text_class(c) == TextClass::Word) {
            return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3A9) ||
                   (c >= 0x410 && c <= 0x42F);
        }
        i += n;
    }
    return false;
}

std::string_view trim_leading_spaces(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t n = 1;
        if (text_class(decode_code_point(s, i, &n)) != TextClass::Space) break;
        i += n;
    }
    return s.substr(i);
}

std::string_view trim_trailing_spaces(std::string_view s) {
    std::size_t end = s.size();
    while (end > 0) {
        std::size_t n = 1;
        if (text_class(decode_code_point_before(s, end, &n)) != TextClass::Space) break;
        end -= n;
    }
    return s.substr(0, end);
}

std::string_view trim_spaces(std::string_view s) { return trim_trailing_spaces(trim_leading_spaces(s)); }

// Capitalised, these open a new sentence; they rarely continue one. Proper nouns are absent on
// purpose (an opener often ends right before a name), and so is "I" ("What I", "so I").
bool is_sentence_opening_word(std::string_view key) {
    static constexpr const char* kOpeners[] = {
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "there",
        "here",
        "you",
        "your",
        "we",
        "they",
        "he",
        "she",
        "to",
        "in",
        "on",
        "for",
        "if",
        "when",
        "while",
        "yes",
        "no",
        "sure",
        "well",
        "so",
        "first",
        "firstly",
        "generally",
        "most",
        "many",
        "some",
        "one",
        "another",
        "each",
        "every",
        "as",
        "by",
        "with",
        "although",
        "though",
        "however",
        "because",
        "since",
        "great",
        "good",
        "of",
        "certainly",
        "absolutely",
        "unfortunately",
        "basically",
        "typically",
        "usually",
        "start",
        "try",
        "use",
        "make",
        "overall",
        "ultimately",
    };
    for (const char* w : kOpeners)
        if (key == w) return true;
    return false;
}

bool has_no_word_chars(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = 1;
        if (text_class(decode_code_point(s, i, &n)) == TextClass::Word) return false;
        i += n;
    }
    return true;
}

std::string lower_sentence_opener(std::string answer) {
    const std::vector<WordSpan> spans = split_words(answer);
    if (spans.empty()) return answer;
    const std::string first = answer.substr(spans[0].begin, spans[0].end - spans[0].begin);
    if (!is_sentence_opening_word(word_key(first))) return answer;
    for (std::size_t i = spans[0].begin; i < spans[0].end; ++i) {
        if (answer[i] >= 'A' && answer[i] <= 'Z') {
            answer[i] = static_cast<char>(answer[i] - 'A' + 'a');
            break;
        }
        if (answer[i] >= 'a' && answer[i] <= 'z') break;
    }
    return answer;
}

}  // namespace headstart
