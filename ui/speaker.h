// ui/speaker.h — the answer spoken aloud while the turn runs, timed by the audio device.
//
//   AudioSink        the platform's audio output, 16-bit mono (desktop: desktop/sdl_voice.h on SDL2;
//                    the page can put Web Audio behind it): queue samples, tell how far the device has got
//   SpeechSettings   speak aloud or not, the voice, the rate (the sidebar's controls)
//   SelfPlayingVoice a voice that plays text itself and reports events instead of giving samples (the page's
//                    Web Speech API: voice "browser" or "browser:LANG"): no samples, no device clock
//   SpeechPlatform   what the shell gives: a synthesizer per settings (native: eSpeak NG), the sink, a
//                    steady clock in ms (read when used, never a frame's start time); the page: a self-playing
//                    voice per settings too
//   Speaker          one turn's voice: core/speech.h's LiveSpeech over the words as they reach the
//                    presenter; each utterance goes to the sink as soon as the voice is about to be free
//                    (so speech queued in time carries on without a gap), and each word's start is taken
//                    from when the device took its samples — the "user hears" lane, the word on the
//                    watch face and the silence at the handoff are what really played
//
// Rules:
//   * The opener is spoken the moment its first word reaches the presenter: every word that has
//     arrived by then is one utterance (LiveSpeech never mixes the μLM's and the cloud's words).
//   * The next utterance is synthesized and queued once less than lookahead_ms of audio is left to
//     play, with every word that has arrived by then, so it follows the last without a gap.
//   * A word starts when the device plays its sample, on the device's own clock (the samples it has
//     output, silence included): the turn's first sound is placed on the turn's clock by the clock stamp
//     of the device's take, every later one by the samples the device played since. So the gaps are the
//     played audio's, whatever the frame rate or the system clock's drift from the device's.
//   * No device (the sink will not open), no voice (bad voice name, no voice data) or a synthesizer
//     error: the turn runs on silently and status() says why. A device that holds the sound back (the
//     page before the user's first click) is the status meanwhile; the words wait and play once it lets go.
//   * A synthesizer that answers later (the page's, in a Worker): the next utterance is begun
//     LiveSpeech::lookahead_ms() before the voice comes free (max(400 ms, twice the last wait, scaled to
//     the text's length)) and queued when its audio comes back.
//   * A self-playing voice (its name starts with "browser"): the same utterances, each spoken with
//     speak(), the next one queued behind the one playing once that has reached its last word or 60 % of
//     its characters (without word events: 60 % of its length at the rate), or ended, so the voice carries
//     on without a gap. Timed by its events, not by audio: a word starts at its boundary event (without
//     boundaries: the first at the utterance's start, the rest spread by characters once it has ended) and
//     ends where the next starts or at the utterance's end; the silence at the handoff is from the end of
//     the utterance with the μLM's last word to the start of the cloud's first. heard().samples stays
//     empty and state() says "timed_by": "events" (else "audio"). An error event: silent from there on,
//     status() says why.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/speech.h"

