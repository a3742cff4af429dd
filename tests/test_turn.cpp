// Turn driven by hand, no network and no model run: synthetic times, hand-made logits over the
// tiny fixture's real tokenizer, and hand-written SSE bytes split anywhere. Each test is one
// decision of core/turn.h (verdict tag parsing, correction paths, pacing, failure, gate).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cloud_fixture.h"
#include "core/tokenizer.h"
#include "core/turn.h"
#include "core/words.h"

using namespace headstart;
using headstart_test::fixture;

namespace {

Tokenizer tiny_tokenizer() {
    auto t = Tokenizer::load(fixture("tokenizer.json"));
    INFO((t.ok() ? std::string() : t.error()));
    REQUIRE(t.ok());
    return t.value();
}

// Greedy sampling, so hand-made logits pick exactly the token we mean.
TurnConfig test_config() {
    TurnConfig c;
    c.sampler.temperature = 0.0f;
    c.presenter.words_per_minute = 600.0;  // 100 ms a word
    c.presenter.punctuation_pauses = false;
    c.opener.words_per_minute = 600.0;
    return c;
}

// Logits that make `id` the argmax: `sure` -> it takes ~all the mass; unsure -> it barely leads
// (p ~ 0.04 over a 512-token vocabulary, entropy ~ 6.2 nats: past every confidence threshold).
std::vector<float> logits_for(const Tokenizer& tok, int id, bool sure) {
    std::vector<float> l(static_cast<size_t>(tok.vocab_size()), 0.0f);
    l[static_cast<size_t>(id)] = sure ? 30.0f : 3.0f;
    return l;
}

// Begins the turn and feeds the μLM the tokens of `words` (then <|im_end|>) until the policy
// fixes the opener. `unsure_from`: index of the first token given unsure logits (-1: none).
void feed_opener(Turn& turn, const Tokenizer& tok, const std::string& question, const std::string& words,
                 int unsure_from = -1, double t0 = 0.0) {
    auto prompt = turn.begin(question, t0);
    REQUIRE(prompt.ok());
    REQUIRE_FALSE(prompt->empty());
    std::vector<int> ids = tok.encode(words, SpecialTokens::AsText);
    ids.push_back(tok.im_end_id());
    double t = t0 + 5.0;
    for (size_t i = 0; i < ids.size() && !turn.opener_fixed(); ++i) {
        const bool sure = unsure_from < 0 || static_cast<int>(i) < unsure_from;
        auto next = turn.on_logits(logits_for(tok, ids[i], sure), t);
        REQUIRE(next.ok());
        if (next->has_value()) CHECK(**next == ids[i]);  // the driver feeds back what was sampled
        t += 1.0;
    }
    REQUIRE(turn.opener_fixed());
}

std::string sse_content(const std::string& text) {
    nlohmann::json j = {{"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}}}};
    return "data: " + j.dump() + "\n\n";
}
std::string sse_finish() { return "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"; }
const std::string kDone = "data: [DONE]\n\n";

// Feeds `bytes` in pieces of `step` bytes, one ms apart from t.
double feed_split(Turn& turn, const std::string& bytes, size_t step, double t) {
    for (size_t at = 0; at < bytes.size(); at += step) {
        turn.on_cloud_bytes(std::string_view(bytes).substr(at, step), t);
        t += 1.0;
    }
    return t;
}

HttpOutcome ok_outcome() {
    HttpOutcome o;
    o.status = 200;
    return o;
}

std::vector<const Event*> events_of(const Turn& turn, EventKind kind) {
    std::vector<const Event*> out;
    for (const Event& e : turn.timeline().events())
        if (e.kind == kind) out.push_back(&e);
    return out;
}

bool has_style(const CorrectedAnswer& a, SegmentStyle style) {
    for (const auto& s : a.segments)
        if (s.style == style) return true;
    return false;
}

// Shows everything still queued, far in the future.
void show_all(Turn& turn) {
    turn.advance(1e9);
    REQUIRE(turn.finished());
}

}  // namespace

TEST_CASE("turn: a verdict tag split across SSE chunks is parsed and stripped (pivot -> bridge)", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    // The tag is split inside the JSON ("[[piv" | "ot]]") and the bytes are cut at every size.
    const std::string stream = sse_content("[[piv") + sse_content("ot]] — actually, the capital is ") +
                               sse_content("Paris.") + sse_finish() + kDone;
    for (size_t step : {1, 2, 3, 5, 7, 11, 64, 4096}) {
        CAPTURE(step);
        Turn turn(tok, test_config());
        feed_opener(turn, tok, "What is the capital of France?", "The capital of France is Lyon");
        auto req = turn.handoff(20.0);
        REQUIRE(req.ok());
        const std::string opener = turn.opener();
        CHECK(opener == "The capital of France is Lyon");
        turn.on_cloud_status(200, 100.0);
        const double t = feed_split(turn, stream, step, 100.0);
        turn.on_cloud_end(ok_outcome(), t);
        show_all(turn);

        REQUIRE(turn.verdict());
        CHECK(turn.verdict()->verdict == Verdict::Pivot);
        CHECK(turn.verdict()->source == VerdictSource::Tag);
        CHECK(turn.cloud_text().find("[[") == std::string::npos);
        CHECK(turn.cloud_text().find("]]") == std::string::npos);
        CHECK_FALSE(turn.cloud_failed());
        const CorrectedAnswer a = turn.answer();
        CHECK(a.path == CorrectionPath::SelfRepairPivot);
        CHECK(a.label() == "pivot");
        CHECK(has_style(a, SegmentStyle::Bridge));
        CHECK(a.visible_text().rfind(opener, 0) == 0);  // the opener stays
        CHECK(a.visible_text().find("Paris.") != std::string::npos);
        CHECK(turn.shown_text().find("[") == std::string::npos);
        CHECK(turn.shown_text().rfind(opener, 0) == 0);
        CHECK(turn.shown_text().find("actually,") != std::string::npos);
        CHECK(turn.timeline().last(EventKind::CloudDone) != nullptr);
    }
}

TEST_CASE("turn: rewrite strikes the opener on a display and says 'Let me rephrase' in speech", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    const std::string stream = sse_content("[[rewrite]] Paris is the capital of France.") + sse_finish() + kDone;
    for (PresentationMode mode : {PresentationMode::Display, PresentationMode::Speech}) {
        CAPTURE(to_string(mode));
        TurnConfig cfg = test_config();
        cfg.correction.mode = mode;
        Turn turn(tok, cfg);
        feed_opener(turn, tok, "What is the capital of France?", "Lyon is a big city");
        REQUIRE(turn.handoff(20.0).ok());
        const std::string opener = turn.opener();
        CHECK(opener == "Lyon is a big city");
        turn.advance(500.0);  // part of the opener is already out when the rewrite comes
        feed_split(turn, stream, 9, 600.0);
        turn.on_cloud_end(ok_outcome(), 700.0);
        show_all(turn);

        REQUIRE(turn.verdict());
        CHECK(turn.verdict()->verdict == Verdict::Rewrite);
        const CorrectedAnswer a = turn.answer();
        CHECK(a.path == CorrectionPath::RetractAndReplace);
        CHECK(turn.shown_text().rfind(opener, 0) == 0);  // what was shown stays shown
        CHECK(turn.shown_text().find("Paris is the capital of France.") != std::string::npos);
        if (mode == PresentationMode::Display) {
            REQUIRE_FALSE(a.segments.empty());
            CHECK(a.segments.front().style == SegmentStyle::Struck);
            CHECK(trim_spaces(a.segments.front().text) == opener);
            CHECK(a.visible_text().find("Lyon") == std::string::npos);  // retracted
            CHECK(a.visible_text().find("rephrase") == std::string::npos);
        } else {
            CHECK_FALSE(has_style(a, SegmentStyle::Struck));  // spoken words cannot be struck
            CHECK(has_style(a, SegmentStyle::Bridge));
            CHECK(a.visible_text().rfind(opener, 0) == 0);
            CHECK(a.visible_text().find("Let me rephrase:") != std::string::npos);
            CHECK(turn.shown_text().find("Let me rephrase:") != std::string::npos);
        }
    }
}

TEST_CASE("turn: arrived_words are what a voice speaks: every word at the presenter, shown or not, with its arrival",
          "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    TurnConfig cfg = test_config();  // 100 ms a word
    cfg.correction.mode = PresentationMode::Speech;
    Turn turn(tok, cfg);
    feed_opener(turn, tok, "What is the capital of France?", "Lyon is a big city");
    REQUIRE(turn.handoff(20.0).ok());
    turn.advance(150.0);  // two of the opener's words shown so far
    auto a = turn.arrived_words();
    REQUIRE(a.size() == 5);  // the whole opener arrived at the handoff
    for (const auto& w : a) {
        CHECK(w.arrived_ms == Approx(20.0));
        CHECK(w.origin == Origin::Device);
    }
    CHECK(a[4].word == "city");
    feed_split(turn, sse_content("[[rewrite]] Paris is the capital of France.") + sse_finish() + kDone, 9, 600.0);
    turn.on_cloud_end(ok_outcome(), 700.0);
    a = turn.arrived_words();  // still only two shown: the rest waits at the presenter, spoken form included
    std::string said;
    for (const auto& w : a) said += (said.empty() ? "" : " ") + w.word;
    CHECK(said == "Lyon is a big city \xE2\x80\x94 Let me rephrase: Paris is the capital of France.");
    CHECK(a[5].origin == Origin::Cloud);
    CHECK(a[5].arrived_ms >= 600.0);
    CHECK(a.back().arrived_ms == Approx(700.0));  // the stream's last word arrives when it ends
    show_all(turn);
    CHECK(turn.arrived_words().size() == a.size());
    CHECK(turn.shown_text() == said);
}

TEST_CASE("turn: an untagged continuation gets an inferred verdict", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    Turn turn(tok, test_config());
    feed_opener(turn, tok, "What is the capital of France?", "The capital of France is");
    REQUIRE(turn.handoff(20.0).ok());
    const std::string opener = turn.opener();
    CHECK(opener == "The capital of France is");
    feed_split(turn, sse_content(" Paris, a city on the Seine.") + sse_finish() + kDone, 13, 300.0);
    turn.on_cloud_end(ok_outcome(), 400.0);
    show_all(turn);
    REQUIRE(turn.verdict());
    CHECK(turn.verdict()->source == VerdictSource::Inferred);
    CHECK(turn.verdict()->verdict == Verdict::Continue);
    CHECK(turn.answer().label() == "continue");
    CHECK(turn.shown_text() == "The capital of France is Paris, a city on the Seine.");
    // Recorded once, in the cloud lane.
    CHECK(events_of(turn, EventKind::Verdict).size() == 1);
}

TEST_CASE("turn: the presenter shows the opener first, then cloud words, never a word before it arrived", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    Turn turn(tok, test_config());  // 100 ms a word, no punctuation pauses
    feed_opener(turn, tok, "What is the capital of France?", "The capital of France is");
    REQUIRE(turn.handoff(10.0).ok());
    const std::string opener = turn.opener();
    const size_t opener_words = words_of(opener).size();
    REQUIRE(opener_words == 5);

    // The first cloud words arrive while the opener is still being shown; the rest long after
    // the opener has ended (a stall).
    turn.on_cloud_status(200, 150.0);
    turn.on_cloud_bytes(sse_content("[[continue]] Paris, "), 200.0);
    for (double now = 10.0; now < 3000.0; now += 10.0) turn.advance(now);
    CHECK(turn.shown_text() == opener + " Paris,");  // nothing not yet arrived
    turn.on_cloud_bytes(sse_content("on the Seine."), 3000.0);
    turn.on_cloud_bytes(sse_finish() + kDone, 3050.0);
    turn.on_cloud_end(ok_outcome(), 3100.0);
    for (double now = 3000.0; now < 6000.0; now += 10.0) turn.advance(now);
    REQUIRE(turn.finished());
    CHECK(turn.shown_text() == "The capital of France is Paris, on the Seine.");

    const auto shown = events_of(turn, EventKind::WordShown);
    REQUIRE(shown.size() == opener_words + 4);
    for (size_t i = 0; i < shown.size(); ++i) {
        CAPTURE(i, shown[i]->text, shown[i]->t_ms);
        CHECK(shown[i]->origin == (i < opener_words ? Origin::Device : Origin::Cloud));
        CHECK(shown[i]->duration_ms == Approx(100.0));
        if (i > 0) CHECK(shown[i]->t_ms >= shown[i - 1]->t_ms + shown[i - 1]->duration_ms - 1e-9);
    }
    CHECK(shown[0]->t_ms == Approx(10.0));                                    // the opener starts at the handoff
    CHECK(shown[opener_words]->t_ms >= 200.0);                                // "Paris," arrived at 200
    CHECK(shown[opener_words]->t_ms == Approx(10.0 + 100.0 * opener_words));  // queued behind the opener
    CHECK(shown[opener_words + 1]->t_ms >= 3000.0);                           // "on" arrived at 3000
    // "Seine." is the stream's last word: it arrives when the stream ends (it could still grow).
    CHECK(shown.back()->t_ms >= 3100.0);

    const TurnMetrics m = turn.timeline().metrics();
    CHECK(m.words_before_cloud == 2);  // "The", "capital" were out before the first cloud token at 200
    CHECK(m.stall_ms == Approx(0.0));  // "Paris," followed the opener at once
    CHECK(m.masked_ms == Approx(200.0 - 10.0));
}

TEST_CASE("turn: a stream that ends without [DONE] and without text fails gracefully", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    Turn turn(tok, test_config());
    feed_opener(turn, tok, "What is the capital of France?", "The capital of France is");
    REQUIRE(turn.handoff(20.0).ok());
    const std::string opener = turn.opener();
    REQUIRE(opener == "The capital of France is");
    turn.on_cloud_status(200, 100.0);
    turn.on_cloud_bytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n", 120.0);
    turn.on_cloud_end(ok_outcome(), 130.0);
    show_all(turn);
    CHECK(turn.cloud_failed());
    CHECK(turn.failure() == "the cloud answered with no text");
    const Event* failed = turn.timeline().last(EventKind::CloudFailed);
    REQUIRE(failed);
    CHECK(failed->text == turn.failure());
    CHECK(turn.timeline().last(EventKind::CloudDone) == nullptr);
    CHECK(turn.shown_text() == opener + " " + turn.config().offline_ending);
    CHECK(turn.timeline().events().back().origin == Origin::Fallback);
    CHECK(turn.timeline().metrics().failed);
}

TEST_CASE("turn: a stream with text but no [DONE] keeps its text and is not a failure", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    Turn turn(tok, test_config());
    feed_opener(turn, tok, "What is the capital of France?", "The capital of France is");
    REQUIRE(turn.handoff(20.0).ok());
    turn.on_cloud_bytes(sse_content("[[continue]] Paris."), 120.0);
    turn.on_cloud_end(ok_outcome(), 130.0);
    show_all(turn);
    CHECK_FALSE(turn.cloud_failed());
    CHECK(turn.shown_text() == "The capital of France is Paris.");
}

TEST_CASE("turn: a transport failure mid-stream keeps the partial text and ends with an ellipsis", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    Turn turn(tok, test_config());
    feed_opener(turn, tok, "What is the capital of France?", "The capital of France is");
    REQUIRE(turn.handoff(20.0).ok());
    turn.on_cloud_bytes(sse_content("[[continue]] Paris, on"), 120.0);
    HttpOutcome cut;
    cut.status = 200;
    cut.failure = TransportFailure::CutMidStream;
    cut.message = "the stream was cut mid-way";
    turn.on_cloud_end(cut, 130.0);
    show_all(turn);
    CHECK(turn.cloud_failed());
    CHECK(turn.failure() == "cut_mid_stream: the stream was cut mid-way");
    CHECK(turn.shown_text() == "The capital of France is Paris, on …");
}

TEST_CASE("turn: the canned opener is shown first and sent to the cloud", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    TurnConfig cfg = test_config();
    cfg.opener_source = OpenerSource::Canned;
    cfg.canned_opener = "Sure —";
    Turn turn(tok, cfg);
    auto prompt = turn.begin("What is the capital of France?", 0.0);
    REQUIRE(prompt.ok());
    CHECK(prompt->empty());  // no μLM to run
    CHECK(turn.opener_fixed());
    auto req = turn.handoff(1.0);
    REQUIRE(req.ok());
    CHECK(req->path == "/v1/chat/completions");
    CHECK(req->body.find("Sure —") != std::string::npos);
    CHECK(turn.opener() == "Sure —");
    CHECK(turn.opener_tokens().empty());
    CHECK_FALSE(turn.gate().fired);
    turn.advance(1.0);
    CHECK(turn.shown_text() == "Sure");
    feed_split(turn, sse_content("[[continue]] Paris is the capital of France.") + sse_finish() + kDone, 17, 300.0);
    turn.on_cloud_end(ok_outcome(), 320.0);
    show_all(turn);
    CHECK(turn.shown_text() == "Sure — Paris is the capital of France.");
    CHECK(turn.answer().label() == "continue");
    CHECK(turn.timeline().first(EventKind::PrefillDone) == nullptr);
    CHECK(turn.timeline().first(EventKind::OpenerToken) == nullptr);
}

TEST_CASE("turn: cloud only sends no verdict protocol and shows the cloud's words as they come", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    TurnConfig cfg = test_config();
    cfg.opener_source = OpenerSource::None;
    cfg.forced_verdict = "pivot";  // nothing to judge: must not be sent
    Turn turn(tok, cfg);
    REQUIRE(turn.begin("What is the capital of France?", 0.0).ok());
    auto req = turn.handoff(1.0);
    REQUIRE(req.ok());
    CHECK(req->body.find("[[continue]]") == std::string::npos);
    CHECK(req->body.find("headstart_verdict") == std::string::npos);
    turn.advance(100.0);
    CHECK(turn.shown_text().empty());
    feed_split(turn, sse_content("Paris is the capital of France.") + kDone, 5, 200.0);
    turn.on_cloud_end(ok_outcome(), 210.0);
    show_all(turn);
    CHECK(turn.shown_text() == "Paris is the capital of France.");
    CHECK_FALSE(turn.verdict());
    CHECK(turn.answer().label() == "continue");
    for (const Event* e : events_of(turn, EventKind::WordShown)) CHECK(e->origin == Origin::Cloud);
}

TEST_CASE("turn: the confidence gate replaces an opener the μLM was unsure of", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    Turn turn(tok, test_config());
    // Every token unsure (p ~ 0.04, entropy ~ 6 nats): the policy runs to min_words, the gate
    // finds no trusted word and swaps in the safe generic opener.
    feed_opener(turn, tok, "What is the capital of France?", "Lyon is a big city in France", /*unsure_from=*/0);
    for (const auto& t : turn.opener_tokens()) CHECK(t.entropy > 5.0);
    auto req = turn.handoff(20.0);
    REQUIRE(req.ok());
    CHECK(turn.gate().fired);
    CHECK(turn.gate().used_fallback);
    CHECK(turn.opener() == "Good question —");
    CHECK_FALSE(turn.gate().cut.empty());
    for (const auto& t : turn.opener_tokens()) CHECK_FALSE(t.in_opener);  // every chip marked cut
    CHECK(req->body.find("Good question") != std::string::npos);
    CHECK(req->body.find("Lyon") == std::string::npos);  // the unsure words never leave the device
    const Event* gate = turn.timeline().first(EventKind::Verdict);
    REQUIRE(gate);
    CHECK(gate->text.rfind("gate: ", 0) == 0);
    turn.advance(20.0);
    CHECK(turn.shown_text() == "Good");
    feed_split(turn, sse_content("[[continue]] Paris is the capital of France.") + kDone, 8, 100.0);
    turn.on_cloud_end(ok_outcome(), 120.0);
    show_all(turn);
    CHECK(turn.answer().path == CorrectionPath::ConfidenceGate);
    CHECK(turn.answer().label() == "gate");
    CHECK(has_style(turn.answer(), SegmentStyle::Cut));
    CHECK(turn.shown_text() == "Good question — Paris is the capital of France.");
}

TEST_CASE("turn: the confidence gate cuts the opener after its last trusted word", "[turn]") {
    const Tokenizer tok = tiny_tokenizer();
    Turn turn(tok, test_config());
    const std::string sure = "The capital of";
    const int sure_tokens = static_cast<int>(tok.encode(sure, SpecialTokens::AsText).size());
    // " is", " a", " city" are single tokens of this vocabulary, each starting its word: the
    // doubt lands on word 4 and later, never on "of".
    for (const char* w : {" is", " a", " city"}) REQUIRE(tok.encode(w, SpecialTokens::AsText).size() == 1);
    feed_opener(turn, tok, "What is the capital of France?", sure + " is a city", sure_tokens);
    REQUIRE(turn.handoff(20.0).ok());
    INFO(turn.gate().why);
    CHECK(turn.gate().fired);
    CHECK_FALSE(turn.gate().used_fallback);
    CHECK(turn.opener() == sure);
    CHECK(turn.gate().kept_words == 3);
    CHECK(trim_spaces(turn.gate().cut) == "is");
    std::string kept_chips;
    for (const auto& t : turn.opener_tokens())
        if (t.in_opener) kept_chips += t.text;
    CHECK(kept_chips == sure);
    feed_split(turn, sse_content("[[continue]] France is Paris.") + kDone, 6, 100.0);
    turn.on_cloud_end(ok_outcome(), 120.0);
    show_all(turn);
    CHECK(turn.shown_text() == "The capital of France is Paris.");
    CHECK(turn.answer().label() == "gate");
}
