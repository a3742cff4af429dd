// ui/speaker.h with a voice of known timing and a simulated audio device: the device takes 20 samples
// every 20 ms (1 sample a millisecond, so its output's index is the clock) and the app ticks the speaker
// every 16 ms; what the speaker says was heard is checked against what the device really output.
#include <catch2/catch.hpp>

#include <sstream>

#include "ui/controls.h"
#include "ui/script.h"
#include "ui/speaker.h"
#include "tests/speech_words.h"

using namespace headstart;

namespace {

constexpr int kRate = 1000;

// 50 ms a character at full amplitude, then 100 ms of silence (as tests/test_speech.cpp's voice).
struct FakeVoice final : Synthesizer {
    std::vector<std::string> spoken;
    int fail_after = -1;         // fail from this utterance on
    double* clock = nullptr;     // advanced by synth_ms per utterance (a slow synthesizer)
    double synth_ms = 0;
    Result<Utterance> speak(const std::string& text) override {
        Utterance u;
        u.sample_rate = kRate;
        if (text.empty()) return u;  // the format probe
        if (fail_after >= 0 && static_cast<int>(spoken.size()) >= fail_after) return Error{"the voice broke"};
        spoken.push_back(text);
        if (clock) *clock += synth_ms;
        return speech_words::fake_utterance(text, kRate);
    }
};

// A synthesizer that answers later (as the page's, in a Worker): a text's audio is back wait_ms after it was sent.
struct LaterVoice final : Synthesizer {
    FakeVoice* voice;
    const double* clock;
    double wait_ms;
    int id = -1;
    double ready_at = 0;
    std::string text;
    LaterVoice(FakeVoice* v, const double* c, double w) : voice(v), clock(c), wait_ms(w) {}
    Result<Utterance> speak(const std::string& t) override {
        if (t.empty()) return voice->speak(t);
        return Error{"this one answers later"};
    }
    bool answers_later() const override { return true; }
    void send(int i, const std::string& t) override {
        id = i;
        text = t;
        ready_at = *clock + wait_ms;
    }
    std::optional<Result<Utterance>> receive(int i) override {
        if (i != id || *clock < ready_at) return std::nullopt;
        id = -1;
        return voice->speak(text);
    }
};

struct FakeDevice final : ui::AudioSink {
    std::string refuse;  // open() fails with this
    std::string hold;    // held() says this, and nothing plays (the page before the user's first click)
    bool opened = false;
    int rate = 0;
    double latency_ms = 0;
    std::vector<int16_t> stream;  // queued since the last clear
    size_t taken = 0;
    std::vector<ui::DeviceTake> takes;
    std::vector<int16_t> output;  // what the device played, one sample a millisecond from t = 0

