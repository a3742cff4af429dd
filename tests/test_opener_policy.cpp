#include <catch2/catch.hpp>

#include "core/opener_policy.h"
#include "core/utf8.h"

using namespace headstart;

namespace {

struct Run {
    OpenerDecision decision;  // the stopping decision, or the last Continue
    int stopped_at = -1;      // index of the piece that stopped it
};

// Feeds confident tokens until the policy stops.
Run feed(OpenerPolicy& policy, const std::vector<std::string>& pieces, double logprob = -0.1, double entropy = 1.0) {
    Run run;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        run.decision = policy.on_token(pieces[i], logprob, entropy);
        if (run.decision.stops()) {
            run.stopped_at = static_cast<int>(i);
            break;
        }
    }
    return run;
}

OpenerPolicyConfig config(int min_words = 4, int max_words = 8) {
    OpenerPolicyConfig c;
    c.min_words = min_words;
    c.max_words = max_words;
    return c;
}

const std::vector<std::string> kLongSentence = {"The",  " best",     " way", " to", " learn", " a",
                                                " new", " language", " is",  " to", " speak", " it"};

}  // namespace

TEST_CASE("opener policy: the word budget grows with the expected cloud latency", "[opener]") {
    OpenerPolicyConfig c = config();
    c.words_per_minute = 200;  // 300 ms a word
    c.expected_cloud_latency_ms = 0;
    CHECK(word_budget(c) == 8);  // unknown latency: as many as allowed
    c.expected_cloud_latency_ms = 100;
    CHECK(word_budget(c) == 4);  // never below min_words
    c.expected_cloud_latency_ms = 1500;
    CHECK(word_budget(c) == 5);  // exactly 5 slots
    c.expected_cloud_latency_ms = 1501;
    CHECK(word_budget(c) == 6);
    c.expected_cloud_latency_ms = 2000;
    CHECK(word_budget(c) == 7);
    c.expected_cloud_latency_ms = 60000;
    CHECK(word_budget(c) == 8);  // never above max_words
    c.words_per_minute = 0;
    CHECK(word_budget(c) == 8);
    c.words_per_minute = 100;  // slower pace, fewer words cover the same wait
    c.expected_cloud_latency_ms = 1500;
    CHECK(word_budget(c) == 4);
}

TEST_CASE("opener policy: stops before the token that would start word max+1", "[opener]") {
    OpenerPolicy p(config());
    const Run run = feed(p, kLongSentence);
    CHECK(run.decision.action == OpenerAction::StopBefore);
    CHECK(run.decision.reason == StopReason::WordBudget);
    CHECK(run.stopped_at == 8);  // " is" would be word 9
    CHECK(p.opener() == "The best way to learn a new language");
    CHECK(p.words() == 8);
    CHECK(p.tokens() == 8);
    CHECK(p.stopped());
    CHECK(p.final_decision().reason == StopReason::WordBudget);
    CHECK(run.decision.why.find("budget of 8 words") != std::string::npos);
}

TEST_CASE("opener policy: a long expected latency allows more words, a short one fewer", "[opener]") {
    OpenerPolicyConfig c = config();
    c.expected_cloud_latency_ms = 1500;
    c.words_per_minute = 200;
    OpenerPolicy p(c);
    CHECK(p.budget() == 5);
    const Run run = feed(p, kLongSentence);
    CHECK(run.decision.reason == StopReason::WordBudget);
    CHECK(p.opener() == "The best way to learn");
    CHECK(run.decision.why.find("1500 ms") != std::string::npos);
    CHECK(run.decision.why.find("200 wpm") != std::string::npos);
}

TEST_CASE("opener policy: never emits half a word", "[opener]") {
    OpenerPolicyConfig c = config(4, 5);
    OpenerPolicy p(c);
    const Run run = feed(p, {"The", " best", " way", " to", " under", "stand", " it", " fully"});
    CHECK(run.decision.action == OpenerAction::StopBefore);
    CHECK(p.opener() == "The best way to understand");  // "stand" belongs to word 5
    CHECK(run.stopped_at == 6);

    OpenerPolicy q(config(4, 4));
    feed(q, {"The", " best", " way", " to", " under", "stand"});
    CHECK(q.opener() == "The best way to");  // " under" would start word 5: none of it
}

TEST_CASE("opener policy: several words in one piece count as several", "[opener]") {
    OpenerPolicy p(config(2, 3));
    const Run run = feed(p, {"It", " is", " of the", " best"});
    CHECK(run.stopped_at == 2);  // words 3 and 4 together pass the budget
    CHECK(p.opener() == "It is");
}

