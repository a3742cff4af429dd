// core/eval_metrics.h — the measurements `headstart eval` reports, as pure functions over text
// and numbers, so every one of them is unit-tested (tests/test_eval_metrics.cpp) and the same code scores a
// local run, a hosted endpoint or the desktop study. The runner (cli/eval*.cpp) runs the turns.
//
//   EvalPrompt, parse_prompt_set()   a prompt set in JSONL: {"question"} / {"prompt"} / {"text"} /
//                                    Vicuna-bench {"question_id","category","turns":[...]} /
//                                    {"messages":[{"role":"user",...}]}
//   percentile(), Distribution, summarize_values()   latency percentiles (linear interpolation,
//                                    numpy's default), mean, min, max
//   distinct_n()                     distinct n-grams / all n-grams over a set of texts (word keys)
//   is_stop_word(), content_words()  English function words; the rest, reduced by light_stem()
//   content_word_f1()                how much two texts agree: the F1 of their content-word sets
//   is_generic_opener()              "Sure —", "Good question —", "There are a few ..." ...
//   OnTopic, check_on_topic()        the opener shares a content word with the question, or is a
//                                    valid generic opener
//   JoinDefects, find_join_defects() what goes wrong where the opener meets the cloud's text:
//                                    a repeated word, a doubled space, a space before punctuation, a
//                                    broken word (glued across the seam, or U+FFFD anywhere)
//   PathShare, path_distribution()   correction-path labels -> counts with Wilson intervals
//   JudgeChoice, judge_messages(), parse_judge_verdict(), judge_rating()   pairwise LLM-as-judge
//   heldout_text(), heldout_segments()  one held-out JSONL record rendered as the μLM was trained on
//                                    it (segments: which parts are assistant replies)
//   reference_opener()               the first n words of a reference answer
//   token_nll(), PerplexityAccumulator   teacher-forced negative log-likelihood -> perplexity
//
// Why light stemming and not a real stemmer: the on-topic test only needs "sleeping" to meet
// "sleep" and "plants" to meet "plant"; a full Porter stemmer is more code than the question needs
// and its errors ("universe"/"university") would count as hits.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/study.h"