    Status open(int sample_rate) override {
        if (!refuse.empty()) return Error{refuse};
        opened = true;
        rate = sample_rate;
        return Ok{};
    }
    bool is_open() const override { return opened; }
    void queue(const std::vector<int16_t>& s) override { stream.insert(stream.end(), s.begin(), s.end()); }
    ui::Playhead playhead() const override {
        ui::Playhead p;
        p.taken = taken;
        p.takes = takes;
        p.latency_ms = latency_ms;
        return p;
    }
    void clear() override {
        stream.clear();
        taken = 0;
        takes.clear();
    }
    std::string held() const override { return hold; }
    void pull(double now, size_t n) {  // the device takes its next n samples (silence when none are queued)
        if (!hold.empty()) return;     // suspended: its clock stands still
        const size_t k = std::min(n, stream.size() - taken);
        if (k) takes.push_back({taken, taken + k, output.size(), now});
        output.insert(output.end(), stream.begin() + taken, stream.begin() + taken + k);
        output.insert(output.end(), n - k, 0);
        taken += k;
    }
};

struct Rig {
    double clock = 0;
    FakeVoice voice;
    FakeDevice device;
    std::string refuse_voice;
    std::unique_ptr<ui::Speaker> speaker;
    explicit Rig(double answers_after_ms = -1, double min_lookahead_ms = 0) {
        ui::SpeechPlatform p;
        p.min_lookahead_ms = min_lookahead_ms;
        p.sink = &device;
        p.clock_ms = [this] { return clock; };
        p.make_synthesizer = [this, answers_after_ms](const ui::SpeechSettings&) -> Result<std::unique_ptr<Synthesizer>> {
            if (!refuse_voice.empty()) return Error{refuse_voice};
            if (answers_after_ms >= 0)
                return std::unique_ptr<Synthesizer>(new LaterVoice(&voice, &clock, answers_after_ms));
            struct Ref final : Synthesizer {  // the rig keeps the voice to look at
                FakeVoice* v;
                explicit Ref(FakeVoice* v) : v(v) {}
                Result<Utterance> speak(const std::string& t) override { return v->speak(t); }
            };
            return std::unique_ptr<Synthesizer>(new Ref(&voice));
        };
        speaker = std::make_unique<ui::Speaker>(p);
    }
    // Runs the clock from now to end_ms: the device pulls every 20 ms, the app ticks every 16 ms with the
    // words that have arrived by then (the turn is over once all have and the clock passed turn_over_ms).
    int pull_every_ms = 20;  // a device that runs slow takes its 20 samples less often
    void run(const std::vector<WordArrival>& words, double end_ms, double turn_over_ms = 0) {
        for (double t = clock; t <= end_ms; t += 1) {
            clock = t;
            if (static_cast<long>(t) % pull_every_ms == 0) device.pull(t, 20);
            if (static_cast<long>(t) % 16 == 0) {
                std::vector<WordArrival> arrived;
                for (const auto& w : words)
                    if (w.arrived_ms <= clock) arrived.push_back(w);
                speaker->update(arrived, arrived.size() == words.size() && clock >= turn_over_ms);
            }
            t = std::max(t, clock);  // a slow synthesizer moved the clock on
        }
    }
    // The longest quiet run of what the device played between two times.
    double played_silence(double from, double to) const {
        return longest_silence_ms(device.output, kRate, from, to);
    }
};

using namespace speech_words;  // arrivals(), +

ui::SpeechSettings on() {
    ui::SpeechSettings s;
    s.on = true;
    return s;
}

// Each heard word starts where its sound is in what the device played, each utterance after silence.
void check_words_against_output(const Rig& r) {
    for (const HeardWord& w : r.speaker->heard().words) {
        INFO(w.word << " at " << w.start_ms);
        const size_t at = static_cast<size_t>(w.start_ms);
        REQUIRE(at < r.device.output.size());
        CHECK(r.device.output[at] == 10000);
    }
    for (const ui::SpokenUtterance& u : r.speaker->utterances()) {
        REQUIRE(u.started_ms);
        const size_t at = static_cast<size_t>(*u.started_ms);
        CHECK(r.device.output[at - 1] == 0);
        CHECK(r.device.output[at] == 10000);
    }
}

}  // namespace

