#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/correction.h"

using namespace headstart;

namespace {

std::vector<WordConfidence> confidences(const std::vector<std::pair<const char*, double>>& words) {
    std::vector<WordConfidence> out;
    for (const auto& [w, lp] : words) out.push_back(WordConfidence{w, lp, 1.0});
    return out;
}

std::string texts_of(const CorrectedAnswer& a, SegmentStyle style) {
    std::string s;
    for (const Segment& seg : a.segments)
        if (seg.style == style) s += seg.text;
    return s;
}

bool mentions_blame(const std::string& s) {
    for (const char* w : {"wrong", "incorrect", "mistake", "sorry", "Sorry", "Wrong"})
        if (s.find(w) != std::string::npos) return true;
    return false;
}

CorrectionInput input(const std::string& opener, Verdict v, const std::string& cloud, bool done = true) {
    CorrectionInput in;
    in.gate = pass_through_gate(opener);
    in.verdict = v;
    in.cloud_text = cloud;
    in.cloud_done = done;
    return in;
}

const std::string kOpener = "The capital of Australia is Sydney";

}  // namespace

// ---- Method 1 --------------------------------------------------------------------------------

TEST_CASE("correction: the gate passes a confident opener untouched", "[correction]") {
    const auto g = apply_confidence_gate("The best way to",
                                         confidences({{"The", -0.1}, {"best", -0.5}, {"way", -0.2}, {"to", -0.1}}),
                                         ConfidenceGateConfig{});
    REQUIRE(g.ok());
    CHECK_FALSE(g->fired);
    CHECK(g->opener == "The best way to");
    CHECK(g->cut.empty());
    CHECK(g->kept_words == 4);
    CHECK(g->why.find("all 4 words confident") != std::string::npos);
}

TEST_CASE("correction: the gate cuts at the last confident word", "[correction]") {
    const auto g = apply_confidence_gate(
        kOpener,
        confidences(
            {{"The", -0.1}, {"capital", -0.3}, {"of", -0.1}, {"Australia", -0.4}, {"is", -0.2}, {"Sydney", -5.2}}),
        ConfidenceGateConfig{});
    REQUIRE(g.ok());
    CHECK(g->fired);
    CHECK_FALSE(g->used_fallback);
    CHECK(g->opener == "The capital of Australia is");
    CHECK(g->cut == " Sydney");
    CHECK(g->kept_words == 5);
    CHECK(g->why.find("word 6 'Sydney'") != std::string::npos);
    CHECK(g->why.find("log-prob -5.20") != std::string::npos);
}

TEST_CASE("correction: the gate cuts after the first unsure word, even if later ones are sure", "[correction]") {
    const auto g = apply_confidence_gate(
        "One two three four five",
        confidences({{"One", -0.1}, {"two", -0.1}, {"three", -0.1}, {"four", -9}, {"five", -0.1}}),
        ConfidenceGateConfig{});
    REQUIRE(g.ok());
    CHECK(g->opener == "One two three");
    CHECK(g->cut == " four five");
}

TEST_CASE("correction: entropy alone can fire the gate", "[correction]") {
    std::vector<WordConfidence> w = confidences({{"A", -0.1}, {"b", -0.1}, {"c", -0.1}, {"d", -0.1}});
    w[3].max_entropy = 7.5;
    const auto g = apply_confidence_gate("A b c d", w, ConfidenceGateConfig{});
    REQUIRE(g.ok());
    CHECK(g->opener == "A b c");
    CHECK(g->why.find("entropy 7.50") != std::string::npos);
}

TEST_CASE("correction: too little left -> the safe generic opener", "[correction]") {
    const auto g = apply_confidence_gate(
        kOpener,
        confidences(
            {{"The", -0.1}, {"capital", -6.0}, {"of", -0.1}, {"Australia", -0.4}, {"is", -0.2}, {"Sydney", -0.2}}),
        ConfidenceGateConfig{});
    REQUIRE(g.ok());
    CHECK(g->fired);
    CHECK(g->used_fallback);
    CHECK(g->opener == "Good question \xE2\x80\x94");
    CHECK(g->cut == kOpener);
    CHECK(g->kept_words == 0);
    CHECK(g->why.find("only 1 confident words") != std::string::npos);

    ConfidenceGateConfig c;
    c.fallback_opener = "Let me think \xE2\x80\x94 ";
    const auto custom = apply_confidence_gate("Hmm", confidences({{"Hmm", -8}}), c);
    REQUIRE(custom.ok());
    CHECK(custom->opener == "Let me think \xE2\x80\x94");

    const auto empty = apply_confidence_gate("", {}, ConfidenceGateConfig{});
    REQUIRE(empty.ok());
    CHECK(empty->used_fallback);
    CHECK(empty->why.find("no words") != std::string::npos);
}

