// Whole turns end to end: run_turn (native/turn_runner.h) with the tiny μLM in ONNX Runtime on
// this thread, cpp-httplib to a real headstart-cloud on 127.0.0.1 (in-process, the same tiny
// model behind it). The happy path, the pacing, and every failure path: unreachable,
// HTTP 5xx, a stall past the deadline, a stream cut mid-way, a garbage stream, cancellation. Each
// failure must end the turn (bounded by wall clock), keep the opener shown, record CloudFailed
// with a readable reason and end gracefully.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <fstream>

#include "cloud_fixture.h"
#include "core/prompt_cache.h"
#include "core/tokenizer.h"
#include "core/turn.h"
#include "core/words.h"
#include "native/ort_model.h"
#include "native/turn_runner.h"

using namespace headstart;
using namespace headstart_test;

namespace {

const std::string kQuestion = "What is the capital of France?";

Tokenizer tiny_tokenizer() {
    auto t = Tokenizer::load(fixture("tokenizer.json"));
    INFO((t.ok() ? std::string() : t.error()));
    REQUIRE(t.ok());
    return t.value();
}

std::unique_ptr<LanguageModel> tiny_model() {
    auto m = load_ort_model(fixture("tiny.onnx"));
    INFO((m.ok() ? std::string() : m.error()));
    REQUIRE(m.ok());
    return std::move(m.value());
}

TurnConfig e2e_config() {
    TurnConfig c;
    // Greedy: the tiny μLM's opener is then fixed ("The capital of the capital of ..."), a long
    // answer the cloud can continue (sampled, it sometimes says "2000?" and ends).
    c.sampler.temperature = 0.0f;
    c.handoff.max_tokens = 24;  // short answers keep the suite fast
    return c;
}

TurnRunOptions fast_options(const std::string& base_url) {
    TurnRunOptions o;
    o.endpoint.base_url = base_url;
    o.paced = false;
    o.connect_timeout_ms = 1000;
    o.idle_timeout_ms = 3000;
    o.total_timeout_ms = 5000;
    return o;
}

struct Outcome {
    Status status = Ok{};
    double wall_ms = 0;
    int updates = 0;
};

// Runs the turn on this thread with a watchdog: past `limit_ms` it cancels the turn and the test
// fails instead of hanging.
Outcome run_bounded(Turn& turn, LanguageModel* model, const TurnRunOptions& options, double limit_ms,
                    std::atomic<bool>* cancel = nullptr) {
    std::atomic<bool> own_cancel{false};
    std::atomic<bool>& flag = cancel ? *cancel : own_cancel;
    std::atomic<bool> done{false}, watchdog_fired{false};
    std::thread watchdog([&] {
        const auto t0 = Clock::now();
        while (!done && ms_since(t0) < limit_ms) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (!done) {
            watchdog_fired = true;
            flag = true;
        }
    });
    HttpClient http;
    Outcome out;
    const auto t0 = Clock::now();
    std::string thrown;
    try {
        out.status = run_turn(
            turn, kQuestion, model, http, options, [&](const Turn&) { ++out.updates; }, &flag);
    } catch (const std::exception& e) {  // errors are data here: nothing may throw across run_turn
        thrown = e.what();
        out.status = Error{std::string("run_turn threw: ") + e.what()};
    }
    out.wall_ms = ms_since(t0);
    done = true;
    watchdog.join();
    INFO(thrown);
    CHECK(thrown.empty());
    INFO("wall " << out.wall_ms << " ms");
    CHECK_FALSE(watchdog_fired);
    return out;
}

std::vector<const Event*> events_of(const Turn& turn, EventKind kind) {
    std::vector<const Event*> out;
    for (const Event& e : turn.timeline().events())
        if (e.kind == kind) out.push_back(&e);
    return out;
}

std::string timeline_dump(const Turn& turn) {
    std::string s;
    for (const Event& e : turn.timeline().events())
        s += std::string(to_string(e.kind)) + " @" + std::to_string(e.t_ms) + " " + e.text + "\n";
    return s;
}

// What every failure path must show: the turn finished, the opener was shown first, CloudFailed
// names the reason, and the words end with the offline ending or "…".
void expect_graceful_failure(const Turn& turn, const Outcome& out, const std::string& reason_has) {
    INFO(timeline_dump(turn));
    REQUIRE(out.status.ok());
    CHECK(turn.finished());
    CHECK(turn.cloud_failed());
    CHECK(turn.failure().find(reason_has) != std::string::npos);
    const Event* failed = turn.timeline().last(EventKind::CloudFailed);
    REQUIRE(failed);
    CHECK(failed->text == turn.failure());
    CHECK(turn.timeline().last(EventKind::CloudDone) == nullptr);
    const std::string opener = turn.opener();
    REQUIRE_FALSE(opener.empty());
    CHECK(turn.shown_text().rfind(opener, 0) == 0);
    const auto shown = events_of(turn, EventKind::WordShown);
    REQUIRE_FALSE(shown.empty());
    CHECK(shown.front()->origin == Origin::Device);
    CHECK(shown.back()->origin == Origin::Fallback);
    const std::string& ending = turn.config().offline_ending;
    const std::string text = turn.shown_text();
    const bool offline =
        text.size() >= ending.size() && text.compare(text.size() - ending.size(), ending.size(), ending) == 0;
    const bool ellipsis = text.size() >= 3 && text.compare(text.size() - 3, 3, "…") == 0;
    CHECK((offline || ellipsis));
    CHECK(turn.timeline().metrics().failed);
}

// A port on 127.0.0.1 that refuses connections: bound (so nobody else takes it) but not listening.
class DeadPort {
public:
    DeadPort() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port_ = ntohs(a.sin_port);
    }
    ~DeadPort() { close(fd_); }
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

}  // namespace

