#include <catch2/catch.hpp>

#include "core/verdict.h"

using namespace headstart;

namespace {

struct Parsed {
    std::string text;  // everything passed on
    VerdictReport report;
};

Parsed run(const std::string& opener, const std::vector<std::string>& deltas) {
    VerdictParser p(opener);
    Parsed out;
    for (const std::string& d : deltas) out.text += p.push(d);
    out.text += p.finish();
    REQUIRE(p.decided());
    out.report = p.report();
    return out;
}

const std::string kOpener = "The best way to";

}  // namespace

TEST_CASE("verdict: the three tags", "[verdict]") {
    CHECK(verdict_tag(Verdict::Continue) == std::string("[[continue]]"));
    CHECK(verdict_tag(Verdict::Pivot) == std::string("[[pivot]]"));
    CHECK(verdict_tag(Verdict::Rewrite) == std::string("[[rewrite]]"));
    CHECK(to_string(Verdict::Pivot) == std::string("pivot"));
    CHECK(to_string(VerdictSource::Tag) == std::string("tag"));

    auto c = run(kOpener, {"[[continue]] learn is by doing."});
    CHECK(c.report.verdict == Verdict::Continue);
    CHECK(c.report.source == VerdictSource::Tag);
    CHECK(c.report.why == "tag [[continue]]");
    CHECK(c.text == " learn is by doing.");

    auto p = run(kOpener, {"[[pivot]]", " — actually, the better way"});
    CHECK(p.report.verdict == Verdict::Pivot);
    CHECK(p.text == " — actually, the better way");

    auto r = run(kOpener, {"[[rewrite]]The answer is practice."});
    CHECK(r.report.verdict == Verdict::Rewrite);
    CHECK(r.text == "The answer is practice.");
}

TEST_CASE("verdict: a tag split at any byte is parsed the same", "[verdict]") {
    const std::string stream = "[[pivot]] — actually, the better way is to practise.";
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        for (std::size_t cut2 = cut; cut2 <= stream.size(); cut2 += 3) {
            const auto p = run(kOpener, {stream.substr(0, cut), stream.substr(cut, cut2 - cut), stream.substr(cut2)});
            CHECK(p.report.verdict == Verdict::Pivot);
            CHECK(p.report.source == VerdictSource::Tag);
            CHECK(p.text == " — actually, the better way is to practise.");
        }
    }
}

TEST_CASE("verdict: text is held only until the tag closes, then passed straight through", "[verdict]") {
    VerdictParser p(kOpener);
    CHECK(p.push(" [[cont") == "");
    CHECK_FALSE(p.decided());
    CHECK(p.held_bytes() == 7);
    CHECK(p.push("inue]]") == "");
    CHECK(p.decided());
    CHECK(p.report().verdict == Verdict::Continue);
    CHECK(p.held_bytes() == 0);
    CHECK(p.push(" learn") == " learn");
    CHECK(p.push("  two  spaces ") == "  two  spaces ");  // the joiner's business, not ours
    CHECK(p.finish() == "");
}

TEST_CASE("verdict: tolerant spelling of the tag", "[verdict]") {
    auto a = run(kOpener, {"\n  [[ Rewrite ]] It is."});
    CHECK(a.report.verdict == Verdict::Rewrite);
    CHECK(a.report.source == VerdictSource::Tag);
    CHECK(a.report.why.find("written as [[ Rewrite ]]") != std::string::npos);
    CHECK(a.text == " It is.");
    CHECK(run(kOpener, {"[pivot] actually"}).report.verdict == Verdict::Pivot);
    CHECK(run(kOpener, {"[[CONTINUE]] go"}).report.verdict == Verdict::Continue);
    CHECK(run(kOpener, {"[[repair]] actually"}).report.verdict == Verdict::Pivot);
    CHECK(run(kOpener, {"[[retract]] It is"}).report.verdict == Verdict::Rewrite);
    CHECK(verdict_from_name(" Replace ") == Verdict::Rewrite);
    CHECK_FALSE(verdict_from_name("maybe").has_value());
}

