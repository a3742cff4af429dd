// ui/state.h — a driver's snapshot as JSON, for the app's state (--state OUT.json, the page's state
// hook, the race): status, running, error, and the turn in detail (core/turn_json.h; null before one).
#pragma once

#include <nlohmann/json.hpp>

#include "ui/driver.h"

namespace ui {

nlohmann::json snapshot_state(const TurnSnapshot& snapshot);

}  // namespace ui
