// core/speech.h with a synthesizer of known timing: each word lasts 50 ms a character at full
// amplitude, and every utterance ends with 100 ms of silence.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/speech.h"
#include "tests/speech_words.h"

using namespace headstart;

namespace {

constexpr int kRate = 1000;  // one sample a millisecond: times read straight off the sample index

struct FakeVoice final : Synthesizer {
    std::vector<std::string> spoken;
    bool fail = false, miscount = false;
    Result<Utterance> speak(const std::string& text) override {
        if (fail) return Error{"no voice"};
        spoken.push_back(text);
        Utterance u = speech_words::fake_utterance(text, kRate);
        if (miscount) u.word_start_ms.pop_back();
        return u;
    }
};

using namespace speech_words;  // arrivals(), +

}  // namespace

TEST_CASE("speech: the opener is heard from its arrival, cloud words that came in time follow without a gap",
          "[speech]") {
    FakeVoice voice;
    // "Sure thing" = 4+5 chars = 450 ms + 100 ms tail: the opener's utterance is 50..600
    auto words = arrivals("Sure thing", 50, Origin::Device) + arrivals("here it", 300, Origin::Cloud) +
                 arrivals("is.", 400, Origin::Cloud);
    auto t = speak_arrivals(words, voice);
    REQUIRE(t.ok());
    REQUIRE(t->words.size() == 5);
    CHECK(voice.spoken == std::vector<std::string>{"Sure thing", "here it is."});
    CHECK(t->words[0].start_ms == Approx(50));
    CHECK(t->words[1].start_ms == Approx(250));
    CHECK(t->words[1].end_ms == Approx(600));    // the last word of an utterance lasts to its end
    CHECK(t->words[2].start_ms == Approx(600));  // queued behind the opener: no gap but the voice's own tail
    CHECK(t->words[2].origin == Origin::Cloud);
    CHECK(t->utterances == 2);
    CHECK(t->handoff_silence_ms == Approx(100));
    CHECK(t->sample_rate == kRate);
    CHECK(t->duration_ms() == Approx(600 + 50 * 9 + 100));
    CHECK(t->samples[49] == 0);  // silence before the first word
    CHECK(t->samples[50] == 10000);
}

TEST_CASE("speech: a cloud that answers late leaves a silence the size of the wait", "[speech]") {
    FakeVoice voice;
    auto words = arrivals("Sure thing", 50, Origin::Device) + arrivals("here", 2000, Origin::Cloud);
    auto t = speak_arrivals(words, voice);
    REQUIRE(t.ok());
    CHECK(t->words[2].start_ms == Approx(2000));
    CHECK(t->handoff_silence_ms == Approx(2000 - 500));  // from the end of "thing"'s sound to "here"
}

TEST_CASE("speech: utterances hold at most max_words and never mix the μLM's and the cloud's words", "[speech]") {
    FakeVoice voice;
    auto words = arrivals("a b c d e", 0, Origin::Device) + arrivals("f g", 0, Origin::Cloud) +
                 arrivals("h", 0, Origin::Fallback);
    SpeechOptions o;
    o.max_words = 2;
    auto t = speak_arrivals(words, voice, o);
    REQUIRE(t.ok());
    CHECK(voice.spoken == std::vector<std::string>{"a b", "c d", "e", "f g", "h"});
    for (size_t i = 1; i < t->words.size(); ++i) CHECK(t->words[i].start_ms >= t->words[i - 1].end_ms);
}

TEST_CASE("speech: a synthesizer error or a miscounted utterance ends it with a readable error", "[speech]") {
    FakeVoice voice;
    voice.fail = true;
    auto a = speak_arrivals(arrivals("hello there", 0, Origin::Device), voice);
    REQUIRE_FALSE(a.ok());
    CHECK_THAT(a.error(), Catch::Contains("no voice"));
    voice.fail = false;
    voice.miscount = true;
    auto b = speak_arrivals(arrivals("hello there", 0, Origin::Device), voice);
    REQUIRE_FALSE(b.ok());
    CHECK_THAT(b.error(), Catch::Contains("timed 1 words of 2"));
    auto none = speak_arrivals({}, voice);
    REQUIRE(none.ok());
    CHECK(none->words.empty());
    CHECK(none->handoff_silence_ms == 0);
}

