// core/opener_policy.cpp — see opener_policy.h.
#include "core/opener_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/words.h"

namespace headstart {

Status validate(const OpenerPolicyConfig& c) {
    if (c.min_words < 1) return Error{"opener policy: min_words must be >= 1"};
    if (c.max_words < c.min_words) return Error{"opener policy: max_words must be >= min_words"};
    if (c.max_tokens < 1) return Error{"opener policy: max_tokens must be >= 1"};
    if (!std::isfinite(c.words_per_minute) || !std::isfinite(c.expected_cloud_latency_ms))
        return Error{"opener policy: words_per_minute and expected_cloud_latency_ms must be finite"};
    if (std::isnan(c.min_token_logprob) || std::isnan(c.max_token_entropy))
        return Error{"opener policy: confidence thresholds must be numbers"};
    return Ok{};
}

int word_budget(const OpenerPolicyConfig& c) {
    const int lo = std::max(1, c.min_words), hi = std::max(lo, c.max_words);
    if (!(c.expected_cloud_latency_ms > 0.0) || !(c.words_per_minute > 0.0)) return hi;
    const double ms_per_word = 60000.0 / c.words_per_minute;
    const double needed = std::ceil(c.expected_cloud_latency_ms / ms_per_word - 1e-9);
    if (needed >= hi) return hi;
    return std::max(lo, static_cast<int>(needed));
}

const char* to_string(OpenerAction action) {
    switch (action) {
        case OpenerAction::Continue: return "continue";
        case OpenerAction::StopBefore: return "stop_before";
        case OpenerAction::StopAfter: return "stop_after";
    }
    return "unknown";
}

const char* to_string(StopReason reason) {
    switch (reason) {
        case StopReason::None: return "none";
        case StopReason::WordBudget: return "word_budget";
        case StopReason::ClauseBoundary: return "clause_boundary";
        case StopReason::SentenceEnd: return "sentence_end";
        case StopReason::LineBreak: return "line_break";
        case StopReason::LowConfidence: return "low_confidence";
        case StopReason::EndOfSequence: return "end_of_sequence";
        case StopReason::MaxTokens: return "max_tokens";
    }
    return "unknown";
}

namespace {

std::string format_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

std::string words_phrase(int n) { return std::to_string(n) + (n == 1 ? " word" : " words"); }

// True when a line break follows the last word character of `text`.
bool line_break_after_last_word(std::string_view text) {
    std::size_t end = text.size();
    while (end > 0) {
        std::size_t n = 1;
        const char32_t c = decode_code_point_before(text, end, &n);
        if (text_class(c) == TextClass::Word) return false;
        if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029) return true;
        end -= n;
    }
    return false;
}

}  // namespace

OpenerPolicy::OpenerPolicy(OpenerPolicyConfig config) : config_(config), budget_(word_budget(config)) {}

void OpenerPolicy::reset() { *this = OpenerPolicy(config_); }

std::string OpenerPolicy::opener() const { return std::string(trim_spaces(text_)); }

OpenerDecision OpenerPolicy::stop(OpenerAction action, StopReason reason, std::string why) {
    stopped_ = true;
    final_ = OpenerDecision{action, reason, std::move(why)};
    return final_;
}

void OpenerPolicy::add_stats(double logprob, double entropy) {
    if (have_carry_) {
        logprob = std::min(logprob, carry_logprob_);
        entropy = std::max(entropy, carry_entropy_);
    }
    if (words_.empty()) {
        // Nothing to attach to yet (leading spaces or punctuation): carry to the first word.
        have_carry_ = true;
        carry_logprob_ = logprob;
        carry_entropy_ = entropy;
        return;
    }
    have_carry_ = false;
    WordConfidence& w = words_.back();
    w.min_logprob = std::min(w.min_logprob, logprob);
    w.max_entropy = std::max(w.max_entropy, entropy);
}

