// tests/test_reference.cpp — the offline cloud's reference continuator (cloud/reference_*.h): retrieval
// with its threshold, the verdict from how the opener agrees with the reference, joins without
// defects, the honest fallback, determinism, and the whole thing streamed by a real server under a
// latency profile.
#include <unistd.h>
#include <zlib.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cloud/reference_continuator.h"
#include "cloud_fixture.h"
#include "core/eval_metrics.h"
#include "core/sse.h"

using namespace headstart;
using namespace headstart_test;
using json = nlohmann::json;

namespace {

const char* kQuantumQ = "Can you explain the basics of quantum computing?";
const char* kQuantumA =
    "Quantum computing is a fascinating and complex field, but I'll break down the basics for you. "
    "Classical computers use bits, which are either 0 or 1. Quantum computers use qubits, which can be both "
    "at once thanks to superposition. Entanglement links qubits so that measuring one tells you about the other.";
const char* kSkyQ = "Why is the sky blue?";
const char* kSkyA =
    "The sky appears blue because of Rayleigh scattering. Sunlight is made of many colours, and the short blue "
    "wavelengths are scattered by the gases of the atmosphere much more than red ones.";
const char* kRunQ = "How do I start running?";
const char* kRunA =
    "Start slowly and build up over weeks. Here is a plan:\n\n1. Walk and jog for twenty minutes three times a week.\n"
    "2. Add five minutes each week.";
const char* kHabitQ = "What is the best way to form a new habit?";
const char* kHabitA =
    "Forming a new habit takes patience. Start small, attach the habit to something you already do every day, "
    "and track it so you can see your progress.";

std::string temp_path(const std::string& name) {
    return "/tmp/headstart-ref-" + std::to_string(::getpid()) + "-" + name;
}

std::string write_gz(const std::string& name, const std::string& text) {
    const std::string path = temp_path(name);
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    gzclose(f);
    return path;
}

std::string corpus_text() {
    std::string out;
    for (auto [q, a] : {std::pair{kQuantumQ, kQuantumA}, std::pair{kSkyQ, kSkyA}, std::pair{kHabitQ, kHabitA},
                        std::pair{kRunQ, kRunA}})
        out += json({{"q", q}, {"a", a}, {"src", "test"}}).dump() + "\n";
    return out;
}

std::shared_ptr<const ReferenceCorpus> test_corpus() {
    static std::shared_ptr<const ReferenceCorpus> corpus = [] {
        auto c = ReferenceCorpus::load(write_gz("corpus.jsonl.gz", corpus_text()));
        REQUIRE(c.ok());
        return std::shared_ptr<const ReferenceCorpus>(std::move(*c));
    }();
    return corpus;
}

struct Generated {
    std::vector<std::string> pieces;
    std::string text, finish;
};

Generated generate(const ContinuationTask& task) {
    ReferenceContinuatorOptions o;
    o.count_tokens = [](std::string_view) { return 1; };  // a token a piece: the budget in words
    auto c = make_reference_continuator(test_corpus(), o);
    Generated g;
    const Status st = c->generate(
        task,
        [&](std::string_view p) {
            g.pieces.emplace_back(p);
            g.text += p;
            return true;
        },
        &g.finish);
    REQUIRE(st.ok());
    return g;
}

ContinuationTask task(const std::string& question, const std::string& opener, const std::string& forced = "") {
    ContinuationTask t;
    t.question = question;
    t.opener = opener;
    t.system = "Begin with [[continue]], [[pivot]] or [[rewrite]].";
    t.forced_verdict = forced;
    t.max_tokens = 200;
    return t;
}

}  // namespace

TEST_CASE("reference: the opener that is the reference's start is continued mid-sentence, without defects",
          "[reference]") {
    const ReferencePlan p = plan_reference_continuation(kQuantumQ, "Quantum computing is a", kQuantumA);
    CHECK(p.verdict == Verdict::Continue);
    CHECK(p.text.rfind(" fascinating and complex field", 0) == 0);
    const JoinDefects d = find_join_defects("Quantum computing is a", "Quantum computing is a" + p.text);
    CHECK(d.applicable);
    CHECK(d.total() == 0);
}

TEST_CASE("reference: an opener at a later sentence start continues there; the punctuation is not doubled",
          "[reference]") {
    ReferencePlan p = plan_reference_continuation(kQuantumQ, "Classical computers use bits,", kQuantumA);
    CHECK(p.verdict == Verdict::Continue);
    CHECK(p.text.rfind(" which are either 0 or 1.", 0) == 0);
    const JoinDefects d = find_join_defects("Classical computers use bits,", "Classical computers use bits," + p.text);
    CHECK(d.total() == 0);
    p = plan_reference_continuation(kQuantumQ, "Classical computers use bits", kQuantumA);
    CHECK(p.text.rfind(", which are", 0) == 0);  // the comma is the continuation's
}

