// core/sampler.h — picks the μLM's next token from its logits.
//
//   SamplerConfig        temperature, top_k, top_p, repetition_penalty, seed, alternatives
//   validate()           checks a config before use (readable errors for the CLI / UI / JSON)
//   SampledToken         the chosen id, its probability / log-prob, the entropy of the model's
//                        distribution, and the top alternatives for the UI's token chips
//   Sampler              greedy (temperature <= 0) or: temperature -> repetition penalty ->
//                        top-k -> top-p -> one seeded draw
//
// Determinism: the draw uses std::mt19937_64 (its output sequence is fixed by the C++ standard)
// and turns its raw 64 bits into a double by hand, because std::uniform_real_distribution and
// std::discrete_distribution are implementation-defined and differ between libstdc++, libc++
// and Emscripten. Candidates are ordered by (probability desc, id asc), a total order, so the
// same seed and logits give the same token on x86_64, arm64 and wasm. (std::exp may differ in
// the last ulp between libms; that can only flip a draw that lands within ~1e-15 of a bucket
// edge.)
//
// Confidence figures (probability, log-prob, entropy, alternatives) describe the *model's*
// distribution — softmax of the raw logits at temperature 1 — not the filtered distribution the
// token was drawn from: the opener policy and the confidence gate ask "how sure was the μLM",
// which must not change when the user moves the temperature or top-k slider.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "core/result.h"

namespace headstart {

struct SamplerConfig {
    float temperature = 0.0f;  // <= 0: greedy (argmax): the default, the most on-topic openers (docs/evaluation.md)
    int top_k = 40;            // 0: no top-k cut
    float top_p = 0.95f;       // 1: no nucleus cut; must be in (0, 1]
    float repetition_penalty = 1.1f;  // 1: off; CTRL-style, applied to every id in `recent`
    std::uint64_t seed = 0;
    int alternatives = 5;  // how many top alternatives to report (0..64)
};

// Ok, or an Error saying which field is out of range and what range is allowed.
Status validate(const SamplerConfig& config);

struct TokenAlternative {
    int id = 0;
    double prob = 0.0;  // in the model's distribution
};

struct SampledToken {
    int id = 0;
    double prob = 0.0;                           // model's probability of `id` (softmax of raw logits)
    double logprob = 0.0;                        // its natural log
    double entropy = 0.0;                        // of the model's distribution, in nats
    double sampled_prob = 0.0;                   // probability of `id` in the filtered distribution it was drawn from
    std::vector<TokenAlternative> alternatives;  // most likely first (ties: lower id first)
};

class Sampler {
public:
    explicit Sampler(SamplerConfig config = {});

    const SamplerConfig& config() const { return config_; }
    // Replaces the config and restarts the random stream from the new seed.
    void set_config(const SamplerConfig& config);
    // Restarts the random stream: the same seed replays the same draws.
    void reseed(std::uint64_t seed);

    // Picks one token. `recent` holds the ids already generated (or the window of them the engine
    // wants penalised); each distinct id is penalised once. Errors: empty logits, NaN or +inf in
    // the logits, no finite logit at all, an id in `recent` outside the vocabulary, invalid config.
    Result<SampledToken> sample(const float* logits, std::size_t vocab_size, const int* recent,
                                std::size_t recent_count);
    Result<SampledToken> sample(const std::vector<float>& logits, const std::vector<int>& recent = {});

    // The uniform double in [0, 1) behind the next draw, from the top 53 bits of one 64-bit output.
    // Public so that tests can pin the stream across platforms.
    static double to_unit_interval(std::uint64_t bits);

private:
    SamplerConfig config_;
    std::mt19937_64 rng_;
};

}  // namespace headstart