namespace ui {

// One take of the audio device: the queued samples [from, to) went out at sample out_at of everything the
// device has output since it was opened (its own clock: silence counts), at clock_ms (the platform's clock).
struct DeviceTake {
    size_t from = 0, to = 0;
    uint64_t out_at = 0;
    double clock_ms = 0;
};

// What the audio device has taken of the samples queued to it since it was opened (or cleared).
struct Playhead {
    size_t taken = 0;                // samples taken in all
    std::vector<DeviceTake> takes;   // its latest takes (a few dozen), oldest first
    double latency_ms = 0;           // from a take to its sound (the device's own buffer); 0 for a file
};

class AudioSink {
public:
    virtual ~AudioSink() = default;
    // Opens the device for 16-bit mono at sample_rate (again at another rate); an error says why not.
    virtual headstart::Status open(int sample_rate) = 0;
    virtual bool is_open() const = 0;
    virtual void queue(const std::vector<int16_t>& samples) = 0;
    virtual Playhead playhead() const = 0;
    // Drops what has not played and starts counting from zero again (a new turn).
    virtual void clear() = 0;
    // Why the device holds the sound back now ("" when it plays): the page's Web Audio until the user's
    // first click (the browser's autoplay policy), or its audio output failing after it opened.
    virtual std::string held() const { return {}; }
};

struct SpeechSettings {
    bool on = false;
    std::string voice = "en-us";   // an eSpeak NG voice name, or "browser" / "browser:LANG" (plays_itself())
    int words_per_minute = 165;    // 80..450
    bool operator==(const SpeechSettings& o) const {
        return on == o.on && voice == o.voice && words_per_minute == o.words_per_minute;
    }
};

// "browser" or "browser:LANG": the page's Web Speech API voice (a SelfPlayingVoice), not eSpeak NG.
bool plays_itself(const std::string& voice_name);

// What a self-playing voice reports, each stamped with the platform's clock when it happened.
struct VoiceEvent {
    enum class Kind { Start, Word, End, Error };
    int id = 0;                // the speak() it is about
    Kind kind = Kind::Start;
    size_t char_index = 0;     // Word: the word's first byte in the UTF-8 text
    double clock_ms = 0;       // SpeechPlatform::clock_ms's clock
    std::string message;       // Error: why
};

// A voice that plays text itself (the browser's speechSynthesis): its sound never passes through the app.
class SelfPlayingVoice {
public:
    virtual ~SelfPlayingVoice() = default;
    // Queues text behind whatever plays or is queued; its events carry id.
    virtual void speak(int id, const std::string& text) = 0;
    // Stops what plays, drops what is queued; no event of theirs comes after.
    virtual void cancel() = 0;
    // The events since the last call, in order.
    virtual std::vector<VoiceEvent> drain() = 0;
    // Why it holds the sound back now ("" when it plays): the page before the user's first click.
    virtual std::string held() const { return {}; }
};

using SelfPlayingFactory =
    std::function<headstart::Result<std::unique_ptr<SelfPlayingVoice>>(const SpeechSettings&)>;

using SynthesizerFactory =
    std::function<headstart::Result<std::unique_ptr<headstart::Synthesizer>>(const SpeechSettings&)>;

struct SpeechPlatform {
    SynthesizerFactory make_synthesizer;  // empty: this platform cannot speak
    AudioSink* sink = nullptr;            // not owned
    std::function<double()> clock_ms;     // steady, in ms
    // Ask for the next utterance at least this long before the voice comes free (0: the speaker's own
    // rule). The desktop, whose eSpeak shares two busy cores with the μLM, asks a second ahead: there a
    // synthesis that usually takes 50 ms has taken 0.5 s.
    double min_lookahead_ms = 0;
    SelfPlayingFactory make_self_playing;  // empty: no voice that plays itself (all but the page)
};

// One utterance as queued and as heard.
struct SpokenUtterance {
    std::string text;
    headstart::Origin origin = headstart::Origin::Device;
    std::vector<double> word_offset_ms;  // each word's start within the audio (the synthesizer's)
    std::vector<int16_t> audio;          // what was queued
    size_t samples = 0;
    size_t queued_at = 0;                // position in the sink's stream
    double asked_ms = 0;                 // when the synthesizer was given its text (turn's clock)
    double queued_ms = 0;                // on the turn's clock
    std::optional<double> started_ms;    // when the device played its first sample (turn's clock)
    std::optional<uint64_t> device_at;   // that sample's place in everything the device has output
    // A stretch of its sound to find it by in a recording of the device: the first 32 samples from
    // the first one louder than the silence threshold, which is sound_at samples into the utterance.
    size_t sound_at = 0;
    std::vector<int16_t> fingerprint;
    // A self-playing voice's: the id its events carry, each word's first byte in text, the times of its
    // word (boundary) events and of its end event (turn's clock).
    int voice_id = 0;
    std::vector<size_t> word_chars;
    std::vector<std::optional<double>> boundary_ms;
    std::optional<double> ended_ms;
};

class Speaker {
public:
    // How much audio may be left when the next utterance is made: a frame or two and a synthesis, even
    // on a loaded machine or under the sanitizers.
    static constexpr double kLookaheadMs = 400.0;

