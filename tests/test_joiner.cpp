#include <catch2/catch.hpp>

#include "core/joiner.h"
#include "core/utf8.h"

using namespace headstart;

TEST_CASE("joiner: exactly one space between words", "[joiner]") {
    CHECK(join("The best way to", "learn") == "The best way to learn");
    CHECK(join("The best way to", " learn") == "The best way to learn");
    CHECK(join("The best way to", "   learn") == "The best way to learn");
    CHECK(join("The best way to ", " learn") == "The best way to learn");
    CHECK(join("The best way to  \n", "\tlearn") == "The best way to learn");
    CHECK(join("It costs", " 5 dollars") == "It costs 5 dollars");
}

TEST_CASE("joiner: no space before closing punctuation", "[joiner]") {
    CHECK(join("It is the best way", ", then practise.") == "It is the best way, then practise.");
    CHECK(join("It is the best way", " , then") == "It is the best way, then");
    CHECK(join("That is all", ".") == "That is all.");
    CHECK(join("Is it", "?") == "Is it?");
    CHECK(join("(mostly", ") fine") == "(mostly) fine");
    CHECK(join("about 50", "% of it") == "about 50% of it");
    CHECK(join("Wait", "\xE2\x80\xA6 what") == "Wait\xE2\x80\xA6 what");  // ellipsis
    CHECK(join("He said \xE2\x80\x9Cyes", "\xE2\x80\x9D twice") == "He said \xE2\x80\x9Cyes\xE2\x80\x9D twice");
}

TEST_CASE("joiner: contractions attach, quotes follow the cloud", "[joiner]") {
    CHECK(join("Newton", "'s law") == "Newton's law");
    CHECK(join("It", "\xE2\x80\x99s fine") == "It\xE2\x80\x99s fine");
    CHECK(join("They", "'re here") == "They're here");
    CHECK(join("Newton", " 's law") == "Newton's law");  // even when the cloud put a space before it
    CHECK(join("He said", " \"hi\"") == "He said \"hi\"");
    CHECK(join("He said", " 'hi'") == "He said 'hi'");
    CHECK(join("It is a", " \xE2\x80\x9Cquote\xE2\x80\x9D") == "It is a \xE2\x80\x9Cquote\xE2\x80\x9D");
}

TEST_CASE("joiner: dashes keep the cloud's spacing; a doubled mark is written once", "[joiner]") {
    CHECK(join("The best way", " \xE2\x80\x94 actually, no") == "The best way \xE2\x80\x94 actually, no");
    CHECK(join("Good question \xE2\x80\x94", "\xE2\x80\x94 the best") == "Good question \xE2\x80\x94 the best");
    CHECK(join("Good question \xE2\x80\x94", " \xE2\x80\x94 the best") == "Good question \xE2\x80\x94 the best");
    CHECK(join("Good question \xE2\x80\x94", "the best") == "Good question \xE2\x80\x94 the best");
    CHECK(join("It is well", "-known") == "It is well-known");
    CHECK(join("First,", ", then") == "First, then");
    CHECK(join("Here:", ": this") == "Here: this");
}

TEST_CASE("joiner: no space after an opening bracket", "[joiner]") {
    CHECK(join("It is big (", "very") == "It is big (very");
    CHECK(join("It is big (", " very") == "It is big (very");
}

TEST_CASE("joiner: a line break the cloud sends at the seam is kept", "[joiner]") {
    CHECK(join("Here are three steps:", "\n\n1. Boil water.") == "Here are three steps:\n\n1. Boil water.");
    CHECK(join("Here are three steps:", " \n1. Boil") == "Here are three steps:\n1. Boil");
    CHECK(join("Here are three steps:", "\r\n1. Boil") == "Here are three steps:\r\n1. Boil");
}

TEST_CASE("joiner: restated opener words are dropped", "[joiner]") {
    CHECK(join("The best way to", " way to learn it") == "The best way to learn it");
    CHECK(join("The best way to", " to learn it") == "The best way to learn it");
    CHECK(join("The best way to", " To learn it") == "The best way to learn it");
    CHECK(join("The best way to", "The best way to learn it") == "The best way to learn it");
    CHECK(join("The best way to", " top it") == "The best way to top it");      // "top" is not "to"
    CHECK(join("The best way to", " best way") == "The best way to best way");  // not a suffix
    CHECK(join("It is the way,", " way, then") == "It is the way, then");
    CHECK(join("It is to", " to, then go") == "It is to, then go");  // the cloud's comma stays

    JoinConfig small;
    small.max_overlap_words = 2;
    CHECK(join("The best way to", " best way to learn", small) == "The best way to best way to learn");
    JoinConfig two;
    two.min_overlap_words = 2;
    CHECK(join("I think that", " that is it", two) == "I think that that is it");
    JoinConfig off;
    off.max_overlap_words = 0;
    CHECK(join("go to", " to go", off) == "go to to go");
}

TEST_CASE("joiner: streaming holds back only while an overlap is possible", "[joiner]") {
    ContinuationJoiner j("The best way to");
    CHECK(j.push(" way") == "");  // could be "way to ..."
    CHECK(j.push(" to") == "");   // "to" could still grow ("top")
    CHECK(j.push(" learn") == " learn");
    CHECK(j.dropped_overlap_words() == 2);
    CHECK(j.push(" it") == " it");
    CHECK(j.push("  fast ") == "  fast ");  // after the seam the cloud's text is untouched
    CHECK(j.finish() == "");
    CHECK(j.appended() == " learn it  fast ");

    ContinuationJoiner k("The best way to");
    CHECK(k.push(" learn") == " learn");  // still growing, but no prefix of "to": released at once
    CHECK(k.push(" it") == " it");
    CHECK(k.dropped_overlap_words() == 0);

    ContinuationJoiner fast("The best way to");
    CHECK(fast.push(", then") == ", then");  // punctuation first: no overlap possible
}