TEST_CASE("speech: the arrivals are the presenter's words with the time each reached it", "[speech]") {
    Timeline t;
    t.add(EventKind::Request, 0);
    t.add_word_shown(100, "Sure", 300, Origin::Device, 40);
    t.add_word_shown(400, "thing", 300, Origin::Device, 40);
    t.add_word_shown(900, "here", 300, Origin::Cloud);  // no arrival given: shown as it arrived
    const auto a = spoken_arrivals(t);
    REQUIRE(a.size() == 3);
    CHECK(a[0].word == "Sure");
    CHECK(a[1].arrived_ms == 40);
    CHECK(a[2].arrived_ms == 900);
    CHECK(a[2].origin == Origin::Cloud);
}

TEST_CASE("speech: longest_silence_ms counts quiet samples, and the time past the audio's end", "[speech]") {
    std::vector<int16_t> s(1000, 0);
    for (int i = 200; i < 300; ++i) s[i] = 20000;
    for (int i = 600; i < 650; ++i) s[i] = -20000;
    CHECK(longest_silence_ms(s, kRate, 0, 1000) == Approx(350));  // 650..1000
    CHECK(longest_silence_ms(s, kRate, 0, 600) == Approx(300));   // 300..600
    CHECK(longest_silence_ms(s, kRate, 900, 1500) == Approx(600));
    CHECK(longest_silence_ms(s, kRate, 500, 400) == 0);
    CHECK(longest_silence_ms(s, 0, 0, 100) == 0);
}

TEST_CASE("speech: write_wav writes 16-bit mono RIFF/WAVE", "[speech]") {
    const std::string path = "speech-test.wav";
    REQUIRE(write_wav(path, {0, 1, -1, 32767}, 22050).ok());
    std::ifstream f(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() == 44 + 8);
    CHECK(bytes.substr(0, 4) == "RIFF");
    CHECK(bytes.substr(8, 8) == "WAVEfmt ");
    CHECK(bytes.substr(36, 4) == "data");
    CHECK(static_cast<unsigned char>(bytes[24]) + 256 * static_cast<unsigned char>(bytes[25]) == 22050 % 65536);
    CHECK(static_cast<unsigned char>(bytes[50]) == 0xff);
    CHECK(static_cast<unsigned char>(bytes[51]) == 0x7f);
    std::remove(path.c_str());
    CHECK_FALSE(write_wav("no/such/dir/x.wav", {0}, 22050).ok());
    CHECK_FALSE(write_wav(path, {0}, 0).ok());
}

TEST_CASE("speech: LiveSpeech ticked each frame speaks what speak_arrivals does, at most a frame later", "[speech]") {
    const auto words = arrivals("The best way to", 30, Origin::Device) + arrivals("learn a", 700, Origin::Cloud) +
                       arrivals("language is to", 1400, Origin::Cloud) + arrivals("speak it.", 4000, Origin::Cloud);
    FakeVoice ideal_voice, live_voice;
    const auto ideal = speak_arrivals(words, ideal_voice);
    REQUIRE(ideal.ok());

    LiveSpeech live(live_voice);
    constexpr double kFrame = 16.0;  // a 60 Hz shell
    size_t next = 0;
    std::vector<std::vector<int16_t>> queued;  // what the shell hands its audio device
    for (double now = 0; now < 12000; now += kFrame) {
        while (next < words.size() && words[next].arrived_ms <= now) live.push(words[next++]);
        auto samples = live.tick(now);
        REQUIRE(samples.ok());
        if (!samples->empty()) queued.push_back(samples.value());
    }
    const SpeechTrack t = live.track();
    // the same utterances, so the same words in the same order from the same voice
    CHECK(live_voice.spoken == ideal_voice.spoken);
    REQUIRE(t.words.size() == ideal->words.size());
    CHECK(static_cast<int>(queued.size()) == t.utterances);
    for (size_t i = 0; i < t.words.size(); ++i) {
        INFO(t.words[i].word);
        CHECK(t.words[i].start_ms >= ideal->words[i].start_ms);
        CHECK(t.words[i].start_ms <= ideal->words[i].start_ms + kFrame);
    }
    // the handoff silence as heard live: the ideal one, give or take the frame the voice waited
    CHECK(std::abs(t.handoff_silence_ms - ideal->handoff_silence_ms) <= kFrame);

    // nothing starts while the voice is busy or nothing waits
    FakeVoice v;
    LiveSpeech busy(v);
    busy.push({"Hello", 0, Origin::Device});
    REQUIRE(busy.tick(0)->size() == 350);  // 5 chars x 50 ms + 100 ms tail, at 1 sample / ms
    busy.push({"there", 10, Origin::Device});
    CHECK(busy.tick(100)->empty());  // still speaking "Hello"
    CHECK(busy.waiting());
    CHECK(busy.tick(350)->size() == 350);
    CHECK(busy.tick(2000)->empty());  // nothing waits
    // a synthesizer error ends it, and stays
    FakeVoice broken;
    broken.fail = true;
    LiveSpeech dead(broken);
    dead.push({"Hi", 0, Origin::Device});
    CHECK_FALSE(dead.tick(0).ok());
    CHECK_FALSE(dead.tick(100).ok());
}