    explicit Speaker(SpeechPlatform platform = {});
    ~Speaker();
    Speaker(const Speaker&) = delete;
    Speaker& operator=(const Speaker&) = delete;

    bool can_speak() const { return static_cast<bool>(platform_.make_synthesizer) && platform_.sink; }
    bool timed_by_events() const { return playing_ != nullptr; }  // this turn's voice plays itself

    // A new turn: what still plays stops. With settings.on, the turn is spoken: the voice is made (again
    // when the settings changed) and the device opened; failing either, status() says why and it is silent.
    void begin_turn(const SpeechSettings& settings);
    // Stops speaking (a race or a study pair takes the drivers).
    void stop();
    // The turn's clock: turn_now_ms is the turn's time at this moment (the platform's clock is read here).
    void set_turn_clock(double turn_now_ms);
    bool has_turn_clock() const { return zero_ms_.has_value(); }
    double turn_now_ms() const;

    // Each frame: every word that has reached the presenter so far (Turn::arrived_words()), and whether the
    // turn is over (no more will come).
    void update(const std::vector<headstart::WordArrival>& arrived, bool turn_over);

    bool active() const { return active_; }       // this turn is being spoken
    bool done() const;                            // it has all played (or is silent and the turn is over)
    const std::string& status() const { return status_; }  // "" or why it is silent / stopped
    const SpeechSettings& settings() const { return settings_; }
    // The words as heard (start and end on the turn's clock, from the device), the played audio
    // reconstructed, and the silence at the handoff in it (core/speech.h's definition).
    const headstart::SpeechTrack& heard() const { return heard_; }
    const std::vector<SpokenUtterance>& utterances() const { return utterances_; }
    // The word playing at turn_ms (else the last one heard before it); -1 before the first.
    int word_index_at(double turn_ms) const;
    nlohmann::json state() const;

private:
    void measure();                  // utterance starts from the device's playhead
    void update_later();             // update()'s next utterance with a synthesizer that answers later
    void queue_utterance(const std::string& text, const headstart::Utterance& u, const std::vector<int16_t>& samples);
    void rebuild_heard();
    void fail(const std::string& why);
    // The self-playing path.
    void begin_self_playing(const SpeechSettings& settings);
    void update_self_playing();
    bool apply(const VoiceEvent& e);  // true when it changed what was heard
    bool ready_for_next(const SpokenUtterance& u) const;
    void rebuild_heard_from_events();

    SpeechPlatform platform_;
    SpeechSettings settings_, synth_settings_;
    std::unique_ptr<headstart::Synthesizer> synth_;
    std::unique_ptr<SelfPlayingVoice> self_voice_;  // made for self_settings_, kept across turns
    SpeechSettings self_settings_;
    SelfPlayingVoice* playing_ = nullptr;            // self_voice_ while this turn speaks with it
    struct Recorder;                 // the synthesizer as LiveSpeech sees it: keeps the last utterance
    std::unique_ptr<Recorder> recorder_;
    std::unique_ptr<headstart::LiveSpeech> live_;
    std::vector<headstart::WordArrival> pushed_;
    size_t spoken_words_ = 0;        // of pushed_, in utterances so far
    std::vector<SpokenUtterance> utterances_;
    headstart::SpeechTrack heard_;
    size_t queued_samples_ = 0;
    int sample_rate_ = 0;
    std::optional<double> zero_ms_;  // the platform's clock at the turn's 0
    struct Anchor {
        uint64_t device_at;
        double turn_ms;
    };
    std::optional<Anchor> anchor_;   // the turn's first sound: where the device played it, and when
    int request_id_ = 0;             // the last text sent to a synthesizer that answers later
    double asked_ms_ = 0;            // when it was sent
    bool active_ = false, turn_over_ = false, failed_ = false;
    std::string status_;
};

}  // namespace ui
