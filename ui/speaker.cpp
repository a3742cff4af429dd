// ui/speaker.cpp — see speaker.h.
#include "ui/speaker.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace ui {

using headstart::Origin;

namespace {

constexpr double kSilenceThreshold = 0.01;  // core/speech.h's SpeechOptions default
constexpr size_t kFingerprint = 32;

double samples_ms(size_t n, int rate) { return rate > 0 ? 1000.0 * static_cast<double>(n) / rate : 0.0; }

// A self-playing voice's next utterance is queued once the one playing has reached this share of its text.
constexpr double kQueueAheadShare = 0.6;

// LiveSpeech's grouping without its synthesis (the self-playing path takes words with take_next() only).
struct NoSynthesizer final : headstart::Synthesizer {
    headstart::Result<headstart::Utterance> speak(const std::string&) override {
        return headstart::Error{"speech: a self-playing voice has no samples"};
    }
};

// Each whitespace-separated word's first byte.
std::vector<size_t> word_starts(const std::string& text) {
    std::vector<size_t> out;
    for (size_t i = 0; i < text.size(); ++i)
        if (!std::isspace(static_cast<unsigned char>(text[i])) &&
            (i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1]))))
            out.push_back(i);
    return out;
}

// The voice made for `want`: `held` is kept while it was made for the same settings, else made again ("" or
// why it could not be).
template <class Voice, class Factory>
std::string keep_or_make(std::unique_ptr<Voice>& held, SpeechSettings& made_for, const SpeechSettings& want,
                         const Factory& make) {
    if (held && made_for == want) return {};
    held.reset();
    auto made = make(want);
    if (!made.ok()) return made.error();
    held = std::move(made.value());
    made_for = want;
    return {};
}

}  // namespace

bool plays_itself(const std::string& voice_name) {
    return voice_name == "browser" || voice_name.rfind("browser:", 0) == 0;
}

// LiveSpeech calls the synthesizer itself; this keeps what it said last, so the Speaker knows each
// utterance's text and word timings (LiveSpeech hands back only its samples).
struct Speaker::Recorder final : headstart::Synthesizer {
    explicit Recorder(headstart::Synthesizer* inner) : inner(inner) {}
    headstart::Result<headstart::Utterance> speak(const std::string& t) override {
        auto r = inner->speak(t);
        if (r.ok()) {
            last = r.value();
            text = t;
            ++calls;
        }
        return r;
    }
    headstart::Synthesizer* inner;
    headstart::Utterance last;
    std::string text;
    int calls = 0;
};

Speaker::Speaker(SpeechPlatform platform) : platform_(std::move(platform)) {}

Speaker::~Speaker() = default;

void Speaker::stop() {
    if (platform_.sink && platform_.sink->is_open()) platform_.sink->clear();
    if (playing_) playing_->cancel();
    playing_ = nullptr;
    live_.reset();
    recorder_.reset();
    pushed_.clear();
    spoken_words_ = 0;
    utterances_.clear();
    heard_ = headstart::SpeechTrack{};
    queued_samples_ = 0;
    zero_ms_.reset();
    anchor_.reset();
    active_ = false;
    turn_over_ = false;
    failed_ = false;
}

void Speaker::begin_turn(const SpeechSettings& settings) {
    stop();
    settings_ = settings;
    status_.clear();
    if (!settings.on) return;
    if (plays_itself(settings.voice)) return begin_self_playing(settings);
    if (!can_speak()) {
        status_ = "speech: this build has no voice";
        return;
    }
    SpeechSettings voice = settings;
    voice.on = true;
    if (const std::string why = keep_or_make(synth_, synth_settings_, voice, platform_.make_synthesizer); !why.empty()) {
        status_ = "speech off: " + why;
        return;
    }
    // The voice's sample rate (an empty text is no words, just the format), and the device at it.
    auto probe = synth_->speak("");
    if (!probe.ok() || probe->sample_rate <= 0) {
        status_ = "speech off: the voice gives no audio format" + (probe.ok() ? "" : " (" + probe.error() + ")");
        return;
    }
    if (!platform_.sink->is_open() || probe->sample_rate != sample_rate_) {
        sample_rate_ = 0;
        if (auto st = platform_.sink->open(probe->sample_rate); !st.ok()) {
            status_ = "speech off: no audio device (" + st.error() + ")";
            return;
        }
        sample_rate_ = probe->sample_rate;
    }
    platform_.sink->clear();
    recorder_ = std::make_unique<Recorder>(synth_.get());
    live_ = std::make_unique<headstart::LiveSpeech>(*recorder_);
    heard_.sample_rate = sample_rate_;
    active_ = true;
}