TEST_CASE("e2e: a turn with the tiny μLM and headstart-cloud records the whole timeline", "[e2e]") {
    CloudFixture cloud;
    auto model = tiny_model();
    const HandoffMode mode = GENERATE(HandoffMode::Chat, HandoffMode::Prefill);
    CAPTURE(to_string(mode));
    TurnConfig cfg = e2e_config();
    cfg.handoff.mode = mode;
    Turn turn(tiny_tokenizer(), cfg);
    const Outcome out = run_bounded(turn, model.get(), fast_options(cloud.base_url()), 10000);
    INFO(timeline_dump(turn));
    REQUIRE(out.status.ok());
    CHECK(turn.finished());
    CHECK_FALSE(turn.cloud_failed());
    CHECK(out.updates > 0);

    // Every stage, in order.
    const std::vector<EventKind> order = {
        EventKind::Request,          EventKind::PrefillDone,    EventKind::OpenerToken,      EventKind::Handoff,
        EventKind::CloudRequestSent, EventKind::CloudFirstByte, EventKind::ContinuationToken};
    double last_t = -1;
    for (EventKind k : order) {
        CAPTURE(to_string(k));
        const Event* e = turn.timeline().first(k);
        REQUIRE(e);
        CHECK(e->t_ms >= last_t);
        last_t = e->t_ms;
    }
    REQUIRE(turn.timeline().first(EventKind::Verdict));
    REQUIRE(turn.timeline().first(EventKind::CloudDone));
    CHECK(turn.timeline().first(EventKind::CloudDone)->t_ms >= last_t);
    CHECK(turn.timeline().first(EventKind::CloudFirstByte)->text == "HTTP 200");
    REQUIRE_FALSE(events_of(turn, EventKind::WordShown).empty());

    // headstart-cloud follows the protocol, so the verdict comes from the tag, not inference.
    REQUIRE(turn.verdict());
    CHECK(turn.verdict()->source == VerdictSource::Tag);
    const std::string label = turn.answer().label();
    CHECK((label == "continue" || label == "gate" || label == "pivot" || label == "rewrite" || label == "gate+pivot" ||
           label == "gate+rewrite"));
    CHECK(turn.cloud_text().find("[[") == std::string::npos);

    const TurnMetrics m = turn.timeline().metrics();
    REQUIRE(m.local_ttft_ms);
    REQUIRE(m.cloud_ttft_ms);
    REQUIRE(m.perceived_first_word_ms);
    CHECK(*m.local_ttft_ms >= 0.0);
    CHECK(*m.cloud_ttft_ms >= 0.0);
    CHECK_FALSE(m.failed);
    CHECK(m.path == turn.timeline().last(EventKind::Verdict)->text);

    // The opener was shown first, then the rest; the μLM's tokens are chips.
    const std::string opener = turn.opener();
    REQUIRE_FALSE(opener.empty());
    CHECK(turn.shown_text().rfind(opener, 0) == 0);
    CHECK(turn.shown_text().size() > opener.size());
    CHECK_FALSE(turn.opener_tokens().empty());
    CHECK(out.wall_ms < 5000.0);
}

