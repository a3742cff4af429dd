// tests/test_study.cpp — the study's pure parts (core/study.h): recording and replaying a turn,
// balanced pair orders, ratings as preferences, Wilson intervals, the summary, CSV and JSON.
#include <catch2/catch.hpp>

#include "core/study.h"

using namespace headstart;

namespace {

Timeline shown(std::initializer_list<std::pair<const char*, double>> words, Origin origin, double t0 = 0) {
    Timeline t;
    t.add(EventKind::Request, t0, "q");
    for (const auto& [w, at] : words) t.add_word_shown(t0 + at, w, 300, origin);
    return t;
}

StudyTrial trial(bool headstart_is_a, Rating rating, double h_first = 60, double c_first = 1200) {
    StudyTrial t;
    t.participant = "p1";
    t.question = "How do I brew tea?";
    t.headstart_is_a = headstart_is_a;
    t.rating = rating;
    RecordedTurn h = record_turn(shown({{"Start", h_first}, {"with", h_first + 300}}, Origin::Device),
                                 Condition::Headstart, "continue");
    RecordedTurn c = record_turn(shown({{"Boil", c_first}}, Origin::Cloud), Condition::CloudOnly, "");
    t.a = headstart_is_a ? h : c;
    t.b = headstart_is_a ? c : h;
    return t;
}

}  // namespace

TEST_CASE("study: a recorded turn keeps the shown words at their real times", "[study]") {
    Timeline t = shown({{"Hello", 40}, {"there", 340}}, Origin::Device, /*t0=*/1000);
    t.add(EventKind::CloudFailed, 1500, "timeout");
    const RecordedTurn r = record_turn(t, Condition::Headstart, "gate");
    REQUIRE(r.words.size() == 2);
    CHECK(r.words[0].shown_ms == Approx(40));  // relative to the Request
    CHECK(r.words[1].word == "there");
    CHECK(r.failed);
    CHECK(r.path == "gate");
    CHECK(*r.first_word_ms() == Approx(40));
    CHECK(r.end_ms() == Approx(640));
    CHECK(r.text() == "Hello there");
}

TEST_CASE("study: a replay shows exactly the words due by then", "[study]") {
    const RecordedTurn r =
        record_turn(shown({{"a", 100}, {"b", 400}, {"c", 700}}, Origin::Cloud), Condition::CloudOnly, "");
    CHECK(words_due(r, 0) == 0);
    CHECK(words_due(r, 99.9) == 0);
    CHECK(words_due(r, 100) == 1);
    CHECK(words_due(r, 650) == 2);
    CHECK(words_due(r, 1e9) == 3);
    CHECK_FALSE(RecordedTurn{}.first_word_ms());
}

TEST_CASE("study: pair orders are balanced in blocks of two and reproducible", "[study]") {
    for (std::uint64_t seed : {0ull, 1ull, 42ull, 0xFFFFFFFFFFFFFFFFull}) {
        int headstart_first = 0;
        for (int i = 0; i < 40; i += 2) {
            CHECK(headstart_is_a(seed, i) != headstart_is_a(seed, i + 1));
            headstart_first += headstart_is_a(seed, i);
        }
        CHECK(headstart_first > 0);   // not always the same order ...
        CHECK(headstart_first < 20);  // ... in 20 blocks
        CHECK(headstart_is_a(seed, 7) == headstart_is_a(seed, 7));
    }
    // Different seeds give different sessions.
    int differ = 0;
    for (int i = 0; i < 40; i += 2) differ += headstart_is_a(1, i) != headstart_is_a(2, i);
    CHECK(differ > 0);
}

TEST_CASE("study: a rating becomes a preference between the conditions", "[study]") {
    CHECK(preference(trial(true, Rating::ABetter)) == Preference::Headstart);
    CHECK(preference(trial(false, Rating::ABetter)) == Preference::CloudOnly);
    CHECK(preference(trial(true, Rating::BBetter)) == Preference::CloudOnly);
    CHECK(preference(trial(false, Rating::BBetter)) == Preference::Headstart);
    CHECK(preference(trial(false, Rating::Equivalent)) == Preference::Equivalent);
    CHECK(rating_from_name("a") == Rating::ABetter);
    CHECK(rating_from_name("equivalent") == Rating::Equivalent);
    CHECK_FALSE(rating_from_name("maybe"));
}

TEST_CASE("study: Wilson intervals match reference values", "[study]") {
    // Reference values from the closed form (e.g. statsmodels proportion_confint(method="wilson")).
    const Proportion p = wilson_interval(8, 10);
    CHECK(p.p == Approx(0.8));
    CHECK(p.lo == Approx(0.4902).margin(1e-4));
    CHECK(p.hi == Approx(0.9433).margin(1e-4));
    const Proportion all = wilson_interval(10, 10);
    CHECK(all.hi == Approx(1.0));
    CHECK(all.lo == Approx(0.7225).margin(1e-4));
    const Proportion none = wilson_interval(0, 5);
    CHECK(none.lo == Approx(0.0));
    CHECK(none.hi == Approx(0.4345).margin(1e-4));
    const Proportion empty = wilson_interval(0, 0);
    CHECK(empty.n == 0);
    CHECK(empty.lo == 0.0);
    CHECK(empty.hi == 1.0);
    CHECK(wilson_interval(7, 5).count == 5);  // clamped
    const Proportion wide = wilson_interval(1, 2);
    CHECK(wide.lo > 0.0);
    CHECK(wide.hi < 1.0);
}

