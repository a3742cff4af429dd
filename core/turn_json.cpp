// core/turn_json.cpp — see turn_json.h.
#include "core/turn_json.h"

#include <map>

#include "core/metrics_json.h"

namespace headstart {

using nlohmann::json;

json turn_json(const Turn& t) {
    const Timeline& tl = t.timeline();
    json tokens = json::array();
    int last_kept = -1, index = 0;
    for (const auto& tok : t.opener_tokens()) {
        json alts = json::array();
        for (const auto& [text, prob] : tok.alternatives) alts.push_back({{"text", text}, {"prob", prob}});
        tokens.push_back({{"text", tok.text},
                          {"prob", tok.prob},
                          {"logprob", tok.logprob},
                          {"entropy", tok.entropy},
                          {"t_ms", tok.t_ms},
                          {"in_opener", tok.in_opener},
                          {"alternatives", alts}});
        if (tok.in_opener) last_kept = index;
        ++index;
    }
    json handoff = nullptr;
    if (const Event* h = tl.first(EventKind::Handoff)) {
        const GateDecision& g = t.gate();
        handoff = {{"t_ms", h->t_ms},
                   {"opener", h->text},
                   {"after_token", last_kept},  // index of the last opener token (-1: none)
                   {"tokens_in_opener", last_kept + 1},
                   {"reason", to_string(t.opener_decision().reason)},  // the opener policy's stop
                   {"why", t.opener_decision().why},
                   {"gate", {{"fired", g.fired}, {"used_fallback", g.used_fallback}, {"cut", g.cut}, {"why", g.why}}}};
    }
    const CorrectedAnswer a = t.answer();
    json segments = json::array();
    for (const auto& s : a.segments)
        segments.push_back({{"text", s.text}, {"style", to_string(s.style)}, {"origin", to_string(s.origin)}});
    json verdict = nullptr;
    if (auto v = t.verdict())
        verdict = {{"verdict", to_string(v->verdict)}, {"source", to_string(v->source)}, {"why", v->why}};
    std::map<std::string, int> counts;
    json events = json::array();
    for (const auto& e : tl.events()) {
        ++counts[to_string(e.kind)];
        json ev = {{"kind", to_string(e.kind)}, {"t_ms", e.t_ms}};
        if (!e.text.empty()) ev["text"] = e.text;
        if (e.kind == EventKind::WordShown) {
            ev["duration_ms"] = e.duration_ms;
            ev["origin"] = to_string(e.origin);
        }
        events.push_back(std::move(ev));
    }
    const TurnMetrics m = tl.metrics();
    const auto span = [](const std::optional<Span>& s) {
        return s ? json::array({s->from_ms, s->to_ms}) : json(nullptr);
    };
    return {{"question", t.question()},
            {"phase", to_string(t.phase())},
            {"opener_source", to_string(t.config().opener_source)},
            {"finished", t.finished()},
            {"opener", t.opener()},
            {"opener_tokens", tokens},
            // The μLM prompt's tokens, and how many came from the KV cache (read ahead while typed).
            {"prompt", {{"tokens", t.prompt_tokens()}, {"reused", t.prompt_reused()}}},
            {"handoff", handoff},
            {"path", a.label()},
            {"gated", a.gated},
            {"verdict", verdict},
            {"cloud_text", t.cloud_text()},
            {"cloud_failed", t.cloud_failed()},
            {"failure", t.failure()},
            {"answer", {{"visible", a.visible_text()}, {"segments", segments}, {"why", a.why}, {"settled", a.settled}}},
            {"shown_text", t.shown_text()},
            {"words_shown", counts["word_shown"]},
            {"event_counts", counts},
            {"events", events},
            {"spans", {{"masked", span(tl.masked_span())}, {"stall", span(tl.stall_span())}}},
            {"metrics", [&] {
                 json metrics = metrics_json(m);
                 metrics["path"] = m.path;
                 metrics["failed"] = m.failed;
                 return metrics;
             }()}};
}

}  // namespace headstart
