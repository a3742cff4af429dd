// native/background_synth.h: a synthesizer on a worker thread answers later, never blocking the caller.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "native/background_synth.h"

using namespace headstart;

namespace {

// 100 ms a text; "fail" fails; one sample per character.
struct SlowVoice final : Synthesizer {
    std::atomic<int>* calls;
    explicit SlowVoice(std::atomic<int>* c) : calls(c) {}
    Result<Utterance> speak(const std::string& text) override {
        Utterance u;
        u.sample_rate = 1000;
        if (text.empty()) return u;
        ++*calls;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (text == "fail") return Error{"the voice broke"};
        u.samples.assign(text.size(), 1);
        u.word_start_ms = {0.0};
        return u;
    }
};

std::optional<Result<Utterance>> wait_for(BackgroundSynthesizer& b, int id) {
    for (int i = 0; i < 500; ++i) {
        if (auto r = b.receive(id)) return r;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("speech: the background synthesizer answers later, the caller never waits", "[speech][background]") {
    std::atomic<int> calls{0};
    BackgroundSynthesizer b(std::make_unique<SlowVoice>(&calls));
    CHECK(b.answers_later());
    auto probe = b.speak("");  // the format, at once
    REQUIRE(probe.ok());
    CHECK(probe->sample_rate == 1000);

    const auto t0 = std::chrono::steady_clock::now();
    b.send(1, "hello");
    CHECK_FALSE(b.receive(1));  // not back yet, and asking did not wait for it
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(50));
    auto r = wait_for(b, 1);
    REQUIRE(r);
    REQUIRE(r->ok());
    CHECK(r->value().samples.size() == 5);
    CHECK_FALSE(b.receive(1));  // handed over once

    b.send(2, "fail");
    auto e = wait_for(b, 2);
    REQUIRE(e);
    REQUIRE_FALSE(e->ok());
    CHECK(e->error() == "the voice broke");

    b.send(3, "old");  // an answer to another id than asked is not given for it
    CHECK_FALSE(wait_for(b, 4));
    CHECK(calls == 3);
}
