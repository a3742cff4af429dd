// native/espeak_synth.h — eSpeak NG (Debian's libespeak-ng) behind core/speech.h's Synthesizer.
//
// Synchronous synthesis into memory (no audio device): 16-bit mono at eSpeak's rate (22050 Hz), each
// word's start from eSpeak's word events. eSpeak keeps one global state, so every instance shares it
// under a lock; create() fails with a readable error when the library or its voice data is missing.
#pragma once

#include <memory>
#include <string>

#include "core/speech.h"

namespace headstart {

struct EspeakOptions {
    std::string voice = "en-us";  // an eSpeak voice name (espeak-ng --voices)
    int words_per_minute = 165;   // 80..450
};

class EspeakSynthesizer final : public Synthesizer {
public:
    static Result<std::unique_ptr<EspeakSynthesizer>> create(const EspeakOptions& options = {});
    Result<Utterance> speak(const std::string& text) override;
    const EspeakOptions& options() const { return options_; }

private:
    explicit EspeakSynthesizer(EspeakOptions options, int rate) : options_(std::move(options)), rate_(rate) {}
    EspeakOptions options_;
    int rate_;
};

}  // namespace headstart
