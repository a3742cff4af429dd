// ui/state.cpp — see state.h.
#include "ui/state.h"

#include "core/turn_json.h"

namespace ui {

using nlohmann::json;

json snapshot_state(const TurnSnapshot& s) {
    return {{"status", s.status},
            {"running", s.running},
            {"error", s.error},
            {"elapsed_ms", s.elapsed_ms},
            {"turn", s.turn ? headstart::turn_json(*s.turn) : json(nullptr)}};
}

}  // namespace ui