TEST_CASE("reference: on topic but not the reference's words is a pivot into the reference", "[reference]") {
    // A partial match (the last words occur mid-sentence) is not a continue: it would join two subjects.
    const ReferencePlan p = plan_reference_continuation(kSkyQ, "The sky is blue because of the", kSkyA);
    CHECK(p.verdict == Verdict::Pivot);
    CHECK(p.text == " — actually, t" + std::string(kSkyA).substr(1));
    const ReferencePlan h = plan_reference_continuation(kHabitQ, "There are many ways to form a habit", kHabitA);
    CHECK(h.verdict == Verdict::Pivot);
    CHECK(h.text.rfind(" — actually, forming a new habit", 0) == 0);  // a gerund after the bridge: lower case
}

TEST_CASE("reference: an opener off the topic is retracted and the reference answers afresh", "[reference]") {
    const ReferencePlan p = plan_reference_continuation(kSkyQ, "Bananas are rich in potassium", kSkyA);
    CHECK(p.verdict == Verdict::Rewrite);
    CHECK(p.text == kSkyA);
}

TEST_CASE("reference: a generic opener is followed by the whole reference; no opener, the reference", "[reference]") {
    ReferencePlan p = plan_reference_continuation(kSkyQ, "Good question —", kSkyA);
    CHECK(p.verdict == Verdict::Continue);
    CHECK(p.text == std::string(" ") + kSkyA);
    p = plan_reference_continuation(kSkyQ, "", kSkyA);
    CHECK(p.text == kSkyA);
}

TEST_CASE("reference corpus: exact and close questions are found, unrelated ones are not", "[reference]") {
    auto corpus = test_corpus();
    CHECK(corpus->size() == 4);
    auto r = corpus->lookup(kSkyQ);
    REQUIRE(r);
    CHECK(r->score == Approx(1.0));
    CHECK(r->answer == kSkyA);
    r = corpus->lookup("why is the sky so blue");
    REQUIRE(r);
    CHECK(r->question == kSkyQ);
    CHECK_FALSE(corpus->lookup("What is the capital of Peru?"));
    CHECK_FALSE(corpus->lookup("Why is the sea salty?"));  // shares one word of three: below 0.6
    CHECK_FALSE(corpus->lookup(""));
    CHECK_FALSE(corpus->lookup(std::string("\xff\xfe the of", 9)));
    CHECK(content_word_f1("Why is the sky blue?", "why is the SKY blue") == Approx(1.0));
    CHECK(content_word_f1("Why is the sky blue?", "How do plants grow?") == 0.0);
}

TEST_CASE("reference corpus: a missing, corrupt or empty corpus is a readable error", "[reference]") {
    auto missing = ReferenceCorpus::load(temp_path("missing.jsonl.gz"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().find("missing.jsonl.gz") != std::string::npos);
    const std::string garbage = temp_path("garbage.jsonl.gz");
    std::ofstream(garbage) << "\x1f\x8b\x08 this is no gzip stream";
    CHECK_FALSE(ReferenceCorpus::load(garbage).ok());
    CHECK_FALSE(ReferenceCorpus::load(write_gz("empty.jsonl.gz", "")).ok());
    auto bad = ReferenceCorpus::load(write_gz("bad.jsonl.gz", "{\"q\": \"x\"}\n"));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().find(":1:") != std::string::npos);
}

TEST_CASE("reference corpus: several files, a prompt set's references among them, the first listed wins ties",
          "[reference]") {
    // A prompt set (plain JSONL): rows without a reference are skipped; the sky question is in both files.
    const std::string set = temp_path("set.jsonl");
    std::ofstream(set) << json({{"id", "b-1"}, {"prompt", kSkyQ}, {"reference", "Benchmark sky answer."}}).dump()
                       << "\n"
                       << json({{"id", "b-2"}, {"prompt", "What is a prompt without a reference?"}}).dump() << "\n";
    const std::string corpus = write_gz("multi.jsonl.gz", corpus_text());
    auto first = ReferenceCorpus::load(std::vector<std::string>{set, corpus});
    REQUIRE(first.ok());
    CHECK((*first)->size() == 5);  // 1 + 4
    auto r = (*first)->lookup(kSkyQ);
    REQUIRE(r);
    CHECK(r->answer == "Benchmark sky answer.");
    CHECK(r->source == "b-1");
    CHECK((*first)->lookup(kRunQ)->answer == kRunA);  // the corpus still answers the rest
    CHECK_FALSE((*first)->lookup("What is a prompt without a reference?"));
    auto second = ReferenceCorpus::load(std::vector<std::string>{corpus, set});
    REQUIRE(second.ok());
    CHECK((*second)->lookup(kSkyQ)->answer == kSkyA);
    // A file with no answer at all, or a missing one, fails the whole load with its name.
    const std::string no_refs = temp_path("norefs.jsonl");
    std::ofstream(no_refs) << json({{"prompt", "Only a question?"}}).dump() << "\n";
    auto none = ReferenceCorpus::load(std::vector<std::string>{corpus, no_refs});
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().find("norefs.jsonl") != std::string::npos);
    CHECK_FALSE(ReferenceCorpus::load(std::vector<std::string>{corpus, temp_path("absent.jsonl")}).ok());
    CHECK_FALSE(ReferenceCorpus::load(std::vector<std::string>{}).ok());
}

