// core/unicode_tables.h — the few Unicode character classes the tokenizer needs.
//
// Byte-level BPE pre-tokenizers split text with regex classes (\p{L}, \p{N}, \s, \w). The core has
// no regex engine and no Unicode database, so the classes come from a generated range table
// (core/unicode_tables.cpp, written by tests/gen_unicode_tables.py from Python's unicodedata).
#pragma once

namespace headstart::unicode {

enum class CharClass : unsigned char {
    Other,
    Letter,     // general category L* (\p{L})
    Number,     // general category N* (\p{N}; also Rust's char::is_numeric)
    Mark,       // general category M* (part of \w)
    Connector,  // general category Pc, e.g. '_' (part of \w)
    Space,      // White_Space property (\s in Oniguruma and Rust regex)
};

CharClass classify(char32_t cp);
const char* unicode_version();  // of the generated table, e.g. "14.0.0"

inline bool is_letter(char32_t cp) { return classify(cp) == CharClass::Letter; }
inline bool is_number(char32_t cp) { return classify(cp) == CharClass::Number; }
inline bool is_space(char32_t cp) { return classify(cp) == CharClass::Space; }
// \w of Rust's regex crate, approximately: letters, marks, numbers, connector punctuation.
inline bool is_word(char32_t cp) {
    const CharClass c = classify(cp);
    return c == CharClass::Letter || c == CharClass::Number || c == CharClass::Mark || c == CharClass::Connector;
}

}  // namespace headstart::unicode
