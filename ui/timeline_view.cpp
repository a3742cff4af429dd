// ui/timeline_view.cpp — see timeline_view.h.
#include "ui/timeline_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "shaders_embedded.h"
#include "ui/theme.h"
#include "ui/transcript.h"
#include "ui/widgets.h"

namespace ui {

using headstart::EventKind;
using headstart::Origin;

float TimeAxis::x(double t_ms) const {
    return x0 + static_cast<float>((x1 - x0) * std::clamp(t_ms / span_ms, 0.0, 1.0));
}

void TimeAxis::draw(ImDrawList* dl, float y, float grid_top) const {
    ImFont* small = fonts().small ? fonts().small : ImGui::GetFont();
    const float ss = small->FontSize;
    const double step = nice_step(span_ms, std::max(2, static_cast<int>((x1 - x0) / 110.0f)));
    dl->AddLine(ImVec2(x0, y), ImVec2(x1, y), palette::grid, 1.0f);
    for (double t = 0; t <= span_ms + 1e-6; t += step) {
        const float xx = x(t);
        dl->AddLine(ImVec2(xx, grid_top), ImVec2(xx, y), IM_COL32(255, 255, 255, 12), 1.0f);
        dl->AddLine(ImVec2(xx, y), ImVec2(xx, y + 4), palette::text_faint, 1.0f);
        char label[32];
        std::snprintf(label, sizeof label, "%.0f ms", t);
        const float lw = small->CalcTextSizeA(ss, 1e9f, 0, label).x;
        const float lx = std::min(xx - lw * 0.5f, x1 - lw);
        dl->AddText(small, ss, ImVec2(std::max(lx, x0 - 4), y + 5), palette::text_dim, label);
    }
}

double timeline_span_ms(double latest_ms) {
    const double want = std::max(1000.0, latest_ms * 1.03);
    const double step = nice_step(want, 8);
    return std::ceil(want / step) * step;
}

bool TimelineView::init_graphics() {
    return shader_.build(shaders::fullscreen_vert_glsl, shaders::lane_shade_frag_glsl);
}

void TimelineView::begin_frame(double time_s) {
    calls_.clear();
    time_s_ = time_s;
    shaded_this_frame_ = 0;
}

void TimelineView::on_draw(const ImDrawList*, const ImDrawCmd* cmd) {
    const auto* call = static_cast<const ShadeCall*>(cmd->UserCallbackData);
    const ImDrawData* dd = ImGui::GetDrawData();
    if (!call || !dd) return;
    // ImGui's coordinates (top-left origin, logical pixels) -> framebuffer pixels (bottom-left).
    const ImVec2 pos = dd->DisplayPos, scale = dd->FramebufferScale;
    const float fb_h = dd->DisplaySize.y * scale.y;
    auto to_px = [&](ImVec2 a, ImVec2 b) {
        const float x0 = std::floor((a.x - pos.x) * scale.x), x1 = std::ceil((b.x - pos.x) * scale.x);
        const float y0 = std::floor((a.y - pos.y) * scale.y), y1 = std::ceil((b.y - pos.y) * scale.y);
        return PixelRect{static_cast<int>(x0), static_cast<int>(fb_h - y1), static_cast<int>(x1 - x0),
                         static_cast<int>(y1 - y0)};
    };
    const ImVec4 clip = cmd->ClipRect;
    const ImVec2 ca(std::max(call->a.x, clip.x), std::max(call->a.y, clip.y));
    const ImVec2 cb(std::min(call->b.x, clip.z), std::min(call->b.y, clip.w));
    if (cb.x <= ca.x || cb.y <= ca.y) return;
    const PixelRect viewport = to_px(call->a, call->b), scissor = to_px(ca, cb);
    const ShaderQuad& q = call->view->shader_;
    q.begin(viewport, scissor, /*blend=*/true);
    q.uniform("u_resolution", static_cast<float>(viewport.w), static_cast<float>(viewport.h));
    q.uniform("u_time", static_cast<float>(call->view->time_s_));
    q.uniform("u_color", call->rgb[0], call->rgb[1], call->rgb[2]);
    q.uniform("u_alpha", call->alpha);
    q.uniform("u_stripe", 14.0f * scale.x);
    q.draw();
}

void TimelineView::shade(ImDrawList* dl, ImVec2 a, ImVec2 b, const float rgb[3], float alpha) {
    if (b.x - a.x < 0.5f || b.y - a.y < 0.5f) return;
    ++shaded_this_frame_;
    if (!shader_.ok()) {
        const ImU32 c = IM_COL32(static_cast<int>(rgb[0] * 255), static_cast<int>(rgb[1] * 255),
                                 static_cast<int>(rgb[2] * 255), static_cast<int>(alpha * 110));
        dl->AddRectFilled(a, b, c);
        dl->AddLine(a, ImVec2(a.x, b.y), with_alpha(c, 0.9f), 2.0f);
        dl->AddLine(ImVec2(b.x, a.y), b, with_alpha(c, 0.9f), 2.0f);
        return;
    }
    calls_.push_back(ShadeCall{this, a, b, {rgb[0], rgb[1], rgb[2]}, alpha});
    dl->AddCallback(&TimelineView::on_draw, &calls_.back());
    dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);
}

