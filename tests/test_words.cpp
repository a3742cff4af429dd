#include <catch2/catch.hpp>

#include "core/words.h"

using namespace headstart;

TEST_CASE("words: character classes cover ASCII and the common Unicode marks", "[words]") {
    CHECK(text_class('a') == TextClass::Word);
    CHECK(text_class('7') == TextClass::Word);
    CHECK(text_class(' ') == TextClass::Space);
    CHECK(text_class('\n') == TextClass::Space);
    CHECK(text_class('\t') == TextClass::Space);
    CHECK(text_class(',') == TextClass::Punct);
    CHECK(text_class('"') == TextClass::Punct);
    CHECK(text_class(0x00A0) == TextClass::Space);  // no-break space
    CHECK(text_class(0x3000) == TextClass::Space);  // ideographic space
    CHECK(text_class(0x2014) == TextClass::Punct);  // em dash
    CHECK(text_class(0x2026) == TextClass::Punct);  // ellipsis
    CHECK(text_class(0x201C) == TextClass::Punct);  // left double quote
    CHECK(text_class(0x3002) == TextClass::Punct);  // ideographic full stop
    CHECK(text_class(0x00E9) == TextClass::Word);   // é
    CHECK(text_class(0x4E2D) == TextClass::Word);   // 中
    CHECK(text_class(0x1F600) == TextClass::Word);  // emoji
}

TEST_CASE("words: decoding never reads past the text and maps bad bytes to U+FFFD", "[words]") {
    std::size_t n = 0;
    CHECK(decode_code_point("\xC3\xA9", 0, &n) == 0xE9);
    CHECK(n == 2);
    CHECK(decode_code_point("\xE2\x80\x94", 0, &n) == 0x2014);
    CHECK(n == 3);
    CHECK(decode_code_point("\xF0\x9F\x98\x80", 0, &n) == 0x1F600);
    CHECK(n == 4);
    CHECK(decode_code_point("\xE2\x80", 0, &n) == 0xFFFD);  // truncated
    CHECK(n == 1);
    CHECK(decode_code_point("\xC0\xAF", 0, &n) == 0xFFFD);      // overlong
    CHECK(decode_code_point("\xED\xA0\x80", 0, &n) == 0xFFFD);  // surrogate
    CHECK(decode_code_point_before("a\xE2\x80\x94", 4, &n) == 0x2014);
    CHECK(n == 3);
    CHECK(decode_code_point_before("a\x94", 2, &n) == 0xFFFD);  // stray continuation byte
    CHECK(n == 1);
    CHECK(first_code_point("") == 0);
    CHECK(last_code_point("") == 0);
    CHECK(last_code_point("caf\xC3\xA9") == 0xE9);
}

TEST_CASE("words: punctuation-only chunks belong to a neighbouring word", "[words]") {
    CHECK(words_of("The best way to") == std::vector<std::string>{"The", "best", "way", "to"});
    CHECK(words_of("Good question \xE2\x80\x94 the") ==
          std::vector<std::string>{"Good", "question \xE2\x80\x94", "the"});
    CHECK(words_of("\xE2\x80\x94 actually, yes") == std::vector<std::string>{"\xE2\x80\x94 actually,", "yes"});
    CHECK(words_of("don't, e.g. 3.5 well-known") == std::vector<std::string>{"don't,", "e.g.", "3.5", "well-known"});
    CHECK(words_of("  \n hello \t world \n") == std::vector<std::string>{"hello", "world"});
    CHECK(words_of("").empty());
    CHECK(words_of(" \xE2\x80\x94 ... ").empty());
    CHECK(words_of("salt & pepper") == std::vector<std::string>{"salt &", "pepper"});
    CHECK(words_of("caf\xC3\xA9\xC2\xA0noir") == std::vector<std::string>{"caf\xC3\xA9", "noir"});
    // Spans point into the text.
    const std::string text = "  Hi, you";
    const auto spans = split_words(text);
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].begin == 2);
    CHECK(spans[0].end == 5);
    CHECK(text.substr(spans[1].begin, spans[1].end - spans[1].begin) == "you");
}

TEST_CASE("words: trailing boundary sees through closing quotes and spaces", "[words]") {
    CHECK(trailing_boundary("the way,") == Boundary::Clause);
    CHECK(trailing_boundary("the way;  ") == Boundary::Clause);
    CHECK(trailing_boundary("steps:") == Boundary::Clause);
    CHECK(trailing_boundary("question \xE2\x80\x94") == Boundary::Clause);
    CHECK(trailing_boundary("wait...") == Boundary::Clause);
    CHECK(trailing_boundary("wait\xE2\x80\xA6") == Boundary::Clause);
    CHECK(trailing_boundary("well -") == Boundary::Clause);
    CHECK(trailing_boundary("well --") == Boundary::Clause);
    CHECK(trailing_boundary("well-") == Boundary::None);
    CHECK(trailing_boundary("It is.") == Boundary::Sentence);
    CHECK(trailing_boundary("Really?!") == Boundary::Sentence);
    CHECK(trailing_boundary("he said \"yes.\"") == Boundary::Sentence);
    CHECK(trailing_boundary("(see above.)") == Boundary::Sentence);
    CHECK(trailing_boundary("\xE5\xA5\xBD\xE3\x80\x82") == Boundary::Sentence);  // 好。
    CHECK(trailing_boundary("The best way to") == Boundary::None);
    CHECK(trailing_boundary("") == Boundary::None);
    CHECK(trailing_boundary("\"") == Boundary::None);
}

TEST_CASE("words: keys fold ASCII case and drop punctuation", "[words]") {
    CHECK(word_key("Best,") == "best");
    CHECK(word_key("\"To") == "to");
    CHECK(word_key("don't") == "dont");
    CHECK(word_key("\xC3\x89lan") == "\xC3\x89lan");  // non-ASCII kept as is
    CHECK(word_key("\xE2\x80\x94") == "");
}

TEST_CASE("words: capitals, trimming, sentence openers", "[words]") {
    CHECK(starts_with_capital("The"));
    CHECK(starts_with_capital("\"The"));
    CHECK(starts_with_capital("\xC3\x89lan"));  // É
    CHECK_FALSE(starts_with_capital("the"));
    CHECK_FALSE(starts_with_capital("3 apples"));
    CHECK_FALSE(starts_with_capital(""));
    CHECK(trim_spaces("\xC2\xA0 hi \n") == "hi");
    CHECK(trim_leading_spaces("  hi ") == "hi ");
    CHECK(trim_trailing_spaces("  hi ") == "  hi");
    CHECK(trim_spaces("   ").empty());
    CHECK(has_no_word_chars(" \xE2\x80\x94 , "));
    CHECK_FALSE(has_no_word_chars("a"));
    CHECK(is_sentence_opening_word("the"));
    CHECK(is_sentence_opening_word("it"));
    CHECK_FALSE(is_sentence_opening_word("paris"));
    CHECK_FALSE(is_sentence_opening_word("i"));
}