TEST_CASE("reference continuator: below the threshold it says it has no answer, tagged as a rewrite", "[reference]") {
    const Generated g = generate(task("What is the capital of Peru?", "The capital of Peru is"));
    REQUIRE(!g.pieces.empty());
    CHECK(g.pieces[0] == "[[rewrite]]");
    CHECK(g.text == std::string("[[rewrite]]") + kOfflineNoAnswer);
}

TEST_CASE("reference continuator: deterministic, word by word, forced paths, the length budget and stop",
          "[reference]") {
    const Generated a = generate(task(kQuantumQ, "Quantum computing is a"));
    const Generated b = generate(task(kQuantumQ, "Quantum computing is a"));
    CHECK(a.text == b.text);
    CHECK(a.pieces.size() > 20);  // one piece per word, as a model streams
    CHECK(a.pieces[0] == "[[continue]]");
    CHECK(a.finish == "stop");

    const Generated forced = generate(task(kQuantumQ, "Quantum computing is a", "pivot"));
    CHECK(forced.text.rfind("[[pivot]] — actually, quantum computing", 0) == 0);

    ContinuationTask t = task(kQuantumQ, "Quantum computing is a");
    t.max_tokens = 16;  // the tag + 15 words, cut back to the sentence end after word 11
    const Generated cut = generate(t);
    CHECK(cut.finish == "length");
    CHECK(cut.text == "[[continue]] fascinating and complex field, but I'll break down the basics for you.");

    // A list's "1." is no sentence end to cut back to.
    ReferenceContinuatorOptions o;
    o.count_tokens = [](std::string_view) { return 1; };
    auto lister = make_reference_continuator(test_corpus(), o);
    ContinuationTask list_task = task(kRunQ, "");
    list_task.system.clear();
    list_task.max_tokens = 13;  // up to "… plan: 1. Walk"
    std::string listed, finish;
    REQUIRE(lister
                ->generate(
                    list_task,
                    [&](std::string_view p) {
                        listed += p;
                        return true;
                    },
                    &finish)
                .ok());
    CHECK(listed == "Start slowly and build up over weeks. Here is a plan:");
    CHECK(finish == "length");

    t.max_tokens = 200;
    t.stop = {"Classical"};
    const Generated stopped = generate(t);
    CHECK(stopped.text == "[[continue]] fascinating and complex field, but I'll break down the basics for you. ");

    ContinuationTask plain = task(kSkyQ, "");  // a plain request: no tag, the answer
    plain.system.clear();
    CHECK(generate(plain).text == kSkyA);
}

TEST_CASE("reference continuator: streamed by headstart-cloud under a latency profile", "[reference][cloud]") {
    CloudServerOptions o = test_server_options();
    latency_profile("wifi", &o.latency);
    auto corpus = test_corpus();
    CloudFixture cloud(
        o, [corpus]() -> Result<std::unique_ptr<Continuator>> { return make_reference_continuator(corpus); });
    const json body = {
        {"stream", true},
        {"messages",
         json::array({{{"role", "system"}, {"content", "Start with [[continue]], [[pivot]] or [[rewrite]]."}},
                      {{"role", "user"}, {"content", kQuantumQ}},
                      {{"role", "assistant"}, {"content", "Quantum computing is a"}}})}};
    const StreamedResponse r = post_streamed(cloud, "/v1/chat/completions", body.dump());
    REQUIRE(r.status == 200);
    CHECK(r.completed);
    REQUIRE(!r.chunks.empty());
    CHECK(r.chunks.front().first >= 300);  // wifi's first-token wait: 450 ms ± 120
    OpenAiStream sse;
    std::string text;
    for (const auto& d : sse.feed(r.body))
        if (d.kind == StreamDelta::Kind::Text) text += d.text;
    CHECK(text.rfind("[[continue]] fascinating and complex field", 0) == 0);
}
