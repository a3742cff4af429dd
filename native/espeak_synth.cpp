// native/espeak_synth.cpp — see espeak_synth.h.
#include "native/espeak_synth.h"

#include <espeak-ng/speak_lib.h>

#include <mutex>

namespace headstart {

namespace {

std::mutex& espeak_lock() {
    static std::mutex m;
    return m;
}

int espeak_rate = 0;  // 0: not initialized yet (under espeak_lock)

struct Collect {
    std::vector<int16_t>* samples;
    std::vector<std::pair<int, int>> words;  // (character position, 1-based; audio position ms)
};

Collect* collecting = nullptr;  // the utterance being synthesized (under espeak_lock)

int on_audio(short* wav, int n, espeak_EVENT* events) {
    if (!collecting) return 0;
    if (wav && n > 0) collecting->samples->insert(collecting->samples->end(), wav, wav + n);
    for (espeak_EVENT* e = events; e && e->type != espeakEVENT_LIST_TERMINATED; ++e)
        if (e->type == espeakEVENT_WORD) collecting->words.emplace_back(e->text_position, e->audio_position);
    return 0;  // continue
}

}  // namespace

Result<std::unique_ptr<EspeakSynthesizer>> EspeakSynthesizer::create(const EspeakOptions& options) {
    if (options.words_per_minute < espeakRATE_MINIMUM || options.words_per_minute > espeakRATE_MAXIMUM)
        return Error{"speech rate must be " + std::to_string(espeakRATE_MINIMUM) + ".." +
                     std::to_string(espeakRATE_MAXIMUM) + " words per minute"};
    std::lock_guard<std::mutex> lock(espeak_lock());
    if (espeak_rate <= 0) {
        const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
        if (rate <= 0) return Error{"eSpeak NG did not start (is espeak-ng-data installed?)"};
        espeak_SetSynthCallback(on_audio);
        espeak_rate = rate;
    }
    if (espeak_SetVoiceByName(options.voice.c_str()) != EE_OK)
        return Error{"eSpeak NG has no voice \"" + options.voice + "\" (espeak-ng --voices lists them)"};
    return std::unique_ptr<EspeakSynthesizer>(new EspeakSynthesizer(options, espeak_rate));
}

Result<Utterance> EspeakSynthesizer::speak(const std::string& text) {
    Utterance u;
    u.sample_rate = rate_;
    if (text.find_first_not_of(" \t\n\r") == std::string::npos) return u;  // no word: no audio
    Collect c{&u.samples, {}};
    {
        std::lock_guard<std::mutex> lock(espeak_lock());
        if (espeak_SetVoiceByName(options_.voice.c_str()) != EE_OK)
            return Error{"eSpeak NG has no voice \"" + options_.voice + "\""};
        espeak_SetParameter(espeakRATE, options_.words_per_minute, 0);
        collecting = &c;
        const espeak_ERROR err =
            espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
        espeak_Synchronize();
        collecting = nullptr;
        if (err != EE_OK) return Error{"eSpeak NG could not speak the text (error " + std::to_string(err) + ")"};
    }
    // each word: the word event at its first character (core/speech.h word_starts_from_marks(), the rule the
    // page's eSpeak NG shares): a word eSpeak read as one with the next ("There are") or a punctuation-only
    // chunk shares the time up to the next timed word with the word before it, by characters.
    const std::vector<std::pair<int, double>> marks(c.words.begin(), c.words.end());
    u.word_start_ms = word_starts_from_marks(text, marks, 1000.0 * u.samples.size() / rate_);
    return u;
}

}  // namespace headstart