OpenerDecision OpenerPolicy::on_token(const OpenerToken& token) {
    if (stopped_) {
        // Nothing after a stop belongs to the opener.
        OpenerDecision again = final_;
        again.action = OpenerAction::StopBefore;
        return again;
    }
    const int have = words();
    if (token.end_of_sequence)
        return stop(OpenerAction::StopBefore, StopReason::EndOfSequence,
                    "the μLM ended its answer after " + words_phrase(have));
    if (tokens_ >= config_.max_tokens)
        return stop(OpenerAction::StopBefore, StopReason::MaxTokens,
                    "token cap of " + std::to_string(config_.max_tokens) + " reached after " + words_phrase(have));

    // Decode on a copy: if this token is refused, its bytes must not reach the text.
    Utf8Stream probe = utf8_;
    const std::string decoded = probe.push(token.piece);

    int starts = 0;
    std::size_t first_start = std::string::npos, last_space = std::string::npos;
    bool has_line_break = false;
    bool chunk_has_word = chunk_has_word_;
    for (std::size_t i = 0; i < decoded.size();) {
        std::size_t n = 1;
        const char32_t c = decode_code_point(decoded, i, &n);
        switch (text_class(c)) {
            case TextClass::Space:
                chunk_has_word = false;
                last_space = i;
                if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029) has_line_break = true;
                break;
            case TextClass::Word:
                if (!chunk_has_word) {
                    ++starts;
                    if (first_start == std::string::npos) first_start = i;
                }
                chunk_has_word = true;
                break;
            case TextClass::Punct: break;
        }
        i += n;
    }

    const bool unconfident = token.logprob < config_.min_token_logprob || token.entropy > config_.max_token_entropy;
    const bool past_min = have >= config_.min_words;

    if (starts > 0) {
        // This token starts word have+1 (and maybe more): every stop here is a StopBefore.
        if (have + starts > budget_) {
            std::string why = "word " + std::to_string(have + 1) + " would pass the budget of " + words_phrase(budget_);
            if (config_.expected_cloud_latency_ms > 0.0 && config_.words_per_minute > 0.0)
                why += " (" + format_number(config_.expected_cloud_latency_ms) + " ms cloud latency at " +
                       format_number(config_.words_per_minute) + " wpm)";
            return stop(OpenerAction::StopBefore, StopReason::WordBudget, std::move(why));
        }
        if (past_min) {
            const std::string before = text_ + decoded.substr(0, first_start);
            if (line_break_after_last_word(before))
                return stop(OpenerAction::StopBefore, StopReason::LineBreak, "line break after " + words_phrase(have));
            if (config_.prefer_clause_boundary) {
                const Boundary b = trailing_boundary(before);
                if (b == Boundary::Sentence)
                    return stop(OpenerAction::StopBefore, StopReason::SentenceEnd,
                                "sentence end after " + words_phrase(have));
                if (b == Boundary::Clause)
                    return stop(OpenerAction::StopBefore, StopReason::ClauseBoundary,
                                "clause boundary after " + words_phrase(have));
            }
            if (config_.stop_on_low_confidence && low_confidence_inside_)
                return stop(
                    OpenerAction::StopBefore, StopReason::LowConfidence,
                    "low confidence inside word " + std::to_string(have) + " (kept " + words_phrase(have) + ")");
            if (config_.stop_on_low_confidence && unconfident) {
                const std::string detail =
                    token.logprob < config_.min_token_logprob
                        ? "log-prob " + format_number(token.logprob) + " < " + format_number(config_.min_token_logprob)
                        : "entropy " + format_number(token.entropy) + " > " + format_number(config_.max_token_entropy);
                return stop(OpenerAction::StopBefore, StopReason::LowConfidence,
                            "low confidence for word " + std::to_string(have + 1) + ": " + detail + " (kept " +
                                words_phrase(have) + ")");
            }
        }
    }

    // A line break with text after it inside one piece ("\n-", "\n1."): that text starts a new
    // line the opener should not include.
    if (starts == 0 && past_min && has_line_break) {
        const std::size_t nl = decoded.find_first_of("\n\r");
        if (nl != std::string::npos && !trim_spaces(std::string_view(decoded).substr(nl)).empty())
            return stop(OpenerAction::StopBefore, StopReason::LineBreak, "line break after " + words_phrase(have));
    }

    // Accept the token.
    const std::size_t old_size = text_.size();
    utf8_ = probe;
    text_ += decoded;
    chunk_has_word_ = chunk_has_word;
    ++tokens_;
    if (decoded.empty()) {
        // Part of a character: its confidence goes wherever the character lands.
        carry_logprob_ = have_carry_ ? std::min(carry_logprob_, token.logprob) : token.logprob;
        carry_entropy_ = have_carry_ ? std::max(carry_entropy_, token.entropy) : token.entropy;
        have_carry_ = true;
        return OpenerDecision{};
    }
    for (int k = 0; k < starts; ++k) words_.push_back(WordConfidence{"", 0.0, 0.0});
    if (starts > 0) {
        // Every word this token starts carries its confidence.
        double lp = token.logprob, ent = token.entropy;
        if (have_carry_) {
            lp = std::min(lp, carry_logprob_);
            ent = std::max(ent, carry_entropy_);
        }
        have_carry_ = false;
        for (std::size_t k = words_.size() - starts; k < words_.size(); ++k) {
            words_[k].min_logprob = lp;
            words_[k].max_entropy = ent;
        }
        low_confidence_inside_ = false;
    } else if (trim_spaces(decoded).empty()) {
        // A bare space or line break ("Ġ" before "L" "y" "on"): its confidence belongs to the
        // word it opens, not to the word before it (the gate must not distrust "of" for " Lyon").
        carry_logprob_ = have_carry_ ? std::min(carry_logprob_, token.logprob) : token.logprob;
        carry_entropy_ = have_carry_ ? std::max(carry_entropy_, token.entropy) : token.entropy;
        have_carry_ = true;
    } else {
        add_stats(token.logprob, token.entropy);
        if (past_min && !words_.empty() && unconfident) low_confidence_inside_ = true;
    }
    // Refresh the words' text (attached punctuation may have grown the last one).
    const std::vector<WordSpan> spans = split_words(text_);
    for (std::size_t k = 0; k < spans.size() && k < words_.size(); ++k)
        words_[k].word = text_.substr(spans[k].begin, spans[k].end - spans[k].begin);

    // A token without a word start may confirm a boundary: the space or line break after it.
    if (starts == 0 && words() >= config_.min_words) {
        if (has_line_break)
            return stop(OpenerAction::StopAfter, StopReason::LineBreak, "line break after " + words_phrase(words()));
        if (config_.prefer_clause_boundary && last_space != std::string::npos) {
            const Boundary b = trailing_boundary(std::string_view(text_).substr(0, old_size + last_space));
            if (b == Boundary::Sentence)
                return stop(OpenerAction::StopAfter, StopReason::SentenceEnd,
                            "sentence end after " + words_phrase(words()));
            if (b == Boundary::Clause)
                return stop(OpenerAction::StopAfter, StopReason::ClauseBoundary,
                            "clause boundary after " + words_phrase(words()));
        }
    }
    return OpenerDecision{};
}

}  // namespace headstart