TEST_CASE("speaker: the opener is heard as soon as it exists, the cloud's words follow it without a gap", "[speaker]") {
    Rig r;
    r.speaker->begin_turn(on());
    REQUIRE(r.speaker->active());
    REQUIRE(r.device.rate == kRate);
    r.speaker->set_turn_clock(0);
    const auto words = arrivals("Sure thing", 50, Origin::Device) + arrivals("here it is.", 300, Origin::Cloud);
    r.run(words, 3000);
    CHECK(r.voice.spoken == std::vector<std::string>{"Sure thing", "here it is."});
    const SpeechTrack& h = r.speaker->heard();
    REQUIRE(h.words.size() == 5);
    // queued at the first frame after 50 ms (64), taken by the device's next pull (80)
    CHECK(h.words[0].start_ms == Approx(80));
    CHECK(r.speaker->utterances()[0].queued_ms == Approx(64));
    CHECK(h.words[1].start_ms == Approx(80 + 200));
    // "Sure thing" is 450 ms of sound and 100 ms of tail: the cloud's utterance was queued before it ended
    CHECK(r.speaker->utterances()[1].queued_ms < 80 + 550);
    CHECK(h.words[2].start_ms == Approx(80 + 550));
    CHECK(h.words[2].origin == Origin::Cloud);
    CHECK(h.utterances == 2);
    CHECK(h.handoff_silence_ms == Approx(100));  // the voice's own tail, nothing more
    CHECK(*r.speaker->utterances()[0].device_at == 80);   // where the device played it
    CHECK(*r.speaker->utterances()[1].device_at == 630);
    CHECK(r.played_silence(h.words[1].start_ms, h.words[2].end_ms) == Approx(100));
    check_words_against_output(r);
    CHECK(r.speaker->done());
    CHECK(r.speaker->word_index_at(0) == -1);
    CHECK(r.speaker->word_index_at(h.words[3].start_ms + 1) == 3);
    const auto j = r.speaker->state();
    CHECK(j["handoff_silence_ms"].get<double>() == Approx(100));
    CHECK(j["utterances"].size() == 2);
    CHECK(j["utterances"][1]["fingerprint"].size() == 32);
    CHECK(j["status"] == "");
}

TEST_CASE("speaker: the opener is one utterance even when the speaker's clock reads behind the turn's", "[speaker]") {
    // The page's app set the voice's clock from a snapshot published at the turn's 0 and read 40 ms later
    // (its elapsed_ms was the publish's), so the speaker's clock ran 40 ms behind the turn's: the opener,
    // which arrived at 50 on the turn's clock, reached it at 64 = 24 on its own. It was spoken as "Quantum",
    // then "computing is a type" after it: a stutter inside the opener.
    for (double answers_after : {-1.0, 40.0}) {  // at once (the desktop's path), and later (the page's)
        CAPTURE(answers_after);
        Rig r(answers_after);
        r.speaker->begin_turn(on());
        r.clock = 40;
        r.speaker->set_turn_clock(0);
        r.clock = 41;
        r.run(
            arrivals("Quantum computing is a type", 50, Origin::Device) + arrivals("of computer.", 400, Origin::Cloud),
            5000);
        CHECK(r.voice.spoken == std::vector<std::string>{"Quantum computing is a type", "of computer."});
        REQUIRE(r.speaker->utterances().size() == 2);
        CHECK(r.speaker->utterances()[0].text == "Quantum computing is a type");
        CHECK(r.speaker->heard().words.size() == 7);
        CHECK(r.speaker->done());
    }
}

TEST_CASE("speaker: a late cloud leaves the silence the device really played", "[speaker]") {
    Rig r;
    r.speaker->begin_turn(on());
    r.speaker->set_turn_clock(0);
    const auto words = arrivals("Sure thing", 50, Origin::Device) + arrivals("here", 2003, Origin::Cloud);
    r.run(words, 4000);
    const SpeechTrack& h = r.speaker->heard();
    REQUIRE(h.words.size() == 3);
    // arrived at 2003, queued at the next frame (2016), played from the device's next pull (2020)
    CHECK(r.speaker->utterances()[1].queued_ms == Approx(2016));
    CHECK(h.words[2].start_ms == Approx(2020));
    CHECK(h.handoff_silence_ms == Approx(2020 - (80 + 450)));
    CHECK(r.played_silence(h.words[1].start_ms, h.words[2].end_ms) == Approx(h.handoff_silence_ms));
    check_words_against_output(r);
}