void Speaker::begin_self_playing(const SpeechSettings& settings) {
    if (!platform_.make_self_playing || !platform_.clock_ms) {
        status_ = "speech off: \"" + settings.voice +
                  "\" is the page's Web Speech voice; here, use an eSpeak NG voice such as en-us";
        return;
    }
    SpeechSettings voice = settings;
    voice.on = true;
    if (const std::string why = keep_or_make(self_voice_, self_settings_, voice, platform_.make_self_playing);
        !why.empty()) {
        status_ = "speech off: " + why;
        return;
    }
    self_voice_->cancel();  // whatever the last turn left
    self_voice_->drain();
    static NoSynthesizer no_synthesizer;
    live_ = std::make_unique<headstart::LiveSpeech>(no_synthesizer);
    heard_.sample_rate = 0;
    sample_rate_ = 0;
    playing_ = self_voice_.get();
    active_ = true;
}

void Speaker::set_turn_clock(double turn_now_ms) {
    if (platform_.clock_ms) zero_ms_ = platform_.clock_ms() - turn_now_ms;
}

double Speaker::turn_now_ms() const {
    return zero_ms_ && platform_.clock_ms ? platform_.clock_ms() - *zero_ms_ : 0.0;
}

void Speaker::fail(const std::string& why) {
    status_ = why;
    failed_ = true;  // what is queued plays out; nothing more is said
}

void Speaker::update(const std::vector<headstart::WordArrival>& arrived, bool turn_over) {
    if (!active_) return;
    turn_over_ = turn_over;
    if (!zero_ms_) return;
    for (size_t i = pushed_.size(); i < arrived.size(); ++i) {
        pushed_.push_back(arrived[i]);
        live_->push(arrived[i]);
    }
    if (playing_) return update_self_playing();
    measure();
    if (!failed_) status_ = platform_.sink->held();  // e.g. the page until the user's first click
    if (failed_) return;
    if (synth_->answers_later()) return update_later();
    if (!live_->waiting()) return;
    const Playhead ph = platform_.sink->playhead();
    const double left_ms = samples_ms(queued_samples_ - std::min(ph.taken, queued_samples_), sample_rate_);
    if (left_ms >= std::max(kLookaheadMs, platform_.min_lookahead_ms)) return;  // the voice is busy for a while yet
    const int calls = recorder_->calls;
    asked_ms_ = turn_now_ms();
    auto r = live_->tick(std::max(turn_now_ms(), live_->free_at_ms()));
    if (!r.ok()) return fail(r.error());
    if (recorder_->calls == calls) return;
    queue_utterance(recorder_->text, recorder_->last, r.value());
}

void Speaker::update_later() {
    if (live_->synthesizing()) {
        auto answer = synth_->receive(request_id_);
        if (!answer) return;  // not back yet
        auto r = live_->finish(*answer, turn_now_ms());
        if (!r.ok()) return fail(r.error());
        queue_utterance(recorder_->text, answer->value(), r.value());
    }
    if (!live_->waiting()) return;
    const Playhead ph = platform_.sink->playhead();
    const double left_ms = samples_ms(queued_samples_ - std::min(ph.taken, queued_samples_), sample_rate_);
    // asked now, its audio would be back well before it is due
    if (left_ms >= std::max(platform_.min_lookahead_ms, live_->lookahead_ms(live_->next_text(turn_now_ms()).size())))
        return;
    auto text = live_->begin(turn_now_ms());
    if (!text) return;
    recorder_->text = *text;
    asked_ms_ = turn_now_ms();
    synth_->send(++request_id_, *text);
}

void Speaker::queue_utterance(const std::string& text, const headstart::Utterance& u,
                              const std::vector<int16_t>& samples) {
    if (u.sample_rate != sample_rate_) return fail("speech: the voice changed its sample rate");
    SpokenUtterance s;
    s.text = text;
    s.origin = spoken_words_ < pushed_.size() ? pushed_[spoken_words_].origin : Origin::Device;
    s.word_offset_ms = u.word_start_ms;
    s.audio = samples;
    s.samples = s.audio.size();
    s.queued_at = queued_samples_;
    s.asked_ms = asked_ms_;
    s.queued_ms = turn_now_ms();
    const double limit = kSilenceThreshold * 32768.0;
    const auto loud = std::find_if(s.audio.begin(), s.audio.end(),
                                   [&](int16_t x) { return std::abs(static_cast<double>(x)) > limit; });
    s.sound_at = static_cast<size_t>(loud - s.audio.begin());
    s.fingerprint.assign(loud, loud + static_cast<std::ptrdiff_t>(std::min(kFingerprint, s.audio.size() - s.sound_at)));
    spoken_words_ += u.word_start_ms.size();
    if (!s.audio.empty()) platform_.sink->queue(s.audio);
    queued_samples_ += s.samples;
    utterances_.push_back(std::move(s));
    measure();
}

