// cli/eval_scores.cpp — `headstart eval`'s teacher-forced scores of a μLM (no turns, no cloud):
//
//   heldout_perplexity()            held-out texts through the KV cache, window by window: the
//                                   perplexity of every token and of the assistant replies' tokens
//   reference_opener_likelihood()   the mean log-likelihood per token of the reference answers'
//                                   first 8 words after the question's prompt
//   load_heldout(), score_model()   see eval.h
#include <algorithm>
#include <sstream>

#include "cli/eval.h"
#include "core/words.h"
#include "native/ort_model.h"

namespace headstart::eval_cli {

namespace {

struct HeldoutResult {
    int texts = 0, windows = 0, context = 0;
    PerplexityAccumulator acc;    // every token after a window's first
    PerplexityAccumulator reply;  // the assistant replies' tokens only (what training scored)
    std::string error;
};

// Teacher forcing through the KV cache: each window starts with a prefill of its first token, then
// one step per token; every next token's NLL is read from the logits before it is fed.
HeldoutResult heldout_perplexity(LanguageModel& model, const Tokenizer& tok,
                                 const std::vector<std::vector<HeldoutSegment>>& texts, int context) {
    HeldoutResult r;
    r.context = context;
    for (const auto& segments : texts) {
        std::vector<int> ids;
        std::vector<char> is_reply;
        for (const auto& seg : segments) {
            const std::vector<int> seg_ids = tok.encode(seg.text);
            ids.insert(ids.end(), seg_ids.begin(), seg_ids.end());
            is_reply.insert(is_reply.end(), seg_ids.size(), seg.reply ? 1 : 0);
        }
        if (ids.size() < 2) continue;
        ++r.texts;
        for (size_t start = 0; start + 1 < ids.size(); start += static_cast<size_t>(context)) {
            const size_t end = std::min(ids.size(), start + static_cast<size_t>(context));
            ++r.windows;
            Status st = model.prefill({ids[start]});
            for (size_t i = start + 1; st.ok() && i < end; ++i) {
                const double nll = token_nll(model.logits(), ids[i]);
                r.acc.add(nll);
                if (is_reply[i]) r.reply.add(nll);
                if (i + 1 < end) st = model.step(ids[i]);
            }
            if (!st.ok()) {
                r.error = st.error();
                return r;
            }
        }
    }
    return r;
}

struct ReferenceOpenerResult {
    int prompts = 0;
    PerplexityAccumulator acc;  // over the tokens of every reference opener
    std::string error;
};

// How likely the μLM finds the opener a strong model wrote: the mean log-likelihood per token of the
// reference answer's first `words` words after the question's ChatML prompt (teacher-forced). It
// compares μLMs without a judge; higher is better.
ReferenceOpenerResult reference_opener_likelihood(LanguageModel& model, const Tokenizer& tok,
                                                  const std::vector<EvalPrompt>& prompts, int words) {
    ReferenceOpenerResult r;
    for (const auto& p : prompts) {
        const std::string opener = reference_opener(p.reference, words);
        if (opener.empty()) continue;
        const std::vector<int> prompt = mulm_prompt_ids(tok, p.question, true);
        const std::vector<int> target = tok.encode(opener);
        if (prompt.empty() || target.empty()) continue;
        ++r.prompts;
        Status st = model.prefill(prompt);
        for (size_t i = 0; st.ok() && i < target.size(); ++i) {
            r.acc.add(token_nll(model.logits(), target[i]));
            if (i + 1 < target.size()) st = model.step(target[i]);
        }
        if (!st.ok()) {
            r.error = st.error();
            return r;
        }
    }
    return r;
}

}  // namespace

Result<std::vector<std::vector<HeldoutSegment>>> load_heldout(const EvalOptions& o) {
    std::vector<std::vector<HeldoutSegment>> texts;
    if (o.heldout.empty()) return texts;
    auto text = read_file(o.heldout);
    if (!text.ok()) return Error{text.error()};
    std::stringstream in(*text);
    for (std::string line; std::getline(in, line) && static_cast<int>(texts.size()) < o.heldout_limit;) {
        if (trim_spaces(line).empty()) continue;
        auto t = heldout_segments(line);
        if (t.ok()) texts.push_back(std::move(*t));
    }
    return texts;
}

void score_model(const Run& run, const System& sys, const json& card,
                 const std::vector<std::vector<HeldoutSegment>>& heldout_texts, json* summary) {
    const EvalOptions& o = run.options;
    json& sj = *summary;
    std::vector<std::vector<EvalPrompt>> with_reference(run.set_names.size());  // per set
    bool any_reference = false;
    for (size_t q = 0; q < run.prompts.size(); ++q)
        if (!run.prompts[q].reference.empty()) {
            with_reference[run.prompt_set[q]].push_back(run.prompts[q]);
            any_reference = true;
        }
    if (heldout_texts.empty() && !any_reference) return;
    OrtModelOptions mo;
    mo.threads = o.threads;
    mo.kernels = o.kernels;
    auto scorer = load_ort_model(sys.model_path, mo);  // one session for both teacher-forced scores
    if (!scorer.ok()) {
        sj["scoring_error"] = scorer.error();
        return;
    }
    const Tokenizer& tok = run.tokenizers.at(sys.tokenizer_path);
    if (!heldout_texts.empty()) {
        int context = o.context;
        if (!context && card.is_object() && card.contains("architecture") &&
            card["architecture"].value("context_length", 0) > 1)
            context = card["architecture"]["context_length"].get<int>();
        if (!context) context = 2048;
        const HeldoutResult h = heldout_perplexity(**scorer, tok, heldout_texts, context);
        if (!h.error.empty()) sj["heldout"] = {{"error", h.error}};
        else
            sj["heldout"] = {{"file", o.heldout},
                             {"texts", h.texts},
                             {"windows", h.windows},
                             {"context", h.context},
                             {"tokens", h.acc.tokens},
                             {"mean_nll", h.acc.mean_nll()},
                             {"perplexity", h.acc.perplexity()},
                             {"reply_tokens", h.reply.tokens},
                             {"reply_mean_nll", h.reply.mean_nll()},
                             {"reply_perplexity", h.reply.perplexity()}};
    }
    if (!any_reference) return;
    const auto as_json = [](const ReferenceOpenerResult& r) -> json {
        return {
            {"words", 8}, {"prompts", r.prompts}, {"tokens", r.acc.tokens}, {"mean_log_likelihood", -r.acc.mean_nll()}};
    };
    ReferenceOpenerResult all;
    json by_set = json::object();
    for (size_t set = 0; set < with_reference.size(); ++set) {
        if (with_reference[set].empty()) continue;
        const ReferenceOpenerResult ro = reference_opener_likelihood(**scorer, tok, with_reference[set], 8);
        if (!ro.error.empty()) {
            sj["reference_opener"] = {{"error", ro.error}};
            return;
        }
        by_set[run.set_names[set]] = as_json(ro);
        all.prompts += ro.prompts;
        all.acc.tokens += ro.acc.tokens;
        all.acc.nll_sum += ro.acc.nll_sum;
    }
    sj["reference_opener"] = as_json(all);
    sj["reference_opener_sets"] = by_set;
}

}  // namespace headstart::eval_cli
