// tests/test_eval_metrics.cpp — the evaluation's pure measurements (core/eval_metrics.h): prompt sets, percentiles,
// distinct-n, the on-topic check, join defects, path shares, the judge's verdicts, held-out
// rendering and the perplexity arithmetic.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/eval_metrics.h"

using namespace headstart;

TEST_CASE("eval: prompt sets in the common JSONL shapes", "[eval]") {
    const std::string jsonl =
        "{\"id\": \"h1\", \"category\": \"how-to\", \"question\": \"How do I boil an egg?\"}\n"
        "\n"
        "{\"question_id\": 81, \"category\": \"writing\", \"turns\": [\"Compose a travel blog post.\", \"Rewrite it.\"]}\n"
        "{\"prompt\": \"  Give me advice on sleep.  \", \"reference\": \"Keep a regular schedule.\"}\n"
        "{\"messages\": [{\"role\": \"system\", \"content\": \"x\"}, {\"role\": \"user\", \"content\": \"Why is the sky blue?\"}]}\n";
    auto set = parse_prompt_set(jsonl, "smoke");
    REQUIRE(set.ok());
    REQUIRE(set->size() == 4);
    CHECK((*set)[0].id == "h1");
    CHECK((*set)[0].category == "how-to");
    CHECK((*set)[1].id == "81");
    CHECK((*set)[1].question == "Compose a travel blog post.");  // the first turn only
    CHECK((*set)[2].question == "Give me advice on sleep.");
    CHECK((*set)[2].id == "smoke-4");  // line number (blank lines count)
    CHECK((*set)[3].question == "Why is the sky blue?");
    CHECK((*set)[2].reference == "Keep a regular schedule.");
    CHECK((*set)[0].reference.empty());

    CHECK(!parse_prompt_set("{\"question\": \"ok\"}\nnot json\n", "s").ok());
    const auto no_question = parse_prompt_set("{\"id\": 3}", "s");
    REQUIRE(!no_question.ok());
    CHECK(no_question.error().find("line 1") != std::string::npos);
}

TEST_CASE("eval: percentiles interpolate like numpy", "[eval]") {
    const std::vector<double> v = {1, 2, 3, 4};
    CHECK(percentile(v, 50) == Approx(2.5));
    CHECK(percentile(v, 0) == Approx(1));
    CHECK(percentile(v, 100) == Approx(4));
    CHECK(percentile(v, 90) == Approx(3.7));
    CHECK(std::isnan(percentile({}, 50)));

    const Distribution d = summarize_values({40, 10, 30, 20, std::nan("")});
    CHECK(d.n == 4);  // NaN dropped
    CHECK(d.mean == Approx(25));
    CHECK(d.min == 10);
    CHECK(d.max == 40);
    CHECK(d.p50 == Approx(25));
    CHECK(d.p95 == Approx(38.5));
    CHECK(summarize_values({}).n == 0);
}

TEST_CASE("eval: distinct-n counts unique word n-grams over all texts", "[eval]") {
    CHECK(distinct_n({"The cat sat.", "the cat ran"}, 1) == Approx(4.0 / 6.0));  // the, cat, sat, ran
    CHECK(distinct_n({"The cat sat.", "the cat ran"}, 2) == Approx(3.0 / 4.0));  // the cat twice
    CHECK(distinct_n({"Sure —", "Sure —", "Sure —"}, 1) == Approx(1.0 / 3.0));
    CHECK(distinct_n({"one"}, 2) == 0.0);  // no bigram at all
    CHECK(distinct_n({}, 1) == 0.0);
}

TEST_CASE("eval: content words skip stop words and meet across light stemming", "[eval]") {
    CHECK(is_stop_word("the"));
    CHECK(is_stop_word("how"));
    CHECK(!is_stop_word("sleep"));
    CHECK(light_stem("sleeping") == light_stem("sleep"));
    CHECK(light_stem("plants") == light_stem("plant"));
    CHECK(light_stem("studies") == "study");
    CHECK(light_stem("baked") == light_stem("bake"));
    CHECK(light_stem("running") == light_stem("run"));
    CHECK(light_stem("glass") == light_stem("glasses"));
    CHECK(light_stem("is") == "is");
    const auto words = content_words("How can I sleep better at night?");
    CHECK(words == std::vector<std::string>{"sleep", "night"});
}

TEST_CASE("eval: content-word F1 scores how much two texts agree", "[eval]") {
    const char* q = "How can I sleep better at night?";  // content words: sleep, night
    CHECK(content_word_f1(q, q) == Approx(1.0));
    CHECK(content_word_f1(q, "NIGHT, sleeping.") == Approx(1.0));  // case, order and light stems apart
    CHECK(content_word_f1(q, "Sleep") == Approx(2.0 / 3));         // recall 1/2, precision 1
    CHECK(content_word_f1("Sleep", q) == Approx(content_word_f1(q, "Sleep")));
    CHECK(content_word_f1(q, "Paint the fence") == 0.0);
    CHECK(content_word_f1(q, "Sure —") == 0.0);  // no content word: nothing to agree on
    CHECK(content_word_f1("", "") == 0.0);
}

