// core/sampler.cpp — see sampler.h. All arithmetic is in double so that vocabularies of 50k
// tokens sum without losing the tail.
#include "core/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace headstart {

Status validate(const SamplerConfig& c) {
    if (!std::isfinite(c.temperature)) return Error{"sampler: temperature must be a finite number (<= 0 means greedy)"};
    if (c.top_k < 0) return Error{"sampler: top_k must be >= 0 (0 turns it off), got " + std::to_string(c.top_k)};
    if (!(c.top_p > 0.0f && c.top_p <= 1.0f))
        return Error{"sampler: top_p must be in (0, 1] (1 turns it off), got " + std::to_string(c.top_p)};
    if (!(std::isfinite(c.repetition_penalty) && c.repetition_penalty > 0.0f))
        return Error{"sampler: repetition_penalty must be > 0 (1 turns it off), got " +
                     std::to_string(c.repetition_penalty)};
    if (c.alternatives < 0 || c.alternatives > 64)
        return Error{"sampler: alternatives must be in 0..64, got " + std::to_string(c.alternatives)};
    return Ok{};
}

Sampler::Sampler(SamplerConfig config) : config_(config), rng_(config.seed) {}

void Sampler::set_config(const SamplerConfig& config) {
    config_ = config;
    rng_.seed(config.seed);
}

void Sampler::reseed(std::uint64_t seed) {
    config_.seed = seed;
    rng_.seed(seed);
}