TEST_CASE("correction: min_kept_words sets how little is too little", "[correction]") {
    ConfidenceGateConfig c;
    c.min_kept_words = 1;
    const auto g =
        apply_confidence_gate("The capital of", confidences({{"The", -0.1}, {"capital", -6.0}, {"of", -0.1}}), c);
    REQUIRE(g.ok());
    CHECK_FALSE(g->used_fallback);
    CHECK(g->opener == "The");
}

TEST_CASE("correction: gate off, or bad input", "[correction]") {
    ConfidenceGateConfig off;
    off.enabled = false;
    const auto g = apply_confidence_gate("A b", confidences({{"A", -9}, {"b", -9}}), off);
    REQUIRE(g.ok());
    CHECK_FALSE(g->fired);
    CHECK(g->opener == "A b");

    const auto mismatch = apply_confidence_gate("A b c", confidences({{"A", -0.1}}), ConfidenceGateConfig{});
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().find("1 word confidences for an opener of 3 words") != std::string::npos);

    ConfidenceGateConfig nan;
    nan.min_word_logprob = std::numeric_limits<double>::quiet_NaN();
    CHECK_FALSE(apply_confidence_gate("A", confidences({{"A", -0.1}}), nan).ok());
}

TEST_CASE("correction: the gate agrees with the opener policy's words", "[correction]") {
    OpenerPolicyConfig pc;
    pc.min_words = 6;  // so the unsure word 5 is taken and left to the gate
    OpenerPolicy p(pc);
    for (const char* piece : {"Good", " question", " \xE2\x80\x94", " the", " best"}) p.on_token(piece, -0.1, 1.0);
    p.on_token(" way", -7.0, 1.0);
    const auto g = apply_confidence_gate(p.opener(), p.word_confidences(), ConfidenceGateConfig{});
    REQUIRE(g.ok());
    CHECK(g->opener == "Good question \xE2\x80\x94 the best");
    CHECK(g->cut == " way");
}

// ---- Continue ---------------------------------------------------------------------------------

TEST_CASE("correction: continue joins opener and continuation", "[correction]") {
    const CorrectedAnswer a = compose_answer(input("The best way to", Verdict::Continue, "learn is by doing."));
    CHECK(a.path == CorrectionPath::Continue);
    CHECK(a.label() == "continue");
    CHECK_FALSE(a.gated);
    REQUIRE(a.segments.size() == 2);
    CHECK(a.segments[0].text == "The best way to");
    CHECK(a.segments[0].origin == Origin::Device);
    CHECK(a.segments[1].text == " learn is by doing.");
    CHECK(a.segments[1].origin == Origin::Cloud);
    CHECK(a.visible_text() == "The best way to learn is by doing.");
    CHECK(a.settled);

    const CorrectedAnswer r = compose_answer(input("The best way to", Verdict::Continue, " way to learn."));
    CHECK(r.visible_text() == "The best way to learn.");
    CHECK(r.why.find("2 restated words dropped") != std::string::npos);
}

TEST_CASE("correction: the visible text only grows as the continuation streams", "[correction]") {
    const std::string cloud = " way to learn, honestly, is by doing it every day.";
    const std::string final_text = compose_answer(input("The best way to", Verdict::Continue, cloud)).visible_text();
    CHECK(final_text == "The best way to learn, honestly, is by doing it every day.");
    std::string previous;
    for (std::size_t n = 0; n <= cloud.size(); ++n) {
        const std::string now =
            compose_answer(input("The best way to", Verdict::Continue, cloud.substr(0, n), false)).visible_text();
        CHECK(final_text.compare(0, now.size(), now) == 0);
        CHECK(now.size() >= previous.size());
        previous = now;
    }
}

