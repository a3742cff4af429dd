#include <catch2/catch.hpp>

#include "core/timeline.h"

using namespace headstart;

namespace {

// A turn with a 300 ms word pace: the opener "The best way to" is generated in 40 ms and shown
// from 50 ms; the cloud answers at `cloud_first_token_ms`.
Timeline scripted_turn(double cloud_first_token_ms) {
    Timeline t;
    t.add(EventKind::Request, 0);
    t.add(EventKind::PrefillDone, 8);
    t.add(EventKind::OpenerToken, 10, "The");
    t.add(EventKind::OpenerToken, 20, " best");
    t.add(EventKind::OpenerToken, 30, " way");
    t.add(EventKind::OpenerToken, 40, " to");
    t.add(EventKind::Handoff, 41, "The best way to");
    t.add(EventKind::CloudRequestSent, 42);
    const char* words[] = {"The", "best", "way", "to"};
    for (int i = 0; i < 4; ++i) t.add_word_shown(50 + 300 * i, words[i], 300, Origin::Device);
    t.add(EventKind::CloudFirstByte, cloud_first_token_ms - 5);
    t.add(EventKind::Verdict, cloud_first_token_ms - 1, "continue");
    t.add(EventKind::ContinuationToken, cloud_first_token_ms, " learn");
    const double next_word = std::max(cloud_first_token_ms, 1250.0);
    t.add_word_shown(next_word, "learn", 300, Origin::Cloud);
    t.add(EventKind::CloudDone, next_word + 10);
    return t;
}

}  // namespace

TEST_CASE("timeline: local metrics come from the opener events", "[timeline]") {
    const TurnMetrics m = scripted_turn(800).metrics();
    REQUIRE(m.local_ttft_ms);
    CHECK(*m.local_ttft_ms == Approx(10));
    // "The best way to": the fourth word is complete only at the handoff.
    REQUIRE(m.time_to_4_words_ms);
    CHECK(*m.time_to_4_words_ms == Approx(41));
    REQUIRE(m.perceived_first_word_ms);
    CHECK(*m.perceived_first_word_ms == Approx(50));
    CHECK(m.path == "continue");
    CHECK_FALSE(m.failed);
}

TEST_CASE("timeline: a cloud faster than the opener is fully masked, no stall", "[timeline]") {
    const TurnMetrics m = scripted_turn(800).metrics();
    REQUIRE(m.cloud_ttft_ms);
    CHECK(*m.cloud_ttft_ms == Approx(758));
    // Wait [42, 800] overlaps the shown opener [50, 1250] over [50, 800].
    CHECK(m.masked_ms == Approx(750));
    CHECK(m.stall_ms == Approx(0));
    CHECK(m.words_before_cloud == 3);  // words at 50, 350, 650 precede 800
}

TEST_CASE("timeline: a cloud slower than the opener leaves a stall", "[timeline]") {
    const TurnMetrics m = scripted_turn(2000).metrics();
    CHECK(m.masked_ms == Approx(1200));  // [50, 1250]
    CHECK(m.stall_ms == Approx(750));    // 1250 -> 2000
    CHECK(m.words_before_cloud == 4);
}

TEST_CASE("timeline: four complete words inside the stream", "[timeline]") {
    Timeline t;
    t.add(EventKind::Request, 100);
    const char* pieces[] = {"Yes", ",", " you", " can", " do", " it"};
    for (int i = 0; i < 6; ++i) t.add(EventKind::OpenerToken, 100 + 5 * (i + 1), pieces[i]);
    // "Yes, you can do" — the fourth word "do" is complete when " it" starts the fifth.
    REQUIRE(t.metrics().time_to_4_words_ms);
    CHECK(*t.metrics().time_to_4_words_ms == Approx(30));
}

TEST_CASE("timeline: a failed cloud is recorded and its wait ends at the failure", "[timeline]") {
    Timeline t;
    t.add(EventKind::Request, 0);
    t.add(EventKind::OpenerToken, 12, "Sure");
    t.add(EventKind::Handoff, 13, "Sure");
    t.add(EventKind::CloudRequestSent, 14);
    t.add_word_shown(20, "Sure", 300, Origin::Device);
    t.add(EventKind::CloudFailed, 200, "connection refused");
    t.add_word_shown(320, "(offline)", 300, Origin::Fallback);
    const TurnMetrics m = t.metrics();
    CHECK(m.failed);
    CHECK_FALSE(m.cloud_ttft_ms);
    CHECK_FALSE(m.time_to_4_words_ms);
    CHECK(m.masked_ms == Approx(180));  // [20, 200]
    CHECK(m.stall_ms == Approx(0));     // the fallback follows the opener's slot directly
    CHECK(m.words_before_cloud == 1);
}

TEST_CASE("timeline: an empty turn has no metrics", "[timeline]") {
    const TurnMetrics m = Timeline{}.metrics();
    CHECK_FALSE(m.local_ttft_ms);
    CHECK_FALSE(m.perceived_first_word_ms);
    CHECK(m.masked_ms == 0);
    CHECK(m.path.empty());
}

TEST_CASE("timeline: the masked and stall spans are where the metrics say", "[timeline]") {
    const Timeline slow = scripted_turn(2000);
    REQUIRE(slow.masked_span());
    CHECK(slow.masked_span()->from_ms == Approx(50));
    CHECK(slow.masked_span()->to_ms == Approx(1250));
    REQUIRE(slow.stall_span());
    CHECK(slow.stall_span()->from_ms == Approx(1250));
    CHECK(slow.stall_span()->to_ms == Approx(2000));
    const Timeline fast = scripted_turn(800);
    CHECK_FALSE(fast.stall_span());
    CHECK(fast.masked_span()->length() == Approx(fast.metrics().masked_ms));
    CHECK_FALSE(Timeline{}.masked_span());
}