namespace {

void label_in(ImDrawList* dl, ImFont* font, ImVec2 a, ImVec2 b, const char* text, ImU32 col) {
    const float fs = font->FontSize;
    const ImVec2 ts = font->CalcTextSizeA(fs, 1e9f, 0, text);
    if (ts.x + 8 > b.x - a.x) return;  // does not fit: leave it out rather than overflow
    dl->AddText(font, fs, ImVec2(a.x + 5, a.y + (b.y - a.y - ts.y) * 0.5f), col, text);
}

// A label in a dark pill, centred on x (kept inside [lo, hi]).
void tag(ImDrawList* dl, ImFont* font, float x, float y, const char* text, ImU32 col, float lo, float hi) {
    const float fs = font->FontSize;
    const ImVec2 ts = font->CalcTextSizeA(fs, 1e9f, 0, text);
    float left = std::clamp(x - ts.x * 0.5f - 6, lo, std::max(lo, hi - ts.x - 12));
    dl->AddRectFilled(ImVec2(left, y), ImVec2(left + ts.x + 12, y + ts.y + 4), IM_COL32(12, 15, 22, 235), 5.0f);
    dl->AddRect(ImVec2(left, y), ImVec2(left + ts.x + 12, y + ts.y + 4), with_alpha(col, 0.8f), 5.0f);
    dl->AddText(font, fs, ImVec2(left + 6, y + 2), col, text);
}

}  // namespace

