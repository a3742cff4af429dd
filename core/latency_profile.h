// core/latency_profile.h — injected network + cloud latency, by named profile or by flags, so a laptop
// can stand in for a hosted LLM answering over wifi, LTE, a congested link or a satellite.
#pragma once

#include <random>
#include <string>
#include <vector>

namespace headstart {

struct LatencyProfile {
    std::string name = "none";
    double first_token_ms = 0;  // wait before the first streamed byte (network RTT + queue + prefill)
    double jitter_ms = 0;       // ± uniform on the first-token wait
    double per_token_ms = 0;    // gap between streamed tokens
};

// The named profiles: none, wifi, lte, congested, satellite. False if the name is unknown.
bool latency_profile(const std::string& name, LatencyProfile* out);
std::vector<std::string> latency_profile_names();

// Draws the first-token wait for one request (first_token_ms ± jitter, never below 0).
double draw_first_token_ms(const LatencyProfile& p, std::mt19937_64& rng);

}  // namespace headstart
