// ui/transcript.cpp — see transcript.h.
//
// Map of this file:
//   answer_words()        the answer as the user sees it, word by word, with each word's origin
//   draw_answer()         those words wrapped, with the gate's cut, the pivot's bridge and the rewrite
//   draw_token_chips()    one chip per μLM token (probability, alternatives on hover), the handoff mark,
//                         then the cloud's pieces
//   draw_transcript()     the whole panel
#include "ui/transcript.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/theme.h"
#include "ui/widgets.h"

namespace ui {

using headstart::EventKind;
using headstart::Origin;
using headstart::SegmentStyle;

namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

float clamp01(double v) { return static_cast<float>(v < 0 ? 0 : v > 1 ? 1 : v); }

ImU32 word_text_color(Origin origin) {
    switch (origin) {
        case Origin::Device: return IM_COL32(150, 236, 224, 255);  // light teal
        case Origin::Cloud: return IM_COL32(226, 220, 255, 255);   // violet-white
        case Origin::Fallback: return IM_COL32(250, 200, 120, 255);
    }
    return palette::text;
}

}  // namespace

ImU32 path_color(const std::string& label) {
    if (label.find("rewrite") != std::string::npos) return palette::red;
    if (label.find("pivot") != std::string::npos) return palette::bridge;
    if (label.find("gate") != std::string::npos) return palette::amber;
    if (label.find("fail") != std::string::npos || label.find("fallback") != std::string::npos) return palette::red;
    if (label == "cloud only") return palette::violet;
    return palette::teal;
}

double retract_time_ms(const headstart::Turn& turn) {
    for (const auto& e : turn.timeline().events())
        if (e.kind == EventKind::Verdict && (starts_with(e.text, "rewrite") || starts_with(e.text, "gate+rewrite")))
            return e.t_ms;
    return -1.0;
}

std::vector<AnswerWord> answer_words(const headstart::Turn& turn) {
    std::vector<const headstart::Event*> shown;
    for (const auto& e : turn.timeline().events())
        if (e.kind == EventKind::WordShown) shown.push_back(&e);
    std::vector<AnswerWord> out;
    size_t next_shown = 0;
    // Every word but the gate's cut has been or will be shown, in this order (core/correction.h).
    for (headstart::Segment& w : headstart::answer_words(turn.answer())) {
        AnswerWord aw;
        aw.text = std::move(w.text);
        aw.style = w.style;
        aw.origin = w.origin;
        if (w.style != SegmentStyle::Cut && next_shown < shown.size()) {
            aw.shown = true;
            aw.shown_ms = shown[next_shown]->t_ms;
            ++next_shown;
        }
        out.push_back(std::move(aw));
    }
    // Words shown that the answer no longer holds (should not happen): keep them visible.
    for (; next_shown < shown.size(); ++next_shown) {
        AnswerWord aw;
        aw.text = shown[next_shown]->text;
        aw.origin = shown[next_shown]->origin;
        aw.shown = true;
        aw.shown_ms = shown[next_shown]->t_ms;
        out.push_back(std::move(aw));
    }
    return out;
}

