// core/words.h — one definition of "a word" for the opener policy, the confidence gate, the verdict
// parser, the joiner and the presenter, so they can never disagree about where a word ends.
//
//   decode_code_point()   one UTF-8 code point (ill-formed bytes come back as U+FFFD, length 1)
//   text_class()          Space / Word / Punct for a code point: every Unicode White_Space
//                         character is Space; ASCII punctuation, the general punctuation block
//                         (dashes, quotes, ellipsis), Latin-1 and CJK punctuation are Punct;
//                         everything else (letters of any script, digits, emoji) is Word.
//                         (Not the tokenizer's unicode::CharClass: that one answers the BPE
//                         pre-tokenizer's regex classes; this one answers "is this a word".)
//   split_words()         the words of a text: runs of non-space characters that hold at least one
//                         word character; a chunk of punctuation only (" —", " ...") belongs to
//                         the word before it (or, at the start, to the word after it)
//   trailing_boundary()   does a text end with a clause (, ; : — …) or a sentence (. ! ?) mark,
//                         looking through closing quotes and brackets
//   word_key()            a word reduced for comparison: ASCII lower-cased, punctuation dropped
//   starts_with_capital() first word character is an upper-case letter
//   is_sentence_opening_word()  "the", "it", "to", ... (by word_key)
//   lower_sentence_opener()  its first word lower-cased when that is one of those
//
// Scripts written without spaces (Chinese, Japanese) count as one word per space-separated run.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace headstart {

enum class TextClass { Space, Word, Punct };

// Decodes the code point at s[i] (i < s.size()); *len receives its byte length (>= 1).
char32_t decode_code_point(std::string_view s, std::size_t i, std::size_t* len);

// Decodes the code point that ends at s[end - 1] (end > 0); *len receives its byte length.
char32_t decode_code_point_before(std::string_view s, std::size_t end, std::size_t* len);

TextClass text_class(char32_t c);

// First / last code point of `s` (0 when empty).
char32_t first_code_point(std::string_view s);
char32_t last_code_point(std::string_view s);

struct WordSpan {
    std::size_t begin = 0;  // byte offset of the word's first non-space character
    std::size_t end = 0;    // one past its last non-space character (attached punctuation included)
};

std::vector<WordSpan> split_words(std::string_view text);

// Convenience: the words of `text` as strings.
std::vector<std::string> words_of(std::string_view text);

enum class Boundary { None, Clause, Sentence };

// The mark `text` ends with (trailing spaces and closing quotes / brackets are looked through).
// Clause: , ; : — – … and "..."   Sentence: . ! ?   (a lone "." after a digit, as in "3.", is
// still a sentence mark here; callers that care wait for the next character).
Boundary trailing_boundary(std::string_view text);

// "Best," -> "best"; "don't" -> "dont"; "Élan" -> "Élan" (only ASCII letters are folded).
std::string word_key(std::string_view word);

// True when the first word character of `text` is an upper-case letter (ASCII or Latin-1).
bool starts_with_capital(std::string_view text);

// Trims ASCII and Unicode spaces from either end.
std::string_view trim_spaces(std::string_view s);
std::string_view trim_leading_spaces(std::string_view s);
std::string_view trim_trailing_spaces(std::string_view s);

// Common words that open a sentence ("the", "it", "to", "yes", ...), by word_key. Capitalised
// after an unfinished opener they signal a restart; after a bridge ("— actually, The ...") they
// are lower-cased. Proper nouns and "I" are deliberately absent.
bool is_sentence_opening_word(std::string_view key);
// "The better way" -> "the better way": the first word lower-cased when it is a sentence-opening
// word (after a bridge that ends mid-sentence); names, "I" and acronyms are kept.
std::string lower_sentence_opener(std::string text);

// True when `s` holds no word character (only spaces and punctuation, or nothing).
bool has_no_word_chars(std::string_view s);

}  // namespace headstart