void Speaker::measure() {
    if (utterances_.empty() || !zero_ms_) return;
    const Playhead ph = platform_.sink->playhead();
    bool changed = false;
    for (size_t i = 0; i < utterances_.size(); ++i) {
        SpokenUtterance& u = utterances_[i];
        if (u.started_ms) continue;
        const size_t q = u.queued_at;
        if (u.samples ? ph.taken <= q : ph.taken < q) break;  // not played yet
        // The take that held its first sample (the audio is contiguous from there on: an older one is
        // placed back from the oldest take the device still lists).
        const DeviceTake* k = nullptr;
        for (const DeviceTake& t : ph.takes)
            if (t.from <= q && (q < t.to || (!u.samples && q == t.to))) k = &t;
        if (!k && !ph.takes.empty() && q < ph.takes.front().from) k = &ph.takes.front();
        if (!k) break;
        const double into = static_cast<double>(q) - static_cast<double>(k->from);
        const double at = static_cast<double>(k->out_at) + into;
        u.device_at = static_cast<uint64_t>(std::max(0.0, at));
        if (!anchor_)  // the turn's first sound: when its take was stamped (plus the device's buffer)
            anchor_ = Anchor{*u.device_at, k->clock_ms + 1000.0 * into / sample_rate_ + ph.latency_ms - *zero_ms_};
        u.started_ms = anchor_->turn_ms + 1000.0 *
                                              (static_cast<double>(*u.device_at) - static_cast<double>(anchor_->device_at)) /
                                              sample_rate_;
        changed = true;
    }
    if (changed) rebuild_heard();
}

void Speaker::rebuild_heard() {
    headstart::SpeechTrack t;
    t.sample_rate = sample_rate_;
    size_t word = 0;
    for (const SpokenUtterance& u : utterances_) {
        if (!u.started_ms) break;
        const size_t at = static_cast<size_t>(std::llround(std::max(0.0, *u.started_ms) * sample_rate_ / 1000.0));
        t.samples.resize(std::max(t.samples.size(), at), 0);
        const double begin = samples_ms(t.samples.size(), sample_rate_);
        t.samples.insert(t.samples.end(), u.audio.begin(), u.audio.end());
        const double length = samples_ms(u.samples, sample_rate_);
        for (size_t k = 0; k < u.word_offset_ms.size() && word < pushed_.size(); ++k, ++word) {
            const double from = std::min(u.word_offset_ms[k], length);
            const double to = k + 1 < u.word_offset_ms.size() ? std::min(u.word_offset_ms[k + 1], length) : length;
            t.words.push_back({pushed_[word].word, begin + from, begin + std::max(from, to), pushed_[word].origin});
        }
        ++t.utterances;
    }
    // The silence at the handoff, as core/speech.h's LiveSpeech::track() measures it.
    const headstart::HeardWord* last_device = nullptr;
    const headstart::HeardWord* first_cloud = nullptr;
    for (const auto& w : t.words) {
        if (w.origin == Origin::Cloud) {
            if (!first_cloud) first_cloud = &w;
        } else if (!first_cloud) {
            last_device = &w;
        }
    }
    if (last_device && first_cloud)
        t.handoff_silence_ms = headstart::longest_silence_ms(t.samples, t.sample_rate, last_device->start_ms,
                                                             first_cloud->end_ms, kSilenceThreshold);
    heard_ = std::move(t);
}

bool Speaker::done() const {
    if (!active_) return true;
    if (!turn_over_) return false;
    if (!failed_ && (spoken_words_ < pushed_.size() || (live_ && live_->waiting()))) return false;
    if (playing_)  // the voice said it has ended each (an error cancelled the rest)
        return failed_ || std::all_of(utterances_.begin(), utterances_.end(),
                                      [](const SpokenUtterance& u) { return u.ended_ms.has_value(); });
    if (utterances_.empty()) return true;
    const SpokenUtterance& last = utterances_.back();
    if (!last.started_ms) return false;
    // The device has taken every sample (its clock can run behind the system's: a clock alone could say
    // "done" while the end still waits in the queue, and the next turn would cut it off).
    if (platform_.sink->playhead().taken < queued_samples_) return false;
    return turn_now_ms() >= *last.started_ms + samples_ms(last.samples, sample_rate_);
}

