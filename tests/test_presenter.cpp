#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/presenter.h"

using namespace headstart;

namespace {

constexpr double kForever = std::numeric_limits<double>::infinity();

PresenterConfig steady(double wpm = 200.0) {
    PresenterConfig c;
    c.words_per_minute = wpm;
    c.punctuation_pauses = false;
    return c;
}

std::vector<double> times(const std::vector<ShownWord>& shown) {
    std::vector<double> t;
    for (const ShownWord& w : shown) t.push_back(w.shown_ms);
    return t;
}

}  // namespace

TEST_CASE("presenter: the opener arrives at once and is shown at the reading pace", "[presenter]") {
    Presenter p(steady(200));  // 300 ms a word
    p.add_text("The best way to", 40, Origin::Device);
    const auto shown = p.advance(kForever);
    REQUIRE(shown.size() == 4);
    CHECK(times(shown) == std::vector<double>{40, 340, 640, 940});
    for (const ShownWord& w : shown) {
        CHECK(w.duration_ms == Approx(300));
        CHECK(w.origin == Origin::Device);
    }
    CHECK(shown[3].word == "to");
    CHECK(p.busy_until_ms() == Approx(1240));
}

TEST_CASE("presenter: a word is never shown before it arrived", "[presenter]") {
    Presenter p(steady(200));
    p.add_text("The best", 0, Origin::Device);
    p.add_word("learn", 2000, Origin::Cloud);  // the cloud is late: a stall
    p.add_word("it", 2050, Origin::Cloud);
    const auto shown = p.advance(kForever);
    CHECK(times(shown) == std::vector<double>{0, 300, 2000, 2300});
}

TEST_CASE("presenter: early cloud words queue behind the opener", "[presenter]") {
    Presenter p(steady(200));
    p.add_text("The best way to", 0, Origin::Device);
    p.add_word("learn", 500, Origin::Cloud);
    const auto shown = p.advance(kForever);
    REQUIRE(shown.size() == 5);
    CHECK(shown[4].shown_ms == Approx(1200));
    CHECK(shown[4].origin == Origin::Cloud);
}

TEST_CASE("presenter: advance shows only what is due, and late calls change nothing", "[presenter]") {
    Presenter p(steady(200));
    p.add_text("a b c d", 0, Origin::Device);
    CHECK(p.next_due_ms() == Approx(0));
    CHECK(p.advance(-1).empty());
    auto first = p.advance(299);
    REQUIRE(first.size() == 1);
    CHECK(p.next_due_ms() == Approx(300));
    CHECK(p.queued() == 3);
    auto rest = p.advance(10000);  // called very late: still the paced times
    CHECK(times(rest) == std::vector<double>{300, 600, 900});
    CHECK_FALSE(p.next_due_ms().has_value());

    // Many small steps and one big step give the same schedule.
    Presenter stepped(steady(173)), once(steady(173));
    for (Presenter* q : {&stepped, &once}) {
        q->add_text("one two three", 10, Origin::Device);
        q->add_word("four", 700, Origin::Cloud);
        q->add_word("five", 3000, Origin::Cloud);
    }
    std::vector<ShownWord> a;
    for (double t = 0; t < 5000; t += 7)
        for (ShownWord& w : stepped.advance(t)) a.push_back(w);
    const auto b = once.advance(kForever);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].shown_ms == Approx(b[i].shown_ms));
}

TEST_CASE("presenter: pace changes apply to words not shown yet", "[presenter]") {
    Presenter p(steady(200));
    p.add_text("a b c d", 0, Origin::Device);
    CHECK(p.advance(400).size() == 2);  // a at 0, b at 300 (busy until 600)
    p.set_config(steady(100));          // 600 ms a word from now on
    const auto rest = p.advance(kForever);
    CHECK(times(rest) == std::vector<double>{600, 1200});
    CHECK(rest[0].duration_ms == Approx(600));
}

TEST_CASE("presenter: punctuation pauses", "[presenter]") {
    PresenterConfig c;
    c.words_per_minute = 200;
    c.clause_pause_ms = 150;
    c.sentence_pause_ms = 350;
    CHECK(word_duration_ms("Hello,", c) == Approx(450));
    CHECK(word_duration_ms("done.", c) == Approx(650));
    CHECK(word_duration_ms("done.\"", c) == Approx(650));
    CHECK(word_duration_ms("why?", c) == Approx(650));
    CHECK(word_duration_ms("plain", c) == Approx(300));
    CHECK(word_duration_ms("\xE2\x80\x94", c) == Approx(150));  // a dash alone: just its pause
    CHECK(word_duration_ms("-", c) == Approx(150));
    c.punctuation_pauses = false;
    CHECK(word_duration_ms("done.", c) == Approx(300));
    CHECK(word_duration_ms("\xE2\x80\x94", c) == Approx(0));

    Presenter p(PresenterConfig{});
    p.add_text("Good question \xE2\x80\x94 the", 0, Origin::Fallback);
    const auto shown = p.advance(kForever);
    CHECK(times(shown) == std::vector<double>{0, 300, 600, 750});
}

TEST_CASE("presenter: no pacing shows each word as it arrives", "[presenter]") {
    Presenter p(steady(0));
    p.add_text("a b", 10, Origin::Device);
    p.add_word("c", 50, Origin::Cloud);
    const auto shown = p.advance(kForever);
    CHECK(times(shown) == std::vector<double>{10, 10, 50});
    for (const ShownWord& w : shown) CHECK(w.duration_ms == 0.0);
}

