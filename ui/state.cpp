// ui/state.cpp — see state.h.
#include "ui/state.h"

#include "core/metrics_json.h"
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

json turn_state(const TurnSnapshot& snap) {
    json j = {{"status", snap.status},
              {"running", snap.running},
              {"turn_error", snap.error},
              {"preread_tokens", snap.preread_tokens}};
    if (const headstart::Turn* t = snap.turn.get()) {
        json tokens = json::array();
        for (const auto& tok : t->opener_tokens())
            tokens.push_back({{"text", tok.text}, {"prob", tok.prob}, {"in_opener", tok.in_opener}});
        const headstart::Event* handoff = t->timeline().first(headstart::EventKind::Handoff);
        const headstart::TurnMetrics m = t->timeline().metrics();
        j.update({{"phase", headstart::to_string(t->phase())},
                  {"question", t->question()},
                  {"opener", t->opener()},
                  {"tokens", tokens},
                  {"handoff_ms", handoff ? json(handoff->t_ms) : json(nullptr)},
                  {"path", m.path},
                  {"cloud_text", t->cloud_text()},
                  {"answer", t->answer().visible_text()},
                  {"shown", t->shown_text()},
                  {"failure", t->failure()},
                  {"prompt_tokens", t->prompt_tokens()},
                  {"prompt_reused", t->prompt_reused()},
                  {"metrics", headstart::metrics_json(m)}});
        j["metrics"]["failed"] = m.failed;
    } else {
        j["phase"] = "idle";
    }
    j["turn"] = snap.turn ? headstart::turn_json(*snap.turn) : json(nullptr);
    return j;
}

}  // namespace ui