TEST_CASE("e2e: forced verdicts reach the cloud and pick the correction path", "[e2e]") {
    CloudFixture cloud;
    auto model = tiny_model();
    TurnConfig cfg = e2e_config();
    cfg.gate.enabled = false;  // keep the μLM's opener so pivot / rewrite act on it
    SECTION("pivot: the opener stays and a bridge follows") {
        cfg.forced_verdict = "pivot";
        Turn turn(tiny_tokenizer(), cfg);
        REQUIRE(run_bounded(turn, model.get(), fast_options(cloud.base_url()), 10000).status.ok());
        INFO(timeline_dump(turn));
        REQUIRE(turn.verdict());
        CHECK(turn.verdict()->verdict == Verdict::Pivot);
        CHECK(turn.answer().label() == "pivot");
        bool bridge = false;
        for (const auto& s : turn.answer().segments) bridge |= s.style == SegmentStyle::Bridge;
        CHECK(bridge);
        CHECK(turn.shown_text().rfind(turn.opener(), 0) == 0);
        CHECK(turn.shown_text().find("actually,") != std::string::npos);
    }
    SECTION("rewrite: the opener is struck and replaced") {
        cfg.forced_verdict = "rewrite";
        Turn turn(tiny_tokenizer(), cfg);
        REQUIRE(run_bounded(turn, model.get(), fast_options(cloud.base_url()), 10000).status.ok());
        INFO(timeline_dump(turn));
        REQUIRE(turn.verdict());
        CHECK(turn.verdict()->verdict == Verdict::Rewrite);
        const CorrectedAnswer a = turn.answer();
        CHECK(a.path == CorrectionPath::RetractAndReplace);
        REQUIRE_FALSE(a.segments.empty());
        CHECK(a.segments.front().style == SegmentStyle::Struck);
    }
}

TEST_CASE("e2e: paced, words are shown at the configured rate and the cloud wait is masked", "[e2e]") {
    CloudServerOptions so = test_server_options();
    so.latency.name = "test";
    so.latency.first_token_ms = 250;
    CloudFixture cloud(so);
    auto model = tiny_model();
    TurnConfig cfg = e2e_config();
    cfg.presenter.words_per_minute = cfg.opener.words_per_minute = 1200;  // 50 ms a word
    cfg.presenter.punctuation_pauses = false;
    cfg.handoff.max_tokens = 8;
    Turn turn(tiny_tokenizer(), cfg);
    TurnRunOptions o = fast_options(cloud.base_url());
    o.paced = true;
    const Outcome out = run_bounded(turn, model.get(), o, 8000);
    INFO(timeline_dump(turn));
    REQUIRE(out.status.ok());
    CHECK_FALSE(turn.cloud_failed());

    const auto shown = events_of(turn, EventKind::WordShown);
    REQUIRE(shown.size() >= 4);
    const Event* first_cont = turn.timeline().first(EventKind::ContinuationToken);
    REQUIRE(first_cont);
    for (size_t i = 0; i < shown.size(); ++i) {
        CAPTURE(i, shown[i]->text);
        // The slot at 1200 wpm (a punctuation-only chunk like "—" takes only its pause: none here).
        CHECK(shown[i]->duration_ms == Approx(has_no_word_chars(shown[i]->text) ? 0.0 : 50.0));
        if (i > 0) CHECK(shown[i]->t_ms >= shown[i - 1]->t_ms + 50.0 - 1e-6);              // never over another word
        if (shown[i]->origin == Origin::Cloud) CHECK(shown[i]->t_ms >= first_cont->t_ms);  // never before it came
    }
    // The real clock followed the schedule: the last word could not be shown before its slot.
    CHECK(out.wall_ms >= shown.back()->t_ms - 1.0);
    double slots = 0;
    for (size_t i = 0; i + 1 < shown.size(); ++i) slots += shown[i]->duration_ms;
    CHECK(out.wall_ms >= slots);

    const TurnMetrics m = turn.timeline().metrics();
    REQUIRE(m.cloud_ttft_ms);
    CHECK(*m.cloud_ttft_ms >= 240.0);  // the injected first-token latency
    CHECK(m.masked_ms > 0.0);          // part of it hidden behind the opener being shown
    CHECK(m.words_before_cloud >= 1);
}