void draw_answer(const std::vector<AnswerWord>& words, const AnswerAnimation& anim, float width) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImFont* font = ImGui::GetFont();
    const float size = ImGui::GetFontSize();
    const float space = font->CalcTextSizeA(size, 1e9f, 0, " ").x;
    const float line_h = size + 9.0f;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    Flow flow(ImVec2(origin.x, origin.y + 2), width, line_h, space);
    // The retraction: a line grows over the struck words, word by word, over 700 ms.
    int struck_total = 0;
    for (const auto& w : words) struck_total += w.style == SegmentStyle::Struck;
    const float strike_progress = anim.retract_ms >= 0 ? clamp01((anim.now_ms - anim.retract_ms) / 700.0) : 0.0f;
    int struck_index = 0;
    for (const AnswerWord& w : words) {
        if (!w.shown && !anim.show_queued && w.style != SegmentStyle::Cut) continue;
        if (anim.as_user_sees && (w.style == SegmentStyle::Cut || !w.shown)) continue;
        if (!anim.show_cut && w.style == SegmentStyle::Cut) continue;
        const ImVec2 ts = font->CalcTextSizeA(size, 1e9f, 0, w.text.c_str());
        const ImVec2 p = flow.place(ts.x);
        float alpha = 1.0f;
        if (w.shown) alpha = 0.25f + 0.75f * clamp01((anim.now_ms - w.shown_ms) / 220.0);  // fade in
        else alpha = 0.24f;  // queued: the cloud's words waiting for their slot
        ImU32 col = anim.as_user_sees ? palette::text : word_text_color(w.origin);
        switch (anim.as_user_sees && w.style == SegmentStyle::Bridge ? SegmentStyle::Normal : w.style) {
            case SegmentStyle::Normal: break;
            case SegmentStyle::Bridge: {
                const ImU32 bg = with_alpha(palette::bridge, 0.22f * alpha + 0.04f);
                dl->AddRectFilled(ImVec2(p.x - 3, p.y - 1), ImVec2(p.x + ts.x + 3, p.y + ts.y + 2), bg, 4.0f);
                dl->AddLine(ImVec2(p.x - 2, p.y + ts.y + 2), ImVec2(p.x + ts.x + 2, p.y + ts.y + 2),
                            with_alpha(palette::bridge, 0.9f * alpha), 1.5f);
                col = IM_COL32(255, 236, 170, 255);
                break;
            }
            case SegmentStyle::Cut: {
                col = palette::text_faint;
                alpha = 1.0f;
                dl->AddLine(ImVec2(p.x, p.y + ts.y * 0.55f), ImVec2(p.x + ts.x, p.y + ts.y * 0.55f),
                            with_alpha(palette::text_faint, 0.9f), 1.2f);
                break;
            }
            case SegmentStyle::Struck: {
                // Fades to grey while the line crosses it.
                const float k = struck_total > 0 ? strike_progress * struck_total - struck_index : 0.0f;
                const float cover = clamp01(k);
                alpha *= 1.0f - 0.55f * clamp01(strike_progress);
                if (cover > 0)
                    dl->AddLine(ImVec2(p.x - 1, p.y + ts.y * 0.55f),
                                ImVec2(p.x + (ts.x + 2) * cover, p.y + ts.y * 0.55f), palette::red, 2.0f);
                ++struck_index;
                break;
            }
        }
        dl->AddText(font, size, p, with_alpha(col, alpha), w.text.c_str());
    }
    ImGui::Dummy(ImVec2(width, std::max(line_h, flow.height()) + 2));
}

namespace {

void alternatives_tooltip(const headstart::OpenerTokenView& t, ImVec2 at, int index) {
    ImGui::SetNextWindowPos(at);
    ImGui::BeginTooltip();
    {
        FontScope f(fonts().heading);
        ImGui::Text("\xE2\x80\x9C%s\xE2\x80\x9D  %.1f%%", utf8_visible(t.text).c_str(), 100.0 * t.prob);
    }
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_dim),
                           "token %d \xC2\xB7 log p %.2f \xC2\xB7 entropy %.2f nats \xC2\xB7 at %.0f ms", index,
                           t.logprob, t.entropy, t.t_ms);
        if (!t.in_opener) ImGui::TextColored(to_vec4(palette::amber), "not part of the opener");
    }
    ImGui::Separator();
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_dim), "top alternatives");
        const std::string chosen = utf8_visible(t.text);
        for (const auto& [text, prob] : t.alternatives) {
            const std::string vis = utf8_visible(text);
            const bool is_chosen = vis == chosen;
            const ImVec2 p = ImGui::GetCursorScreenPos();
            const float bar_w = 120.0f * static_cast<float>(prob);
            ImDrawList* dl = ImGui::GetWindowDrawList();
            dl->AddRectFilled(ImVec2(p.x + 130, p.y + 3), ImVec2(p.x + 250, p.y + ImGui::GetTextLineHeight() - 1),
                              IM_COL32(255, 255, 255, 14), 3.0f);
            dl->AddRectFilled(ImVec2(p.x + 130, p.y + 3),
                              ImVec2(p.x + 130 + bar_w, p.y + ImGui::GetTextLineHeight() - 1),
                              with_alpha(palette::teal, is_chosen ? 0.95f : 0.5f), 3.0f);
            ImGui::TextColored(to_vec4(is_chosen ? palette::text : palette::text_dim), "%s%s",
                               is_chosen ? "\xE2\x96\xB6 " : "   ", vis.empty() ? "(empty)" : vis.c_str());
            ImGui::SameLine(258);
            ImGui::Text("%5.1f%%", 100.0 * prob);
        }
        if (t.alternatives.empty()) ImGui::TextColored(to_vec4(palette::text_faint), "(none recorded)");
    }
    ImGui::EndTooltip();
}

}  // namespace

