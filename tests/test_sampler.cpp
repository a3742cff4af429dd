#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "core/sampler.h"

using namespace headstart;

namespace {

SamplerConfig greedy() {
    SamplerConfig c;
    c.temperature = 0.0f;
    c.repetition_penalty = 1.0f;
    return c;
}

SamplerConfig plain(float temperature, std::uint64_t seed = 1) {
    SamplerConfig c;
    c.temperature = temperature;
    c.top_k = 0;
    c.top_p = 1.0f;
    c.repetition_penalty = 1.0f;
    c.seed = seed;
    return c;
}

std::vector<float> log_probs(std::initializer_list<double> probs) {
    std::vector<float> out;
    for (double p : probs) out.push_back(static_cast<float>(std::log(p)));
    return out;
}

std::map<int, int> histogram(Sampler& s, const std::vector<float>& logits, int draws) {
    std::map<int, int> h;
    for (int i = 0; i < draws; ++i) {
        auto r = s.sample(logits);
        REQUIRE(r.ok());
        ++h[r->id];
    }
    return h;
}

}  // namespace

TEST_CASE("sampler: greedy picks the argmax, ties to the lower id", "[sampler]") {
    Sampler s(greedy());
    auto r = s.sample({0.1f, 2.5f, -1.0f, 2.4f});
    REQUIRE(r.ok());
    CHECK(r->id == 1);
    CHECK(r->sampled_prob == 1.0);
    auto tie = s.sample({1.0f, 3.0f, 3.0f});
    REQUIRE(tie.ok());
    CHECK(tie->id == 1);
}

TEST_CASE("sampler: probability, log-prob and entropy describe the model's distribution", "[sampler]") {
    Sampler s(greedy());
    auto r = s.sample(log_probs({0.25, 0.75}));
    REQUIRE(r.ok());
    CHECK(r->id == 1);
    CHECK(r->prob == Approx(0.75));
    CHECK(r->logprob == Approx(std::log(0.75)));
    CHECK(r->entropy == Approx(-(0.25 * std::log(0.25) + 0.75 * std::log(0.75))));

    // Temperature and filtering do not change the reported confidence.
    SamplerConfig c = plain(0.3f);
    c.top_k = 1;
    Sampler hot(c);
    auto h = hot.sample(log_probs({0.25, 0.75}));
    REQUIRE(h.ok());
    CHECK(h->id == 1);
    CHECK(h->prob == Approx(0.75));
    CHECK(h->sampled_prob == Approx(1.0));

    // A uniform distribution over 8 has entropy ln 8.
    auto u = s.sample(std::vector<float>(8, 0.5f));
    REQUIRE(u.ok());
    CHECK(u->entropy == Approx(std::log(8.0)));
    CHECK(u->prob == Approx(0.125));
}

TEST_CASE("sampler: the repetition penalty divides positive and multiplies negative logits", "[sampler]") {
    SamplerConfig c = greedy();
    c.repetition_penalty = 1.5f;
    Sampler s(c);
    // 2.0 / 1.5 = 1.33 < 1.9: the repeated token loses.
    auto pos = s.sample({2.0f, 1.9f}, {0});
    REQUIRE(pos.ok());
    CHECK(pos->id == 1);
    // -1.0 * 1.5 = -1.5 < -1.2: a negative logit is pushed further down, not up.
    auto neg = s.sample({-1.0f, -1.2f}, {0});
    REQUIRE(neg.ok());
    CHECK(neg->id == 1);
    // Without the id in `recent`, nothing changes.
    auto none = s.sample({2.0f, 1.9f}, {});
    REQUIRE(none.ok());
    CHECK(none->id == 0);
}

TEST_CASE("sampler: each recent id is penalised once however often it recurs", "[sampler]") {
    SamplerConfig c = greedy();
    c.repetition_penalty = 1.2f;
    Sampler s(c);
    // Once: 2.0 / 1.2 = 1.67 > 1.5. Three times would be 1.16 < 1.5.
    auto r = s.sample({2.0f, 1.5f}, {0, 0, 0});
    REQUIRE(r.ok());
    CHECK(r->id == 0);
}

TEST_CASE("sampler: the penalty also applies when sampling", "[sampler]") {
    SamplerConfig c = plain(1.0f, 7);
    Sampler free_run(c);
    // Unpenalised, token 0 has e^5 / (e^5 + 2 e^4) = 58 %.
    CHECK(histogram(free_run, {5.0f, 4.0f, 4.0f}, 1000)[0] > 500);
    c.repetition_penalty = 100.0f;  // 5 / 100 = 0.05: about 1 %
    Sampler s(c);
    std::map<int, int> h;
    for (int i = 0; i < 1000; ++i) ++h[s.sample({5.0f, 4.0f, 4.0f}, {0})->id];
    CHECK(h[0] < 30);
}

