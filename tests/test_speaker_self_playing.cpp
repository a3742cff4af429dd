// ui/speaker.h's second path: a voice that plays the text itself and reports events (the page's Web Speech API,
// voice "browser" / "browser:LANG"). A scripted voice plays each text 50 ms a character and 100 ms of tail,
// queued behind what it plays with a 100 ms pause between two, and reports start, a boundary at each word (or
// none) and end at exactly those times (the tail makes the boundaries differ from a spread by characters); the app ticks the speaker every 16 ms. No samples, no audio device: the words heard and the
// silence at the handoff come from the events.
#include <catch2/catch.hpp>

#include "tests/speech_words.h"
#include "ui/controls.h"
#include "ui/speaker.h"

using namespace headstart;
using namespace speech_words;  // arrivals(), +

namespace {

struct ScriptedVoice final : ui::SelfPlayingVoice {
    const double* clock = nullptr;
    double ms_per_char = 50, tail_ms = 100, pause_ms = 100;
    bool boundaries = true;           // word (boundary) events; false: start and end only
    int fail_from = -1;               // this utterance (0-based) and later ones end in an error event
    bool stale_after_cancel = false;  // a voice that still reports one old event after cancel()
    std::string hold;                 // held(): what is spoken meanwhile waits, and starts at release()
    std::vector<std::pair<int, std::string>> deferred;
    std::vector<std::string> spoken;
    std::vector<double> spoken_at;
    int cancels = 0;
    std::vector<ui::VoiceEvent> pending;  // not reported yet, in time order
    double free_at = 0;                   // when what is queued has played

    void speak(int id, const std::string& text) override {
        spoken.push_back(text);
        spoken_at.push_back(*clock);
        if (!hold.empty()) return deferred.push_back({id, text});
        play(id, text);
    }
    void release() {  // the user clicked
        hold.clear();
        for (const auto& [id, text] : deferred) play(id, text);
        deferred.clear();
    }
    void play(int id, const std::string& text) {
        double start = std::max(*clock, free_at > 0 ? free_at + pause_ms : 0.0);
        using K = ui::VoiceEvent::Kind;
        if (fail_from >= 0 && static_cast<int>(spoken.size()) > fail_from) {
            pending.push_back({id, K::Error, 0, start, "synthesis-failed"});
            free_at = start;
            return;
        }
        pending.push_back({id, K::Start, 0, start, ""});
        if (boundaries)
            for (size_t i = 0; i < text.size(); ++i)
                if (text[i] != ' ' && (i == 0 || text[i - 1] == ' '))
                    pending.push_back({id, K::Word, i, start + ms_per_char * static_cast<double>(i), ""});
        free_at = start + ms_per_char * static_cast<double>(text.size()) + tail_ms;
        pending.push_back({id, K::End, 0, free_at, ""});
    }
    void cancel() override {
        ++cancels;
        if (stale_after_cancel && !pending.empty()) pending = {pending.back()};
        else pending.clear();
        free_at = 0;
    }
    std::vector<ui::VoiceEvent> drain() override {
        std::vector<ui::VoiceEvent> out;
        while (!pending.empty() && (pending.front().clock_ms <= *clock)) {
            out.push_back(pending.front());
            pending.erase(pending.begin());
        }
        return out;
    }
    std::string held() const override { return hold; }
};

struct Rig {
    double clock = 0;
    ScriptedVoice* voice = nullptr;  // owned by the speaker
    std::string refuse;              // make_self_playing fails with this
    int made = 0;
    std::unique_ptr<ui::Speaker> speaker;
    explicit Rig(bool self_playing_platform = true) {
        ui::SpeechPlatform p;
        p.clock_ms = [this] { return clock; };
        if (self_playing_platform)
            p.make_self_playing = [this](const ui::SpeechSettings&) -> Result<std::unique_ptr<ui::SelfPlayingVoice>> {
                if (!refuse.empty()) return Error{refuse};
                auto v = std::make_unique<ScriptedVoice>();
                v->clock = &clock;
                voice = v.get();
                ++made;
                return std::unique_ptr<ui::SelfPlayingVoice>(std::move(v));
            };
        speaker = std::make_unique<ui::Speaker>(p);
    }
    void run(const std::vector<WordArrival>& words, double end_ms) {
        for (double t = clock; t <= end_ms; t += 1) {
            clock = t;
            if (static_cast<long>(t) % 16 != 0) continue;
            std::vector<WordArrival> arrived;
            for (const auto& w : words)
                if (w.arrived_ms <= clock) arrived.push_back(w);
            speaker->update(arrived, arrived.size() == words.size());
        }
    }
};

ui::SpeechSettings browser(const std::string& voice = "browser") {
    ui::SpeechSettings s;
    s.on = true;
    s.voice = voice;
    return s;
}

}  // namespace