TEST_CASE("speech: with a synthesizer that answers later, begun ahead of the voice's end, speech carries on without a gap",
          "[speech]") {
    FakeVoice voice;  // LiveSpeech only calls it through tick(): here the test is the synthesizer's worker
    LiveSpeech live(voice);
    CHECK(live.lookahead_ms() == Approx(LiveSpeech::kMinLookaheadMs));  // before any wait is known
    CHECK_FALSE(live.begin(0).has_value());                              // nothing waits
    for (const auto& w : arrivals("Sure thing", 50, Origin::Device)) live.push(w);
    // the opener is begun when it exists; its audio comes back 120 ms later and starts then, not before
    const auto opener = live.begin(50);
    REQUIRE(opener.has_value());
    CHECK(*opener == "Sure thing");
    CHECK(live.synthesizing());
    for (const auto& w : arrivals("here it", 300, Origin::Cloud)) live.push(w);
    CHECK_FALSE(live.begin(300).has_value());  // one utterance at a time
    auto a = live.finish(voice.speak(*opener), 170);
    REQUIRE(a.ok());
    CHECK(a->size() == 550);
    CHECK(live.last_wait_ms() == Approx(120));
    CHECK(live.lookahead_ms() == Approx(LiveSpeech::kMinLookaheadMs));  // 2 x 120 ms is less
    CHECK(live.lookahead_ms(10) == Approx(LiveSpeech::kMinLookaheadMs));
    CHECK(live.lookahead_ms(40) == Approx(2 * 120 * 4));  // a text 4x as long as "Sure thing" takes ~4x as long
    CHECK(live.free_at_ms() == Approx(720));
    // the cloud's words are begun while the opener plays (lookahead before its end), with every word
    // that has arrived by then; their audio, back 250 ms later, starts exactly when the opener ends
    for (const auto& w : arrivals("is.", 400, Origin::Cloud)) live.push(w);
    CHECK(live.next_text(420) == "here it is.");
    CHECK(live.next_text(350) == "here it");  // "is." had not arrived by then
    REQUIRE(live.free_at_ms() - 420 < live.lookahead_ms(live.next_text(420).size()));
    const auto cloud = live.begin(420);
    REQUIRE(cloud.has_value());
    CHECK(*cloud == "here it is.");
    REQUIRE(live.finish(voice.speak(*cloud), 670).ok());
    CHECK(live.last_wait_ms() == Approx(250));
    CHECK(live.lookahead_ms() == Approx(500));  // twice the last wait, now that it is longer
    CHECK(live.next_text(1000) == "");
    const SpeechTrack t = live.track();
    REQUIRE(t.words.size() == 5);
    CHECK(t.words[0].start_ms == Approx(170));
    CHECK(t.words[2].start_ms == Approx(720));  // no gap but the voice's own 100 ms tail
    CHECK(t.handoff_silence_ms == Approx(100));
    CHECK_FALSE(live.waiting());
    CHECK_FALSE(live.synthesizing());
}