TEST_CASE("verdict: an unknown double-bracket tag is stripped and the verdict inferred", "[verdict]") {
    auto p = run(kOpener, {"[[maybe]] learn by doing."});
    CHECK(p.report.source == VerdictSource::Inferred);
    CHECK(p.report.verdict == Verdict::Continue);
    CHECK(p.report.why.find("unknown tag [[maybe]] stripped") != std::string::npos);
    CHECK(p.text == " learn by doing.");
}

TEST_CASE("verdict: brackets that are not a tag stay text", "[verdict]") {
    auto cite = run(kOpener, {"[1] learn by doing."});
    CHECK(cite.report.source == VerdictSource::Inferred);
    CHECK(cite.text == "[1] learn by doing.");

    const std::string never_closed = "[[" + std::string(40, 'x') + " and more";
    auto open = run(kOpener, {never_closed});
    CHECK(open.report.source == VerdictSource::Inferred);
    CHECK(open.text == never_closed);

    // Ruled out while streaming, not only at the end.
    VerdictParser streaming(kOpener);
    CHECK(streaming.push("[[" + std::string(40, 'x')) == "");
    CHECK(streaming.push(" and more") == "[[" + std::string(40, 'x') + " and more");
    CHECK(streaming.decided());
    VerdictParser broken(kOpener);
    CHECK(broken.push("[[continue\n learn by") == "[[continue\n learn by");
    CHECK(broken.decided());

    auto newline = run(kOpener, {"[[continue\n]] learn"});
    CHECK(newline.report.source == VerdictSource::Inferred);
    CHECK(newline.text == "[[continue\n]] learn");

    auto lone = run(kOpener, {"["});
    CHECK(lone.report.source == VerdictSource::Inferred);
    CHECK(lone.text == "[");
}

TEST_CASE("verdict: inference without a tag", "[verdict]") {
    // Plain continuation.
    auto c = run(kOpener, {" learn", " is by doing."});
    CHECK(c.report.verdict == Verdict::Continue);
    CHECK(c.report.source == VerdictSource::Inferred);
    CHECK(c.text == " learn is by doing.");

    // Restating the whole opener is a continuation with a repetition (the joiner drops it).
    auto restated = run(kOpener, {" The best way to learn is by doing."});
    CHECK(restated.report.verdict == Verdict::Continue);
    CHECK(restated.report.why.find("restated the whole opener") != std::string::npos);

    // Repeating the opener's start, then departing: a restart.
    auto restart = run(kOpener, {"The best approach is to practise."});
    CHECK(restart.report.verdict == Verdict::Rewrite);
    CHECK(restart.report.why.find("restarts") != std::string::npos);

    // A new capitalised sentence after an unfinished opener.
    auto fresh = run("The capital of Australia is", {" It is Canberra."});
    CHECK(fresh.report.verdict == Verdict::Rewrite);
    CHECK(fresh.report.why.find("new sentence") != std::string::npos);

    // One repeated word is not a restart: "Python is great because" + " Python has ...".
    CHECK(run("Python is great because", {" Python has many libraries."}).report.verdict == Verdict::Continue);
    CHECK(run("python is great because", {" Python has many libraries."}).report.verdict == Verdict::Continue);

    // ... but a proper noun continues it.
    CHECK(run("The capital of France is", {" Paris."}).report.verdict == Verdict::Continue);
    CHECK(run("What I", {" Mean is"}).report.verdict == Verdict::Continue);
    // ... and after a finished sentence a new one is natural.
    CHECK(run("It is easy.", {" The trick is practice."}).report.verdict == Verdict::Continue);
    CHECK(run("Here is how:", {" The trick is practice."}).report.verdict == Verdict::Continue);
    // A trailing comma leaves the opener unfinished.
    CHECK(run("Well, honestly,", {" The trick is practice."}).report.verdict == Verdict::Rewrite);

    // Bridges.
    CHECK(run(kOpener, {" — actually, the better way"}).report.verdict == Verdict::Pivot);
    CHECK(run(kOpener, {" or rather, practise"}).report.verdict == Verdict::Pivot);
    CHECK(run(kOpener, {" well, actually it"}).report.verdict == Verdict::Pivot);
    CHECK(run(kOpener, {" or maybe not"}).report.verdict == Verdict::Continue);
    CHECK(run("It is doing", {" well today"}).report.verdict == Verdict::Continue);
}