TEST_CASE("e2e: cloud unreachable — the opener stays and the offline ending follows", "[e2e]") {
    DeadPort dead;
    auto model = tiny_model();
    Turn turn(tiny_tokenizer(), e2e_config());
    const Outcome out =
        run_bounded(turn, model.get(), fast_options("http://127.0.0.1:" + std::to_string(dead.port())), 3000);
    expect_graceful_failure(turn, out, "unreachable");
    CHECK(turn.failure().find(std::to_string(dead.port())) != std::string::npos);
    CHECK(turn.timeline().first(EventKind::CloudFirstByte) == nullptr);
    CHECK(out.wall_ms < 2000.0);
}

TEST_CASE("e2e: HTTP 503 from the cloud ends the turn with the status in the reason", "[e2e]") {
    CloudFixture cloud;
    auto model = tiny_model();
    Turn turn(tiny_tokenizer(), e2e_config());
    TurnRunOptions o = fast_options(cloud.base_url());
    o.headers = {{"X-Headstart-Fault", "status:503"}};
    const Outcome out = run_bounded(turn, model.get(), o, 3000);
    expect_graceful_failure(turn, out, "503");
    CHECK(turn.failure().find("injected failure") != std::string::npos);  // the server's own message
    CHECK(turn.cloud_text().empty());
}

TEST_CASE("e2e: a cloud silent past the idle deadline times out quickly", "[e2e]") {
    CloudFixture cloud;
    auto model = tiny_model();
    Turn turn(tiny_tokenizer(), e2e_config());
    TurnRunOptions o = fast_options(cloud.base_url());
    o.idle_timeout_ms = 400;
    o.headers = {{"X-Headstart-Fault", "stall:3000"}};
    const Outcome out = run_bounded(turn, model.get(), o, 2500);
    expect_graceful_failure(turn, out, "timeout");
    CHECK(turn.failure().find("400 ms") != std::string::npos);
    CHECK(out.wall_ms < 2000.0);
    CHECK(out.wall_ms >= 380.0);
    const Event* failed = turn.timeline().last(EventKind::CloudFailed);
    const Event* sent = turn.timeline().first(EventKind::CloudRequestSent);
    REQUIRE((failed && sent));
    CHECK(failed->t_ms - sent->t_ms >= 380.0);
}

