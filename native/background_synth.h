// native/background_synth.h — any Synthesizer (core/speech.h) on a worker thread, so that the UI's frame
// never waits for one: it answers later. send() hands the worker one text; receive() gives its audio back once
// it is done (nothing until then; an answer to an older id than the last one sent is dropped). speak() still
// answers at once (the format probe). The desktop wraps eSpeak NG in it: ui/speaker.h then asks for the next
// utterance LiveSpeech::lookahead_ms() before the voice comes free and queues it when it is back.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "core/speech.h"

namespace headstart {

class BackgroundSynthesizer final : public Synthesizer {
public:
    explicit BackgroundSynthesizer(std::unique_ptr<Synthesizer> inner);
    ~BackgroundSynthesizer() override;  // waits for the text in hand, if any
    BackgroundSynthesizer(const BackgroundSynthesizer&) = delete;
    BackgroundSynthesizer& operator=(const BackgroundSynthesizer&) = delete;

    Result<Utterance> speak(const std::string& text) override;
    bool answers_later() const override { return true; }
    void send(int id, const std::string& text) override;
    std::optional<Result<Utterance>> receive(int id) override;

private:
    void run();

    std::unique_ptr<Synthesizer> inner_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<std::pair<int, std::string>> job_;          // the next text to synthesize
    std::optional<std::pair<int, Result<Utterance>>> done_;   // the last answer, by id
    bool quit_ = false;
    std::thread worker_;  // last: it starts once everything above exists
};

}  // namespace headstart
