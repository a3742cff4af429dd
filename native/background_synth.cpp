// native/background_synth.cpp — see background_synth.h.
#include "native/background_synth.h"

namespace headstart {

BackgroundSynthesizer::BackgroundSynthesizer(std::unique_ptr<Synthesizer> inner)
    : inner_(std::move(inner)), worker_([this] { run(); }) {}

BackgroundSynthesizer::~BackgroundSynthesizer() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        quit_ = true;
        job_.reset();
    }
    wake_.notify_all();
    worker_.join();
}

Result<Utterance> BackgroundSynthesizer::speak(const std::string& text) { return inner_->speak(text); }

void BackgroundSynthesizer::send(int id, const std::string& text) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = std::make_pair(id, text);  // a newer text replaces one not started yet
    }
    wake_.notify_all();
}

std::optional<Result<Utterance>> BackgroundSynthesizer::receive(int id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!done_ || done_->first != id) return std::nullopt;
    std::optional<Result<Utterance>> answer(std::move(done_->second));
    done_.reset();
    return answer;
}

void BackgroundSynthesizer::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return quit_ || job_.has_value(); });
        if (quit_) return;
        const auto [id, text] = std::move(*job_);
        job_.reset();
        lock.unlock();
        Result<Utterance> audio = inner_->speak(text);  // the slow part, outside the lock
        lock.lock();
        done_.emplace(id, std::move(audio));
    }
}

}  // namespace headstart