TEST_CASE("e2e: a stream cut mid-way keeps the partial continuation", "[e2e]") {
    CloudFixture cloud;
    auto model = tiny_model();
    TurnConfig cfg = e2e_config();
    cfg.gate.enabled = false;
    cfg.forced_verdict = "continue";  // tag + 2 text chunks before the cut
    Turn turn(tiny_tokenizer(), cfg);
    TurnRunOptions o = fast_options(cloud.base_url());
    o.headers = {{"X-Headstart-Fault", "cut:3"}};
    const Outcome out = run_bounded(turn, model.get(), o, 3000);
    expect_graceful_failure(turn, out, "cut_mid_stream");
    INFO(timeline_dump(turn));
    CHECK_FALSE(trim_spaces(turn.cloud_text()).empty());
    CHECK(events_of(turn, EventKind::ContinuationToken).size() == 3);
    CHECK(turn.shown_text().size() >= 3);
    CHECK(turn.shown_text().compare(turn.shown_text().size() - 3, 3, "…") == 0);
    // What the cloud sent is kept, between the opener and the ellipsis.
    CHECK(turn.answer().visible_text().find(std::string(trim_spaces(turn.cloud_text()))) != std::string::npos);
}

TEST_CASE("e2e: a garbage SSE stream ends the turn and records the bad stream", "[e2e]") {
    CloudFixture cloud;
    auto model = tiny_model();
    Turn turn(tiny_tokenizer(), e2e_config());
    TurnRunOptions o = fast_options(cloud.base_url());
    o.headers = {{"X-Headstart-Fault", "garbage"}};
    const Outcome out = run_bounded(turn, model.get(), o, 3000);
    expect_graceful_failure(turn, out, "bad stream");
    CHECK(turn.failure().find("malformed JSON") != std::string::npos);
}

TEST_CASE("e2e: cancelling from another thread ends the turn quickly", "[e2e]") {
    CloudServerOptions so = test_server_options();
    so.latency.name = "test";
    so.latency.first_token_ms = 1500;
    CloudFixture cloud(so);
    auto model = tiny_model();
    Turn turn(tiny_tokenizer(), e2e_config());
    std::atomic<bool> cancel{false};
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        cancel = true;
    });
    const Outcome out = run_bounded(turn, model.get(), fast_options(cloud.base_url()), 3000, &cancel);
    canceller.join();
    expect_graceful_failure(turn, out, "cancelled");
    CHECK(out.wall_ms < 1000.0);  // not the cloud's 1500 ms
}

TEST_CASE("e2e: cloud only — no μLM, the cloud's answer is all there is", "[e2e]") {
    CloudFixture cloud;
    TurnConfig cfg = e2e_config();
    cfg.opener_source = OpenerSource::None;
    Turn turn(tiny_tokenizer(), cfg);
    const Outcome out = run_bounded(turn, nullptr, fast_options(cloud.base_url()), 5000);
    INFO(timeline_dump(turn));
    REQUIRE(out.status.ok());
    CHECK(turn.finished());
    CHECK_FALSE(turn.cloud_failed());
    CHECK(turn.opener().empty());
    CHECK(turn.timeline().first(EventKind::OpenerToken) == nullptr);
    CHECK(turn.timeline().first(EventKind::PrefillDone) == nullptr);
    CHECK_FALSE(turn.verdict());
    CHECK_FALSE(turn.cloud_text().empty());
    CHECK(turn.cloud_text().find("[[") == std::string::npos);  // no protocol asked, none sent
    const auto shown = events_of(turn, EventKind::WordShown);
    REQUIRE_FALSE(shown.empty());
    for (const Event* e : shown) CHECK(e->origin == Origin::Cloud);
    CHECK(turn.timeline().metrics().cloud_ttft_ms);
    CHECK_FALSE(turn.timeline().metrics().local_ttft_ms);
}

TEST_CASE("e2e: canned opener — shown at once, continued by the cloud", "[e2e]") {
    CloudFixture cloud;
    TurnConfig cfg = e2e_config();
    cfg.opener_source = OpenerSource::Canned;
    cfg.canned_opener = "Sure —";
    cfg.forced_verdict = "continue";
    Turn turn(tiny_tokenizer(), cfg);
    const Outcome out = run_bounded(turn, nullptr, fast_options(cloud.base_url()), 5000);
    INFO(timeline_dump(turn));
    REQUIRE(out.status.ok());
    CHECK(turn.finished());
    CHECK_FALSE(turn.cloud_failed());
    CHECK(turn.opener() == "Sure —");
    CHECK(turn.shown_text().rfind("Sure —", 0) == 0);
    CHECK(turn.shown_text().size() > std::string("Sure —").size());
    REQUIRE(turn.verdict());
    CHECK(turn.verdict()->source == VerdictSource::Tag);
    CHECK(turn.answer().label() == "continue");
    CHECK(turn.timeline().first(EventKind::OpenerToken) == nullptr);
    CHECK(events_of(turn, EventKind::WordShown).front()->origin == Origin::Device);
}