TEST_CASE("study: the summary counts preferences and mean first-word latencies", "[study]") {
    const std::vector<StudyTrial> trials = {trial(true, Rating::ABetter, 50, 1000),
                                            trial(false, Rating::BBetter, 70, 1400), trial(true, Rating::Equivalent),
                                            trial(false, Rating::ABetter)};
    const StudySummary s = summarize(trials);
    CHECK(s.n == 4);
    CHECK(s.headstart.count == 2);
    CHECK(s.equivalent.count == 1);
    CHECK(s.cloud_only.count == 1);
    CHECK(s.headstart_at_least_as_good.count == 3);
    CHECK(s.headstart.p == Approx(0.5));
    REQUIRE(s.mean_first_word_headstart_ms);
    CHECK(*s.mean_first_word_headstart_ms == Approx((50 + 70 + 60 + 60) / 4.0));
    CHECK(*s.mean_first_word_cloud_only_ms == Approx((1000 + 1400 + 1200 + 1200) / 4.0));
    const StudySummary none = summarize({});
    CHECK(none.n == 0);
    CHECK_FALSE(none.mean_first_word_headstart_ms);
}

TEST_CASE("study: CSV fields are quoted and defused", "[study]") {
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("two\nlines") == "\"two\nlines\"");
    CHECK(csv_field("=SUM(A1)") == "'=SUM(A1)");
    CHECK(csv_field("") == "");
}

TEST_CASE("study: the CSV has a header and one row per trial", "[study]") {
    StudyTrial t = trial(false, Rating::BBetter);
    t.question = "Tea, or \"coffee\"?";
    t.created_at = "2024-05-01T10:00:00Z";
    t.index = 3;
    const std::string csv = study_csv({t});
    const auto first_end = csv.find("\r\n");
    REQUIRE(first_end != std::string::npos);
    CHECK(csv.substr(0, first_end).rfind("created_at,participant,trial,question,a,b,rating,preferred,", 0) == 0);
    const std::string row = csv.substr(first_end + 2);
    CHECK(row ==
          "2024-05-01T10:00:00Z,p1,3,\"Tea, or \"\"coffee\"\"?\",cloud_only,headstart,b_better,headstart,"
          "60.0,1200.0,continue,Start with,Boil,0.0\r\n");
}

TEST_CASE("study: a trial survives JSON unchanged", "[study]") {
    StudyTrial t = trial(true, Rating::ABetter);
    t.question = "Ünïcode — “quotes”";
    t.decision_ms = 1234.5;
    t.a.words[0].origin = Origin::Fallback;
    auto back = trial_from_json(to_json(t));
    REQUIRE(back.ok());
    CHECK(back->question == t.question);
    CHECK(back->rating == Rating::ABetter);
    CHECK(back->headstart_is_a);
    CHECK(back->decision_ms == Approx(1234.5));
    REQUIRE(back->a.words.size() == 2);
    CHECK(back->a.words[0].origin == Origin::Fallback);
    CHECK(back->a.words[1].shown_ms == Approx(360));
    CHECK(back->b.condition == Condition::CloudOnly);
    CHECK(to_json(*back) == to_json(t));

    CHECK_FALSE(trial_from_json("not json").ok());
    // an index out of int's range (found by fuzz_study: the cast was undefined) or not whole
    for (const char* index : {"4e15", "-1", "2.5"}) {
        INFO(index);
        std::string text = to_json(t);
        const auto at = text.find("\"index\":") + 8;
        text.replace(at, text.find(',', at) - at, index);
        CHECK_FALSE(trial_from_json(text).ok());
    }
    CHECK_FALSE(trial_from_json("{\"rating\":\"a_better\"}").ok());  // no turns
    CHECK_FALSE(trial_from_json("{\"rating\":\"a_better\",\"question\":5,\"a\":{},\"b\":{}}").ok());
}

TEST_CASE("study: a recorded rewrite keeps its struck opener and the retraction time", "[study]") {
    Timeline t = shown({{"The", 10}, {"best", 310}, {"Boil", 900}, {"water.", 1200}}, Origin::Device);
    t.add(EventKind::Verdict, 700, "rewrite (tag [[rewrite]])");
    CorrectedAnswer a;
    a.path = CorrectionPath::RetractAndReplace;
    a.segments = {Segment{"The best", SegmentStyle::Struck, Origin::Device},
                  Segment{"way", SegmentStyle::Cut, Origin::Device},  // never shown: skipped
                  Segment{" Boil water.", SegmentStyle::Normal, Origin::Cloud}};
    const RecordedTurn r = record_turn(t, Condition::Headstart, "rewrite", &a);
    REQUIRE(r.words.size() == 4);
    CHECK(r.words[0].style == SegmentStyle::Struck);
    CHECK(r.words[1].style == SegmentStyle::Struck);
    CHECK(r.words[2].style == SegmentStyle::Normal);
    CHECK(r.retract_ms == Approx(700));
    StudyTrial tr = trial(true, Rating::ABetter);
    tr.a = r;
    auto back = trial_from_json(to_json(tr));
    REQUIRE(back.ok());
    CHECK(back->a.words[1].style == SegmentStyle::Struck);
    CHECK(back->a.retract_ms == Approx(700));
    CHECK(back->b.retract_ms < 0);
}

TEST_CASE("study: answer words split as the presenter splits them", "[study]") {
    CorrectedAnswer a;
    a.segments = {Segment{"Sure \xE2\x80\x94", SegmentStyle::Normal, Origin::Device},
                  Segment{" \xE2\x80\x94 actually, ", SegmentStyle::Bridge, Origin::Cloud},
                  Segment{"tea\xC2\xA0then", SegmentStyle::Normal, Origin::Cloud}};  // NBSP is White_Space
    const auto w = answer_words(a);
    REQUIRE(w.size() == 6);
    CHECK(w[1].text == "\xE2\x80\x94");
    CHECK(w[3].text == "actually,");
    CHECK(w[3].style == SegmentStyle::Bridge);
    CHECK(w[5].text == "then");
}
