// ui/state.h — turns as JSON, for the app's state (--state OUT.json, the page's state hook) so a
// test can assert what a turn did: its opener tokens, handoff, path, answer, words shown, metrics.
//
//   turn_state()      one Turn in detail
//   snapshot_state()  a driver's snapshot: status, running, error, and the turn (null before one)
#pragma once

#include <nlohmann/json.hpp>

#include "core/turn.h"
#include "ui/driver.h"

namespace ui {

nlohmann::json turn_state(const headstart::Turn& turn);
nlohmann::json snapshot_state(const TurnSnapshot& snapshot);

}  // namespace ui
