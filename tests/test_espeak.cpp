// native/espeak_synth.h: Debian's eSpeak NG, synthesizing into memory.
#include <catch2/catch.hpp>

#include "native/espeak_synth.h"

using namespace headstart;

TEST_CASE("espeak: a phrase becomes audio with a start for every word, in order", "[espeak]") {
    auto synth = EspeakSynthesizer::create();
    INFO((synth.ok() ? std::string() : synth.error()));
    REQUIRE(synth.ok());
    auto u = (*synth)->speak("There are many ways to improve your time management — actually, plan first.");
    REQUIRE(u.ok());
    CHECK(u->sample_rate == 22050);
    const double ms = 1000.0 * u->samples.size() / u->sample_rate;
    CHECK(ms > 2500);  // 12 spoken words at 165 words a minute: ~4.4 s
    CHECK(ms < 8000);
    REQUIRE(u->word_start_ms.size() == 13);  // "—" is a word of the text too
    for (size_t i = 1; i < u->word_start_ms.size(); ++i) CHECK(u->word_start_ms[i] >= u->word_start_ms[i - 1]);
    CHECK(u->word_start_ms.back() < ms);
    CHECK(u->word_start_ms[2] > u->word_start_ms[0]);  // "There are" may share one event; "many" is later
    int loud = 0;
    for (int16_t s : u->samples) loud += s > 3000 || s < -3000;
    CHECK(loud > static_cast<int>(u->samples.size() / 20));
}

TEST_CASE("espeak: a faster rate gives shorter audio, UTF-8 text is spoken", "[espeak]") {
    auto slow = EspeakSynthesizer::create({"en-us", 120});
    REQUIRE(slow.ok());
    auto a = (*slow)->speak("The café is open until nine.");
    REQUIRE(a.ok());
    auto fast = EspeakSynthesizer::create({"en-us", 300});
    REQUIRE(fast.ok());
    auto b = (*fast)->speak("The café is open until nine.");
    REQUIRE(b.ok());
    CHECK(b->samples.size() < a->samples.size() * 0.7);
    CHECK(a->word_start_ms.size() == 6);
    auto empty = (*fast)->speak("   ");
    REQUIRE(empty.ok());
    CHECK(empty->word_start_ms.empty());
}

TEST_CASE("espeak: an unknown voice or a rate out of range is a readable error", "[espeak]") {
    auto v = EspeakSynthesizer::create({"no-such-voice", 165});
    REQUIRE_FALSE(v.ok());
    CHECK_THAT(v.error(), Catch::Contains("no voice") && Catch::Contains("no-such-voice"));
    auto r = EspeakSynthesizer::create({"en-us", 20});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error(), Catch::Contains("80..450"));
}