int Speaker::word_index_at(double turn_ms) const {
    int at = -1;
    for (size_t i = 0; i < heard_.words.size() && heard_.words[i].start_ms <= turn_ms; ++i) at = static_cast<int>(i);
    return at;
}

nlohmann::json Speaker::state() const {
    using nlohmann::json;
    json utterances = json::array();
    for (const SpokenUtterance& u : utterances_)
        utterances.push_back({{"text", u.text},
                              {"origin", headstart::to_string(u.origin)},
                              {"samples", u.samples},
                              {"asked_ms", u.asked_ms},
                              {"queued_ms", u.queued_ms},
                              {"started_ms", u.started_ms ? json(*u.started_ms) : json(nullptr)},
                              {"device_at", u.device_at ? json(*u.device_at) : json(nullptr)},
                              {"word_offset_ms", u.word_offset_ms},
                              {"sound_at", u.sound_at},
                              {"fingerprint", u.fingerprint}});
    json words = json::array();
    for (const auto& w : heard_.words)
        words.push_back({{"word", w.word}, {"start_ms", w.start_ms}, {"end_ms", w.end_ms},
                         {"origin", headstart::to_string(w.origin)}});
    const bool have_cloud = std::any_of(heard_.words.begin(), heard_.words.end(),
                                        [](const headstart::HeardWord& w) { return w.origin == Origin::Cloud; });
    const double duration = !playing_ ? heard_.duration_ms() : heard_.words.empty() ? 0.0 : heard_.words.back().end_ms;
    if (playing_)
        for (size_t i = 0; i < utterances_.size(); ++i) {
            const SpokenUtterance& u = utterances_[i];
            utterances[i]["voice_id"] = u.voice_id;
            utterances[i]["ended_ms"] = u.ended_ms ? json(*u.ended_ms) : json(nullptr);
            utterances[i]["boundaries"] =
                std::count_if(u.boundary_ms.begin(), u.boundary_ms.end(), [](const auto& b) { return b.has_value(); });
        }
    return {{"on", settings_.on},
            {"timed_by", playing_ ? "events" : "audio"},
            {"voice", settings_.voice},
            {"wpm", settings_.words_per_minute},
            {"active", active_},
            {"status", status_},
            {"done", done()},
            {"sample_rate", sample_rate_},
            {"words_arrived", pushed_.size()},
            {"utterances", utterances},
            {"words", words},
            {"first_word_ms", heard_.words.empty() ? json(nullptr) : json(heard_.words.front().start_ms)},
            {"duration_ms", duration},
            {"handoff_silence_ms", have_cloud ? json(heard_.handoff_silence_ms) : json(nullptr)}};
}

}  // namespace ui

// ---- a voice that plays itself (the page's Web Speech API) -------------------------------------