TEST_CASE("joiner: same result for any chunking", "[joiner]") {
    const std::string opener = "Good question \xE2\x80\x94";
    const std::string cont = " question \xE2\x80\x94 the caf\xC3\xA9 is open.";
    const std::string whole = join(opener, cont);
    for (std::size_t chunk = 1; chunk <= 5; ++chunk) {
        ContinuationJoiner j(opener);
        std::string out = opener;
        for (std::size_t i = 0; i < cont.size(); i += chunk) out += j.push(cont.substr(i, chunk));
        out += j.finish();
        CHECK(out == whole);
        CHECK(is_valid_utf8(out));
    }
    CHECK(whole == "Good question \xE2\x80\x94 the caf\xC3\xA9 is open.");
}

// Found by fuzz_joiner (fuzz/regressions/joiner/): the overlap was decided once 512 bytes were held, leading
// spaces included, and a word still arriving was then judged as if whole — "to" of "torial" matched the
// opener's "to" and two words were dropped, where the same text in one piece drops none.
TEST_CASE("joiner: a long run of leading spaces does not decide the overlap on a half-arrived word", "[joiner]") {
    const std::string opener = "The best way to";
    const std::string spaces(508, ' ');
    const std::string whole = join(opener, spaces + "way torial works");
    CHECK(whole == "The best way to way torial works");
    ContinuationJoiner j(opener);
    std::string out = opener + j.push(spaces + "way to");
    out += j.push("rial works");
    out += j.finish();
    CHECK(out == whole);
    CHECK(j.dropped_overlap_words() == 0);
    // A restatement still counts however the text was cut, and a first word longer than the window never does.
    CHECK(join(opener, spaces + "way to learn") == "The best way to learn");
    const std::string long_word(600, 'a');
    ContinuationJoiner k("a");
    std::string streamed = k.push(long_word.substr(0, 300));
    streamed += k.push(long_word.substr(300));
    streamed += k.finish();
    CHECK("a" + streamed == join("a", long_word));
}

// Found next by fuzz_joiner: a restated word followed by a space is settled, even when punctuation-only text after
// it (which split_words counts as part of it) runs past the 512-byte window.
TEST_CASE("joiner: a restated word followed by a long run of punctuation", "[joiner]") {
    const std::string tail = " " + std::string(600, ',');
    const std::string whole = join("way to", "way to" + tail);
    ContinuationJoiner j("way to");
    std::string out = "way to" + j.push("way to ");
    out += j.push(tail.substr(1));
    out += j.finish();
    CHECK(out == whole);
    CHECK(j.dropped_overlap_words() == 2);
    CHECK(whole == "way to" + std::string(600, ','));
}

TEST_CASE("joiner: UTF-8 split across deltas and ill-formed bytes", "[joiner]") {
    ContinuationJoiner j("Un");
    std::string out = j.push(" caf\xC3");
    out += j.push("\xA9 noir");
    out += j.finish();
    CHECK(out == " caf\xC3\xA9 noir");
    CHECK(join("Un", " bad\xFF byte") == "Un bad\xEF\xBF\xBD byte");
    CHECK(join("Un\xC3", " ok") == "Un\xEF\xBF\xBD ok");
    ContinuationJoiner tail("Un");
    CHECK(tail.push(" x") == " x");
    CHECK(tail.push("\xE2\x80") == "");  // an incomplete character is held
    CHECK(tail.finish() == "\xEF\xBF\xBD");
}

TEST_CASE("joiner: empty sides", "[joiner]") {
    CHECK(join("The best way to", "") == "The best way to");
    CHECK(join("The best way to", "   ") == "The best way to");
    CHECK(join("", "  Hello there") == "Hello there");
    CHECK(join("", "") == "");
    ContinuationJoiner j("It is");
    CHECK(j.push("  ") == "");
    CHECK(j.push("\n") == "");
    CHECK(j.push("x") == "\nx");  // the whitespace waited for the first visible character
}

TEST_CASE("joiner: a contraction split across deltas", "[joiner]") {
    ContinuationJoiner j("It");
    CHECK(j.push("'") == "");
    CHECK(j.push("s") == "");
    CHECK(j.push(" fine") == "'s fine");
    ContinuationJoiner q("He said");
    CHECK(q.push(" '") == "");
    CHECK(q.push("so") == "");
    CHECK(q.push("' ok") == " 'so' ok");
}

TEST_CASE("joiner: seam() directly", "[joiner]") {
    CHECK(seam("way", "learn", false, "") == " ");
    CHECK(seam("way ", "learn", false, "") == "");  // the opener's own space counts
    CHECK(seam("way", ", then", true, "") == "");
    CHECK(seam("way", "\xE2\x80\x94 no", false, "") == "");
    CHECK(seam("way", "\xE2\x80\x94 no", true, "") == " ");
    CHECK(seam("steps:", "1.", true, "\n\n") == "\n\n");
    CHECK(seam("", "x", true, "") == "");
    CHECK(seam("x", "", true, "") == "");
}