TEST_CASE("opener policy: after min_words a clause boundary ends the opener", "[opener]") {
    OpenerPolicy p(config());
    const Run run = feed(p, {"Python", " is", " easy", " to", " learn", ",", " because", " it"});
    CHECK(run.decision.action == OpenerAction::StopBefore);
    CHECK(run.decision.reason == StopReason::ClauseBoundary);
    CHECK(p.opener() == "Python is easy to learn,");
    CHECK(to_string(run.decision.reason) == std::string("clause_boundary"));
}

TEST_CASE("opener policy: a boundary before min_words does not stop", "[opener]") {
    OpenerPolicy p(config());
    const Run run = feed(p, {"Yes", ",", " you", " can", ".", " Just", " try", " it", " out", " today", " and"});
    // "Yes," (1) ... "can." (3): too early; "Just" is word 4, then budget 8.
    CHECK(run.decision.reason == StopReason::WordBudget);
    CHECK(p.opener() == "Yes, you can. Just try it out today");
}

TEST_CASE("opener policy: the space after a mark confirms the boundary (StopAfter)", "[opener]") {
    OpenerPolicy p(config());
    const Run run = feed(p, {"Python", " is", " easy", " to", " learn", ".", " ", "It"});
    CHECK(run.decision.action == OpenerAction::StopAfter);
    CHECK(run.decision.reason == StopReason::SentenceEnd);
    CHECK(run.stopped_at == 6);
    CHECK(p.opener() == "Python is easy to learn.");  // trailing space trimmed

    OpenerPolicy q(config());
    const Run r2 = feed(q, {"Python", " is", " easy", " to", " learn", ", ", "and"});
    CHECK(r2.decision.action == OpenerAction::StopAfter);
    CHECK(r2.decision.reason == StopReason::ClauseBoundary);
    CHECK(q.opener() == "Python is easy to learn,");
}

TEST_CASE("opener policy: a bare period does not stop: it may be a decimal point", "[opener]") {
    OpenerPolicy p(config(4, 6));
    const Run run = feed(p, {"It", " costs", " about", " 3", ".", "5", " dollars", " a", " day", " now"});
    CHECK(run.decision.reason == StopReason::WordBudget);
    CHECK(p.opener() == "It costs about 3.5 dollars a");
}

TEST_CASE("opener policy: line breaks end the opener after min_words", "[opener]") {
    OpenerPolicy a(config());
    const Run ra = feed(a, {"Here", " are", " the", " steps", ":", "\n", "1"});
    CHECK(ra.decision.action == OpenerAction::StopAfter);
    CHECK(ra.decision.reason == StopReason::LineBreak);
    CHECK(a.opener() == "Here are the steps:");

    OpenerPolicy b(config());
    const Run rb = feed(b, {"Here", " are", " the", " steps", ":\n", "1"});
    CHECK(rb.decision.action == OpenerAction::StopAfter);
    CHECK(b.opener() == "Here are the steps:");

    // A line break followed by text in the same piece: that text is not taken.
    OpenerPolicy c(config());
    const Run rc = feed(c, {"Here", " are", " the", " steps", "\n-", " Boil"});
    CHECK(rc.decision.action == OpenerAction::StopBefore);
    CHECK(rc.decision.reason == StopReason::LineBreak);
    CHECK(c.opener() == "Here are the steps");

    // A line break inside the piece that starts the next word.
    OpenerPolicy d(config());
    const Run rd = feed(d, {"Here", " are", " the", " steps", "\nBoil"});
    CHECK(rd.decision.action == OpenerAction::StopBefore);
    CHECK(rd.decision.reason == StopReason::LineBreak);

    // Before min_words a line break is just a space.
    OpenerPolicy e(config());
    feed(e, {"Sure", "!", "\n\n", "The", " best", " way", " to", " go", " is", " by", " train", " now"});
    CHECK(e.opener() == "Sure!\n\nThe best way to go is by");
}

TEST_CASE("opener policy: punctuation pieces never start a word", "[opener]") {
    OpenerPolicy p(config());
    feed(p, {"Good", " question", " \xE2\x80\x94", " the"});
    CHECK(p.words() == 3);
    REQUIRE(p.word_confidences().size() == 3);
    CHECK(p.word_confidences()[1].word == "question \xE2\x80\x94");

    // With min_words 2 the dash is a clause boundary.
    OpenerPolicy q(config(2, 8));
    const Run run = feed(q, {"Good", " question", " \xE2\x80\x94", " the", " best"});
    CHECK(run.decision.reason == StopReason::ClauseBoundary);
    CHECK(run.stopped_at == 3);
    CHECK(q.opener() == "Good question \xE2\x80\x94");
}