TEST_CASE("presenter: streamed text becomes words when whitespace ends them", "[presenter]") {
    Presenter p(steady(200));
    p.add_stream_text(" learn", 800, Origin::Cloud);
    CHECK(p.queued() == 0);  // "learn" may still become "learning"
    CHECK(p.has_pending_stream_word());
    p.add_stream_text("ing", 810, Origin::Cloud);
    p.add_stream_text(" is", 820, Origin::Cloud);
    CHECK(p.queued() == 1);
    p.add_stream_text(" fun.\n", 850, Origin::Cloud);
    CHECK(p.queued() == 3);
    p.add_stream_text("Really", 900, Origin::Cloud);
    p.end_stream(950);
    CHECK_FALSE(p.has_pending_stream_word());
    const auto shown = p.advance(kForever);
    REQUIRE(shown.size() == 4);
    CHECK(shown[0].word == "learning");
    CHECK(shown[0].shown_ms == Approx(820));
    CHECK(shown[1].word == "is");
    CHECK(shown[2].word == "fun.");
    CHECK(shown[3].word == "Really");
    CHECK(shown[3].shown_ms == Approx(1720));  // 820 + 3 * 300: arrived at 950, waits its turn
}

TEST_CASE("presenter: a change of origin completes the pending word", "[presenter]") {
    Presenter p(steady(200));
    p.add_stream_text("half", 0, Origin::Device);
    p.add_stream_text("word", 100, Origin::Cloud);
    p.end_stream(200);
    const auto shown = p.advance(kForever);
    REQUIRE(shown.size() == 2);
    CHECK(shown[0].word == "half");
    CHECK(shown[0].origin == Origin::Device);
    CHECK(shown[0].shown_ms == Approx(100));
    CHECK(shown[1].word == "word");
    CHECK(shown[1].origin == Origin::Cloud);
}

TEST_CASE("presenter: empty words and whitespace are ignored", "[presenter]") {
    Presenter p(steady(200));
    p.add_word("  ", 0, Origin::Device);
    p.add_text(" \n\t ", 0, Origin::Device);
    p.add_stream_text("   ", 0, Origin::Cloud);
    p.end_stream(10);
    CHECK(p.queued() == 0);
    CHECK(p.advance(kForever).empty());
    CHECK(p.busy_until_ms() == 0.0);
}

TEST_CASE("presenter: WordShown events feed the timeline's masked latency and stall", "[presenter]") {
    for (double cloud_ms : {800.0, 2000.0}) {
        Timeline t;
        t.add(EventKind::Request, 0);
        t.add(EventKind::Handoff, 41, "The best way to");
        t.add(EventKind::CloudRequestSent, 42);
        Presenter p(steady(200));
        p.add_text("The best way to", 41, Origin::Device);
        t.add(EventKind::ContinuationToken, cloud_ms, " learn");
        p.add_stream_text(" learn", cloud_ms, Origin::Cloud);
        t.add(EventKind::ContinuationToken, cloud_ms + 20, " by");
        p.add_stream_text(" by", cloud_ms + 20, Origin::Cloud);
        p.end_stream(cloud_ms + 30);
        p.advance(kForever, &t);

        int shown = 0;
        for (const Event& e : t.events())
            if (e.kind == EventKind::WordShown) ++shown;
        CHECK(shown == 6);
        const TurnMetrics m = t.metrics();
        REQUIRE(m.perceived_first_word_ms);
        CHECK(*m.perceived_first_word_ms == Approx(41));
        if (cloud_ms < 1000) {
            CHECK(m.stall_ms == Approx(0));          // opener busy until 1241, "learn" ready at 820
            CHECK(m.masked_ms == Approx(800 - 42));  // the wait [42, 800] inside the shown opener [41, 1241]
            CHECK(m.words_before_cloud == 3);
        } else {
            CHECK(m.stall_ms == Approx(2020 - 1241));  // "learn" is complete only when " by" arrives
            CHECK(m.masked_ms == Approx(1241 - 42));
        }
    }
}

TEST_CASE("presenter: schedule_words and validation", "[presenter]") {
    const auto shown = schedule_words({{"a", 0, Origin::Device}, {"b", 1000, Origin::Cloud}}, steady(60));
    CHECK(times(shown) == std::vector<double>{0, 1000});
    CHECK(shown[0].duration_ms == Approx(1000));

    CHECK(validate(PresenterConfig{}).ok());
    PresenterConfig bad;
    bad.words_per_minute = std::numeric_limits<double>::quiet_NaN();
    CHECK_FALSE(validate(bad).ok());
    bad = PresenterConfig{};
    bad.clause_pause_ms = -1;
    CHECK(validate(bad).error().find("pauses") != std::string::npos);
}

TEST_CASE("presenter: the words arrived but not shown yet are there to speak, with their arrival", "[presenter]") {
    Presenter p(steady(200));  // 300 ms a word
    p.add_text("Sure thing here", 50, Origin::Device);
    p.add_stream_text("it is", 120, Origin::Cloud);  // "is" is unfinished: it has not arrived yet
    p.advance(50);
    REQUIRE(p.queued_words().size() == 3);  // "Sure" shown; "thing", "here", "it" wait
    CHECK(p.queued_words()[0].word == "thing");
    CHECK(p.queued_words()[0].arrived_ms == 50);
    CHECK(p.queued_words()[2].word == "it");
    CHECK(p.queued_words()[2].arrived_ms == 120);
    CHECK(p.queued_words()[2].origin == Origin::Cloud);
    p.advance(kForever);
    CHECK(p.queued_words().empty());
}
