// core/prompt_cache.h — what the μLM's KV cache holds, so that a prompt re-runs only the tokens
// that differ from it. Two uses, one rule:
//   pre-read   while the user types, the question's finished words go into the cache
//              (prompt_prefix()), so Enter leaves only the last word and the ChatML tail to
//              prefill; after a pause, the whole prompt, so Enter runs one token
//   reuse      a new turn keeps the KV of every leading token it shares with the last one
//              ("<|im_start|>user\n" at least)
// The rule (plan()): keep the longest common prefix of the held tokens and the prompt, but feed
// at least one token, since the next-token logits come from the last token run. The backends
// implement LanguageModel::extend(keep, tokens); this class only decides and remembers.
//
//   PromptCache        the ledger: plan() / ran() / clear(); the web backend uses it directly
//   CachingModel       a LanguageModel over another one that prefills through the ledger
//   prompt_prefix()    the part of the μLM prompt a half-typed question already fixes
#pragma once

#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/tokenizer.h"

namespace headstart {

struct TurnConfig;

struct PrefillPlan {
    int keep = 0;           // leading cached positions kept
    std::vector<int> feed;  // tokens to run after them
};

class PromptCache {
public:
    // What to run so that the cache holds `prompt` (non-empty) and the logits follow its last
    // token. An empty prompt gives an empty plan.
    PrefillPlan plan(const std::vector<int>& prompt) const;
    // Like plan(), for a prefix that only has to be in the cache (no logits needed): empty feed
    // when the cache already holds it.
    PrefillPlan plan_preread(const std::vector<int>& prefix) const;
    // The run of `p` succeeded (or was queued in order behind earlier runs): the cache now holds
    // held[0:keep] + feed.
    void ran(const PrefillPlan& p);
    void clear() { held_.clear(); }
    const std::vector<int>& held() const { return held_; }

private:
    std::vector<int> held_;
};

// A LanguageModel whose prefill() keeps what the inner model's KV cache shares with the prompt.
// step() and extend() pass through and keep the ledger in step. Not thread-safe (like the inner).
class CachingModel final : public LanguageModel {
public:
    explicit CachingModel(LanguageModel& inner) : inner_(inner) {}

    const ModelInfo& info() const override { return inner_.info(); }
    Status prefill(const std::vector<int>& prompt) override;
    Status step(int token) override;
    Status extend(int keep, const std::vector<int>& tokens) override;
    const std::vector<float>& logits() const override { return inner_.logits(); }
    int past_length() const override { return inner_.past_length(); }
    int reused_on_last_prefill() const override { return reused_; }

    // Puts `prefix` into the KV cache (the question being typed); no-op when it is already there.
    Status preread(const std::vector<int>& prefix);
    const PromptCache& cache() const { return cache_; }

private:
    Status run(const PrefillPlan& p);

    LanguageModel& inner_;
    PromptCache cache_;
    int reused_ = 0;
};

// The words of a question being typed that are finished (spaces trimmed): all of them when it ends
// in a space, else all but the last, which typing on may still change (and so its tokens).
std::string_view finished_words(std::string_view typed);

// The μLM prompt as Turn::begin() builds it, up to the question being typed:
// "<|im_start|>user\n" + its finished words; or, with `whole` (the user paused: the question is
// likely complete), the whole prompt Turn::begin() would build, ChatML tail included, so that
// Enter leaves one token to run. Empty when the opener is not the μLM's, the tokenizer is not
// ChatML, or the question is past max_question_bytes (begin() cuts it).
std::vector<int> prompt_prefix(const Tokenizer& tokenizer, std::string_view typed, const TurnConfig& config,
                               bool whole = false);

}  // namespace headstart
