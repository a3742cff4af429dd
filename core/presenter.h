// core/presenter.h — shows (or speaks) the answer word by word at a human pace.
//
//   PresenterConfig   words per minute, optional pauses after clause / sentence marks
//   validate()        readable errors for a bad config
//   word_duration_ms()   the slot one word occupies at a given config
//   Presenter         a queue of words with their arrival times; advance(now) shows every word
//                     whose slot has come and appends a WordShown event to the Timeline
//   schedule_words()  the whole schedule at once (a Presenter advanced to the end)
//
// Why this is what masks the cloud: the opener arrives all at once (the μLM writes it in tens of
// ms) but is shown over seconds; the cloud's words stream in meanwhile and queue up behind it.
//
// Rules:
//   * A word is shown at max(its arrival, the end of the previous word's slot): never before it
//     arrived, never over another word. Words keep their order.
//   * A slot lasts 60000 / words_per_minute ms, plus clause_pause_ms after , ; : — … or
//     sentence_pause_ms after . ! ? when punctuation_pauses is on. A chunk of punctuation only
//     ("—") takes just its pause. words_per_minute <= 0 means no pacing: each word is shown when
//     it arrives, with a zero slot.
//   * Config changes (the UI's pace slider) apply to the words not yet shown.
//   * Everything is a function of the arrival times and the `now` passed to advance(): no clock
//     is read, so tests drive it with synthetic times, and calling advance() late yields the same
//     schedule as calling it on time.
//   * Streamed text (add_stream_text) is cut into words at whitespace: a word "arrives" when the
//     whitespace after it (or the end of the stream) arrives, since "learn" may still become
//     "learning" until then.
// Words here are whitespace-separated chunks, as in Timeline's metrics.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/timeline.h"

namespace headstart {

struct PresenterConfig {
    double words_per_minute = 200.0;  // reading ~200-250, speech ~150-160
    bool punctuation_pauses = true;
    double clause_pause_ms = 150.0;
    double sentence_pause_ms = 350.0;
};

Status validate(const PresenterConfig& config);

double word_duration_ms(std::string_view word, const PresenterConfig& config);

struct ShownWord {
    std::string word;
    double shown_ms = 0.0;
    double duration_ms = 0.0;
    Origin origin = Origin::Device;
};

struct WordArrival {
    std::string word;
    double arrived_ms = 0.0;
    Origin origin = Origin::Device;
};

class Presenter {
public:
    explicit Presenter(PresenterConfig config = {});

    // Applies to every word not shown yet.
    void set_config(const PresenterConfig& config) { config_ = config; }
    const PresenterConfig& config() const { return config_; }

    // One whole word (surrounding spaces are trimmed; an empty word is ignored).
    void add_word(std::string_view word, double arrived_ms, Origin origin);
    // Every word of `text`, all arriving at `arrived_ms` (the opener).
    void add_text(std::string_view text, double arrived_ms, Origin origin);
    // A streamed piece: completes the words that whitespace now ends; the last, unfinished word
    // waits for more. A change of origin first completes the pending word.
    void add_stream_text(std::string_view piece, double arrived_ms, Origin origin);
    // The stream ended: its pending word arrives now.
    void end_stream(double arrived_ms);

    // Shows every queued word whose slot starts at or before now_ms, in order; appends each as a
    // WordShown event to `timeline` (when given) and returns them.
    std::vector<ShownWord> advance(double now_ms, Timeline* timeline = nullptr);

    // When the next queued word will be shown (given no config change), if any is queued.
    std::optional<double> next_due_ms() const;
    std::size_t queued() const { return queue_.size(); }
    // The words that have arrived but are not shown yet, in order (a voice speaks them as they arrive).
    const std::deque<WordArrival>& queued_words() const { return queue_; }
    bool has_pending_stream_word() const { return !partial_.empty(); }
    // End of the last shown word's slot (0 before any word).
    double busy_until_ms() const { return busy_until_; }

private:
    PresenterConfig config_;
    std::deque<WordArrival> queue_;
    std::string partial_;  // streamed, not yet complete word
    Origin partial_origin_ = Origin::Cloud;
    bool shown_any_ = false;
    double busy_until_ = 0.0;
};

std::vector<ShownWord> schedule_words(const std::vector<WordArrival>& arrivals, const PresenterConfig& config);

}  // namespace headstart