TEST_CASE("sampler: top-k keeps only the k most likely tokens", "[sampler]") {
    SamplerConfig c = plain(1.0f, 3);
    c.top_k = 2;
    Sampler s(c);
    const auto h = histogram(s, log_probs({0.4, 0.3, 0.2, 0.1}), 2000);
    CHECK(h.count(2) == 0);
    CHECK(h.count(3) == 0);
    CHECK(h.at(0) > 0);
    CHECK(h.at(1) > 0);
    // Renormalised over the kept two: 0.4 / 0.7.
    auto r = s.sample(log_probs({0.4, 0.3, 0.2, 0.1}));
    REQUIRE(r.ok());
    CHECK(r->sampled_prob == Approx(r->id == 0 ? 0.4 / 0.7 : 0.3 / 0.7));
    CHECK(r->prob == Approx(r->id == 0 ? 0.4 : 0.3));

    c.top_k = 1;
    Sampler one(c);
    for (int i = 0; i < 50; ++i) CHECK(one.sample(log_probs({0.3, 0.4, 0.3}))->id == 1);
}

TEST_CASE("sampler: top-p keeps the shortest prefix reaching p, never nothing", "[sampler]") {
    SamplerConfig c = plain(1.0f, 5);
    c.top_p = 0.5f;  // 0.4 < 0.5, 0.4 + 0.3 >= 0.5: two tokens
    Sampler s(c);
    const auto h = histogram(s, log_probs({0.4, 0.3, 0.2, 0.1}), 2000);
    CHECK(h.size() == 2);
    CHECK(h.count(0) == 1);
    CHECK(h.count(1) == 1);

    c.top_p = 0.01f;  // smaller than the top token alone: still one token
    Sampler tiny(c);
    for (int i = 0; i < 50; ++i) CHECK(tiny.sample(log_probs({0.1, 0.6, 0.3}))->id == 1);
}

TEST_CASE("sampler: top-k runs before top-p", "[sampler]") {
    SamplerConfig c = plain(1.0f, 9);
    c.top_k = 3;
    c.top_p = 0.6f;  // over the top 3 renormalised (0.4/0.9, 0.3/0.9, 0.2/0.9): two tokens
    Sampler s(c);
    const auto h = histogram(s, log_probs({0.4, 0.3, 0.2, 0.1}), 2000);
    CHECK(h.size() == 2);
    CHECK(h.count(2) == 0);
}

TEST_CASE("sampler: draws follow the softmax at temperature 1", "[sampler]") {
    Sampler s(plain(1.0f, 2024));
    const int n = 40000;
    const auto h = histogram(s, log_probs({0.5, 0.3, 0.2}), n);
    CHECK(h.at(0) / double(n) == Approx(0.5).margin(0.015));
    CHECK(h.at(1) / double(n) == Approx(0.3).margin(0.015));
    CHECK(h.at(2) / double(n) == Approx(0.2).margin(0.015));
}

TEST_CASE("sampler: a high temperature flattens, a low one sharpens", "[sampler]") {
    const auto logits = log_probs({0.7, 0.2, 0.1});
    Sampler flat(plain(100.0f, 11));
    const auto hf = histogram(flat, logits, 30000);
    for (int id = 0; id < 3; ++id) CHECK(hf.at(id) / 30000.0 == Approx(1.0 / 3).margin(0.02));
    Sampler sharp(plain(0.05f, 11));
    const auto hs = histogram(sharp, logits, 2000);
    CHECK(hs.at(0) > 1990);
}

TEST_CASE("sampler: the same seed gives the same tokens, reseed replays", "[sampler]") {
    const auto logits = log_probs({0.2, 0.2, 0.2, 0.2, 0.2});
    Sampler a(plain(1.0f, 42)), b(plain(1.0f, 42)), other(plain(1.0f, 43));
    std::vector<int> sa, sb, so;
    for (int i = 0; i < 64; ++i) {
        sa.push_back(a.sample(logits)->id);
        sb.push_back(b.sample(logits)->id);
        so.push_back(other.sample(logits)->id);
    }
    CHECK(sa == sb);
    CHECK(sa != so);
    a.reseed(42);
    std::vector<int> again;
    for (int i = 0; i < 64; ++i) again.push_back(a.sample(logits)->id);
    CHECK(again == sa);
}

TEST_CASE("sampler: the random stream is pinned across platforms", "[sampler]") {
    // std::mt19937_64's sequence is fixed by the C++ standard; the uniform double is ours.
    std::mt19937_64 engine;  // default seed 5489
    CHECK(engine() == 14514284786278117030ULL);
    CHECK(Sampler::to_unit_interval(0) == 0.0);
    CHECK(Sampler::to_unit_interval(~0ULL) == 1.0 - std::ldexp(1.0, -53));
    CHECK(Sampler::to_unit_interval(1ULL << 63) == 0.5);
    // A fixed draw sequence: this exact list must come out on x86_64, arm64 and wasm.
    Sampler s(plain(1.0f, 42));
    const auto logits = log_probs({0.1, 0.2, 0.3, 0.25, 0.15});
    std::vector<int> seq;
    for (int i = 0; i < 16; ++i) seq.push_back(s.sample(logits)->id);
    CHECK(seq == std::vector<int>{4, 1, 4, 2, 0, 2, 1, 3, 2, 3, 2, 3, 1, 1, 4, 0});
}