TEST_CASE("opener policy: clause preference can be turned off", "[opener]") {
    OpenerPolicyConfig c = config(4, 6);
    c.prefer_clause_boundary = false;
    OpenerPolicy p(c);
    const Run run = feed(p, {"Python", " is", " easy", " to", " learn", ",", " ", "because", " it", " is"});
    CHECK(run.decision.reason == StopReason::WordBudget);
    CHECK(p.opener() == "Python is easy to learn, because");
}

TEST_CASE("opener policy: an unconfident next word stops after min_words", "[opener]") {
    OpenerPolicy p(config());
    for (const char* piece : {"The", " capital", " of", " Australia"})
        CHECK_FALSE(p.on_token(piece, -0.2, 1.0).stops());
    const OpenerDecision d = p.on_token(" is", -0.3, 1.0);
    CHECK_FALSE(d.stops());
    const OpenerDecision low = p.on_token(" Sydney", -4.5, 2.0);
    CHECK(low.action == OpenerAction::StopBefore);
    CHECK(low.reason == StopReason::LowConfidence);
    CHECK(low.why.find("log-prob -4.5") != std::string::npos);
    CHECK(p.opener() == "The capital of Australia is");

    OpenerPolicy q(config());
    feed(q, {"The", " capital", " of", " Australia"});
    const OpenerDecision flat = q.on_token(" is", -0.5, 6.0);
    CHECK(flat.reason == StopReason::LowConfidence);
    CHECK(flat.why.find("entropy 6") != std::string::npos);
}

TEST_CASE("opener policy: before min_words low confidence is recorded, not acted on", "[opener]") {
    OpenerPolicy p(config());
    CHECK_FALSE(p.on_token("The", -0.1, 1.0).stops());
    CHECK_FALSE(p.on_token(" capital", -6.0, 7.0).stops());
    CHECK_FALSE(p.on_token(" of", -0.1, 1.0).stops());
    REQUIRE(p.word_confidences().size() == 3);
    CHECK(p.word_confidences()[1].min_logprob == Approx(-6.0));
    CHECK(p.word_confidences()[1].max_entropy == Approx(7.0));
    CHECK(p.word_confidences()[0].min_logprob == Approx(-0.1));
}

TEST_CASE("opener policy: an unconfident token inside a word stops at the next word", "[opener]") {
    OpenerPolicy p(config());
    feed(p, {"The", " best", " way", " to", " under"});
    CHECK_FALSE(p.on_token("stand", -5.0, 1.0).stops());
    const OpenerDecision d = p.on_token(" it", -0.1, 1.0);
    CHECK(d.reason == StopReason::LowConfidence);
    CHECK(d.why.find("inside word 5") != std::string::npos);
    CHECK(p.opener() == "The best way to understand");
    // The word's confidence is its weakest token.
    CHECK(p.word_confidences().back().word == "understand");
    CHECK(p.word_confidences().back().min_logprob == Approx(-5.0));
}

TEST_CASE("opener policy: confidence stops can be turned off", "[opener]") {
    OpenerPolicyConfig c = config(4, 5);
    c.stop_on_low_confidence = false;
    OpenerPolicy p(c);
    const Run run = feed(p, kLongSentence, -9.0, 9.0);
    CHECK(run.decision.reason == StopReason::WordBudget);
    CHECK(p.words() == 5);
}

TEST_CASE("opener policy: end of sequence stops at once and is not text", "[opener]") {
    OpenerPolicy p(config());
    feed(p, {"Yes", "."});
    OpenerToken eos;
    eos.piece = "<|im_end|>";
    eos.end_of_sequence = true;
    const OpenerDecision d = p.on_token(eos);
    CHECK(d.action == OpenerAction::StopBefore);
    CHECK(d.reason == StopReason::EndOfSequence);
    CHECK(p.opener() == "Yes.");
    CHECK(d.why.find("1 word") != std::string::npos);

    OpenerPolicy empty(config());
    CHECK(empty.on_token(eos).reason == StopReason::EndOfSequence);
    CHECK(empty.opener().empty());
}

TEST_CASE("opener policy: the token cap stops a μLM that never finishes", "[opener]") {
    OpenerPolicyConfig c = config();
    c.max_tokens = 3;
    OpenerPolicy p(c);
    const Run run = feed(p, {"un", "believ", "able", "ness"});
    CHECK(run.decision.reason == StopReason::MaxTokens);
    CHECK(run.stopped_at == 3);
    CHECK(p.opener() == "unbelievable");
    CHECK(p.tokens() == 3);
}