TEST_CASE("self-playing voice: the opener is one utterance, the cloud's queued ahead, words timed by boundaries",
          "[speaker][self_playing]") {
    Rig r;
    r.speaker->begin_turn(browser("browser:en-GB"));
    REQUIRE(r.speaker->active());
    REQUIRE(r.speaker->timed_by_events());
    r.speaker->set_turn_clock(0);
    const auto words = arrivals("Sure thing", 50, Origin::Device) + arrivals("here it is.", 300, Origin::Cloud);
    r.run(words, 3000);
    REQUIRE(r.voice);
    // the opener at the first frame after it arrived (64); the cloud's words once the opener had reached its
    // last word ("thing" at 64 + 250 = 314, seen at the frame at 320), queued behind it while it still played
    CHECK(r.voice->spoken == std::vector<std::string>{"Sure thing", "here it is."});
    CHECK(r.voice->spoken_at == std::vector<double>{64, 320});
    const SpeechTrack& h = r.speaker->heard();
    REQUIRE(h.words.size() == 5);
    CHECK(h.samples.empty());
    CHECK(h.words[0].word == "Sure");
    CHECK(h.words[0].start_ms == Approx(64));
    CHECK(h.words[0].end_ms == Approx(314));
    CHECK(h.words[1].start_ms == Approx(314));
    CHECK(h.words[1].end_ms == Approx(664));  // the utterance's end (after its tail)
    // the voice's own 100 ms pause, then the cloud's: here (764) it (1014) is. (1164) .. end 1414
    CHECK(h.words[2].origin == Origin::Cloud);
    CHECK(h.words[2].start_ms == Approx(764));
    CHECK(h.words[3].start_ms == Approx(1014));
    CHECK(h.words[4].start_ms == Approx(1164));
    CHECK(h.words[4].end_ms == Approx(1414));
    CHECK(h.utterances == 2);
    CHECK(h.handoff_silence_ms == Approx(100));  // the end of "Sure thing" to the start of "here"
    CHECK(r.speaker->done());
    CHECK(r.speaker->word_index_at(800) == 2);
    const auto j = r.speaker->state();
    CHECK(j["timed_by"] == "events");
    CHECK(j["handoff_silence_ms"].get<double>() == Approx(100));
    CHECK(j["duration_ms"].get<double>() == Approx(1414));
    CHECK(j["utterances"][0]["boundaries"] == 2);
    CHECK(j["utterances"][1]["ended_ms"].get<double>() == Approx(1414));
    CHECK(j["utterances"][1]["word_offset_ms"] == std::vector<double>{0, 250, 400});
    CHECK(j["status"] == "");
}

TEST_CASE("self-playing voice: without boundary events, words start from the start event and are spread once it ends",
          "[speaker][self_playing]") {
    Rig r;
    r.speaker->begin_turn(browser());
    REQUIRE(r.voice);
    r.voice->boundaries = false;
    r.speaker->set_turn_clock(0);
    const auto words = arrivals("Sure thing", 50, Origin::Device) + arrivals("here it is.", 300, Origin::Cloud);
    r.run(words, 400);
    // playing, not ended: only its first word is placed (at the start event)
    REQUIRE(r.speaker->heard().words.size() == 1);
    CHECK(r.speaker->heard().words[0].start_ms == Approx(64));
    CHECK_FALSE(r.speaker->done());
    r.run(words, 3000);
    // queued ahead by the rate (60 % of 11/6 words at 165 wpm = 400 ms after its start: the frame at 464)
    REQUIRE(r.voice->spoken.size() == 2);
    CHECK(r.voice->spoken_at[1] == Approx(464));
    const SpeechTrack& h = r.speaker->heard();
    REQUIRE(h.words.size() == 5);
    CHECK(h.words[1].start_ms == Approx(64 + 600.0 * 5 / 10));  // "thing" is 5 of its 10 characters in
    CHECK(h.words[3].start_ms == Approx(764 + 650.0 * 5 / 11));
    CHECK(h.words[4].end_ms == Approx(1414));
    CHECK(h.handoff_silence_ms == Approx(100));
    CHECK(r.speaker->state()["utterances"][0]["boundaries"] == 0);
    CHECK(r.speaker->done());
}

TEST_CASE("self-playing voice: a late cloud leaves the silence between the opener's end and its first word",
          "[speaker][self_playing]") {
    Rig r;
    r.speaker->begin_turn(browser());
    r.speaker->set_turn_clock(0);
    r.run(arrivals("Sure thing", 50, Origin::Device) + arrivals("here", 2003, Origin::Cloud), 4000);
    REQUIRE(r.voice->spoken_at.size() == 2);
    CHECK(r.voice->spoken_at[1] == Approx(2016));  // idle: at the first frame after it arrived
    const SpeechTrack& h = r.speaker->heard();
    REQUIRE(h.words.size() == 3);
    CHECK(h.words[2].start_ms == Approx(2016));
    CHECK(h.handoff_silence_ms == Approx(2016 - 664));
}