namespace ui {

void Speaker::update_self_playing() {
    bool changed = false;
    for (const VoiceEvent& e : playing_->drain()) changed |= apply(e);
    if (changed) rebuild_heard_from_events();
    if (failed_) return;
    status_ = playing_->held();  // e.g. the page before the user's first click
    if (!live_->waiting() || (!utterances_.empty() && !ready_for_next(utterances_.back()))) return;
    const double now = turn_now_ms();
    const std::vector<headstart::WordArrival> words = live_->take_next(now);
    if (words.empty()) return;
    SpokenUtterance s;
    for (const auto& w : words) s.text += (s.text.empty() ? "" : " ") + w.word;
    s.origin = words.front().origin;
    s.voice_id = ++request_id_;
    s.asked_ms = s.queued_ms = now;
    s.word_chars = word_starts(s.text);
    s.word_chars.resize(words.size(), s.text.size());  // a word that is all space: at the end
    s.boundary_ms.assign(words.size(), std::nullopt);
    spoken_words_ += words.size();
    utterances_.push_back(s);
    playing_->speak(s.voice_id, s.text);
}

// The next utterance goes to the voice once this one has its last word out, 60 % of its characters, or has
// ended: queued behind it then, it follows without a gap, and holds every word that arrived by then.
bool Speaker::ready_for_next(const SpokenUtterance& u) const {
    if (u.ended_ms) return true;
    if (!u.started_ms) return false;  // not playing yet (held, or behind another)
    for (size_t k = u.boundary_ms.size(); k-- > 0;)
        if (u.boundary_ms[k])
            return k + 1 == u.boundary_ms.size() ||
                   static_cast<double>(u.word_chars[k]) >= kQueueAheadShare * static_cast<double>(u.text.size());
    // no word events: by the rate, about 6 characters a word (5 and a space)
    const double expected_ms =
        60000.0 * (static_cast<double>(u.text.size()) + 1) / 6.0 / std::max(1, settings_.words_per_minute);
    return turn_now_ms() - *u.started_ms >= kQueueAheadShare * expected_ms;
}

bool Speaker::apply(const VoiceEvent& e) {
    auto u = std::find_if(utterances_.begin(), utterances_.end(),
                          [&](const SpokenUtterance& x) { return x.voice_id == e.id; });
    if (u == utterances_.end() || !zero_ms_) return false;  // an older turn's
    const double at = e.clock_ms - *zero_ms_;
    switch (e.kind) {
        case VoiceEvent::Kind::Start:
            if (!u->started_ms) u->started_ms = at;
            return true;
        case VoiceEvent::Kind::Word: {
            // the word holding that character: the last one starting at or before it
            size_t k = 0;
            while (k + 1 < u->word_chars.size() && u->word_chars[k + 1] <= e.char_index) ++k;
            if (u->boundary_ms.empty() || u->boundary_ms[k]) return false;
            u->boundary_ms[k] = at;
            if (!u->started_ms) u->started_ms = at;
            return true;
        }
        case VoiceEvent::Kind::End:
            if (!u->started_ms) u->started_ms = at;
            if (!u->ended_ms) u->ended_ms = std::max(at, *u->started_ms);
            return true;
        case VoiceEvent::Kind::Error:
            fail("speech: " + (e.message.empty() ? std::string("the browser's voice failed") : e.message));
            playing_->cancel();  // nothing more is said
            return true;
    }
    return false;
}

void Speaker::rebuild_heard_from_events() {
    headstart::SpeechTrack t;
    t.sample_rate = 0;  // no samples: timed by the voice's events
    size_t word = 0;
    // For the handoff: the end of the utterance with the μLM's last word, and the start of the cloud's first.
    std::optional<double> device_end, cloud_start;
    for (SpokenUtterance& u : utterances_) {
        if (!u.started_ms) break;
        const size_t n = u.boundary_ms.size();
        std::vector<std::optional<double>> at = u.boundary_ms;
        if (n && !at[0]) at[0] = u.started_ms;
        // words without an event of their own: spread by characters between the placed ones (or the end)
        for (size_t i = 0; i < n; ++i) {
            if (!at[i]) break;
            size_t j = i + 1;
            while (j < n && !at[j]) ++j;
            if (j == i + 1) continue;
            const std::optional<double> right = j < n ? at[j] : u.ended_ms;
            if (!right) break;  // placed once it has ended
            const double c0 = static_cast<double>(u.word_chars[i]);
            const double c1 = static_cast<double>(j < n ? u.word_chars[j] : u.text.size());
            for (size_t m = i + 1; m < j; ++m)
                at[m] =
                    *at[i] + (*right - *at[i]) * (static_cast<double>(u.word_chars[m]) - c0) / std::max(1.0, c1 - c0);
        }
        u.word_offset_ms.clear();
        double last = *u.started_ms;
        for (size_t k = 0; k < n && at[k] && word < pushed_.size(); ++k, ++word) {
            const double from = std::max(last, *at[k]);
            const std::optional<double> to = k + 1 < n ? at[k + 1] : u.ended_ms;
            const double end = to ? std::max(from, *to) : from;
            t.words.push_back({pushed_[word].word, from, end, pushed_[word].origin});
            u.word_offset_ms.push_back(from - *u.started_ms);
            last = from;
        }
        if (u.origin == Origin::Cloud) {
            if (!cloud_start && !u.word_offset_ms.empty()) cloud_start = *u.started_ms + u.word_offset_ms.front();
        } else if (!cloud_start) {
            device_end = u.ended_ms;
        }
        ++t.utterances;
        word += n - std::min(n, u.word_offset_ms.size());  // words not placed yet keep their places
    }
    if (device_end && cloud_start) t.handoff_silence_ms = std::max(0.0, *cloud_start - *device_end);
    heard_ = std::move(t);
}

}  // namespace ui
