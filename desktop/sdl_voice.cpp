// desktop/sdl_voice.cpp — see sdl_voice.h.
#include "desktop/sdl_voice.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace headstart {

double steady_clock_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

SdlVoice::~SdlVoice() { close(); }

void SdlVoice::close() {
    if (device_) SDL_CloseAudioDevice(device_);
    device_ = 0;
}

Status SdlVoice::open(int sample_rate) {
    close();
    if (!SDL_WasInit(SDL_INIT_AUDIO) && SDL_InitSubSystem(SDL_INIT_AUDIO) != 0)
        return Error{std::string("SDL audio did not start: ") + SDL_GetError()};
    SDL_AudioSpec want{}, have{};
    want.freq = sample_rate;
    want.format = AUDIO_S16SYS;
    want.channels = 1;
    want.samples = 512;  // ~23 ms at 22050 Hz: how finely a word's start is seen
    want.callback = &SdlVoice::on_audio;
    want.userdata = this;
    // No allowed changes: SDL converts to what the device wants, the callback always sees S16 mono.
    device_ = SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);
    if (!device_) return Error{std::string("SDL could not open an audio device: ") + SDL_GetError()};
    const char* d = SDL_GetCurrentAudioDriver();
    driver_ = d ? d : "?";
    // A device plays a take after the buffer before it; a file (disk) or nothing (dummy) at once.
    latency_ms_ = driver_ == "disk" || driver_ == "dummy" ? 0.0 : 1000.0 * have.samples / have.freq;
    pending_.clear();
    taken_ = 0;
    takes_.clear();
    output_ = 0;
    SDL_PauseAudioDevice(device_, 0);
    return Ok{};
}

void SdlVoice::on_audio(void* user, Uint8* stream, int bytes) {
    constexpr size_t kTakesKept = 64;
    auto* self = static_cast<SdlVoice*>(user);
    auto* out = reinterpret_cast<int16_t*>(stream);
    const size_t want = static_cast<size_t>(bytes) / sizeof(int16_t);
    const size_t n = std::min(want, self->pending_.size());
    std::copy_n(self->pending_.begin(), n, out);
    self->pending_.erase(self->pending_.begin(), self->pending_.begin() + static_cast<std::ptrdiff_t>(n));
    std::fill(out + n, out + want, int16_t{0});  // nothing queued: silence
    if (n > 0) {
        self->takes_.push_back({self->taken_, self->taken_ + n, self->output_, steady_clock_ms()});
        if (self->takes_.size() > kTakesKept) self->takes_.pop_front();
        self->taken_ += n;
    }
    self->output_ += want;
}

void SdlVoice::queue(const std::vector<int16_t>& samples) {
    if (!device_) return;
    SDL_LockAudioDevice(device_);
    pending_.insert(pending_.end(), samples.begin(), samples.end());
    SDL_UnlockAudioDevice(device_);
}

ui::Playhead SdlVoice::playhead() const {
    ui::Playhead p;
    if (!device_) return p;
    SDL_LockAudioDevice(device_);
    p.taken = taken_;
    p.takes.assign(takes_.begin(), takes_.end());
    SDL_UnlockAudioDevice(device_);
    p.latency_ms = latency_ms_;
    return p;
}

void SdlVoice::clear() {
    if (!device_) return;
    SDL_LockAudioDevice(device_);
    pending_.clear();
    taken_ = 0;
    takes_.clear();  // the device's output count goes on: it is its clock
    SDL_UnlockAudioDevice(device_);
}

}  // namespace headstart
