// core/speech.h — the answer as heard: words queued to a voice, timed by the audio they become.
//
//   Synthesizer        what turns text into audio with the start of each word (native: eSpeak NG,
//                      native/espeak_synth.h); tests give it a fake with known durations
//   speak_arrivals()   the whole answer's audio: the voice speaks whatever has arrived each time it
//                      is free, so the opener is heard at once and the cloud's words follow as they
//                      stream, without a gap when they came in time
//   LiveSpeech         the same, live: words pushed as they are shown, ticked each frame, each
//                      utterance's audio handed back to the shell's audio device as it starts; or, with a
//                      synthesizer that answers later (the page's eSpeak NG in a Worker), begun ahead of
//                      time and finished when its audio comes back
//   longest_silence_ms()   the longest quiet run of a stretch of the audio (the stall at the handoff)
//   write_wav()        16-bit mono PCM, RIFF/WAVE
//
// Rules of speak_arrivals (no clock is read: the same arrivals give the same audio):
//   * An utterance starts at max(the next word's arrival, the end of the previous utterance). It takes
//     every word that has arrived by then, up to max_words, and never mixes the μLM's words with the
//     cloud's (the handoff is an utterance boundary, as it is in a live voice that cannot wait).
//   * The words that arrived together with its first word are always in it (up to max_words), whatever the
//     clock it is asked at: the opener, which reaches the presenter at once, is one utterance even when the
//     shell's clock reads a little behind the turn's.
//   * A word is heard from the start the synthesizer gave it to the start of the next word of the same
//     utterance (the last one: to the utterance's end). Silence fills the time between utterances.
//   * A synthesizer error ends it with that error; nothing is half written.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/presenter.h"
#include "core/result.h"
#include "core/timeline.h"

namespace headstart {

struct Utterance {
    std::vector<int16_t> samples;  // mono PCM at sample_rate
    int sample_rate = 22050;
    std::vector<double> word_start_ms;  // one per whitespace-separated word of the text, within the audio
};

class Synthesizer {
public:
    virtual ~Synthesizer() = default;
    // The audio of `text`, now ("" gives no samples, only the format: sample_rate).
    virtual Result<Utterance> speak(const std::string& text) = 0;
    // A synthesizer that answers later (the page's, in a Worker) says so: then speak() is asked only for the
    // format, send() starts the synthesis of one text and receive() hands its audio back once it has come
    // (nullopt until then). An answer to another id than the last one sent is dropped.
    virtual bool answers_later() const { return false; }
    virtual void send(int id, const std::string& text) {
        (void)id;
        (void)text;
    }
    virtual std::optional<Result<Utterance>> receive(int id) {
        (void)id;
        return std::nullopt;
    }
};

struct HeardWord {
    std::string word;
    double start_ms = 0.0, end_ms = 0.0;  // on the turn's clock (0 = the Request)
    Origin origin = Origin::Device;
};

struct SpeechTrack {
    std::vector<HeardWord> words;
    std::vector<int16_t> samples;  // from t = 0: leading silence until the first word, then every utterance
    int sample_rate = 22050;
    int utterances = 0;
    double duration_ms() const { return sample_rate ? 1000.0 * samples.size() / sample_rate : 0.0; }
    // the longest quiet run between the start of the last μLM word and the end of the first cloud
    // word (0 when the answer has no cloud word or no μLM word): what the user hears at the handoff
    double handoff_silence_ms = 0.0;
};

struct SpeechOptions {
    int max_words = 12;               // per utterance
    double silence_threshold = 0.01;  // |sample| / 32768 at or under which audio counts as quiet
};

// The voice live, by the same rules: the shell pushes each word as it is shown and ticks it with the turn's
// clock (every frame); when the voice is free and words wait, the next utterance starts at that tick and its
// audio comes back for the shell to queue to its audio device. speak_arrivals() is this, ticked at exactly
// the instants something can start; a shell ticking each frame starts an utterance up to a frame later.
//
// With a synthesizer that answers later, the shell asks for the next utterance ahead of time instead:
// begin() takes the words waiting by then (the same rules) and gives the text to synthesize; finish() gets
// its audio back, which starts at max(that moment, the end of the last utterance). Begun lookahead_ms()
// before the voice comes free — max(kMinLookaheadMs, twice the synthesizer's last wait, scaled up to the
// length of the text it will get: a synthesis takes about as long as its text) — its answer is usually
// back in time, so the voice carries on without a gap.
class LiveSpeech {
public:
    static constexpr double kMinLookaheadMs = 400.0;

