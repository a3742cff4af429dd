// core/prompt_cache.cpp — see prompt_cache.h.
#include "core/prompt_cache.h"

#include <algorithm>

#include "core/turn.h"
#include "core/utf8.h"
#include "core/words.h"

namespace headstart {
namespace {

size_t common_prefix(const std::vector<int>& a, const std::vector<int>& b) {
    const size_t n = std::min(a.size(), b.size());
    size_t i = 0;
    while (i < n && a[i] == b[i]) ++i;
    return i;
}

}  // namespace

PrefillPlan PromptCache::plan(const std::vector<int>& prompt) const {
    PrefillPlan p;
    if (prompt.empty()) return p;
    const size_t keep = std::min(common_prefix(held_, prompt), prompt.size() - 1);
    p.keep = static_cast<int>(keep);
    p.feed.assign(prompt.begin() + static_cast<std::ptrdiff_t>(keep), prompt.end());
    return p;
}

PrefillPlan PromptCache::plan_preread(const std::vector<int>& prefix) const {
    PrefillPlan p;
    const size_t keep = common_prefix(held_, prefix);
    if (keep == prefix.size()) {  // already held (maybe with more after it: keep that too)
        p.keep = static_cast<int>(held_.size());
        return p;
    }
    p.keep = static_cast<int>(keep);
    p.feed.assign(prefix.begin() + static_cast<std::ptrdiff_t>(keep), prefix.end());
    return p;
}

void PromptCache::ran(const PrefillPlan& p) {
    held_.resize(std::min(held_.size(), static_cast<size_t>(std::max(0, p.keep))));
    held_.insert(held_.end(), p.feed.begin(), p.feed.end());
}

Status CachingModel::run(const PrefillPlan& p) {
    if (p.feed.empty()) return Ok{};
    // The inner model may have been used without the ledger: never keep more than it holds.
    PrefillPlan checked = p;
    checked.keep = std::min(p.keep, inner_.past_length());
    if (checked.keep < p.keep) {
        cache_.clear();
        return Error{"the μLM's KV cache lost tokens the prompt cache expected"};
    }
    Status st = inner_.extend(checked.keep, checked.feed);
    if (st.ok()) cache_.ran(checked);
    else cache_.clear();
    return st;
}

Status CachingModel::prefill(const std::vector<int>& prompt) {
    if (prompt.empty()) return Error{"prefill needs at least one token"};
    PrefillPlan p = cache_.plan(prompt);
    if (p.keep > inner_.past_length()) p = PrefillPlan{0, prompt};  // stale ledger: start over
    reused_ = p.keep;
    Status st = run(p);
    if (!st.ok()) reused_ = 0;
    return st;
}

Status CachingModel::step(int token) {
    if (cache_.held().empty()) return Error{"step() before prefill()"};
    return run(PrefillPlan{static_cast<int>(cache_.held().size()), {token}});
}

Status CachingModel::extend(int keep, const std::vector<int>& tokens) { return run(PrefillPlan{keep, tokens}); }

Status CachingModel::preread(const std::vector<int>& prefix) {
    if (prefix.empty()) return Ok{};
    PrefillPlan p = cache_.plan_preread(prefix);
    if (p.keep > inner_.past_length()) p = PrefillPlan{0, prefix};
    return run(p);
}

std::string_view finished_words(std::string_view typed) {
    const auto words = split_words(typed);
    if (words.empty()) return {};
    // A word followed by a space is finished; the one the cursor is still in is not.
    const bool last_done = words.back().end < typed.size() && trim_trailing_spaces(typed).size() < typed.size();
    return trim_spaces(last_done ? typed : typed.substr(0, words.back().begin));
}

std::vector<int> prompt_prefix(const Tokenizer& tokenizer, std::string_view typed, const TurnConfig& config,
                               bool whole) {
    if (config.opener_source != OpenerSource::Model || tokenizer.im_start_id() < 0) return {};
    // As Turn::begin() cleans the question: valid UTF-8, trimmed, at most max_question_bytes.
    const std::string repaired = repair_utf8(typed);
    if (trim_spaces(repaired).size() > config.max_question_bytes) return {};
    if (whole) return mulm_prompt_ids(tokenizer, trim_spaces(repaired), /*open_answer=*/true);
    return mulm_prompt_ids(tokenizer, finished_words(repaired), /*open_answer=*/false);
}

}  // namespace headstart