void draw_token_chips(const headstart::Turn& turn, float width, int pinned) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const auto& tokens = turn.opener_tokens();
    ImFont* body = fonts().body ? fonts().body : ImGui::GetFont();
    ImFont* small = fonts().small ? fonts().small : ImGui::GetFont();
    const float fs = body->FontSize, ss = small->FontSize;
    const float chip_h = fs + 8.0f, row_h = chip_h + ss + 12.0f;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    Flow flow(origin, width, row_h, 3.0f);
    const headstart::Event* handoff = turn.timeline().first(EventKind::Handoff);
    int last_kept = -1;
    for (int i = 0; i < static_cast<int>(tokens.size()); ++i)
        if (tokens[i].in_opener) last_kept = i;
    const bool stop_before = turn.opener_decision().action == headstart::OpenerAction::StopBefore;
    int tooltip_for = -1;
    ImVec2 tooltip_at;

    auto draw_handoff = [&] {
        char label[48];
        std::snprintf(label, sizeof label, "handoff  %.0f ms", handoff->t_ms);
        const float lw = small->CalcTextSizeA(ss, 1e9f, 0, label).x + 16;
        const ImVec2 p = flow.place(lw, 6.0f);
        dl->AddRectFilled(ImVec2(p.x, p.y - 2), ImVec2(p.x + 3, p.y + chip_h + ss + 4), palette::text, 1.5f);
        dl->AddRectFilled(ImVec2(p.x + 3, p.y), ImVec2(p.x + lw, p.y + chip_h), with_alpha(palette::violet, 0.16f),
                          4.0f);
        dl->AddText(small, ss, ImVec2(p.x + 9, p.y + (chip_h - ss) * 0.5f), palette::text, label);
        dl->AddText(small, ss, ImVec2(p.x + 9, p.y + chip_h + 3), palette::text_dim, "opener \xE2\x86\x92 cloud");
    };

    for (int i = 0; i < static_cast<int>(tokens.size()); ++i) {
        const auto& t = tokens[i];
        const std::string vis = utf8_visible(t.text);
        const bool starts_word = !t.text.empty() && (t.text[0] == ' ' || t.text[0] == '\n');
        const float tw = body->CalcTextSizeA(fs, 1e9f, 0, vis.c_str()).x;
        char prob[16];
        std::snprintf(prob, sizeof prob, "%.0f%%", 100.0 * t.prob);
        const float pw = small->CalcTextSizeA(ss, 1e9f, 0, prob).x;
        const float w = std::max(tw + 12.0f, pw + 6.0f);
        const ImVec2 p = flow.place(w, starts_word ? 5.0f : 0.0f);
        const bool is_stop = stop_before && i == static_cast<int>(tokens.size()) - 1 && !t.in_opener;
        const bool is_cut = !t.in_opener && !is_stop;
        const ImVec2 a(p.x, p.y), b(p.x + w, p.y + chip_h);
        if (t.in_opener) {
            // Fill strength follows the μLM's confidence.
            dl->AddRectFilled(a, b, with_alpha(palette::teal, 0.18f + 0.5f * static_cast<float>(t.prob)), 5.0f);
            dl->AddRect(a, b, with_alpha(palette::teal, 0.85f), 5.0f);
        } else {
            dl->AddRectFilled(a, b, IM_COL32(255, 255, 255, 10), 5.0f);
            dl->AddRect(a, b, with_alpha(is_cut ? palette::amber : palette::text_faint, 0.7f), 5.0f, 0, 1.0f);
        }
        dl->AddText(body, fs, ImVec2(p.x + (w - tw) * 0.5f, p.y + 4), t.in_opener ? palette::text : palette::text_faint,
                    vis.c_str());
        if (is_cut)
            dl->AddLine(ImVec2(p.x + 4, p.y + chip_h * 0.55f), ImVec2(b.x - 4, p.y + chip_h * 0.55f),
                        with_alpha(palette::amber, 0.9f), 1.5f);
        const char* under = is_stop ? "stop" : is_cut ? "cut" : prob;
        const float uw = small->CalcTextSizeA(ss, 1e9f, 0, under).x;
        const ImU32 ucol = is_cut ? palette::amber : t.prob < 0.05 ? palette::red : palette::text_dim;
        dl->AddText(small, ss, ImVec2(p.x + (w - uw) * 0.5f, p.y + chip_h + 2), ucol, under);
        // Hover target for the alternatives.
        ImGui::SetCursorScreenPos(a);
        ImGui::PushID(i);
        ImGui::InvisibleButton("chip", ImVec2(w, chip_h + ss + 2));
        ImGui::PopID();
        if (ImGui::IsItemHovered() || pinned == i) {
            tooltip_for = i;
            tooltip_at = ImVec2(p.x, p.y + chip_h + ss + 6);
        }
        if (i == last_kept && handoff) draw_handoff();
    }
    if (handoff && last_kept < 0) draw_handoff();  // cloud only, or a fallback opener

    // The cloud's stream as it arrived (the verdict tag first, when the cloud sent one), on what
    // is left of the μLM's last line: the rest is counted; the answer below has it all.
    int cloud_chips = 0, more = 0;
    const int last_line = flow.line();
    const float more_w = small->CalcTextSizeA(ss, 1e9f, 0, "+999 more").x + 10;
    for (const auto& e : turn.timeline().events()) {
        if (e.kind != EventKind::ContinuationToken) continue;
        const std::string vis = utf8_visible(e.text);
        if (vis.empty()) continue;
        const bool tag = e.text.find("[[") != std::string::npos || e.text.find("]]") != std::string::npos;
        const bool starts_word = !e.text.empty() && (e.text[0] == ' ' || e.text[0] == '\n');
        const float tw = body->CalcTextSizeA(fs, 1e9f, 0, vis.c_str()).x;
        const float w = tw + 12.0f;
        if (more > 0 || (flow.line() >= last_line && flow.would_wrap(w + more_w, starts_word ? 5.0f : 0.0f))) {
            ++more;
            continue;
        }
        const ImVec2 p = flow.place(w, starts_word ? 5.0f : 0.0f);
        const ImVec2 a(p.x, p.y), b(p.x + w, p.y + chip_h);
        dl->AddRectFilled(a, b, with_alpha(palette::violet, tag ? 0.08f : 0.30f), 5.0f);
        dl->AddRect(a, b, with_alpha(palette::violet, 0.8f), 5.0f, 0, tag ? 1.5f : 1.0f);
        dl->AddText(body, fs, ImVec2(p.x + 6, p.y + 4), tag ? palette::violet : palette::text, vis.c_str());
        if (tag) dl->AddText(small, ss, ImVec2(p.x + 4, p.y + chip_h + 2), palette::text_dim, "verdict");
        ++cloud_chips;
    }
    if (more > 0) {
        char label[32];
        std::snprintf(label, sizeof label, "+%d more", more);
        const ImVec2 p = flow.place(small->CalcTextSizeA(ss, 1e9f, 0, label).x, 4.0f);
        dl->AddText(small, ss, ImVec2(p.x, p.y + 5), palette::text_dim, label);
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(ImVec2(width, std::max(row_h, flow.height())));
    if (tooltip_for >= 0) alternatives_tooltip(tokens[tooltip_for], tooltip_at, tooltip_for);
}