TEST_CASE("e2e: a μLM that fails goes on as cloud only", "[e2e]") {
    CloudFixture cloud;
    Turn turn(tiny_tokenizer(), e2e_config());  // a μLM opener is asked for, but no model is given
    const Outcome out = run_bounded(turn, nullptr, fast_options(cloud.base_url()), 5000);
    INFO(timeline_dump(turn));
    REQUIRE(out.status.ok());
    CHECK(turn.finished());
    CHECK_FALSE(turn.cloud_failed());
    const Event* v = turn.timeline().first(EventKind::Verdict);
    REQUIRE(v);
    CHECK(v->text.find("μLM failed") != std::string::npos);
    CHECK_FALSE(turn.shown_text().empty());
}

TEST_CASE("e2e: a missing or corrupt model gives a readable error", "[e2e]") {
    ModelContinuatorOptions o = tiny_continuator();
    SECTION("missing model file") {
        o.model_path = fixture("no-such-model.onnx");
        auto c = make_model_continuator(o);
        REQUIRE_FALSE(c.ok());
        CHECK(c.error().find("no-such-model.onnx") != std::string::npos);
    }
    SECTION("corrupt model file") {
        const std::string path = "/tmp/headstart-corrupt-" + std::to_string(getpid()) + ".onnx";
        std::ofstream(path, std::ios::binary) << "this is not an ONNX protobuf at all";
        o.model_path = path;
        auto c = make_model_continuator(o);
        std::remove(path.c_str());
        REQUIRE_FALSE(c.ok());
        INFO(c.error());
        CHECK(c.error().find(path) != std::string::npos);
        CHECK(c.error().find("ONNX") != std::string::npos);
    }
    SECTION("missing tokenizer") {
        o.tokenizer_path = fixture("no-such-tokenizer.json");
        auto c = make_model_continuator(o);
        REQUIRE_FALSE(c.ok());
        CHECK(c.error().find("no-such-tokenizer.json") != std::string::npos);
    }
}

TEST_CASE("e2e: a question read ahead while typed gives the same opener, with the reuse recorded", "[e2e]") {
    CloudFixture cloud;
    auto cold_model = tiny_model();
    Turn cold(tiny_tokenizer(), e2e_config());
    REQUIRE(run_bounded(cold, cold_model.get(), fast_options(cloud.base_url()), 10000).status.ok());
    CHECK(cold.prompt_reused() == 0);
    REQUIRE(cold.prompt_tokens() > 0);

    auto inner = tiny_model();
    CachingModel model(*inner);
    const auto prefix = prompt_prefix(tiny_tokenizer(), kQuestion, e2e_config());  // all but "France?"
    REQUIRE(model.preread(prefix).ok());
    Turn ahead(tiny_tokenizer(), e2e_config());
    REQUIRE(run_bounded(ahead, &model, fast_options(cloud.base_url()), 10000).status.ok());
    CHECK(ahead.prompt_tokens() == cold.prompt_tokens());
    CHECK(ahead.prompt_reused() == static_cast<int>(prefix.size()));
    CHECK(ahead.opener() == cold.opener());  // greedy: the cache changes when, not what

    // The next turn of the same question reuses its whole prompt but the last token.
    Turn again(tiny_tokenizer(), e2e_config());
    REQUIRE(run_bounded(again, &model, fast_options(cloud.base_url()), 10000).status.ok());
    CHECK(again.prompt_reused() == again.prompt_tokens() - 1);
    CHECK(again.opener() == cold.opener());
}