namespace headstart {

// ---- prompt sets ---------------------------------------------------------------------------

struct EvalPrompt {
    std::string id;        // "id" / "question_id" of the record, else "<set>-<line>"
    std::string category;  // "category", else ""
    std::string question;
    std::string reference;  // "reference": a strong model's answer, where the set has one ("" otherwise)
};

// One prompt per non-empty line. Errors name the line. `set_name` prefixes generated ids.
Result<std::vector<EvalPrompt>> parse_prompt_set(std::string_view jsonl, std::string_view set_name);

// ---- latency distributions -------------------------------------------------------------------

// q in [0, 100] of sorted values, linear interpolation between closest ranks. NaN when empty.
double percentile(const std::vector<double>& sorted, double q);

struct Distribution {
    int n = 0;
    double mean = 0, min = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
};

Distribution summarize_values(std::vector<double> values);

// ---- diversity and topicality ------------------------------------------------------------------

// Distinct-n over all texts together: unique word-key n-grams / all n-grams (0 when none).
double distinct_n(const std::vector<std::string>& texts, int n);

bool is_stop_word(std::string_view key);
// "sleeping" -> "sleep", "plants" -> "plant", "studies" -> "study"; short words are kept as they are.
std::string light_stem(std::string_view key);
// The stems of the words of `text` that are not stop words or numbers of one digit.
std::vector<std::string> content_words(std::string_view text);

// The F1 of the two texts' content-word sets (content_words(), each word once): 1.0 for the same
// words in any order, 0 when they share none or either has none. Scores a retrieved question against the
// asked one (cloud/reference_corpus.h) and an opener against the reference answer's first words.
double content_word_f1(std::string_view a, std::string_view b);

// The opener begins with a phrase that fits any question ("Sure", "Good question", "Here are",
// "There are a few", "It depends", ...), judged on word keys.
bool is_generic_opener(std::string_view opener);

struct OnTopic {
    bool on_topic = false;
    bool generic = false;             // counted on topic because it is a generic opener
    std::vector<std::string> shared;  // content stems the opener shares with the question
};

// An empty opener is not on topic (there is nothing to judge).
OnTopic check_on_topic(std::string_view question, std::string_view opener);

// ---- join defects ------------------------------------------------------------------------------

struct JoinDefects {
    bool applicable = false;           // the answer starts with the opener (not a rewrite / fallback)
    int repeated_words = 0;            // the opener's last 1-4 words come again right after the seam
    int doubled_spaces = 0;            // two or more spaces at the seam
    int space_before_punctuation = 0;  // "opener ," at the seam
    int broken_words = 0;              // letters glued across the seam, or a U+FFFD in the answer
    std::vector<std::string> notes;    // one readable line per defect
    int total() const { return repeated_words + doubled_spaces + space_before_punctuation + broken_words; }
};

// `opener` as shown, `answer` the visible answer (CorrectedAnswer::visible_text()).
JoinDefects find_join_defects(std::string_view opener, std::string_view answer);

// ---- correction paths ----------------------------------------------------------------------------

struct PathShare {
    std::string label;  // "continue", "gate", "gate+pivot", "failed", ...
    Proportion share;
};

// Counts of each label with Wilson intervals, most frequent first (ties by label).
std::vector<PathShare> path_distribution(const std::vector<std::string>& labels);

// ---- LLM as judge ------------------------------------------------------------------------------

enum class JudgeChoice { A, B, Equivalent };
const char* to_string(JudgeChoice choice);  // "A", "B", "equivalent"

// The system and user messages of a pairwise comparison (chat API). The judge is asked to reply
// with exactly one of A, B, equivalent.
std::pair<std::string, std::string> judge_messages(std::string_view question, std::string_view answer_a,
                                                   std::string_view answer_b);

// Reads the judge's reply: "A", "**B**", "Answer A is better.", "Verdict: equivalent", "tie",
// {"verdict": "B"}. Nothing when it names both or neither.
std::optional<JudgeChoice> parse_judge_verdict(std::string_view reply);

// As a study rating (A better / equivalent / B better), so judge runs and the desktop study are
// summarized by the same code (core/study.h summarize()).
Rating judge_rating(JudgeChoice choice);

// ---- held-out perplexity -----------------------------------------------------------------------

// A held-out JSONL record as training rendered it (training/data.py render()): {"text": t} ->
// t + "<|endoftext|>"; {"messages": [...]} -> ChatML turns + "<|endoftext|>". Error otherwise.
Result<std::string> heldout_text(std::string_view json_line);

// The same rendering as segments: `reply` marks an assistant reply's content and its <|im_end|>, the
// tokens training scored (training/data.py encode_example()); the segments concatenate to heldout_text().
struct HeldoutSegment {
    std::string text;
    bool reply = false;
};
Result<std::vector<HeldoutSegment>> heldout_segments(std::string_view json_line);

// The first n words of a reference answer, as the text it starts with (its own spacing and
// punctuation up to the end of the n-th word): what an ideal opener would say.
std::string reference_opener(std::string_view reference, int n_words = 8);

// -log softmax(logits)[target], computed stably (max subtracted). NaN when target is out of range.
double token_nll(const std::vector<float>& logits, int target);

struct PerplexityAccumulator {
    long long tokens = 0;
    double nll_sum = 0;
    void add(double nll) {
        ++tokens;
        nll_sum += nll;
    }
    double mean_nll() const { return tokens ? nll_sum / static_cast<double>(tokens) : 0.0; }
    double perplexity() const;  // exp(mean nll); 0 when no tokens
};

}  // namespace headstart
