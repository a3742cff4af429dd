// core/study.h — the user study's pure parts: blind A/B pairs of "cloud only" against "μLM + cloud"
// for the same question, shown in a randomized order and replayed at their real timing, rated
// "A better / equivalent / B better", summarized with confidence intervals and exported as CSV.
// No storage and no clock here: core/study_store.h declares the store (SQLite on the desktop,
// native/sqlite_study_store.*; localStorage on the web) and the shell supplies the date.
//
//   Condition, Rating, Preference   cloud_only / headstart; a_better / equivalent / b_better;
//                                   what a rating says about the conditions
//   RecordedTurn, record_turn()     the words a condition showed, at their real times (WordShown
//                                   events of its Timeline, relative to the question)
//   words_due()                     how many of those words a replay shows by a given time
//   headstart_is_a()                which condition is A: seeded, balanced in blocks of two
//   StudyTrial, preference()        one rated pair; its rating as a preference between conditions
//   Proportion, wilson_interval()   k of n with its Wilson score interval (95 % by default)
//   StudySummary, summarize()       counts and proportions of the three preferences, mean latencies
//   csv_field(), study_csv()        RFC 4180 CSV, one row per trial
//   to_json(), trial_from_json()    a trial as JSON: what the stores keep, losslessly
//
// Why Wilson and not p ± z·sqrt(p(1-p)/n): studies are small (10-40 pairs) and proportions often
// sit near 0 or 1, where the normal interval collapses to a point or leaves [0, 1]; Wilson's does
// neither. Why balanced blocks: with a plain coin flip a 10-pair session can show the same
// condition first 8 times, and order effects (the second answer feels faster) would bias it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/correction.h"
#include "core/result.h"
#include "core/timeline.h"

namespace headstart {

enum class Condition { CloudOnly, Headstart };
const char* to_string(Condition condition);  // "cloud_only", "headstart"

enum class Rating { ABetter, Equivalent, BBetter };
const char* to_string(Rating rating);  // "a_better", "equivalent", "b_better"
std::optional<Rating> rating_from_name(std::string_view name);

enum class Preference { Headstart, Equivalent, CloudOnly };
const char* to_string(Preference preference);  // "headstart", "equivalent", "cloud_only"

struct ReplayWord {
    std::string word;
    double shown_ms = 0.0;     // since the question was asked
    double duration_ms = 0.0;  // its slot at the presenter's pace
    Origin origin = Origin::Device;
    SegmentStyle style = SegmentStyle::Normal;  // Struck: a rewrite's retracted opener
};

// One condition's answer as the participant saw it.
struct RecordedTurn {
    Condition condition = Condition::Headstart;
    std::string path;  // correction path label ("continue", "gate+pivot", ...); "" for cloud only
    bool failed = false;
    double retract_ms = -1.0;  // when a rewrite's verdict struck the opener through (< 0: never)
    std::vector<ReplayWord> words;
    std::optional<double> first_word_ms() const;
    double end_ms() const;     // end of the last word's slot (0 without words)
    std::string text() const;  // the words joined by single spaces
};

// The shown words of `timeline`, relative to its Request event; with the turn's final `answer`
// each word gets its style (answer_words() of correction.h pairs them with the WordShown events).
RecordedTurn record_turn(const Timeline& timeline, Condition condition, std::string path,
                         const CorrectedAnswer* answer = nullptr);

// Words of `turn` a replay shows at `t_ms` after it started (words keep their real times).
std::size_t words_due(const RecordedTurn& turn, double t_ms);

// True when trial `index` (0-based) of a session seeded with `seed` plays μLM + cloud as A.
// Trials 2k and 2k+1 always get opposite orders; which comes first is drawn per block.
bool headstart_is_a(std::uint64_t seed, int index);

struct StudyTrial {
    std::string participant;
    int index = 0;  // trial number in the participant's session
    std::string question;
    bool headstart_is_a = true;
    Rating rating = Rating::Equivalent;
    double decision_ms = 0.0;  // from the end of the B replay to the rating
    std::string created_at;    // ISO 8601, from the shell
    RecordedTurn a, b;
};

Preference preference(const StudyTrial& trial);

struct Proportion {
    int count = 0, n = 0;
    double p = 0.0, lo = 0.0, hi = 1.0;  // point estimate and interval; [0, 1] when n == 0
};

// k of n with the Wilson score interval at z (1.96: 95 %). k is clamped to [0, n].
Proportion wilson_interval(int k, int n, double z = 1.959964);

struct StudySummary {
    int n = 0;
    Proportion headstart, equivalent, cloud_only;  // which condition the participant preferred
    Proportion headstart_at_least_as_good;         // headstart or equivalent
    std::optional<double> mean_first_word_headstart_ms, mean_first_word_cloud_only_ms;
};

StudySummary summarize(const std::vector<StudyTrial>& trials);

// One CSV field: quoted (with doubled quotes) when it holds a comma, quote, CR or LF, or starts
// with a character a spreadsheet would run as a formula (= + - @), which is then prefixed by '.
std::string csv_field(std::string_view text);
// A header line and one line per trial, "\r\n" line ends (RFC 4180).
std::string study_csv(const std::vector<StudyTrial>& trials);

std::string to_json(const StudyTrial& trial);
Result<StudyTrial> trial_from_json(std::string_view json);

}  // namespace headstart
