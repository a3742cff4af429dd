#include <catch2/catch.hpp>

#include "core/utf8.h"

using headstart::is_valid_utf8;
using headstart::repair_utf8;
using headstart::utf8_length;
using headstart::Utf8Stream;

static const std::string kFFFD = "\xEF\xBF\xBD";

TEST_CASE("utf8: well-formed text is accepted and kept", "[utf8]") {
    for (std::string s :
         {"", "hello", "caf\xC3\xA9", "\xE2\x80\x94 dash", "\xF0\x9F\x98\x80 emoji", "\xF4\x8F\xBF\xBF"}) {
        CHECK(is_valid_utf8(s));
        CHECK(repair_utf8(s) == s);
    }
    CHECK(utf8_length("caf\xC3\xA9 \xF0\x9F\x98\x80") == 6);
}

TEST_CASE("utf8: ill-formed sequences are rejected and replaced", "[utf8]") {
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8("abc\xE2\x82"));  // truncated at the end
    CHECK(repair_utf8("a\xFF"
                      "b") == "a" + kFFFD + "b");
    // Maximal subpart: E2 82 followed by 'x' is one bad unit, not two.
    CHECK(repair_utf8("\xE2\x82x") == kFFFD + "x");
    CHECK(repair_utf8("\xC0\xAF") == kFFFD + kFFFD);
    CHECK(is_valid_utf8(repair_utf8("\xED\xA0\x80\xF8\x88\x80\x80\x80 ok")));
}

TEST_CASE("utf8: the stream holds back split characters until they are whole", "[utf8]") {
    Utf8Stream s;
    const std::string emoji = "\xF0\x9F\x98\x80";
    CHECK(s.push("hi ") == "hi ");
    CHECK(s.push(emoji.substr(0, 1)).empty());
    CHECK(s.has_pending());
    CHECK(s.push(emoji.substr(1, 2)).empty());
    CHECK(s.push(emoji.substr(3) + "!") == emoji + "!");
    CHECK_FALSE(s.has_pending());
}

TEST_CASE("utf8: the stream replaces bad bytes and an unfinished tail", "[utf8]") {
    Utf8Stream s;
    CHECK(s.push("a\xFF") == "a" + kFFFD);
    CHECK(s.push("\xE2\x82").empty());
    CHECK(s.finish() == kFFFD);
    CHECK(s.finish().empty());
}

TEST_CASE("utf8: any byte split of a text decodes to the same text", "[utf8]") {
    const std::string text = "Sure \xE2\x80\x94 the caf\xC3\xA9 opens at 9 \xF0\x9F\x98\x80.";
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        Utf8Stream s;
        std::string out = s.push(text.substr(0, cut));
        CHECK(is_valid_utf8(out));
        out += s.push(text.substr(cut));
        out += s.finish();
        CHECK(out == text);
    }
}
