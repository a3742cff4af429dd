// ui/watch_view.cpp — see watch_view.h.
#include "ui/watch_view.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ui/theme.h"
#include "ui/timeline_view.h"
#include "ui/widgets.h"

namespace ui {

using headstart::EventKind;
using headstart::Origin;

namespace {

constexpr float kPi = 3.14159265f;

struct WatchWord {
    std::string text;
    double start_ms, end_ms;
    Origin origin;
};

// An arc of the ring at radius r between two times of the clock (0 at twelve o'clock, clockwise).
void arc(ImDrawList* dl, ImVec2 c, float r, double span_ms, double from_ms, double to_ms, ImU32 col, float thick) {
    const float a0 = -kPi / 2 + 2 * kPi * static_cast<float>(std::clamp(from_ms / span_ms, 0.0, 1.0));
    const float a1 = -kPi / 2 + 2 * kPi * static_cast<float>(std::clamp(to_ms / span_ms, 0.0, 1.0));
    if (a1 - a0 < 0.004f) return;
    dl->PathArcTo(c, r, a0, a1, std::max(6, static_cast<int>((a1 - a0) * r / 4)));
    dl->PathStroke(col, 0, thick);
}

ImVec2 on_rim(ImVec2 c, float r, double t_ms, double span_ms) {
    const float a = -kPi / 2 + 2 * kPi * static_cast<float>(std::clamp(t_ms / span_ms, 0.0, 1.0));
    return ImVec2(c.x + r * std::cos(a), c.y + r * std::sin(a));
}

void centered(ImDrawList* dl, ImFont* f, float size, ImVec2 at, ImU32 col, const std::string& text) {
    const ImVec2 ts = f->CalcTextSizeA(size, 1e9f, 0, text.c_str());
    dl->AddText(f, size, ImVec2(at.x - ts.x * 0.5f, at.y - ts.y * 0.5f), col, text.c_str());
}

}  // namespace

void draw_watch(const headstart::Turn* turn, const Speaker& speaker, double now_ms, bool running, ImVec2 size) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    ImFont* small = fonts().small ? fonts().small : ImGui::GetFont();
    ImFont* body = fonts().body ? fonts().body : ImGui::GetFont();
    ImFont* huge = fonts().huge ? fonts().huge : fonts().big ? fonts().big : ImGui::GetFont();
    const float R = std::max(60.0f, std::min(size.x, size.y - 40) * 0.5f - 14);
    const ImVec2 c(o.x + size.x * 0.5f, o.y + R + 14);

    // What is heard (spoken turn) or shown (text), on the turn's clock.
    const bool heard = speaker.active() && turn;
    const double t_now = heard && speaker.has_turn_clock() ? std::max(now_ms, speaker.turn_now_ms()) : now_ms;
    std::vector<WatchWord> words;
    if (heard) {  // what has played so far (an utterance's later words are placed but not heard yet)
        for (const auto& w : speaker.heard().words)
            if (w.start_ms <= t_now) words.push_back({w.word, w.start_ms, std::min(w.end_ms, t_now), w.origin});
    } else if (turn) {
        for (const auto& e : turn->timeline().events())
            if (e.kind == EventKind::WordShown) words.push_back({e.text, e.t_ms, e.t_ms + e.duration_ms, e.origin});
    }
    const headstart::Timeline* tl = turn ? &turn->timeline() : nullptr;
    double latest = running || heard ? t_now : 0.0;
    if (tl)
        for (const auto& e : tl->events()) latest = std::max(latest, e.t_ms + e.duration_ms);
    if (!words.empty()) latest = std::max(latest, words.back().end_ms);
    const double span = timeline_span_ms(latest);

    // ---- the face -----------------------------------------------------------------------------
    dl->AddCircleFilled(c, R + 8, IM_COL32(4, 6, 10, 255), 96);
    dl->AddCircleFilled(c, R, IM_COL32(14, 18, 27, 255), 96);
    dl->AddCircle(c, R + 8, IM_COL32(255, 255, 255, 40), 96, 1.5f);
    for (int i = 0; i < 60; ++i) {  // minute marks: the clock's 60 steps of the span
        const float a = -kPi / 2 + 2 * kPi * i / 60.0f, len = i % 5 ? 3.0f : 7.0f;
        dl->AddLine(ImVec2(c.x + (R - 2) * std::cos(a), c.y + (R - 2) * std::sin(a)),
                    ImVec2(c.x + (R - 2 - len) * std::cos(a), c.y + (R - 2 - len) * std::sin(a)),
                    IM_COL32(255, 255, 255, i % 5 ? 30 : 70), 1.0f);
    }
    // Three rings, apart enough to tell: the two lanes of the machines thin, the heard one thick.
    const float r_mulm = R - 15, r_cloud = R - 31, r_heard = R - 52;
    dl->AddCircle(c, r_mulm, IM_COL32(255, 255, 255, 14), 96, 6.0f);
    dl->AddCircle(c, r_cloud, IM_COL32(255, 255, 255, 14), 96, 6.0f);
    dl->AddCircle(c, r_heard, IM_COL32(255, 255, 255, 14), 96, 11.0f);

