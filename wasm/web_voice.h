// wasm/web_voice.h — the page's voice behind ui/speaker.h, over wasm/web_voice.js:
//
//   WebAudioSink     ui::AudioSink on Web Audio: an AudioContext at the voice's rate whose AudioWorklet
//                    (wasm/voice_worklet.js) plays the queued samples and reports each take with the frame
//                    it went out at (the context's own clock, as SDL's callback does natively); a take's
//                    clock time comes from the context's output timestamp (performance.now(), the clock
//                    the page's turns run on), so the speaker places every word where it was rendered.
//                    Until the user has clicked or pressed a key the browser may hold the context
//                    suspended (autoplay policy): held() says "click the page to hear it…", nothing plays,
//                    and the words wait; the first real click resumes it.
//   WebSynthesizer   headstart::Synthesizer that answers later: eSpeak NG in WebAssembly in a module Worker
//                    (wasm/voice_worker.js); send() posts a text, the samples and eSpeak's word marks come
//                    back on the main thread (hs_on_spoken) and receive() hands them over.
//   WebSpeechVoice   ui::SelfPlayingVoice on the browser's Web Speech API (wasm/web_speech.js), for the voice
//                    names "browser" and "browser:LANG": speechSynthesis plays each utterance itself and
//                    its start / word boundary / end / error events come back stamped with
//                    performance.now(); no samples, no Web Audio
//   web_speech_platform()   all three, with the page's clock, for ui::App::set_speech()
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ui/speaker.h"

namespace headstart {

class WebAudioSink final : public ui::AudioSink {
public:
    Status open(int sample_rate) override;
    bool is_open() const override { return open_; }
    void queue(const std::vector<int16_t>& samples) override;
    ui::Playhead playhead() const override;
    void clear() override;
    std::string held() const override;

private:
    bool open_ = false;
};

class WebSynthesizer final : public Synthesizer {
public:
    // eSpeak NG's rate (the worker says so once it has loaded; an utterance at another rate is an error).
    static constexpr int kSampleRate = 22050;
    static Result<std::unique_ptr<WebSynthesizer>> create(const ui::SpeechSettings& settings);

    Result<Utterance> speak(const std::string& text) override;  // "" only: the format
    bool answers_later() const override { return true; }
    void send(int id, const std::string& text) override;
    std::optional<Result<Utterance>> receive(int id) override;

    // Called by hs_on_spoken (web_voice.cpp).
    static void on_spoken(int id, Result<Utterance> answer);

private:
    explicit WebSynthesizer(ui::SpeechSettings s) : settings_(std::move(s)) {}
    ui::SpeechSettings settings_;
};

class WebSpeechVoice final : public ui::SelfPlayingVoice {
public:
    // An error when the browser has no speechSynthesis, no voices, or none for LANG.
    static Result<std::unique_ptr<WebSpeechVoice>> create(const ui::SpeechSettings& settings);
    void speak(int id, const std::string& text) override;
    void cancel() override;
    std::vector<ui::VoiceEvent> drain() override;
    std::string held() const override;

private:
    WebSpeechVoice() = default;
};

// Starts loading the voice now (eSpeak NG and its data, ~1 MB), not at the first spoken turn.
void preload_web_voice();
ui::SpeechPlatform web_speech_platform(WebAudioSink& sink);

}  // namespace headstart