TEST_CASE("verdict: inference waits for whole words, and no longer", "[verdict]") {
    VerdictParser p(kOpener);
    CHECK(p.push(" The") == "");  // "The" or "Theory"?
    CHECK_FALSE(p.decided());
    CHECK(p.push(" best") == "");  // still restating the opener
    CHECK_FALSE(p.decided());
    CHECK(p.push(" approach") == "");
    CHECK_FALSE(p.decided());
    CHECK(p.push(" is") == " The best approach is");
    REQUIRE(p.decided());
    CHECK(p.report().verdict == Verdict::Rewrite);

    VerdictParser q(kOpener);
    CHECK(q.push(" learn") == "");
    CHECK(q.push(" by") == " learn by");  // one whole word that does not match is enough
    CHECK(q.report().verdict == Verdict::Continue);
}

TEST_CASE("verdict: a short limit forces the decision", "[verdict]") {
    VerdictConfig cfg;
    cfg.max_inference_bytes = 16;
    VerdictParser p(kOpener, cfg);
    CHECK(p.push("supercalifragi") == "");
    const std::string out = p.push("listic");
    CHECK(p.decided());
    CHECK(out == "supercalifragilistic");
}

TEST_CASE("verdict: an empty or missing continuation", "[verdict]") {
    VerdictParser p(kOpener);
    CHECK(p.push("  ") == "");
    CHECK(p.finish() == "");
    REQUIRE(p.decided());
    CHECK(p.report().verdict == Verdict::Continue);
    CHECK(p.report().why.find("empty") != std::string::npos);

    VerdictParser tag_only(kOpener);
    tag_only.push("[[rewrite]]");
    CHECK(tag_only.finish() == "");
    CHECK(tag_only.report().verdict == Verdict::Rewrite);

    // Without an opener there is nothing to judge: Continue at once.
    VerdictParser none("");
    CHECK(none.push("Hello") == "Hello");
    CHECK(none.report().verdict == Verdict::Continue);
}

TEST_CASE("verdict: infer_verdict needs final text to decide on a partial word", "[verdict]") {
    CHECK_FALSE(infer_verdict(kOpener, "lea", false).has_value());
    const auto r = infer_verdict(kOpener, "lea", true);
    REQUIRE(r.has_value());
    CHECK(r->verdict == Verdict::Continue);
    // A partial restatement that ends the stream is a restart.
    const auto partial = infer_verdict(kOpener, "The best", true);
    REQUIRE(partial.has_value());
    CHECK(partial->verdict == Verdict::Rewrite);
}

TEST_CASE("verdict: a stream that ends on 'or' or 'well' still decides (found by fuzz_verdict)", "[verdict]") {
    // "or" / "well" wait for the next word ("or rather", "well, actually"); at the end of the stream
    // there is none, and the verdict must still come (it used to stay undecided after finish()).
    for (const char* tail : {"or", "or ", " well", "well,"}) {
        INFO(tail);
        const auto r = infer_verdict("The best way to", tail, true);
        REQUIRE(r.has_value());
        CHECK(r->verdict == Verdict::Continue);
        VerdictParser p("The best way to");
        CHECK(p.push(tail).empty());
        CHECK(p.finish() == tail);
        REQUIRE(p.decided());
        CHECK(p.report().verdict == Verdict::Continue);
    }
    CHECK_FALSE(infer_verdict("The best way to", "or ", false).has_value());  // mid-stream it waits
}