TEST_CASE("correction: gate then continue", "[correction]") {
    CorrectionInput in;
    in.gate = *apply_confidence_gate(
        kOpener,
        confidences(
            {{"The", -0.1}, {"capital", -0.3}, {"of", -0.1}, {"Australia", -0.4}, {"is", -0.2}, {"Sydney", -5.2}}),
        ConfidenceGateConfig{});
    in.verdict = Verdict::Continue;
    in.cloud_text = " Canberra.";
    in.cloud_done = true;
    const CorrectedAnswer a = compose_answer(in);
    CHECK(a.path == CorrectionPath::ConfidenceGate);
    CHECK(a.label() == "gate");
    CHECK(a.gated);
    CHECK(texts_of(a, SegmentStyle::Cut) == " Sydney");
    CHECK(a.visible_text() == "The capital of Australia is Canberra.");
    CHECK(a.why.find("gate cut the opener") != std::string::npos);

    CorrectionInput fb;
    fb.gate = *apply_confidence_gate("Um the", confidences({{"Um", -9}, {"the", -9}}), ConfidenceGateConfig{});
    fb.verdict = Verdict::Continue;
    fb.cloud_text = "the capital is Canberra.";
    fb.cloud_done = true;
    const CorrectedAnswer b = compose_answer(fb);
    CHECK(b.visible_text() == "Good question \xE2\x80\x94 the capital is Canberra.");
    REQUIRE(b.segments.size() == 3);
    CHECK(b.segments[0].style == SegmentStyle::Cut);
    CHECK(b.segments[1].origin == Origin::Fallback);
}

// ---- Method 2 ---------------------------------------------------------------------------------

TEST_CASE("correction: pivot keeps the opener and the cloud's bridge", "[correction]") {
    const CorrectedAnswer a =
        compose_answer(input(kOpener, Verdict::Pivot, " \xE2\x80\x94 actually, Canberra is the capital."));
    CHECK(a.path == CorrectionPath::SelfRepairPivot);
    CHECK(a.label() == "pivot");
    REQUIRE(a.segments.size() == 3);
    CHECK(a.segments[0].text == kOpener);
    CHECK(a.segments[0].style == SegmentStyle::Normal);
    CHECK(a.segments[1].style == SegmentStyle::Bridge);
    CHECK(a.segments[1].text == " \xE2\x80\x94 actually, ");
    CHECK(a.segments[2].text == "Canberra is the capital.");
    CHECK(a.visible_text() == kOpener + " \xE2\x80\x94 actually, Canberra is the capital.");
    CHECK(a.settled);
}

TEST_CASE("correction: a pivot never shows blame wording", "[correction]") {
    const CorrectedAnswer a =
        compose_answer(input(kOpener, Verdict::Pivot, "Sorry, that's wrong. The capital is Canberra."));
    CHECK_FALSE(mentions_blame(a.visible_text()));
    CHECK(a.visible_text() == kOpener + " \xE2\x80\x94 actually, the capital is Canberra.");
    CHECK(a.why.find("blame clause was dropped") != std::string::npos);

    const CorrectedAnswer b =
        compose_answer(input(kOpener, Verdict::Pivot, "\xE2\x80\x94 actually, I was wrong: it is Canberra."));
    CHECK_FALSE(mentions_blame(b.visible_text()));
    CHECK(b.visible_text() == kOpener + " \xE2\x80\x94 actually, it is Canberra.");

    const CorrectedAnswer c = compose_answer(input(kOpener, Verdict::Pivot, " \xE2\x80\x94 my bad, Canberra it is."));
    CHECK(c.visible_text() == kOpener + " \xE2\x80\x94 actually, Canberra it is.");

    const CorrectedAnswer d =
        compose_answer(input(kOpener, Verdict::Pivot, "Oops! That was incorrect. Actually, it is Canberra."));
    CHECK_FALSE(mentions_blame(d.visible_text()));
    CHECK(d.visible_text() == kOpener + " \xE2\x80\x94 actually, it is Canberra.");
}

