// core/verdict.h — the verdict protocol: the cloud's first tokens say which correction path fires.
//
//   Verdict               Continue / Pivot (Method 2) / Rewrite (Method 3)
//   verdict_tag()         the tag the cloud is asked to write: "[[continue]]", "[[pivot]]", "[[rewrite]]"
//   verdict_from_name()   tag name -> Verdict (case-insensitive, a few synonyms)
//   infer_verdict()       the verdict of a continuation that carries no tag (pure heuristic)
//   VerdictParser         streaming: fed SSE deltas, holds text back only until the verdict is
//                         known, strips the tag, then passes every byte through
//
// Protocol. The continuation begins with exactly one tag, before any other text:
//     [[continue]]  the opener is fine; what follows continues it mid-sentence
//     [[pivot]]     the opener stays; what follows is a short bridge ("— actually, ...") and the answer
//     [[rewrite]]   the opener is retracted; what follows is the whole answer, from the start
// Why this shape: "[[" almost never opens a real answer, so one or two bytes tell "tag or not";
// the names are plain English words that any instruction-tuned model reproduces reliably (one-
// letter codes get paraphrased); the closing "]]" makes the end unambiguous whatever the
// tokenizer does, so the parser needs no token boundaries: it buffers at most max_tag_bytes.
// Tolerated: leading spaces/newlines, any letter case, spaces inside ("[[ Pivot ]]"), single
// brackets around a known name ("[pivot]"), synonyms (repair -> pivot, retract/replace -> rewrite).
// An unknown double-bracket tag ("[[maybe]]") is stripped and the verdict inferred from the rest.
//
// Inference (the cloud ignored the protocol), in order:
//   1. The continuation restates the whole opener -> Continue (the joiner drops the repetition).
//   2. It repeats the opener's first two or more words, then departs -> Rewrite (restarts the answer).
//   3. It opens with a bridge ("actually", "or rather", "well, actually") -> Pivot.
//   4. It starts a new sentence with a capitalised sentence-opening word ("The", "It", "To", ...)
//      while the opener is unfinished (no end mark, or a trailing comma) -> Rewrite. Proper nouns
//      ("Paris") are not in that list, so "The capital of France is" + " Paris." stays Continue.
//   5. Otherwise -> Continue.
// Inference needs whole words, so an untagged stream is held until its first words are complete
// (or max_inference_bytes pass, or the stream ends); a tagged stream only until the tag closes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace headstart {

enum class Verdict { Continue, Pivot, Rewrite };

const char* to_string(Verdict verdict);    // "continue", "pivot", "rewrite"
const char* verdict_tag(Verdict verdict);  // "[[continue]]", "[[pivot]]", "[[rewrite]]"
std::optional<Verdict> verdict_from_name(std::string_view name);

enum class VerdictSource { Tag, Inferred };
const char* to_string(VerdictSource source);  // "tag", "inferred"

struct VerdictReport {
    Verdict verdict = Verdict::Continue;
    VerdictSource source = VerdictSource::Inferred;
    std::string why;  // one sentence for the timeline / UI, e.g. "tag [[pivot]]"
};

// The verdict for an untagged continuation, or nothing while more text is needed to tell.
// With `final_text` (stream ended, or the caller will not wait longer) it always decides.
std::optional<VerdictReport> infer_verdict(std::string_view opener, std::string_view continuation, bool final_text);

struct VerdictConfig {
    std::size_t max_tag_bytes = 32;        // "[[" without "]]" within this many bytes is not a tag
    std::size_t max_inference_bytes = 96;  // an untagged stream is decided by then at the latest
};

class VerdictParser {
public:
    explicit VerdictParser(std::string opener, VerdictConfig config = {});

    // Feeds one delta. Returns the text to pass on: empty while undecided, then everything held
    // back (tag stripped) and from then on each delta unchanged.
    std::string push(std::string_view delta);
    // The stream ended: decides with what is held (an empty continuation is Continue) and
    // returns whatever was still held back.
    std::string finish();

    bool decided() const { return report_.has_value(); }
    // Valid once decided().
    const VerdictReport& report() const { return *report_; }
    std::size_t held_bytes() const { return held_.size(); }

private:
    std::string try_decide(bool final_text);
    std::string decide(VerdictReport report, std::string pass_on);

    std::string opener_;
    VerdictConfig config_;
    std::string held_;
    bool tag_ruled_out_ = false;  // what is held is plain text (no tag, or an unknown one was stripped)
    std::string stripped_note_;   // "unknown tag [[x]] stripped; "
    std::optional<VerdictReport> report_;
};

}  // namespace headstart