TEST_CASE("eval: an opener is on topic when it shares a content word or is generic", "[eval]") {
    const auto hit = check_on_topic("How can I sleep better?", "Try going to sleep at");
    CHECK(hit.on_topic);
    CHECK(!hit.generic);
    CHECK(hit.shared == std::vector<std::string>{"sleep"});

    const auto generic = check_on_topic("How can I sleep better?", "Sure —");
    CHECK(generic.on_topic);
    CHECK(generic.generic);
    CHECK(check_on_topic("What is a noun?", "Good question —").generic);
    CHECK(check_on_topic("What is a noun?", "There are a few").on_topic);

    const auto miss = check_on_topic("How can I sleep better?", "The capital of France");
    CHECK(!miss.on_topic);
    CHECK(miss.shared.empty());
    CHECK(!check_on_topic("How can I sleep better?", "").on_topic);
    CHECK(!check_on_topic("How can I sleep better?", "   ").on_topic);
    // Stop words alone are no shared topic.
    CHECK(!check_on_topic("What is the best way to learn?", "The best way is").shared.size());
}

TEST_CASE("eval: join defects at the seam between opener and continuation", "[eval]") {
    const auto clean = find_join_defects("The capital of", "The capital of France is Paris.");
    CHECK(clean.applicable);
    CHECK(clean.total() == 0);
    CHECK(find_join_defects("Sure —", "Sure — boil the water first.").total() == 0);
    CHECK(find_join_defects("Start with", "Start with — actually, boil it.").total() == 0);

    const auto doubled = find_join_defects("The capital of", "The capital of  France.");
    CHECK(doubled.doubled_spaces == 1);
    // A paragraph after a title-like opener is no defect.
    CHECK(find_join_defects("Subject: Meeting Confirmation", "Subject: Meeting Confirmation\n\nDear Ana,").total() ==
          0);
    CHECK(doubled.total() == 1);
    REQUIRE(doubled.notes.size() == 1);

    CHECK(find_join_defects("The capital of", "The capital of , France.").space_before_punctuation == 1);
    CHECK(find_join_defects("The capital of", "The capital ofFrance.").broken_words == 1);
    CHECK(find_join_defects("Sure —", "Sure —the water.").broken_words == 0);  // punctuation, not letters

    const auto repeated = find_join_defects("The capital of", "The capital of of France.");
    CHECK(repeated.repeated_words == 1);
    const auto restated =
        find_join_defects("The capital of France", "The capital of France the capital of France is Paris.");
    CHECK(restated.repeated_words == 1);
    REQUIRE(!restated.notes.empty());
    CHECK(restated.notes[0].find("the capital of france") != std::string::npos);

    // A rewrite or a fallback opener: the answer does not start with the opener; no seam to judge.
    const auto rewrite = find_join_defects("The capital of Spain", "Paris is the capital of France.");
    CHECK(!rewrite.applicable);
    CHECK(rewrite.total() == 0);
    // A cut character is a broken word wherever it is.
    CHECK(find_join_defects("", "Caf\xEF\xBF\xBD is open").broken_words == 1);
    // The opener's own trailing space is not a doubled space.
    CHECK(find_join_defects("The capital of ", "The capital of France").total() == 0);
}

TEST_CASE("eval: path distribution with Wilson intervals, most frequent first", "[eval]") {
    const auto d = path_distribution({"continue", "gate", "continue", "pivot", "continue", "gate"});
    REQUIRE(d.size() == 3);
    CHECK(d[0].label == "continue");
    CHECK(d[0].share.count == 3);
    CHECK(d[0].share.n == 6);
    CHECK(d[0].share.p == Approx(0.5));
    CHECK(d[0].share.lo < 0.5);
    CHECK(d[0].share.hi > 0.5);
    CHECK(d[1].label == "gate");
    CHECK(d[2].label == "pivot");
    CHECK(path_distribution({}).empty());
}

TEST_CASE("eval: the judge's replies are read leniently but never guessed", "[eval]") {
    using C = JudgeChoice;
    CHECK(parse_judge_verdict("A") == C::A);
    CHECK(parse_judge_verdict("B") == C::B);
    CHECK(parse_judge_verdict("b") == C::B);
    CHECK(parse_judge_verdict("**A**") == C::A);
    CHECK(parse_judge_verdict("B.") == C::B);
    CHECK(parse_judge_verdict("equivalent") == C::Equivalent);
    CHECK(parse_judge_verdict("Equivalent.") == C::Equivalent);
    CHECK(parse_judge_verdict("It's a tie.") == C::Equivalent);
    CHECK(parse_judge_verdict("Answer A is better.") == C::A);
    CHECK(parse_judge_verdict("Verdict: B") == C::B);
    CHECK(parse_judge_verdict("{\"verdict\": \"B\"}") == C::B);
    CHECK(parse_judge_verdict("A is better than B") == C::A);
    CHECK(parse_judge_verdict("Answer A and answer B are equivalent.") == C::Equivalent);
    CHECK(!parse_judge_verdict(""));
    CHECK(!parse_judge_verdict("I cannot decide."));
    CHECK(!parse_judge_verdict("Answer A or answer B"));           // both, no tie: not a verdict
    CHECK(!parse_judge_verdict("This is a question about tea."));  // the article "a" is no verdict

    CHECK(judge_rating(C::A) == Rating::ABetter);
    CHECK(judge_rating(C::B) == Rating::BBetter);
    CHECK(judge_rating(C::Equivalent) == Rating::Equivalent);
    CHECK(std::string(to_string(C::Equivalent)) == "equivalent");

    const auto [system, user] = judge_messages("Why?", "first answer", "second answer");
    CHECK(system.find("A, B or equivalent") != std::string::npos);
    CHECK(user.find("Answer A:\nfirst answer") != std::string::npos);
    CHECK(user.find("Answer B:\nsecond answer") != std::string::npos);
}

