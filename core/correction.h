// core/correction.h — what the user finally sees: Continue, or one of the three correction methods.
//
//   CorrectionPath        Continue / ConfidenceGate (Method 1) / SelfRepairPivot (Method 2) /
//                         RetractAndReplace (Method 3), with to_string() for the timeline and UI
//   Segment, SegmentStyle text runs the UI renders: Normal, Struck (retracted), Bridge (the
//                         pivot's "— actually," or speech's "Let me rephrase:"), Cut (opener
//                         words the gate dropped: never shown to the user, only in the lanes)
//
//   Method 1, local, BEFORE the handoff:
//   ConfidenceGateConfig, GateDecision, apply_confidence_gate()
//       cut the opener after its last confident word, or replace it by a safe generic opener
//       ("Good question —") when fewer than min_kept_words would remain. The engine calls it
//       between OpenerPolicy's stop and build_handoff_request(), and sends the gated opener.
//   pass_through_gate()   a GateDecision that changes nothing (gate off)
//
//   Method 2 helper:
//   split_pivot()         cloud pivot text -> bridge + answer. Short leading clauses that blame
//                         the opener ("sorry, that's wrong", "my mistake") are dropped and the
//                         default bridge ("— actually, ") is used instead; a missing bridge is
//                         supplied. Why drop rather than reword: docs/architecture.md wants no "wrong /
//                         incorrect" wording and no explanation of the slip; such a clause carries
//                         no content, so removing it loses nothing, while rewording it would put
//                         words in the cloud's mouth. Only clauses of <= 8 words among the first
//                         four are candidates: an answer clause that happens to say "wrong"
//                         ("there is no wrong way to ...") is content and is kept.
//
//   compose_answer()      gate decision + verdict + cloud text (tag stripped) -> CorrectedAnswer:
//       Continue   [opener][continuation]                      (joined by joiner.h)
//       Gate       [kept opener][Cut: dropped words][continuation]   or
//                  [Cut: μLM opener][fallback opener][continuation]
//       Pivot      [opener][Bridge: "— actually, "][answer]
//       Rewrite    display: [Struck: opener][replacement]
//                  speech:  [opener][Bridge: "— Let me rephrase: "][replacement]
//                  (the opener was already spoken: it cannot be struck, only taken back aloud)
//   With the gate's generic fallback opener there is nothing to retract or repair: pivot and
//   rewrite text simply follows it (pivot without its bridge).
//   compose_answer() is a pure function of the text so far: call it again as deltas arrive.
//   The visible text only grows, except for a pivot whose bridge is not `settled` yet.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/joiner.h"
#include "core/opener_policy.h"
#include "core/result.h"
#include "core/timeline.h"
#include "core/verdict.h"

namespace headstart {

enum class CorrectionPath { Continue, ConfidenceGate, SelfRepairPivot, RetractAndReplace };

const char* to_string(CorrectionPath path);  // "continue", "gate", "pivot", "rewrite"

enum class SegmentStyle { Normal, Struck, Bridge, Cut };

const char* to_string(SegmentStyle style);  // "normal", "struck", "bridge", "cut"

struct Segment {
    std::string text;  // carries its own leading space where one belongs
    SegmentStyle style = SegmentStyle::Normal;
    Origin origin = Origin::Device;
};

// ---- Method 1: confidence gate ------------------------------------------------------------

struct ConfidenceGateConfig {
    bool enabled = true;
    double min_word_logprob = -4.0;  // a word whose weakest token is below this is not trusted
    double max_word_entropy = 5.0;   // ... or drawn from a distribution flatter than this (nats)
    int min_kept_words = 3;          // fewer trusted words than this: use the fallback opener
    std::string fallback_opener = "Good question —";
};

struct GateDecision {
    bool fired = false;          // the opener was cut or replaced
    bool used_fallback = false;  // replaced by fallback_opener
    std::string opener;          // what is shown and sent to the cloud
    std::string cut;             // the μLM's text that was dropped, "" when none
    int kept_words = 0;          // μLM words kept
    std::string why;             // for the timeline
};

// `words` is OpenerPolicy::word_confidences() for `opener` (same words, same order). Error when
// the two disagree or a threshold is NaN.
Result<GateDecision> apply_confidence_gate(std::string_view opener, const std::vector<WordConfidence>& words,
                                           const ConfidenceGateConfig& config);

GateDecision pass_through_gate(std::string_view opener);

// ---- Method 2: the pivot's bridge ----------------------------------------------------------

struct PivotParts {
    std::string bridge;            // "— actually, " (always ends with one space)
    std::string answer;            // the rest, leading spaces trimmed
    bool bridge_replaced = false;  // the cloud's blame clause was dropped / a missing bridge supplied
    bool settled = false;          // more text cannot change the split any more
    std::string why;
};

PivotParts split_pivot(std::string_view cloud_text, bool cloud_done, std::string_view default_bridge = "— actually, ");

// ---- all paths ----------------------------------------------------------------------------

enum class PresentationMode { Display, Speech };

const char* to_string(PresentationMode mode);  // "display", "speech"

struct CorrectionConfig {
    PresentationMode mode = PresentationMode::Display;
    std::string pivot_bridge = "— actually, ";
    std::string speech_rephrase = "Let me rephrase:";
    JoinConfig join;
};

struct CorrectionInput {
    GateDecision gate;  // apply_confidence_gate() or pass_through_gate()
    Verdict verdict = Verdict::Continue;
    std::string cloud_text;   // continuation so far, verdict tag stripped (VerdictParser)
    bool cloud_done = false;  // the stream ended (or failed): nothing more will come
};

struct CorrectedAnswer {
    CorrectionPath path = CorrectionPath::Continue;
    bool gated = false;  // Method 1 fired as well (path may still be pivot / rewrite)
    std::vector<Segment> segments;
    bool settled = true;  // see compose_answer()
    std::string why;

    // "gate+pivot" when the gate fired and the cloud then pivoted; else to_string(path).
    std::string label() const;
    // Normal and Bridge segments joined: what a reader ends up with (or what is spoken).
    std::string visible_text() const;
};

// The answer one word per segment (whitespace-separated, as the presenter counts words), each
// keeping its segment's style and origin. The presenter shows every word but the Cut ones, in
// this order (a rewrite's Struck opener was shown before it was retracted), so word i of those
// is the i-th WordShown event: how the UI and the study replay style the words they show.
std::vector<Segment> answer_words(const CorrectedAnswer& answer);

CorrectedAnswer compose_answer(const CorrectionInput& input, const CorrectionConfig& config = {});

}  // namespace headstart