TEST_CASE("speaker: the gaps are the device's, even when its clock runs slower than the system's", "[speaker]") {
    Rig r;
    r.pull_every_ms = 25;  // 20 samples (20 ms of audio) every 25 ms
    r.speaker->begin_turn(on());
    r.speaker->set_turn_clock(0);
    r.run(arrivals("Sure thing", 50, Origin::Device) + arrivals("here", 2003, Origin::Cloud), 5000);
    const SpeechTrack& h = r.speaker->heard();
    REQUIRE(h.words.size() == 3);
    const auto& u = r.speaker->utterances();
    // the turn's first sound from the clock stamp of its take (75 ms), the rest by the samples played since
    CHECK(h.words[0].start_ms == Approx(75));
    CHECK(h.words[2].start_ms - h.words[0].start_ms == Approx(static_cast<double>(*u[1].device_at - *u[0].device_at)));
    CHECK(r.device.output[*u[1].device_at] == 10000);
    CHECK(r.device.output[*u[1].device_at - 1] == 0);
    // the silence at the handoff is the one in what the device output
    const double thing = static_cast<double>(*u[0].device_at) + u[0].word_offset_ms[1];
    const double here_end = static_cast<double>(*u[1].device_at + u[1].samples);
    CHECK(h.handoff_silence_ms == Approx(longest_silence_ms(r.device.output, kRate, thing, here_end)));
    CHECK(h.handoff_silence_ms < 2003 - 530);  // fewer samples went out than the system clock counted
}

TEST_CASE("speaker: done waits for the device to take every sample, even when its clock runs slow", "[speaker]") {
    Rig r;
    r.pull_every_ms = 25;  // 20 samples every 25 ms: the device's clock runs behind the system's
    r.speaker->begin_turn(on());
    r.speaker->set_turn_clock(0);
    const auto words = arrivals("one two three four five", 0, Origin::Device);  // 1,050 ms of audio
    r.run(words, 100);
    REQUIRE(r.speaker->utterances().size() == 1);
    const auto& u = r.speaker->utterances()[0];
    REQUIRE(u.started_ms);
    const double end = *u.started_ms + static_cast<double>(u.samples);  // by the device's clock, at 1 sample a ms
    r.run(words, end + 1);
    CHECK(r.device.taken < r.device.stream.size());  // by the system's clock it should be over, but it is not
    CHECK_FALSE(r.speaker->done());
    r.run(words, end + 600);
    CHECK(r.device.taken == r.device.stream.size());
    CHECK(r.speaker->done());
}

TEST_CASE("speaker: a word starts when the device plays it: its latency counts, the scheduling does not",
          "[speaker]") {
    Rig r;
    r.device.latency_ms = 120;
    r.speaker->begin_turn(on());
    r.speaker->set_turn_clock(0);
    r.run(arrivals("Hello there", 10, Origin::Device), 2000);
    REQUIRE(r.speaker->heard().words.size() == 2);
    CHECK(r.speaker->heard().words[0].start_ms == Approx(20 + 120));  // taken at 20, heard a buffer later
}

TEST_CASE("speaker: its clock is read when used, not at the frame's start", "[speaker]") {
    Rig r;
    r.voice.clock = &r.clock;
    r.voice.synth_ms = 70;  // each utterance takes 70 ms to synthesize
    r.speaker->begin_turn(on());
    r.speaker->set_turn_clock(0);
    r.run(arrivals("Hello there", 10, Origin::Device), 2000);
    // the frame at 16 ms synthesized until 86 ms: queued then, played from the next pull (100)
    CHECK(r.speaker->utterances()[0].queued_ms == Approx(86));
    CHECK(r.speaker->heard().words[0].start_ms == Approx(100));
}

