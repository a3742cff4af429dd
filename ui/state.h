// ui/state.h — what the app shows, as JSON (--state OUT.json, the page's state hook, the race):
//
//   snapshot_state()   a driver's snapshot: status, running, error, and the turn in detail
//                      (core/turn_json.h; null before one)
//   turn_state()       the app state's turn fields: phase, question, opener, tokens, handoff_ms,
//                      path, cloud_text, answer, shown, failure, metrics, ... and "turn" in detail
//                      (the web and desktop tests read these; App::state_json() adds the app's own)
#pragma once

#include <nlohmann/json.hpp>

#include "ui/driver.h"

namespace ui {

nlohmann::json snapshot_state(const TurnSnapshot& snapshot);
nlohmann::json turn_state(const TurnSnapshot& snapshot);

}  // namespace ui