TEST_CASE("eval: a judge run is summarized by the study's own code", "[eval]") {
    // Three pairs; the judge preferred headstart twice (once as A, once as B) and called one even.
    std::vector<StudyTrial> trials(3);
    trials[0].headstart_is_a = true;
    trials[0].rating = judge_rating(JudgeChoice::A);
    trials[1].headstart_is_a = false;
    trials[1].rating = judge_rating(JudgeChoice::B);
    trials[2].headstart_is_a = true;
    trials[2].rating = judge_rating(JudgeChoice::Equivalent);
    const StudySummary s = summarize(trials);
    CHECK(s.n == 3);
    CHECK(s.headstart.count == 2);
    CHECK(s.equivalent.count == 1);
    CHECK(s.cloud_only.count == 0);
}

TEST_CASE("eval: held-out records are rendered as training rendered them", "[eval]") {
    auto text = heldout_text("{\"text\": \"The team met on Monday.\"}");
    REQUIRE(text.ok());
    CHECK(*text == "The team met on Monday.<|endoftext|>");
    auto chat = heldout_text(
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi?\"}, {\"role\": \"assistant\", \"content\": \"Hello.\"}]}");
    REQUIRE(chat.ok());
    CHECK(*chat == "<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|endoftext|>");
    CHECK(!heldout_text("[1, 2]").ok());
    CHECK(!heldout_text("{\"messages\": [{\"role\": \"user\"}]}").ok());
    CHECK(!heldout_text("{}").ok());
}

TEST_CASE("eval: held-out segments mark the assistant replies training scored", "[eval]") {
    auto segs = heldout_segments(
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi?\"}, {\"role\": \"assistant\", \"content\": \"Hello.\"},"
        " {\"role\": \"user\", \"content\": \"More?\"}, {\"role\": \"assistant\", \"content\": \"No.\"}]}");
    REQUIRE(segs.ok());
    std::string all, replies;
    for (const auto& s : *segs) {
        all += s.text;
        if (s.reply) replies += s.text + "|";
    }
    CHECK(replies == "Hello.<|im_end|>|No.<|im_end|>|");
    CHECK(all == *heldout_text("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi?\"}, {\"role\": \"assistant\", "
                               "\"content\": \"Hello.\"}, {\"role\": \"user\", \"content\": \"More?\"}, {\"role\": "
                               "\"assistant\", \"content\": \"No.\"}]}"));
    auto prose = heldout_segments("{\"text\": \"Plain.\"}");
    REQUIRE(prose.ok());
    REQUIRE(prose->size() == 1);
    CHECK(!(*prose)[0].reply);
    CHECK(!heldout_segments("{\"messages\": 3}").ok());
}

TEST_CASE("eval: the reference opener is the reference's first words, as written", "[eval]") {
    CHECK(reference_opener("  Improving time management skills can have a significant impact on you.", 8) ==
          "Improving time management skills can have a significant");
    CHECK(reference_opener("Yes, it is.", 8) == "Yes, it is.");
    CHECK(reference_opener("One two three", 2) == "One two");
    CHECK(reference_opener("", 8).empty());
    CHECK(reference_opener("word", 0).empty());
}

TEST_CASE("eval: token NLL and perplexity", "[eval]") {
    // Uniform logits over 4 tokens: NLL ln 4 for any target, perplexity 4.
    const std::vector<float> uniform = {0.5f, 0.5f, 0.5f, 0.5f};
    CHECK(token_nll(uniform, 2) == Approx(std::log(4.0)));
    CHECK(std::isnan(token_nll(uniform, 4)));
    CHECK(std::isnan(token_nll(uniform, -1)));
    // Large logits stay finite (max subtracted).
    const std::vector<float> peaked = {1000.f, 0.f};
    CHECK(token_nll(peaked, 0) == Approx(0.0).margin(1e-9));
    CHECK(token_nll(peaked, 1) == Approx(1000.0));

    PerplexityAccumulator acc;
    CHECK(acc.perplexity() == 0.0);
    for (int i = 0; i < 3; ++i) acc.add(token_nll(uniform, i));
    CHECK(acc.tokens == 3);
    CHECK(acc.perplexity() == Approx(4.0));
}