TEST_CASE("self-playing voice: an error event: silent from there on, the status says why", "[speaker][self_playing]") {
    Rig r;
    r.speaker->begin_turn(browser());
    r.voice->fail_from = 1;
    r.speaker->set_turn_clock(0);
    r.run(arrivals("Sure thing", 50, Origin::Device) + arrivals("here it is", 300, Origin::Cloud) +
              arrivals("and more words", 1500, Origin::Cloud),
          4000);
    CHECK(r.voice->spoken == std::vector<std::string>{"Sure thing", "here it is"});  // nothing after the error
    CHECK(r.speaker->status() == "speech: synthesis-failed");
    CHECK(r.voice->cancels >= 2);  // at the turn's start, and at the error
    CHECK(r.speaker->heard().words.size() == 2);
    CHECK(r.speaker->done());
}

TEST_CASE("self-playing voice: a new turn cancels the last one's, and its late events are ignored",
          "[speaker][self_playing]") {
    Rig r;
    r.speaker->begin_turn(browser());
    r.speaker->set_turn_clock(0);
    r.run(arrivals("one two three four", 0, Origin::Device), 300);
    REQUIRE(r.voice->spoken.size() == 1);
    CHECK_FALSE(r.speaker->done());
    r.voice->stale_after_cancel = true;  // its end event still comes (at 0 + 18 x 50 + 100 = 1000)
    const int cancels = r.voice->cancels;
    r.speaker->begin_turn(browser());
    CHECK(r.made == 1);  // the same voice, kept
    CHECK(r.voice->cancels > cancels);
    CHECK(r.speaker->utterances().empty());
    CHECK(r.speaker->heard().words.empty());
    r.clock = 1100;  // past the old end
    r.speaker->set_turn_clock(0);
    r.run(arrivals("Hi", 1110, Origin::Device), 1600);
    REQUIRE(r.speaker->utterances().size() == 1);
    CHECK(r.speaker->utterances()[0].text == "Hi");
    CHECK(r.speaker->heard().words.size() == 1);
    CHECK(r.speaker->done());
    r.speaker->stop();
    CHECK(r.voice->cancels > cancels + 1);
}

TEST_CASE("self-playing voice: held until the user's first click, then it plays", "[speaker][self_playing]") {
    Rig r;
    r.speaker->begin_turn(browser());
    r.voice->hold = "click the page to hear it\xE2\x80\xA6";
    r.speaker->set_turn_clock(0);
    const auto words = arrivals("Sure thing", 50, Origin::Device) + arrivals("here", 300, Origin::Cloud);
    r.run(words, 1000);
    CHECK(r.speaker->status() == r.voice->hold);
    CHECK(r.voice->spoken.size() == 1);  // the opener waits in the voice; nothing more is queued
    CHECK(r.speaker->heard().words.empty());
    r.voice->release();  // at 1000
    r.run(words, 4000);
    CHECK(r.voice->spoken.size() == 2);
    CHECK(r.speaker->status() == "");
    CHECK(r.speaker->heard().words.size() == 3);
    CHECK(r.speaker->heard().words[0].start_ms == Approx(1000));
    CHECK(r.speaker->done());
}

TEST_CASE("self-playing voice: no voice in the browser, or none on this platform: silent, and the status says why",
          "[speaker][self_playing]") {
    SECTION("the browser has no Web Speech voices") {
        Rig r;
        r.refuse = "this browser has no Web Speech voices \xE2\x80\x94 use an eSpeak NG voice such as en-us";
        r.speaker->begin_turn(browser());
        CHECK_FALSE(r.speaker->active());
        CHECK(r.speaker->status() == "speech off: " + r.refuse);
        r.speaker->set_turn_clock(0);
        r.run(arrivals("Hello there", 10, Origin::Device), 500);
        CHECK(r.speaker->done());
    }
    SECTION("the desktop: no self-playing voice") {
        Rig r(false);
        r.speaker->begin_turn(browser("browser:en-GB"));
        CHECK_FALSE(r.speaker->active());
        CHECK(r.speaker->status().find("use an eSpeak NG voice such as en-us") != std::string::npos);
    }
    SECTION("the names") {
        CHECK(ui::plays_itself("browser"));
        CHECK(ui::plays_itself("browser:en-GB"));
        CHECK_FALSE(ui::plays_itself("en-us"));
        CHECK_FALSE(ui::plays_itself("browsers"));
        ui::Controls c;
        CHECK(c.set("voice", "browser") == "");
        CHECK(c.set("voice", "browser:en-GB") == "");
        CHECK(c.speech_settings().voice == "browser:en-GB");
        CHECK_FALSE(c.set("voice", "browser:").empty());
        CHECK(c.set("voice", "en-us") == "");
    }
}