double Sampler::to_unit_interval(std::uint64_t bits) {
    // 53 bits fill a double's mantissa exactly: k * 2^-53 for k in [0, 2^53) is exact and < 1.
    return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

Result<SampledToken> Sampler::sample(const std::vector<float>& logits, const std::vector<int>& recent) {
    return sample(logits.data(), logits.size(), recent.data(), recent.size());
}

Result<SampledToken> Sampler::sample(const float* logits, std::size_t vocab_size, const int* recent,
                                     std::size_t recent_count) {
    if (Status ok = validate(config_); !ok) return Error{ok.error()};
    if (logits == nullptr || vocab_size == 0) return Error{"sampler: empty logits"};
    if (vocab_size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        return Error{"sampler: vocabulary too large"};

    // The model's own distribution (temperature 1, nothing filtered): the confidence figures.
    double max_logit = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < vocab_size; ++i) {
        const float l = logits[i];
        if (std::isnan(l))
            return Error{"sampler: logits contain NaN at id " + std::to_string(i) + " (model output is broken)"};
        if (l == std::numeric_limits<float>::infinity())
            return Error{"sampler: logits contain +inf at id " + std::to_string(i) + " (model output is broken)"};
        max_logit = std::max(max_logit, static_cast<double>(l));
    }
    if (!std::isfinite(max_logit)) return Error{"sampler: every logit is -inf: nothing can be sampled"};

    double z = 0.0;
    for (std::size_t i = 0; i < vocab_size; ++i) z += std::exp(static_cast<double>(logits[i]) - max_logit);
    const double log_z = std::log(z);
    const auto model_logprob = [&](std::size_t i) { return static_cast<double>(logits[i]) - max_logit - log_z; };
    double entropy = 0.0;
    for (std::size_t i = 0; i < vocab_size; ++i) {
        if (!std::isfinite(logits[i])) continue;
        const double lp = model_logprob(i);
        entropy -= std::exp(lp) * lp;
    }

    // Working scores: temperature, then the repetition penalty (both scale a logit without
    // changing its sign, so their order does not matter; this is the order docs/architecture.md names).
    const bool greedy = config_.temperature <= 0.0f;
    std::vector<double> score(vocab_size);
    const double inv_t = greedy ? 1.0 : 1.0 / static_cast<double>(config_.temperature);
    for (std::size_t i = 0; i < vocab_size; ++i) score[i] = static_cast<double>(logits[i]) * inv_t;
    if (config_.repetition_penalty != 1.0f) {
        std::vector<bool> seen(vocab_size, false);
        const double penalty = config_.repetition_penalty;
        for (std::size_t r = 0; r < recent_count; ++r) {
            const int id = recent[r];
            if (id < 0 || static_cast<std::size_t>(id) >= vocab_size)
                return Error{"sampler: recent token id " + std::to_string(id) + " is outside the vocabulary of " +
                             std::to_string(vocab_size)};
            if (seen[id]) continue;  // each id is penalised once, however often it recurs
            seen[id] = true;
            double& s = score[id];
            s = s > 0.0 ? s / penalty : s * penalty;
        }
    } else {
        for (std::size_t r = 0; r < recent_count; ++r)
            if (recent[r] < 0 || static_cast<std::size_t>(recent[r]) >= vocab_size)
                return Error{"sampler: recent token id " + std::to_string(recent[r]) +
                             " is outside the vocabulary of " + std::to_string(vocab_size)};
    }

    // Candidates in a total order: higher score first, lower id on ties.
    const auto better = [&](int a, int b) { return score[a] != score[b] ? score[a] > score[b] : a < b; };

    SampledToken out;
    if (greedy) {
        int best = -1;
        for (std::size_t i = 0; i < vocab_size; ++i)
            if (std::isfinite(score[i]) && (best < 0 || better(static_cast<int>(i), best))) best = static_cast<int>(i);
        out.id = best;
        out.sampled_prob = 1.0;
    } else {
        std::vector<int> cand;
        cand.reserve(vocab_size);
        for (std::size_t i = 0; i < vocab_size; ++i)
            if (std::isfinite(score[i])) cand.push_back(static_cast<int>(i));
        if (config_.top_k > 0 && static_cast<std::size_t>(config_.top_k) < cand.size()) {
            std::partial_sort(cand.begin(), cand.begin() + config_.top_k, cand.end(), better);
            cand.resize(static_cast<std::size_t>(config_.top_k));
        } else {
            std::sort(cand.begin(), cand.end(), better);
        }
        const double top = score[cand.front()];
        std::vector<double> weight(cand.size());
        double total = 0.0;
        for (std::size_t k = 0; k < cand.size(); ++k) total += weight[k] = std::exp(score[cand[k]] - top);
        // Nucleus: the shortest prefix whose mass reaches top_p (never empty).
        std::size_t keep = cand.size();
        if (config_.top_p < 1.0f) {
            const double target = static_cast<double>(config_.top_p) * total;
            double cum = 0.0;
            for (std::size_t k = 0; k < cand.size(); ++k) {
                cum += weight[k];
                if (cum >= target) {
                    keep = k + 1;
                    break;
                }
            }
        }
        double kept_total = 0.0;
        for (std::size_t k = 0; k < keep; ++k) kept_total += weight[k];
        const double target = to_unit_interval(rng_()) * kept_total;
        std::size_t pick = keep - 1;  // rounding can leave target at the very top: the last bucket
        double cum = 0.0;
        for (std::size_t k = 0; k < keep; ++k) {
            cum += weight[k];
            if (target < cum) {
                pick = k;
                break;
            }
        }
        out.id = cand[pick];
        out.sampled_prob = weight[pick] / kept_total;
    }

    out.logprob = model_logprob(static_cast<std::size_t>(out.id));
    out.prob = std::exp(out.logprob);
    out.entropy = entropy;

    // Alternatives by the model's own ranking (raw logits), for the UI.
    const std::size_t n_alt = std::min<std::size_t>(static_cast<std::size_t>(config_.alternatives), vocab_size);
    if (n_alt > 0) {
        const auto raw_better = [&](int a, int b) { return logits[a] != logits[b] ? logits[a] > logits[b] : a < b; };
        std::vector<int> ids;
        ids.reserve(vocab_size);
        for (std::size_t i = 0; i < vocab_size; ++i)
            if (std::isfinite(logits[i])) ids.push_back(static_cast<int>(i));
        const std::size_t n = std::min(n_alt, ids.size());
        std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(), raw_better);
        for (std::size_t k = 0; k < n; ++k)
            out.alternatives.push_back(
                TokenAlternative{ids[k], std::exp(model_logprob(static_cast<std::size_t>(ids[k])))});
    }
    return out;
}

}  // namespace headstart