TEST_CASE("correction: content that happens to say 'wrong' is kept", "[correction]") {
    const CorrectedAnswer a =
        compose_answer(input("The best way to start is", Verdict::Pivot,
                             " \xE2\x80\x94 actually, there is no wrong way to start learning a language at all."));
    CHECK(a.visible_text() ==
          "The best way to start is \xE2\x80\x94 actually, there is no wrong way to start learning a language at all.");
}

TEST_CASE("correction: a pivot without a bridge gets the default one", "[correction]") {
    const CorrectedAnswer a = compose_answer(input(kOpener, Verdict::Pivot, " The capital is Canberra."));
    CHECK(texts_of(a, SegmentStyle::Bridge) == " \xE2\x80\x94 actually, ");
    CHECK(a.visible_text() == kOpener + " \xE2\x80\x94 actually, the capital is Canberra.");
    CHECK(a.why.find("default bridge supplied") != std::string::npos);

    CorrectionConfig cfg;
    cfg.pivot_bridge = "\xE2\x80\x94 or rather,";
    const CorrectedAnswer b = compose_answer(input(kOpener, Verdict::Pivot, "Canberra."), cfg);
    CHECK(b.visible_text() == kOpener + " \xE2\x80\x94 or rather, Canberra.");

    // "Actually, ..." without a dash: the dash is added, the capital lowered.
    const CorrectedAnswer c = compose_answer(input(kOpener, Verdict::Pivot, "Actually, Canberra."));
    CHECK(c.visible_text() == kOpener + " \xE2\x80\x94 actually, Canberra.");
}

TEST_CASE("correction: one dash when the opener already ends with one", "[correction]") {
    const CorrectedAnswer a =
        compose_answer(input("It is \xE2\x80\x94", Verdict::Pivot, "\xE2\x80\x94 actually, Canberra."));
    CHECK(a.visible_text() == "It is \xE2\x80\x94 actually, Canberra.");
}

TEST_CASE("correction: an unsettled pivot shows nothing of the cloud yet", "[correction]") {
    const CorrectedAnswer a = compose_answer(input(kOpener, Verdict::Pivot, "Sorry, that", false));
    CHECK_FALSE(a.settled);
    CHECK(a.visible_text() == kOpener);
    // The clause after the apology is still short and open: it might be one more apology.
    const CorrectedAnswer b = compose_answer(input(kOpener, Verdict::Pivot, "Sorry, that's wrong. The capital", false));
    CHECK_FALSE(b.settled);
    CHECK(b.visible_text() == kOpener);
    const CorrectedAnswer b2 =
        compose_answer(input(kOpener, Verdict::Pivot, "Sorry, that's wrong. The capital is Canberra, which", false));
    CHECK(b2.settled);
    CHECK(b2.visible_text() == kOpener + " \xE2\x80\x94 actually, the capital is Canberra, which");
    // A long first clause is content however it ends.
    const CorrectedAnswer c = compose_answer(input(
        kOpener, Verdict::Pivot, "\xE2\x80\x94 actually, the capital city of the whole country is in fact", false));
    CHECK(c.settled);
    const CorrectedAnswer short_open =
        compose_answer(input(kOpener, Verdict::Pivot, "\xE2\x80\x94 actually, the capital city is", false));
    CHECK_FALSE(short_open.settled);
}

TEST_CASE("correction: split_pivot directly", "[correction]") {
    const PivotParts p = split_pivot(" \xE2\x80\x94 actually, it is X.", true);
    CHECK(p.bridge == "\xE2\x80\x94 actually, ");
    CHECK(p.answer == "it is X.");
    CHECK_FALSE(p.bridge_replaced);
    CHECK(p.settled);
    const PivotParts q = split_pivot("", true);
    CHECK(q.bridge == "\xE2\x80\x94 actually, ");
    CHECK(q.answer.empty());
    CHECK(q.bridge_replaced);
    // "3.5" is not a clause end.
    const PivotParts r = split_pivot("Sorry, it is 3.5 km.", true);
    CHECK(r.answer == "it is 3.5 km.");
}

// ---- Method 3 ---------------------------------------------------------------------------------

