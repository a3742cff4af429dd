// core/latency_profile.cpp — see latency_profile.h. The figures are typical time-to-first-token of a hosted LLM
// seen from a device on each kind of link (RTT + TLS + queueing + prefill), not measurements.
#include "core/latency_profile.h"

#include <algorithm>

namespace headstart {
namespace {

const LatencyProfile kProfiles[] = {
    {"none", 0, 0, 0},
    {"wifi", 450, 120, 18},
    {"lte", 900, 300, 30},
    {"congested", 2000, 700, 60},
    {"satellite", 2800, 500, 45},
};

}  // namespace

bool latency_profile(const std::string& name, LatencyProfile* out) {
    for (const auto& p : kProfiles)
        if (p.name == name) {
            *out = p;
            return true;
        }
    return false;
}

std::vector<std::string> latency_profile_names() {
    std::vector<std::string> names;
    for (const auto& p : kProfiles) names.push_back(p.name);
    return names;
}

double draw_first_token_ms(const LatencyProfile& p, std::mt19937_64& rng) {
    if (p.jitter_ms <= 0) return std::max(0.0, p.first_token_ms);
    const double u = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);  // [0, 1)
    return std::max(0.0, p.first_token_ms + (2 * u - 1) * p.jitter_ms);
}

}  // namespace headstart
