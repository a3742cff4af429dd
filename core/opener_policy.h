// core/opener_policy.h — decides the handoff point: how many of the μLM's words become the opener.
//
//   OpenerPolicyConfig   min/max words, confidence cut, clause preference, latency-aware length,
//                        token cap (plain data, bound to CLI flags / UI / JSON)
//   validate()           readable errors for a bad config
//   word_budget()        words allowed for an expected cloud latency at the presenter's pace
//   OpenerToken          one decoded token as the policy sees it
//   OpenerDecision       Continue / StopBefore / StopAfter, with a StopReason and a sentence (why)
//   WordConfidence       per-word confidence of the opener (lowest log-prob, highest entropy),
//                        what the confidence gate (correction.h, Method 1) reads
//   OpenerPolicy         fed token by token; owns the opener text it has accepted
//
// Rules, checked for each token (docs/architecture.md, step 2):
//   * Never emit half a word. A word is only known to be finished when the next one starts, so
//     every length / boundary / confidence stop is a StopBefore on the token that would *start*
//     the next word: that token is not part of the opener.
//   * StopAfter is for a token that itself confirms a boundary once min_words are out: the space
//     or line break after ", " / ". " ("3.5" and "e.g." show why a bare "." cannot stop alone).
//   * Word budget: a token that would start word budget+1 stops; budget = words needed to cover
//     expected_cloud_latency_ms at words_per_minute, clamped to [min_words, max_words]
//     (max_words when the latency is unknown, <= 0).
//   * After min_words: stop at a clause (, ; : — …) or sentence (. ! ?) boundary if
//     prefer_clause_boundary; always stop at a line break; stop before a word whose first token
//     is unconfident (log-prob < min_token_logprob or entropy > max_token_entropy), or after a
//     word that had an unconfident token inside it.
//   * Before min_words, low confidence does not stop the μLM: the confidence gate cuts or replaces
//     the opener before the handoff (correction.h).
//   * An end-of-sequence token stops at once (it is never part of the text); the token cap stops
//     a μLM that never finishes a word (the cut may then fall inside a word).
//
// Words are counted as in words.h: a punctuation-only piece (" —", ",", "\n") never starts a word.
// That is why on_token() takes no "starts_new_word" flag: the policy derives word starts from the
// text itself. Tokenizer::starts_word(id) (leading whitespace) is true for every token that starts
// a word here, but also for " —" and "\n", which would wrongly count as words.
// Pieces are raw token bytes: a character split over two byte-level tokens is held back until it
// is whole, so the opener text is always valid UTF-8.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/utf8.h"

namespace headstart {

struct OpenerPolicyConfig {
    int min_words = 4;
    int max_words = 8;
    bool stop_on_low_confidence = true;
    double min_token_logprob = -3.0;  // ln(0.05): a token the μLM gave less than 5 %
    double max_token_entropy = 4.0;   // nats
    bool prefer_clause_boundary = true;
    double expected_cloud_latency_ms = 0.0;  // <= 0: unknown, allow max_words
    double words_per_minute = 200.0;         // the presenter's pace (reading or speech)
    int max_tokens = 32;                     // hard cap on μLM tokens for the opener
};

Status validate(const OpenerPolicyConfig& config);

// Words the opener may have: ceil(latency / (60000 / wpm)) clamped to [min_words, max_words].
int word_budget(const OpenerPolicyConfig& config);

enum class OpenerAction {
    Continue,    // the token belongs to the opener; keep decoding
    StopBefore,  // the token is NOT part of the opener; the opener is complete without it
    StopAfter,   // the token is part of the opener, and the opener is complete with it
};

enum class StopReason {
    None,
    WordBudget,      // the next word would pass the (latency-aware) budget
    ClauseBoundary,  // , ; : — … after min_words
    SentenceEnd,     // . ! ? after min_words
    LineBreak,       // a new line after min_words
    LowConfidence,   // the μLM became unsure after min_words
    EndOfSequence,   // the μLM ended its answer
    MaxTokens,       // token cap
};

const char* to_string(OpenerAction action);
const char* to_string(StopReason reason);  // "word_budget", "clause_boundary", ...

struct OpenerDecision {
    OpenerAction action = OpenerAction::Continue;
    StopReason reason = StopReason::None;
    std::string why;  // one readable sentence for the UI and the timeline; empty on Continue
    bool stops() const { return action != OpenerAction::Continue; }
};

struct WordConfidence {
    std::string word;          // as in the opener, attached punctuation included ("best,")
    double min_logprob = 0.0;  // lowest log-prob among the tokens that made the word
    double max_entropy = 0.0;  // highest entropy among them
};

struct OpenerToken {
    std::string_view piece;        // the token's bytes, decoded by the tokenizer (may be a partial character)
    double logprob = 0.0;          // log-prob of this token (SampledToken::logprob)
    double entropy = 0.0;          // entropy it was drawn from (SampledToken::entropy)
    bool end_of_sequence = false;  // EOS / <|im_end|>: never part of the text
};

class OpenerPolicy {
public:
    explicit OpenerPolicy(OpenerPolicyConfig config = {});

    OpenerDecision on_token(const OpenerToken& token);
    OpenerDecision on_token(std::string_view piece, double logprob, double entropy) {
        return on_token(OpenerToken{piece, logprob, entropy, false});
    }

    // Forgets everything (same config) for the next turn.
    void reset();

    const OpenerPolicyConfig& config() const { return config_; }
    int budget() const { return budget_; }
    bool stopped() const { return stopped_; }
    // The decision that stopped the policy (action Continue while still running).
    const OpenerDecision& final_decision() const { return final_; }

    // The opener accepted so far, trailing spaces trimmed: what is shown and sent to the cloud.
    std::string opener() const;
    int words() const { return static_cast<int>(words_.size()); }
    int tokens() const { return tokens_; }
    const std::vector<WordConfidence>& word_confidences() const { return words_; }

private:
    OpenerDecision stop(OpenerAction action, StopReason reason, std::string why);
    void add_stats(double logprob, double entropy);

    OpenerPolicyConfig config_;
    int budget_;
    std::string text_;  // accepted text (whole characters)
    Utf8Stream utf8_;
    std::vector<WordConfidence> words_;
    int tokens_ = 0;
    bool chunk_has_word_ = false;         // the current non-space run already holds a word character
    bool low_confidence_inside_ = false;  // an unconfident token inside the current word (after min)
    bool have_carry_ = false;             // stats of tokens before the first word (or of partial chars)
    double carry_logprob_ = 0.0, carry_entropy_ = 0.0;
    bool stopped_ = false;
    OpenerDecision final_;
};

}  // namespace headstart