TEST_CASE("sampler: alternatives list the model's top tokens", "[sampler]") {
    SamplerConfig c = greedy();
    c.alternatives = 3;
    Sampler s(c);
    auto r = s.sample(log_probs({0.1, 0.4, 0.2, 0.3}));
    REQUIRE(r.ok());
    REQUIRE(r->alternatives.size() == 3);
    CHECK(r->alternatives[0].id == 1);
    CHECK(r->alternatives[0].prob == Approx(0.4));
    CHECK(r->alternatives[1].id == 3);
    CHECK(r->alternatives[2].id == 2);
    CHECK(r->alternatives[2].prob == Approx(0.2));

    c.alternatives = 10;  // more than the vocabulary: all of it
    s.set_config(c);
    CHECK(s.sample(log_probs({0.5, 0.5}))->alternatives.size() == 2);
    c.alternatives = 0;
    s.set_config(c);
    CHECK(s.sample(log_probs({0.5, 0.5}))->alternatives.empty());
}

TEST_CASE("sampler: -inf logits are masked, never chosen nor listed", "[sampler]") {
    const float ninf = -std::numeric_limits<float>::infinity();
    SamplerConfig c = plain(1.0f, 1);
    c.alternatives = 5;
    Sampler s(c);
    for (int i = 0; i < 100; ++i) {
        auto r = s.sample({ninf, 0.0f, ninf, 0.0f});
        REQUIRE(r.ok());
        CHECK((r->id == 1 || r->id == 3));
        CHECK(r->alternatives.size() == 2);
        CHECK(r->prob == Approx(0.5));
    }
    Sampler g(greedy());
    auto r = g.sample({ninf, ninf, -50.0f});
    REQUIRE(r.ok());
    CHECK(r->id == 2);
    CHECK(r->prob == Approx(1.0));
    CHECK(r->entropy == Approx(0.0).margin(1e-12));
}

TEST_CASE("sampler: large vocabularies stay within top-k", "[sampler]") {
    std::mt19937 gen(7);
    std::normal_distribution<float> normal(0.0f, 3.0f);  // only the input is random here
    std::vector<float> logits(50000);
    for (float& l : logits) l = normal(gen);
    std::vector<float> sorted = logits;
    std::sort(sorted.begin(), sorted.end(), std::greater<float>());
    const float kth = sorted[39];
    SamplerConfig c = plain(1.0f, 99);
    c.top_k = 40;
    Sampler s(c);
    for (int i = 0; i < 20; ++i) {
        auto r = s.sample(logits, {1, 2, 3});
        REQUIRE(r.ok());
        CHECK(logits[r->id] >= kth);
    }
}

TEST_CASE("sampler: broken input is an error, not a crash", "[sampler]") {
    Sampler s(plain(1.0f));
    CHECK_FALSE(s.sample(std::vector<float>{}).ok());
    CHECK_FALSE(s.sample(nullptr, 3, nullptr, 0).ok());
    auto nan = s.sample({0.0f, std::numeric_limits<float>::quiet_NaN()});
    REQUIRE_FALSE(nan.ok());
    CHECK(nan.error().find("NaN") != std::string::npos);
    CHECK_FALSE(s.sample({0.0f, std::numeric_limits<float>::infinity()}).ok());
    const float ninf = -std::numeric_limits<float>::infinity();
    CHECK_FALSE(s.sample({ninf, ninf}).ok());
    auto out_of_range = s.sample({0.0f, 1.0f}, {2});
    REQUIRE_FALSE(out_of_range.ok());
    CHECK(out_of_range.error().find("outside the vocabulary") != std::string::npos);
    CHECK_FALSE(s.sample({0.0f, 1.0f}, {-1}).ok());
    // Also with the penalty off.
    Sampler g(greedy());
    CHECK_FALSE(g.sample({0.0f, 1.0f}, {5}).ok());
}

TEST_CASE("sampler: invalid configs are rejected with a reason", "[sampler]") {
    CHECK(validate(SamplerConfig{}).ok());
    SamplerConfig c;
    c.top_p = 0.0f;
    CHECK_FALSE(validate(c).ok());
    c.top_p = 1.5f;
    CHECK(validate(c).error().find("top_p") != std::string::npos);
    c = SamplerConfig{};
    c.top_k = -1;
    CHECK_FALSE(validate(c).ok());
    c = SamplerConfig{};
    c.repetition_penalty = 0.0f;
    CHECK_FALSE(validate(c).ok());
    c = SamplerConfig{};
    c.temperature = std::numeric_limits<float>::quiet_NaN();
    CHECK_FALSE(validate(c).ok());
    c = SamplerConfig{};
    c.alternatives = 65;
    CHECK_FALSE(validate(c).ok());
    c = SamplerConfig{};
    c.top_p = std::numeric_limits<float>::quiet_NaN();
    CHECK_FALSE(validate(c).ok());
    c.top_p = 0.0f;
    Sampler s(c);
    CHECK_FALSE(s.sample({0.0f, 1.0f}).ok());
}