    explicit LiveSpeech(Synthesizer& synth, SpeechOptions options = {});
    void push(WordArrival word);  // in the order shown
    // The utterance that starts at now_ms (empty: none — the voice is busy or nothing waits). A synthesizer
    // error ends the speech: this call and every later one return it.
    Result<std::vector<int16_t>> tick(double now_ms);

    // The asynchronous path. The text of the next utterance, its words taken from the waiting ones
    // (nothing: none waits, one is being synthesized, or the speech has ended with an error).
    std::optional<std::string> begin(double now_ms);
    // Its audio (or the synthesizer's error, which ends the speech), now_ms when it came back: the
    // samples, which start at max(now_ms, free_at_ms()) on the turn's clock.
    Result<std::vector<int16_t>> finish(const Result<Utterance>& audio, double now_ms);
    bool synthesizing() const { return pending_ > 0; }
    // The text begin(now_ms) would take ("" when none).
    std::string next_text(double now_ms) const;
    double last_wait_ms() const { return last_wait_ms_; }  // from begin() to finish(), the last time
    // How long before the voice comes free to begin an utterance of `text_chars` characters.
    double lookahead_ms(size_t text_chars = 0) const {
        const double longer = last_chars_ > 0 ? std::max(1.0, static_cast<double>(text_chars) / last_chars_) : 1.0;
        return std::max(kMinLookaheadMs, 2.0 * last_wait_ms_ * longer);
    }

    // A voice that plays and times the text itself (the page's Web Speech API, ui/speaker.h's
    // SelfPlayingVoice): the next utterance's words, taken off the waiting ones by the same rules (nothing
    // when none waits, one is being synthesized, or the speech has ended); nothing is scheduled or tracked.
    std::vector<WordArrival> take_next(double now_ms);

    bool waiting() const { return !waiting_.empty(); }
    double free_at_ms() const { return free_at_; }  // the end of what has been scheduled, on the turn's clock
    SpeechTrack track() const;                      // everything scheduled so far, the silence at the handoff included

private:
    Synthesizer& synth_;
    SpeechOptions options_;
    std::vector<WordArrival> waiting_;
    SpeechTrack track_;
    double free_at_ = 0.0;
    std::string error_;
    size_t take(double now_ms) const;  // how many waiting words the next utterance takes
    size_t pending_ = 0;               // words of waiting_ in the utterance being synthesized
    size_t pending_chars_ = 0, last_chars_ = 0;
    double begun_ms_ = 0.0, last_wait_ms_ = 0.0;
};

Result<SpeechTrack> speak_arrivals(const std::vector<WordArrival>& words, Synthesizer& synth,
                                   const SpeechOptions& options = {});

// eSpeak NG's word events as word starts: `marks` are (the word's first character, 1-based code point
// position in `text`; its start in the audio, ms), in order. Each whitespace-separated word of `text` gets
// the mark at its first character; eSpeak reads some pairs as one ("There are"): a word without its own mark,
// or a punctuation-only chunk ("—"), shares the time up to the next marked word (or total_ms) with the word
// before it, in proportion to their characters. (The page's synthesizer, whose worker sends the marks.)
std::vector<double> word_starts_from_marks(const std::string& text, const std::vector<std::pair<int, double>>& marks,
                                           double total_ms);

// The words the presenter of a turn showed, with the time each reached it (Timeline WordShown events).
std::vector<WordArrival> spoken_arrivals(const Timeline& timeline);

double longest_silence_ms(const std::vector<int16_t>& samples, int sample_rate, double from_ms, double to_ms,
                          double threshold = 0.01);

// Writes a RIFF/WAVE file; an error names the path.
Status write_wav(const std::string& path, const std::vector<int16_t>& samples, int sample_rate);

}  // namespace headstart