    // ---- rim arcs: the lanes ------------------------------------------------------------------
    const headstart::Event* handoff = tl ? tl->first(EventKind::Handoff) : nullptr;
    if (tl && tl->first(EventKind::Request))
        arc(dl, c, r_mulm, span, 0, handoff ? handoff->t_ms : t_now, palette::teal, 6.0f);
    if (tl) {
        const auto* sent = tl->first(EventKind::CloudRequestSent);
        const auto* first_tok = tl->first(EventKind::ContinuationToken);
        const auto* done = tl->first(EventKind::CloudDone);
        const auto* failed = tl->first(EventKind::CloudFailed);
        const double end = done ? done->t_ms : failed ? failed->t_ms : t_now;
        if (sent)
            arc(dl, c, r_cloud, span, sent->t_ms, first_tok ? first_tok->t_ms : end, with_alpha(palette::violet, 0.35f),
                6.0f);
        if (first_tok) arc(dl, c, r_cloud, span, first_tok->t_ms, end, palette::violet, 6.0f);
    }
    for (const WatchWord& w : words)
        arc(dl, c, r_heard, span, w.start_ms, std::max(w.start_ms + span / 400, w.end_ms - span / 800),
            with_alpha(origin_color(w.origin), 0.85f), 11.0f);
    if (handoff) {  // a tick across the rings
        dl->AddLine(on_rim(c, r_heard - 10, handoff->t_ms, span), on_rim(c, R + 6, handoff->t_ms, span), palette::text,
                    2.5f);
    }
    if (turn && (running || heard)) {  // the hand
        dl->AddLine(on_rim(c, r_heard - 16, t_now, span), on_rim(c, R, t_now, span), IM_COL32(255, 255, 255, 150),
                    1.0f);
        dl->AddCircleFilled(on_rim(c, R + 4, t_now, span), 3.0f, palette::text);
    }

    // ---- the word being heard, large; the ones before it small --------------------------------
    int at = -1;
    for (size_t i = 0; i < words.size() && words[i].start_ms <= t_now; ++i) at = static_cast<int>(i);
    const float inner = r_heard - 16;
    if (at >= 0) {
        const WatchWord& w = words[at];
        const bool playing = t_now < w.end_ms + 250;
        float fs = huge->FontSize;
        const float tw = huge->CalcTextSizeA(fs, 1e9f, 0, w.text.c_str()).x;
        if (tw > inner * 1.6f) fs *= inner * 1.6f / tw;
        centered(dl, huge, fs, ImVec2(c.x, c.y), playing ? palette::text : palette::text_dim, w.text);
        const float uw = std::min(inner * 0.8f, huge->CalcTextSizeA(fs, 1e9f, 0, w.text.c_str()).x);
        dl->AddRectFilled(ImVec2(c.x - uw * 0.5f, c.y + fs * 0.55f), ImVec2(c.x + uw * 0.5f, c.y + fs * 0.55f + 4),
                          origin_color(w.origin), 2.0f);
        std::string before;  // the words before it, as much as fits one line
        for (int i = at - 1; i >= 0; --i) {
            const std::string next = words[i].text + (before.empty() ? "" : " " + before);
            if (body->CalcTextSizeA(body->FontSize, 1e9f, 0, next.c_str()).x > inner * 1.5f) break;
            before = next;
        }
        if (!before.empty()) centered(dl, body, body->FontSize, ImVec2(c.x, c.y - fs * 0.5f - 26), palette::text_dim, before);
    } else {
        const char* idle = !turn ? "ask me anything" : heard ? "\xE2\x80\xA6" : running ? "\xE2\x80\xA6" : "";
        centered(dl, fonts().big ? fonts().big : body, fonts().big ? fonts().big->FontSize : 26, c, palette::text_dim, idle);
    }
    // Under the word: the stall as heard (or shown), and who is speaking.
    std::string line;
    if (heard) {
        const auto& h = speaker.heard();
        const bool cloud_heard = std::any_of(h.words.begin(), h.words.end(),
                                             [](const headstart::HeardWord& x) { return x.origin == Origin::Cloud; });
        if (cloud_heard) line = "stall (heard) " + format_ms(h.handoff_silence_ms);
        else if (at >= 0) line = "\xC2\xB5LM speaking";
    } else if (tl && tl->first(EventKind::CloudRequestSent) && !running) {
        line = "stall " + format_ms(tl->metrics().stall_ms);
    }
    if (at >= 0 && heard && words[at].origin == Origin::Cloud && t_now < words[at].end_ms + 250 && line.empty())
        line = "cloud speaking";
    if (!line.empty()) centered(dl, small, small->FontSize, ImVec2(c.x, c.y + inner * 0.62f), palette::text_dim, line);
    if (!speaker.status().empty() && speaker.settings().on)
        centered(dl, small, small->FontSize, ImVec2(c.x, c.y + inner * 0.62f + 16), palette::amber,
                 speaker.status().substr(0, speaker.status().find(" (")));  // in short: the sidebar has it all

    // ---- legend under the face ----------------------------------------------------------------
    const float ly = c.y + R + 18;
    if (ly + 20 < o.y + size.y) {
        const std::string legend = std::string("outer: \xC2\xB5LM  \xC2\xB7  middle: cloud  \xC2\xB7  inner: ") +
                                   (heard ? "heard" : "shown") + "  \xC2\xB7  tick: handoff  \xC2\xB7  rim: " +
                                   format_ms(span);
        centered(dl, small, small->FontSize, ImVec2(c.x, ly), palette::text_faint, legend);
    }
    ImGui::Dummy(size);
}

}  // namespace ui
