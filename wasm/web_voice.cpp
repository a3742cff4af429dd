// wasm/web_voice.cpp — see web_voice.h; the JavaScript side is wasm/web_voice.js (and wasm/web_speech.js).
#include "wasm/web_voice.h"

#include <emscripten.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

// Implemented in wasm/web_voice.js (--js-library).
extern "C" {
char* hs_voice_open(int sample_rate);
void hs_voice_queue(const int16_t* samples, int count);
int hs_voice_playhead(double* out, int capacity);
void hs_voice_clear();
char* hs_voice_held();
void hs_voice_load();
void hs_voice_speak(int id, const char* text, const char* voice, int words_per_minute);
// Implemented in wasm/web_speech.js (--js-library).
void hs_speech_load();
char* hs_speech_open(const char* lang, int words_per_minute);
void hs_speech_speak(int id, const char* text);
void hs_speech_cancel();
char* hs_speech_drain();
char* hs_speech_held();
}

namespace headstart {
namespace {

std::string take_string(char* s) {
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

// The page has one voice: what was sent last, and its answer once it is back (main thread only).
struct Requests {
    int last_id = 0;
    std::string text;
    std::map<int, Result<Utterance>> answers;
};
Requests& requests() {
    static Requests r;
    return r;
}

}  // namespace

// ---- WebAudioSink ------------------------------------------------------------------------------

Status WebAudioSink::open(int sample_rate) {
    const std::string error = take_string(hs_voice_open(sample_rate));
    open_ = error.empty();
    if (!open_) return Error{error};
    return Ok{};
}

void WebAudioSink::queue(const std::vector<int16_t>& samples) {
    if (open_ && !samples.empty()) hs_voice_queue(samples.data(), static_cast<int>(samples.size()));
}

ui::Playhead WebAudioSink::playhead() const {
    constexpr int kTakes = 64;
    ui::Playhead p;
    if (!open_) return p;
    double raw[1 + 4 * kTakes];
    const int n = hs_voice_playhead(raw, kTakes);
    p.taken = static_cast<size_t>(raw[0]);
    for (int i = 0; i < n; ++i) {
        const double* t = raw + 1 + 4 * i;
        p.takes.push_back({static_cast<size_t>(t[0]), static_cast<size_t>(t[1]), static_cast<uint64_t>(t[2]), t[3]});
    }
    p.latency_ms = 0;  // each take's clock is when it is heard (the context's output timestamp)
    return p;
}

void WebAudioSink::clear() {
    if (open_) hs_voice_clear();
}

std::string WebAudioSink::held() const { return open_ ? take_string(hs_voice_held()) : std::string(); }

// ---- WebSynthesizer ----------------------------------------------------------------------------

Result<std::unique_ptr<WebSynthesizer>> WebSynthesizer::create(const ui::SpeechSettings& settings) {
    if (settings.words_per_minute < 80 || settings.words_per_minute > 450)
        return Error{"speech rate must be 80..450 words per minute"};
    if (settings.voice.empty()) return Error{"no voice name"};
    hs_voice_load();
    return std::unique_ptr<WebSynthesizer>(new WebSynthesizer(settings));
}

Result<Utterance> WebSynthesizer::speak(const std::string& text) {
    if (!text.empty()) return Error{"the page's synthesizer answers later (send / receive)"};
    Utterance u;
    u.sample_rate = kSampleRate;
    return u;
}

void WebSynthesizer::send(int id, const std::string& text) {
    Requests& r = requests();
    r.last_id = id;
    r.text = text;
    r.answers.clear();  // older answers are dropped
    hs_voice_speak(id, text.c_str(), settings_.voice.c_str(), settings_.words_per_minute);
}

std::optional<Result<Utterance>> WebSynthesizer::receive(int id) {
    Requests& r = requests();
    auto it = r.answers.find(id);
    if (it == r.answers.end()) return std::nullopt;
    Result<Utterance> out = std::move(it->second);
    r.answers.erase(it);
    return out;
}

void WebSynthesizer::on_spoken(int id, Result<Utterance> answer) {
    Requests& r = requests();
    if (id == r.last_id) r.answers.insert_or_assign(id, std::move(answer));
}

// ---- WebSpeechVoice ----------------------------------------------------------------------------

Result<std::unique_ptr<WebSpeechVoice>> WebSpeechVoice::create(const ui::SpeechSettings& settings) {
    if (settings.words_per_minute < 80 || settings.words_per_minute > 450)
        return Error{"speech rate must be 80..450 words per minute"};
    const std::string& v = settings.voice;
    const std::string lang = v.size() > 8 && v.rfind("browser:", 0) == 0 ? v.substr(8) : "";
    const std::string error = take_string(hs_speech_open(lang.c_str(), settings.words_per_minute));
    if (!error.empty()) return Error{error};
    return std::unique_ptr<WebSpeechVoice>(new WebSpeechVoice());
}

void WebSpeechVoice::speak(int id, const std::string& text) { hs_speech_speak(id, text.c_str()); }

void WebSpeechVoice::cancel() { hs_speech_cancel(); }

std::vector<ui::VoiceEvent> WebSpeechVoice::drain() {
    std::vector<ui::VoiceEvent> out;
    const std::string raw = take_string(hs_speech_drain());
    if (raw.empty()) return out;
    const auto events = nlohmann::json::parse(raw, nullptr, false);
    if (!events.is_array()) return out;
    for (const auto& e : events) {
        if (!e.is_array() || e.size() < 5) continue;
        ui::VoiceEvent x;
        x.id = e[0].get<int>();
        const int kind = e[1].get<int>();
        x.kind = kind == 0   ? ui::VoiceEvent::Kind::Start
                 : kind == 1 ? ui::VoiceEvent::Kind::Word
                 : kind == 2 ? ui::VoiceEvent::Kind::End
                             : ui::VoiceEvent::Kind::Error;
        x.char_index = static_cast<size_t>(std::max(0.0, e[2].get<double>()));
        x.clock_ms = e[3].get<double>();
        x.message = e[4].get<std::string>();
        out.push_back(std::move(x));
    }
    return out;
}

std::string WebSpeechVoice::held() const { return take_string(hs_speech_held()); }

void preload_web_voice() { hs_voice_load(); }

ui::SpeechPlatform web_speech_platform(WebAudioSink& sink) {
    ui::SpeechPlatform p;
    p.sink = &sink;
    p.clock_ms = [] { return emscripten_get_now(); };
    p.make_synthesizer = [](const ui::SpeechSettings& s) -> Result<std::unique_ptr<Synthesizer>> {
        auto made = WebSynthesizer::create(s);
        if (!made.ok()) return Error{made.error()};
        return std::unique_ptr<Synthesizer>(std::move(made.value()));
    };
    p.make_self_playing = [](const ui::SpeechSettings& s) -> Result<std::unique_ptr<ui::SelfPlayingVoice>> {
        auto made = WebSpeechVoice::create(s);
        if (!made.ok()) return Error{made.error()};
        return std::unique_ptr<ui::SelfPlayingVoice>(std::move(made.value()));
    };
    hs_speech_load();  // the browser's voices may take a while to be listed
    return p;
}

}  // namespace headstart

// ---- the callback web_voice.js calls -----------------------------------------------------------

extern "C" {

// One utterance back from the worker: its samples, eSpeak's word marks ([character, ms] pairs, flattened)
// or its error.
EMSCRIPTEN_KEEPALIVE void hs_on_spoken(int id, int ok, const int16_t* samples, int count, int sample_rate,
                                       const double* marks, int mark_values, const char* error) {
    using namespace headstart;
    if (id != requests().last_id) return;
    if (!ok) return WebSynthesizer::on_spoken(id, Error{error && *error ? error : "the synthesizer failed"});
    Utterance u;
    u.sample_rate = sample_rate;
    u.samples.assign(samples, samples + (samples ? count : 0));
    std::vector<std::pair<int, double>> m;
    for (int i = 0; i + 1 < mark_values; i += 2) m.emplace_back(static_cast<int>(marks[i]), marks[i + 1]);
    const double total_ms = sample_rate > 0 ? 1000.0 * u.samples.size() / sample_rate : 0.0;
    u.word_start_ms = word_starts_from_marks(requests().text, m, total_ms);
    WebSynthesizer::on_spoken(id, std::move(u));
}

}  // extern "C"