void draw_transcript(const headstart::Turn* turn, double now_ms, bool running, int pinned_token) {
    const float width = ImGui::GetContentRegionAvail().x;
    if (!turn) {
        ImGui::Dummy(ImVec2(0, 18));
        FontScope f(fonts().heading);
        ImGui::TextColored(to_vec4(palette::text_dim),
                           "Ask a question: the \xC2\xB5LM writes the opener, the cloud continues it.");
        FontScope s(fonts().small);
        ImGui::TextColored(
            to_vec4(palette::text_faint),
            "Token chips show the \xC2\xB5LM's probabilities (hover for alternatives); the answer shows what "
            "the user sees, and how a correction repairs it.");
        return;
    }
    {
        FontScope f(fonts().heading);
        ImGui::TextColored(to_vec4(palette::text_dim), "Q");
        ImGui::SameLine();
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width - 30);
        ImGui::TextUnformatted(turn->question().c_str());
        ImGui::PopTextWrapPos();
    }
    // The path as it fires.
    const headstart::CorrectedAnswer answer = turn->answer();
    const bool cloud_only = turn->config().opener_source == headstart::OpenerSource::None;
    std::string label = cloud_only ? "cloud only" : answer.label();
    const bool decided = turn->verdict().has_value() || answer.gated || turn->cloud_failed() || cloud_only;
    if (turn->cloud_failed()) label = "fallback";
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_dim), "path");
    }
    ImGui::SameLine();
    if (decided) pill(label.c_str(), path_color(label), true);
    else pill(running ? "waiting for the verdict" : "\xE2\x80\x94", palette::text_faint);
    if (decided && !answer.why.empty()) {
        ImGui::SameLine();
        FontScope f(fonts().small);
        ImGui::SetCursorPosY(ImGui::GetCursorPosY() + 3);
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width - 180);
        ImGui::TextColored(to_vec4(palette::text_dim), "%s",
                           turn->cloud_failed() ? turn->failure().c_str() : answer.why.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::Spacing();
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_faint), "TOKENS");
    }
    draw_token_chips(*turn, width - 6, pinned_token);
    ImGui::Spacing();
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_faint), "WHAT THE USER SEES");
    }
    AnswerAnimation anim;
    anim.now_ms = now_ms;
    anim.retract_ms = retract_time_ms(*turn);
    {
        FontScope f(fonts().reading);
        draw_answer(answer_words(*turn), anim, width - 6);
    }
}

}  // namespace ui
