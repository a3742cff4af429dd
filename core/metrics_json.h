// core/metrics_json.h — TurnMetrics as JSON, one spelling for every report of a turn (the CLI's
// --json, the app's state hook, the evaluation's per-turn records). Empty metrics are null.
#pragma once

#include <nlohmann/json.hpp>

#include "core/timeline.h"

namespace headstart {

inline nlohmann::json metrics_json(const TurnMetrics& m) {
    const auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    return {{"local_ttft_ms", opt(m.local_ttft_ms)},
            {"time_to_4_words_ms", opt(m.time_to_4_words_ms)},
            {"cloud_ttft_ms", opt(m.cloud_ttft_ms)},
            {"perceived_first_word_ms", opt(m.perceived_first_word_ms)},
            {"masked_ms", m.masked_ms},
            {"stall_ms", m.stall_ms},
            {"words_before_cloud", m.words_before_cloud}};
}

}  // namespace headstart