TEST_CASE("correction: rewrite on a display strikes the opener", "[correction]") {
    const CorrectedAnswer a =
        compose_answer(input(kOpener, Verdict::Rewrite, "\nCanberra is the capital of Australia. "));
    CHECK(a.path == CorrectionPath::RetractAndReplace);
    CHECK(a.label() == "rewrite");
    REQUIRE(a.segments.size() == 2);
    CHECK(a.segments[0].style == SegmentStyle::Struck);
    CHECK(a.segments[0].text == kOpener);
    CHECK(a.segments[1].style == SegmentStyle::Normal);
    CHECK(a.segments[1].text == " Canberra is the capital of Australia.");
    CHECK(a.visible_text() == "Canberra is the capital of Australia.");
}

TEST_CASE("correction: rewrite in speech says 'Let me rephrase'", "[correction]") {
    CorrectionConfig speech;
    speech.mode = PresentationMode::Speech;
    const CorrectedAnswer a = compose_answer(input(kOpener, Verdict::Rewrite, "Canberra is the capital."), speech);
    REQUIRE(a.segments.size() == 3);
    CHECK(a.segments[0].style == SegmentStyle::Normal);  // already spoken: it cannot be struck
    CHECK(a.segments[1].style == SegmentStyle::Bridge);
    CHECK(a.segments[1].text == " \xE2\x80\x94 Let me rephrase: ");
    CHECK(a.visible_text() == kOpener + " \xE2\x80\x94 Let me rephrase: Canberra is the capital.");

    const CorrectedAnswer b =
        compose_answer(input("It is Sydney.", Verdict::Rewrite, "Canberra is the capital."), speech);
    CHECK(b.visible_text() == "It is Sydney. Let me rephrase: Canberra is the capital.");

    // The bridge is spoken only once the replacement starts.
    const CorrectedAnswer c = compose_answer(input(kOpener, Verdict::Rewrite, "", false), speech);
    CHECK(c.visible_text() == kOpener);
    CHECK(to_string(PresentationMode::Speech) == std::string("speech"));
}

TEST_CASE("correction: rewrite edge cases", "[correction]") {
    // Announced, but nothing came: the opener stays, not struck.
    const CorrectedAnswer a = compose_answer(input(kOpener, Verdict::Rewrite, "  ", true));
    REQUIRE(a.segments.size() == 1);
    CHECK(a.segments[0].style == SegmentStyle::Normal);
    CHECK(a.why.find("sent no text") != std::string::npos);
    // Still streaming: struck already (the verdict is known), replacement to come.
    const CorrectedAnswer b = compose_answer(input(kOpener, Verdict::Rewrite, "", false));
    REQUIRE(b.segments.size() == 1);
    CHECK(b.segments[0].style == SegmentStyle::Struck);
}

TEST_CASE("correction: after the fallback opener nothing is struck or repaired", "[correction]") {
    CorrectionInput in;
    in.gate = *apply_confidence_gate("Um", confidences({{"Um", -9}}), ConfidenceGateConfig{});
    in.verdict = Verdict::Rewrite;
    in.cloud_text = "Canberra is the capital.";
    in.cloud_done = true;
    const CorrectedAnswer a = compose_answer(in);
    CHECK(a.label() == "gate+rewrite");
    CHECK(texts_of(a, SegmentStyle::Struck).empty());
    CHECK(a.visible_text() == "Good question \xE2\x80\x94 Canberra is the capital.");

    in.verdict = Verdict::Pivot;
    in.cloud_text = "\xE2\x80\x94 actually, Canberra is the capital.";
    const CorrectedAnswer b = compose_answer(in);
    CHECK(b.label() == "gate+pivot");
    CHECK(texts_of(b, SegmentStyle::Bridge).empty());
    CHECK(b.visible_text() == "Good question \xE2\x80\x94 Canberra is the capital.");
}

TEST_CASE("correction: names", "[correction]") {
    CHECK(to_string(CorrectionPath::Continue) == std::string("continue"));
    CHECK(to_string(CorrectionPath::ConfidenceGate) == std::string("gate"));
    CHECK(to_string(CorrectionPath::SelfRepairPivot) == std::string("pivot"));
    CHECK(to_string(CorrectionPath::RetractAndReplace) == std::string("rewrite"));
    CHECK(to_string(SegmentStyle::Struck) == std::string("struck"));
    CHECK(to_string(SegmentStyle::Cut) == std::string("cut"));
    CHECK(to_string(SegmentStyle::Bridge) == std::string("bridge"));
}