void TimelineView::draw(const headstart::Turn* turn, double now_ms, bool running, ImVec2 size,
                        const headstart::SpeechTrack* heard) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImFont* small = fonts().small ? fonts().small : ImGui::GetFont();
    ImFont* body = fonts().body ? fonts().body : ImGui::GetFont();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float label_w = 150.0f, axis_h = 24.0f, gap = 8.0f;
    const float lane_h = std::clamp((size.y - axis_h - 2 * gap) / 3.0f, 26.0f, 64.0f);
    TimeAxis axis;
    axis.x0 = o.x + label_w;
    axis.x1 = o.x + size.x - 14;
    static const headstart::Timeline kEmpty;
    const headstart::Timeline& tl = turn ? turn->timeline() : kEmpty;
    double latest = running ? now_ms : 0.0;
    for (const auto& e : tl.events()) latest = std::max(latest, e.t_ms + e.duration_ms);
    if (heard && !heard->words.empty()) latest = std::max(latest, running ? now_ms : heard->words.back().end_ms);
    axis.span_ms = timeline_span_ms(latest);
    auto lane_top = [&](int lane) { return o.y + lane * (lane_h + gap); };
    const float lanes_bottom = lane_top(2) + lane_h;

    const headstart::TurnMetrics m = tl.metrics();
    const char* names[] = {"device \xC2\xB5LM", "network + cloud", heard ? "user hears" : "user sees / hears"};
    const ImU32 colors[] = {palette::teal, palette::violet, palette::text};
    std::string subs[3];
    if (const auto* h = tl.first(EventKind::Handoff)) subs[0] = "opener in " + format_ms(h->t_ms);
    if (m.cloud_ttft_ms) subs[1] = "first token +" + format_ms(m.cloud_ttft_ms);
    else if (tl.first(EventKind::CloudRequestSent)) subs[1] = "waiting\xE2\x80\xA6";
    if (heard) {
        if (!heard->words.empty()) subs[2] = "first word heard " + format_ms(heard->words.front().start_ms);
        else subs[2] = "voice starting\xE2\x80\xA6";
    } else if (m.perceived_first_word_ms) {
        subs[2] = "first word " + format_ms(m.perceived_first_word_ms);
    }
    for (int lane = 0; lane < 3; ++lane) {
        const float y = lane_top(lane);
        dl->AddRectFilled(ImVec2(axis.x0, y), ImVec2(axis.x1, y + lane_h), palette::lane, 5.0f);
        dl->AddCircleFilled(ImVec2(o.x + 6, y + lane_h * 0.5f - 6), 4.5f, colors[lane]);
        dl->AddText(body, body->FontSize, ImVec2(o.x + 16, y + lane_h * 0.5f - 14), palette::text, names[lane]);
        if (!subs[lane].empty())
            dl->AddText(small, small->FontSize, ImVec2(o.x + 16, y + lane_h * 0.5f + 3), palette::text_dim,
                        subs[lane].c_str());
    }
    axis.draw(dl, lanes_bottom + 4, lane_top(0));

    if (!turn) {
        ImGui::Dummy(size);
        return;
    }
    const float pad = 5.0f;
    // ---- shading first, so bars and labels draw over it --------------------------------
    const auto masked = tl.masked_span();
    // Heard: the stall is the silence between the μLM's last word and the cloud's first, as played.
    std::optional<headstart::Span> stall = heard ? std::nullopt : tl.stall_span();
    if (heard) {
        const headstart::HeardWord* last_device = nullptr;
        for (const auto& w : heard->words) {
            if (w.origin == Origin::Cloud) {
                if (last_device && heard->handoff_silence_ms > 0)
                    stall = headstart::Span{std::max(last_device->end_ms, w.start_ms - heard->handoff_silence_ms),
                                            w.start_ms};
                break;
            }
            last_device = &w;
        }
    }
    if (masked)
        shade(dl, ImVec2(axis.x(masked->from_ms), lane_top(1)), ImVec2(axis.x(masked->to_ms), lanes_bottom),
              palette::teal_rgb, 0.9f);
    if (stall)
        shade(dl, ImVec2(axis.x(stall->from_ms), lane_top(2)), ImVec2(axis.x(stall->to_ms), lanes_bottom),
              palette::red_rgb, 1.0f);

    // ---- device lane -------------------------------------------------------------------
    {
        const float y0 = lane_top(0) + pad, y1 = lane_top(0) + lane_h - pad;
        const auto* prefill = tl.first(EventKind::PrefillDone);
        const auto* handoff = tl.first(EventKind::Handoff);
        if (prefill)
            dl->AddRectFilled(ImVec2(axis.x(0), y0), ImVec2(std::max(axis.x(prefill->t_ms), axis.x(0) + 2), y1),
                              with_alpha(palette::teal, 0.35f), 3.0f);
        const double gen_end = handoff ? handoff->t_ms : now_ms;
        if (prefill)
            dl->AddRectFilled(ImVec2(axis.x(prefill->t_ms), y0),
                              ImVec2(std::max(axis.x(gen_end), axis.x(prefill->t_ms) + 2), y1),
                              with_alpha(palette::teal, 0.7f), 3.0f);
        for (const auto& t : turn->opener_tokens()) {
            const float x = axis.x(t.t_ms);
            const float h = (y1 - y0) * static_cast<float>(0.25 + 0.75 * t.prob);
            dl->AddLine(ImVec2(x, y1), ImVec2(x, y1 - h), t.in_opener ? palette::text : palette::text_faint, 1.0f);
        }
        if (handoff) {
            const float x = axis.x(handoff->t_ms);
            dl->AddLine(ImVec2(x, lane_top(0) - 2), ImVec2(x, lanes_bottom + 2), with_alpha(palette::text, 0.55f),
                        1.0f);
            const ImVec2 c(x, lane_top(0) + lane_h * 0.5f);
            dl->AddQuadFilled(ImVec2(c.x, c.y - 6), ImVec2(c.x + 6, c.y), ImVec2(c.x, c.y + 6), ImVec2(c.x - 6, c.y),
                              palette::text);
            char label[64];
            const int words = static_cast<int>(turn->gate().kept_words);
            if (turn->gate().used_fallback)
                std::snprintf(label, sizeof label, "handoff \xC2\xB7 fallback opener at %.0f ms", handoff->t_ms);
            else if (turn->config().opener_source == headstart::OpenerSource::Model)
                std::snprintf(label, sizeof label, "handoff \xC2\xB7 %d-word opener in %.0f ms", words, handoff->t_ms);
            else std::snprintf(label, sizeof label, "handoff \xC2\xB7 no \xC2\xB5LM opener");
            dl->AddText(small, small->FontSize, ImVec2(x + 10, c.y - small->FontSize * 0.5f), palette::text, label);
        }
    }
    // ---- network + cloud lane ----------------------------------------------------------
    {
        const float y0 = lane_top(1) + pad, y1 = lane_top(1) + lane_h - pad;
        const auto* sent = tl.first(EventKind::CloudRequestSent);
        const auto* first_byte = tl.first(EventKind::CloudFirstByte);
        const auto* first_tok = tl.first(EventKind::ContinuationToken);
        const auto* done = tl.first(EventKind::CloudDone);
        const auto* failed = tl.first(EventKind::CloudFailed);
        const double end = done ? done->t_ms : failed ? failed->t_ms : now_ms;
        if (sent) {
            const double wait_end = first_tok ? first_tok->t_ms : end;
            const ImVec2 a(axis.x(sent->t_ms), y0 + 4), b(std::max(axis.x(wait_end), axis.x(sent->t_ms) + 2), y1 - 4);
            dl->AddRectFilled(a, b, with_alpha(palette::violet, 0.16f), 3.0f);
            dl->AddRect(a, b, with_alpha(palette::violet, 0.55f), 3.0f);
            char label[48];
            std::snprintf(label, sizeof label, "waiting %.0f ms", wait_end - sent->t_ms);
            label_in(dl, small, ImVec2(a.x + 2, a.y), b, label, palette::text);
        }
        if (first_byte) {
            const float x = axis.x(first_byte->t_ms);
            dl->AddLine(ImVec2(x, y0), ImVec2(x, y1), with_alpha(palette::violet, 0.9f), 1.5f);
        }
        if (first_tok) {
            const ImVec2 a(axis.x(first_tok->t_ms), y0), b(std::max(axis.x(end), axis.x(first_tok->t_ms) + 2), y1);
            dl->AddRectFilled(a, b, with_alpha(palette::violet, 0.55f), 3.0f);
        }
        int tokens = 0;
        for (const auto& e : tl.events()) {
            if (e.kind != EventKind::ContinuationToken) continue;
            ++tokens;
            const float x = axis.x(e.t_ms);
            dl->AddLine(ImVec2(x, y0 + 3), ImVec2(x, y1 - 3), IM_COL32(255, 255, 255, 120), 1.0f);
        }
        if (first_tok && tokens > 0) {
            char label[48];
            std::snprintf(label, sizeof label, "streaming \xC2\xB7 %d pieces", tokens);
            label_in(dl, small, ImVec2(axis.x(first_tok->t_ms), y0), ImVec2(axis.x(end), y1), label, palette::text);
        }
        for (const auto& e : tl.events()) {
            if (e.kind != EventKind::Verdict || e.text.rfind("gate:", 0) == 0) continue;
            const float x = axis.x(e.t_ms);
            const std::string label = e.text.substr(0, e.text.find(" ("));
            dl->AddTriangleFilled(ImVec2(x, y0 - 2), ImVec2(x + 8, y0 + 2), ImVec2(x, y0 + 6), path_color(label));
            dl->AddLine(ImVec2(x, y0 - 2), ImVec2(x, y1), path_color(label), 1.5f);
        }
        if (done) {
            const float x = axis.x(done->t_ms);
            dl->AddRectFilled(ImVec2(x - 1.5f, y0), ImVec2(x + 1.5f, y1), palette::text);
        }
        if (failed) {
            const float x = axis.x(failed->t_ms), cy = (y0 + y1) * 0.5f;
            dl->AddLine(ImVec2(x - 5, cy - 5), ImVec2(x + 5, cy + 5), palette::red, 2.5f);
            dl->AddLine(ImVec2(x - 5, cy + 5), ImVec2(x + 5, cy - 5), palette::red, 2.5f);
            dl->AddText(small, small->FontSize, ImVec2(x + 8, cy - small->FontSize * 0.5f), palette::red, "failed");
        }
    }
    // ---- user lane -----------------------------------------------------------------------
    {
        const float y0 = lane_top(2) + pad, y1 = lane_top(2) + lane_h - pad;
        if (heard)
            for (const auto& w : heard->words) {
                if (running && w.start_ms > now_ms) break;  // placed in its utterance, not played yet
                const double end = running ? std::min(w.end_ms, now_ms) : w.end_ms;
                const float xa = axis.x(w.start_ms), xb = std::max(xa + 2.0f, axis.x(end) - 1.0f);
                const ImU32 c = origin_color(w.origin);
                dl->AddRectFilled(ImVec2(xa, y0), ImVec2(xb, y1), with_alpha(c, 0.62f), 3.0f);
                dl->PushClipRect(ImVec2(xa, y0), ImVec2(xb, y1), true);
                dl->AddText(small, small->FontSize, ImVec2(xa + 3, (y0 + y1 - small->FontSize) * 0.5f), palette::text,
                            w.word.c_str());
                dl->PopClipRect();
            }
        for (const auto& e : tl.events()) {
            if (heard || e.kind != EventKind::WordShown) continue;
            const float xa = axis.x(e.t_ms), xb = std::max(xa + 2.0f, axis.x(e.t_ms + e.duration_ms) - 1.0f);
            const ImU32 c = origin_color(e.origin);
            dl->AddRectFilled(ImVec2(xa, y0), ImVec2(xb, y1), with_alpha(c, 0.62f), 3.0f);
            dl->PushClipRect(ImVec2(xa, y0), ImVec2(xb, y1), true);
            dl->AddText(small, small->FontSize, ImVec2(xa + 3, (y0 + y1 - small->FontSize) * 0.5f), palette::text,
                        e.text.c_str());
            dl->PopClipRect();
        }
    }
    // ---- span tags and the clock ---------------------------------------------------------
    if (masked) {
        char label[48];
        std::snprintf(label, sizeof label, "masked %.0f ms", masked->length());
        tag(dl, small, (axis.x(masked->from_ms) + axis.x(masked->to_ms)) * 0.5f, lane_top(2) - gap * 0.5f - 9, label,
            palette::teal, axis.x0, axis.x1);
    }
    if (stall) {
        char label[48];
        std::snprintf(label, sizeof label, heard ? "silence %.0f ms (heard)" : "stall %.0f ms",
                      heard ? heard->handoff_silence_ms : stall->length());
        tag(dl, small, (axis.x(stall->from_ms) + axis.x(stall->to_ms)) * 0.5f, lanes_bottom - 9, label, palette::red,
            axis.x0, axis.x1);
    }
    if (running) {
        const float x = axis.x(now_ms);
        dl->AddLine(ImVec2(x, lane_top(0) - 3), ImVec2(x, lanes_bottom + 3), IM_COL32(255, 255, 255, 200), 1.5f);
        dl->AddCircleFilled(ImVec2(x, lane_top(0) - 3), 3.0f, palette::text);
    }
    ImGui::Dummy(size);
}

}  // namespace ui
