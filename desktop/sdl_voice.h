// desktop/sdl_voice.h — the desktop's audio output behind ui::AudioSink (ui/speaker.h): SDL2 audio,
// 16-bit mono at the voice's rate, fed from the app's own queue by SDL's callback so that each take
// of the device is stamped with the steady clock and its place in all the device has output (when, and
// where in the played audio, a word really starts playing).
//
// SDL's audio driver is SDL's choice (PulseAudio, ALSA, ...), or SDL_AUDIODRIVER's: `disk` writes
// what plays to SDL_DISKAUDIOFILE in real time (the desktop speech test reads it back with sox),
// `dummy` plays into nothing. open() fails with SDL's reason when there is no device.
#pragma once

#include <SDL.h>

#include <deque>
#include <string>

#include "ui/speaker.h"

namespace headstart {

// Milliseconds on the steady clock (the clock the speaker and the sink share).
double steady_clock_ms();

class SdlVoice final : public ui::AudioSink {
public:
    SdlVoice() = default;
    ~SdlVoice() override;
    SdlVoice(const SdlVoice&) = delete;
    SdlVoice& operator=(const SdlVoice&) = delete;

    Status open(int sample_rate) override;
    bool is_open() const override { return device_ != 0; }
    void queue(const std::vector<int16_t>& samples) override;
    ui::Playhead playhead() const override;
    void clear() override;
    const std::string& driver() const { return driver_; }
    void close();  // before SDL_Quit

private:
    static void on_audio(void* self, Uint8* stream, int bytes);

    SDL_AudioDeviceID device_ = 0;
    std::string driver_;
    double latency_ms_ = 0;
    // Under SDL_LockAudioDevice: the samples not taken yet, what the device has taken (its latest takes)
    // and everything it has output since it opened (silence included: the device's own clock).
    std::deque<int16_t> pending_;
    size_t taken_ = 0;
    std::deque<ui::DeviceTake> takes_;
    uint64_t output_ = 0;
};

}  // namespace headstart