TEST_CASE("speech: the words of one arrival are one utterance, even asked at a clock a little behind it", "[speech]") {
    // The opener reaches the presenter at once (Turn::handoff); a shell whose clock reads 26 ms behind the
    // turn's (the page's, set from a snapshot a frame old) asks for it "before" it arrived. It must still be
    // one utterance, not "Quantum" and then, after a pause, "computing is a type".
    FakeVoice voice;
    LiveSpeech later(voice);
    for (const auto& w : arrivals("Quantum computing is a type", 50, Origin::Device)) later.push(w);
    CHECK(later.next_text(24) == "Quantum computing is a type");
    const auto text = later.begin(24);
    REQUIRE(text.has_value());
    CHECK(*text == "Quantum computing is a type");
    REQUIRE(later.finish(voice.speak(*text), 90).ok());
    CHECK_FALSE(later.waiting());
    // the synchronous path too
    FakeVoice v;
    LiveSpeech live(v);
    for (const auto& w : arrivals("Quantum computing is a type", 50, Origin::Device)) live.push(w);
    REQUIRE(live.tick(24).ok());
    CHECK(v.spoken == std::vector<std::string>{"Quantum computing is a type"});
    CHECK_FALSE(live.waiting());
    // a later arrival is still not taken before its time, and the voices still do not mix
    FakeVoice w2;
    LiveSpeech split(w2);
    for (const auto& w :
         arrivals("a b", 100, Origin::Device) + arrivals("c", 200, Origin::Device) + arrivals("d", 100, Origin::Cloud))
        split.push(w);
    CHECK(split.next_text(50) == "a b");
    CHECK(split.next_text(200) == "a b c");
}

TEST_CASE("speech: an answer that comes back after the voice is free leaves the silence of the wait", "[speech]") {
    FakeVoice voice;
    LiveSpeech live(voice);
    for (const auto& w : arrivals("Hello", 0, Origin::Device)) live.push(w);
    REQUIRE(live.finish(voice.speak(*live.begin(0)), 0).ok());  // 0..350
    for (const auto& w : arrivals("world", 100, Origin::Cloud)) live.push(w);
    const auto text = live.begin(100);
    REQUIRE(text.has_value());
    REQUIRE(live.finish(voice.speak(*text), 900).ok());  // 800 ms to synthesize: the voice waited 550
    const SpeechTrack t = live.track();
    CHECK(t.words[1].start_ms == Approx(900));
    CHECK(t.handoff_silence_ms == Approx(100 + 550));
    CHECK(live.lookahead_ms() == Approx(1600));
    // the synchronous path goes on from there as before
    live.push({"again", 1000, Origin::Cloud});
    CHECK(live.tick(1000)->empty());  // busy until 1350
    CHECK(live.tick(1350)->size() == 350);
}

TEST_CASE("speech: a synthesizer that answers later with an error or miscounted words ends the speech", "[speech]") {
    FakeVoice voice;
    LiveSpeech live(voice);
    CHECK_FALSE(live.finish(Utterance{}, 0).ok());  // nothing was begun
    live.push({"Hi", 0, Origin::Device});
    REQUIRE(live.begin(0).has_value());
    const auto r = live.finish(Error{"cannot load the voice files espeak/espeak-ng.data: HTTP 404"}, 80);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == "speech: cannot load the voice files espeak/espeak-ng.data: HTTP 404");
    CHECK_FALSE(live.begin(100).has_value());
    CHECK_FALSE(live.tick(100).ok());

    LiveSpeech miscounted(voice);
    miscounted.push({"Hi", 0, Origin::Device});
    miscounted.push({"there", 0, Origin::Device});
    REQUIRE(miscounted.begin(0).has_value());
    voice.miscount = true;
    const auto m = miscounted.finish(voice.speak("Hi there"), 10);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().find("timed 1 words of 2") != std::string::npos);
}

TEST_CASE("speech: eSpeak's word marks as word starts, unmarked words sharing the time before the next mark", "[speech]") {
    // the page's worker sends eSpeak's word events: (1-based first character, ms)
    const auto at = word_starts_from_marks("There are many ways — to", {{1, 0}, {11, 347}, {16, 614}, {23, 933}}, 1200);
    REQUIRE(at.size() == 6);
    CHECK(at[0] == Approx(0));
    CHECK(at[1] == Approx(347 * 6.0 / 10));  // "are" has no mark of its own: "There are " shares 0..347
    CHECK(at[2] == Approx(347));
    CHECK(at[3] == Approx(614));
    CHECK(at[4] == Approx(614 + (933 - 614) * 5.0 / 7));  // "—" between "ways" and "to"
    CHECK(at[5] == Approx(933));
    CHECK(word_starts_from_marks("Café au", {{1, 0}, {6, 400}}, 800) == std::vector<double>{0, 400});  // code points
    CHECK(word_starts_from_marks("", {}, 0).empty());
    CHECK(word_starts_from_marks("one two", {}, 700)[1] == Approx(400));  // no marks: by characters
}