TEST_CASE("opener policy: after a stop nothing more is accepted; reset starts over", "[opener]") {
    OpenerPolicy p(config(1, 1));
    feed(p, {"Hi", " there"});
    CHECK(p.stopped());
    const OpenerDecision again = p.on_token(" you", -0.1, 1.0);
    CHECK(again.action == OpenerAction::StopBefore);
    CHECK(again.reason == StopReason::WordBudget);
    CHECK(p.opener() == "Hi");
    p.reset();
    CHECK_FALSE(p.stopped());
    CHECK(p.opener().empty());
    CHECK(p.words() == 0);
    CHECK(p.final_decision().action == OpenerAction::Continue);
    feed(p, {"Hello", " world"});
    CHECK(p.opener() == "Hello");
}

TEST_CASE("opener policy: characters split across byte-level tokens stay whole", "[opener]") {
    OpenerPolicy p(config(1, 2));
    // "Café" with "é" split over two tokens, then " noir", then a third word.
    feed(p, {"Caf", "\xC3", "\xA9", " no", "ir", " \xC3", "\xA9t\xC3\xA9"});
    CHECK(p.opener() == "Caf\xC3\xA9 noir");
    CHECK(is_valid_utf8(p.opener()));
    CHECK(p.words() == 2);
    CHECK(p.final_decision().reason == StopReason::WordBudget);

    // The confidence of a split character lands on the word it belongs to.
    OpenerPolicy q(config());
    q.on_token("Caf", -0.1, 1.0);
    q.on_token("\xC3", -3.0, 1.0);
    q.on_token("\xA9", -0.1, 1.0);
    REQUIRE(q.word_confidences().size() == 1);
    CHECK(q.word_confidences()[0].word == "Caf\xC3\xA9");
    CHECK(q.word_confidences()[0].min_logprob == Approx(-3.0));
}

TEST_CASE("opener policy: leading spaces and punctuation join the first word", "[opener]") {
    OpenerPolicy p(config());
    p.on_token("\n", -0.5, 1.0);
    p.on_token("\"", -2.0, 3.0);
    p.on_token("Hello", -0.1, 0.5);
    REQUIRE(p.words() == 1);
    CHECK(p.word_confidences()[0].word == "\"Hello");
    CHECK(p.word_confidences()[0].min_logprob == Approx(-2.0));
    CHECK(p.word_confidences()[0].max_entropy == Approx(3.0));
    CHECK(p.opener() == "\"Hello");
}

TEST_CASE("opener policy: bad configs are rejected", "[opener]") {
    CHECK(validate(OpenerPolicyConfig{}).ok());
    OpenerPolicyConfig c;
    c.min_words = 0;
    CHECK_FALSE(validate(c).ok());
    c = OpenerPolicyConfig{};
    c.max_words = 3;
    CHECK(validate(c).error().find("max_words") != std::string::npos);
    c = OpenerPolicyConfig{};
    c.max_tokens = 0;
    CHECK_FALSE(validate(c).ok());
    c = OpenerPolicyConfig{};
    c.words_per_minute = std::numeric_limits<double>::infinity();
    CHECK_FALSE(validate(c).ok());
}

TEST_CASE("opener policy: names for the UI", "[opener]") {
    CHECK(to_string(OpenerAction::StopBefore) == std::string("stop_before"));
    CHECK(to_string(OpenerAction::StopAfter) == std::string("stop_after"));
    CHECK(to_string(StopReason::WordBudget) == std::string("word_budget"));
    CHECK(to_string(StopReason::LowConfidence) == std::string("low_confidence"));
    CHECK(to_string(StopReason::EndOfSequence) == std::string("end_of_sequence"));
}

TEST_CASE("opener policy: a bare space token's confidence goes to the word it opens", "[opener]") {
    OpenerPolicy policy(config(6, 8));
    REQUIRE_FALSE(policy.on_token("The", -0.1, 1.0).stops());
    REQUIRE_FALSE(policy.on_token(" capital", -0.1, 1.0).stops());
    REQUIRE_FALSE(policy.on_token(" of", -0.2, 1.0).stops());
    REQUIRE_FALSE(policy.on_token(" ", -5.0, 5.5).stops());  // unsure: which word comes next?
    REQUIRE_FALSE(policy.on_token("L", -0.5, 2.0).stops());
    REQUIRE_FALSE(policy.on_token("yon", -0.1, 1.0).stops());
    const auto& words = policy.word_confidences();
    REQUIRE(words.size() == 4);
    CHECK(words[2].word == "of");
    CHECK(words[2].min_logprob == Approx(-0.2));  // "of" itself was sure
    CHECK(words[3].word == "Lyon");
    CHECK(words[3].min_logprob == Approx(-5.0));  // the doubt belongs to " Lyon"
    CHECK(words[3].max_entropy == Approx(5.5));
}
