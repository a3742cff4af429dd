// cloud/reference_continuator.h — the offline cloud's default: it continues the μLM's opener from the
// reference answer of the question (cloud/reference_corpus.h), as a continuator LLM would.
//
//   plan_reference_continuation()   the verdict and the text that follows the opener, from how the
//                                   opener agrees with the reference:
//     continue   the opener's last words (3 or more, a content word among them; or the whole opener)
//                occur in the reference's first 80 words: the reference goes on from there,
//                mid-sentence ("… your time" + " management skills involves …")
//     pivot      no such match, but the opener shares a content word with the question or the
//                reference's start: a short bridge, then the reference ("— actually, …")
//     rewrite    neither (off topic or contradicting): the reference, answered afresh
//   make_reference_continuator()    a Continuator over a shared corpus; below the match threshold it
//                                   says plainly that it has no answer offline (a rewrite), never a
//                                   confident unrelated one
//
// Deterministic: the same question and opener give the same bytes. max_tokens holds (the tag counts),
// cut back to the last sentence end when one is in the budget's second half.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cloud/reference_corpus.h"
#include "cloud/server.h"
#include "core/handoff.h"  // kOfflineNoAnswer: the answer when no reference fits
#include "core/verdict.h"

namespace headstart {

struct ReferencePlan {
    Verdict verdict = Verdict::Continue;
    std::string text;  // what follows the opener (the tag is not part of it)
    std::string why;   // "the opener's last 4 words are the reference's words 12-15", ...
};

ReferencePlan plan_reference_continuation(std::string_view question, std::string_view opener,
                                          std::string_view reference);

struct ReferenceContinuatorOptions {
    double min_score = 0.6;  // ReferenceCorpus::lookup()'s threshold
    // Counts the tokens of a piece for max_tokens (the μLMs' tokenizer in headstart-cloud); unset:
    // about 4 bytes a token.
    std::function<int(std::string_view)> count_tokens;
};

std::unique_ptr<Continuator> make_reference_continuator(std::shared_ptr<const ReferenceCorpus> corpus,
                                                        ReferenceContinuatorOptions options = {});

}  // namespace headstart
