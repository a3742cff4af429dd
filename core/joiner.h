// core/joiner.h — joins the opener and the cloud's continuation into one clean text.
//
//   JoinConfig            overlap window (how many repeated opener words may be dropped)
//   seam()                the whitespace that belongs between two texts (" ", "", or the cloud's
//                         own line breaks)
//   ContinuationJoiner    streaming: fed continuation deltas, returns the text to append after
//                         the opener already on screen; holds back only while the start of the
//                         continuation may still be a restatement of the opener's end
//   join()                the whole thing at once (opener + ContinuationJoiner over one delta)
//
// Rules at the seam (the continuation's inside is the cloud's business and is left untouched):
//   * The opener ends on a word boundary by construction (opener_policy.h), so a continuation
//     that starts with a letter or digit is a new word: exactly one space, whatever spacing the
//     cloud sent ("to" + "learn", "to " + " learn" -> "to learn").
//   * Closing punctuation , . ; : ! ? ) ] } % … and the contractions 's 't 're 've 'll 'd 'm
//     attach without a space ("way" + ", then" -> "way, then").
//   * Dashes and quotes are ambiguous (opening or closing): the cloud's own choice is kept, a
//     space if either side had one.
//   * After an opening bracket or quote, no space.
//   * A line break sent by the cloud at the seam is kept as is (a list or paragraph starts).
//   * The same mark on both sides of the seam is written once ("question —" + "— actually").
//   * Overlap: when the continuation starts by restating the last k opener words (k <=
//     max_overlap_words, compared by words.h's word_key: case and punctuation ignored), those
//     words are dropped ("The best way to" + " way to learn" -> "The best way to learn").
// Text is UTF-8 throughout; a character split across deltas is held until whole and ill-formed
// bytes become U+FFFD.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"

namespace headstart {

struct JoinConfig {
    int max_overlap_words = 8;  // the longest opener (OpenerPolicyConfig::max_words)
    int min_overlap_words = 1;  // a single repeated word ("to to") is also an artefact
};

// The separator to put between `left` (already shown, trailing spaces kept) and `right` (its
// leading spaces already removed); `right_had_space` / `right_line_break` describe what was removed.
std::string seam(std::string_view left, std::string_view right, bool right_had_space,
                 std::string_view right_line_break);

class ContinuationJoiner {
public:
    explicit ContinuationJoiner(std::string opener, JoinConfig config = {});

    // Returns the text to append to what is on screen (the opener, then earlier returns).
    std::string push(std::string_view delta);
    // End of the continuation: releases anything held back.
    std::string finish();

    int dropped_overlap_words() const { return dropped_words_; }
    // Everything appended so far (the seam included).
    const std::string& appended() const { return appended_; }

private:
    std::string release(bool final_text);

    std::string opener_;
    std::vector<std::string> opener_keys_;  // word keys of the opener's last max_overlap_words words
    JoinConfig config_;
    Utf8Stream utf8_;
    std::string held_;  // continuation text not yet released
    bool overlap_decided_ = false;
    bool started_ = false;  // the seam has been written
    int dropped_words_ = 0;
    std::string appended_;
};

// opener + the continuation, joined by the rules above.
std::string join(std::string_view opener, std::string_view continuation, const JoinConfig& config = {});

}  // namespace headstart