TEST_CASE("speaker: no audio device, no voice or a broken voice: the turn runs on silently, status says why",
          "[speaker]") {
    SECTION("no device") {
        Rig r;
        r.device.refuse = "Audio target 'nope' not available";
        r.speaker->begin_turn(on());
        CHECK_FALSE(r.speaker->active());
        CHECK(r.speaker->status() == "speech off: no audio device (Audio target 'nope' not available)");
        r.speaker->set_turn_clock(0);
        r.run(arrivals("Hello there", 10, Origin::Device), 500);
        CHECK(r.voice.spoken.empty());
        CHECK(r.speaker->done());
        CHECK(r.speaker->state()["status"] == r.speaker->status());
    }
    SECTION("no such voice") {
        Rig r;
        r.refuse_voice = "eSpeak NG has no voice \"xx\"";
        r.speaker->begin_turn(on());
        CHECK_FALSE(r.speaker->active());
        CHECK(r.speaker->status() == "speech off: eSpeak NG has no voice \"xx\"");
        CHECK_FALSE(r.device.opened);
    }
    SECTION("the voice breaks mid-turn: what was queued plays out, nothing more is said") {
        Rig r;
        r.voice.fail_after = 1;
        r.speaker->begin_turn(on());
        r.speaker->set_turn_clock(0);
        r.run(arrivals("Sure thing", 50, Origin::Device) + arrivals("here", 2000, Origin::Cloud), 4000);
        CHECK(r.voice.spoken == std::vector<std::string>{"Sure thing"});
        CHECK(r.speaker->status() == "speech: the voice broke");
        CHECK(r.speaker->heard().words.size() == 2);
        CHECK(r.speaker->done());
    }
    SECTION("speaking off: nothing is made or opened") {
        Rig r;
        r.speaker->begin_turn(ui::SpeechSettings{});
        CHECK_FALSE(r.speaker->active());
        CHECK(r.speaker->status().empty());
        CHECK_FALSE(r.device.opened);
        CHECK(r.speaker->done());
    }
}

TEST_CASE("speaker: a new turn stops the last one's voice, and done waits for the audio to play out", "[speaker]") {
    Rig r;
    r.speaker->begin_turn(on());
    r.speaker->set_turn_clock(0);
    const auto words = arrivals("one two three four", 0, Origin::Device);
    r.run(words, 300);
    CHECK_FALSE(r.speaker->done());  // the turn is over (every word arrived) but the voice still speaks
    REQUIRE(r.device.stream.size() > r.device.taken);
    r.speaker->begin_turn(on());
    CHECK(r.device.stream.empty());  // the rest of the last turn was dropped
    CHECK(r.speaker->utterances().empty());
    CHECK(r.speaker->heard().words.empty());
    CHECK_FALSE(r.speaker->has_turn_clock());
}

TEST_CASE("speaker: the sidebar's speech controls and the script's watch view and spoken wait", "[speaker]") {
    ui::Controls c;
    REQUIRE(c.set("speak", "on") == "");
    REQUIRE(c.set("voice", "en-gb") == "");
    REQUIRE(c.set("speech_wpm", "180") == "");
    CHECK(c.set("speech_wpm", "9") == "speech_wpm: words per minute, 80..450");
    CHECK_FALSE(c.set("voice", "two words").empty());
    CHECK_FALSE(c.set("speak", "loud").empty());
    const ui::TurnRequest r = c.request("Why?", OpenerSource::Model);
    // heard, a rewrite cannot be struck through: it takes its spoken form ("Let me rephrase:")
    CHECK(r.config.correction.mode == PresentationMode::Speech);
    CHECK(r.config.opener.words_per_minute == Approx(180));
    CHECK(r.config.presenter.words_per_minute == Approx(c.pace_wpm));  // the text keeps its reading pace
    const ui::SpeechSettings s = c.speech_settings();
    CHECK(s.on);
    CHECK(s.voice == "en-gb");
    CHECK(s.words_per_minute == 180);
    const auto j = c.to_json();
    CHECK(j["speak"] == true);
    CHECK(j["voice"] == "en-gb");
    CHECK(j["presentation"] == "speech");
    REQUIRE(c.set("speak", "off") == "");
    CHECK(c.request("Why?", OpenerSource::Model).config.correction.mode == PresentationMode::Display);

    CHECK(ui::Script::parse("view watch\nwait spoken 90\nwait spoken\n").ok());
    CHECK_FALSE(ui::Script::parse("view wrist\n").ok());
}

