// core/turn_json.h — one Turn as JSON, one spelling for every report of a turn in detail: the CLI's
// `headstart ask --json`, the app's state (--state OUT.json, the page's state hook, the race) — what a
// test asserts: the question, the opener tokens (probability, alternatives), the handoff and why it
// fell there, the gate, the verdict, the correction path, the answer's segments, the words shown, the
// timeline's events and spans, the prompt's read-ahead tokens and the metrics (core/metrics_json.h).
#pragma once

#include <nlohmann/json.hpp>

#include "core/turn.h"

namespace headstart {

nlohmann::json turn_json(const Turn& turn);

}  // namespace headstart