TEST_CASE("speaker: a synthesizer that answers later is asked ahead of time, and speech still carries on without a gap",
          "[speaker]") {
    Rig r(120);  // each text's audio is back 120 ms after it was sent
    r.speaker->begin_turn(on());
    REQUIRE(r.speaker->active());
    r.speaker->set_turn_clock(0);
    const auto words = arrivals("Sure thing", 50, Origin::Device) + arrivals("here it is.", 300, Origin::Cloud);
    r.run(words, 3000);
    CHECK(r.voice.spoken == std::vector<std::string>{"Sure thing", "here it is."});
    const auto& u = r.speaker->utterances();
    REQUIRE(u.size() == 2);
    // sent at the first frame after 50 ms (64), back at the first frame after 184 (192), played from 200
    CHECK(u[0].queued_ms == Approx(192));
    CHECK(*u[0].started_ms == Approx(200));
    // 550 ms of opener: the cloud's words were sent once less than max(400, 2 x 128 ms) was left to play,
    // and their audio was queued before the opener ended, so it follows it exactly
    CHECK(u[1].queued_ms < 200 + 550);
    CHECK(u[1].queued_ms >= 200 + 550 - 400);
    CHECK(*u[1].started_ms == Approx(750));
    const SpeechTrack& h = r.speaker->heard();
    REQUIRE(h.words.size() == 5);
    CHECK(h.words[2].start_ms == Approx(750));
    CHECK(h.handoff_silence_ms == Approx(100));
    CHECK(r.played_silence(h.words[1].start_ms, h.words[2].end_ms) == Approx(100));
    check_words_against_output(r);
    CHECK(r.speaker->done());
    CHECK(r.speaker->status() == "");
}

TEST_CASE("speaker: a synthesizer that answers later with an error: silent from there on, status says why", "[speaker]") {
    Rig r(50);
    r.voice.fail_after = 0;
    r.speaker->begin_turn(on());
    r.speaker->set_turn_clock(0);
    r.run(arrivals("Sure thing", 50, Origin::Device), 1000, 500);
    CHECK(r.speaker->status() == "speech: the voice broke");
    CHECK(r.speaker->utterances().empty());
    CHECK(r.speaker->done());
}

TEST_CASE("speaker: a device that holds the sound back (the page before the first click): the words wait, then play",
          "[speaker]") {
    Rig r(40);
    r.device.hold = "click the page to hear it\xE2\x80\xA6";
    r.speaker->begin_turn(on());
    r.speaker->set_turn_clock(0);
    const auto words = arrivals("Sure thing", 50, Origin::Device) + arrivals("here", 300, Origin::Cloud);
    r.run(words, 1000);
    CHECK(r.speaker->status() == r.device.hold);
    REQUIRE(r.speaker->utterances().size() == 1);  // the opener waits in the device; nothing more is queued
    CHECK_FALSE(r.speaker->utterances()[0].started_ms.has_value());
    CHECK(r.speaker->heard().words.empty());
    CHECK_FALSE(r.speaker->done());
    r.device.hold.clear();  // the user clicked
    r.run(words, 4000);
    CHECK(r.speaker->status() == "");
    REQUIRE(r.speaker->utterances().size() == 2);
    CHECK(*r.speaker->utterances()[0].started_ms >= 1000);
    CHECK(r.speaker->heard().words.size() == 3);
    CHECK(r.speaker->done());
}

TEST_CASE("speaker: a platform can ask for the next utterance further ahead (the desktop: a second)", "[speaker]") {
    for (double answers_after : {-1.0, 100.0}) {  // at once, and on a worker
        CAPTURE(answers_after);
        Rig r(answers_after, 1000);
        r.speaker->begin_turn(on());
        r.speaker->set_turn_clock(0);
        // "Sure thing here we are" = 18 chars: 900 ms of sound + 100 ms tail; the cloud's words at 300
        r.run(arrivals("Sure thing here we are", 50, Origin::Device) + arrivals("next words", 300, Origin::Cloud), 4000);
        const auto& u = r.speaker->utterances();
        REQUIRE(u.size() == 2);
        REQUIRE(u[0].started_ms);
        const double opener_end = *u[0].started_ms + static_cast<double>(u[0].samples);
        CHECK(u[1].asked_ms <= opener_end - 700);  // asked about a second ahead, not 400 ms
        CHECK(*u[1].started_ms == Approx(opener_end));  // and still queued behind it, without a gap
        CHECK(r.speaker->heard().handoff_silence_ms == Approx(100));
    }
}
