// ui/metrics_view.cpp — see metrics_view.h.
#include "ui/metrics_view.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "ui/theme.h"
#include "ui/transcript.h"
#include "ui/widgets.h"

namespace ui {
namespace {

constexpr float kValuePx = 23.0f;  // metric values, drawn from the big font

struct Card {
    const char* label;
    std::string value;
    const char* note;
    ImU32 accent;
};

void draw_card(const Card& c, ImVec2 size) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), IM_COL32(255, 255, 255, 10), 7.0f);
    dl->AddRectFilled(p, ImVec2(p.x + 3, p.y + size.y), with_alpha(c.accent, 0.9f), 2.0f);
    ImFont* small = fonts().small ? fonts().small : ImGui::GetFont();
    ImFont* big = fonts().big ? fonts().big : ImGui::GetFont();
    dl->AddText(small, small->FontSize, ImVec2(p.x + 11, p.y + 7), palette::text_dim, c.label);
    float vs = std::min(kValuePx, size.y - small->FontSize * 2 - 12);
    // A long value (a path like "gate+rewrite") shrinks to fit its card.
    const float vw = big->CalcTextSizeA(vs, 1e9f, 0, c.value.c_str()).x;
    if (vw > size.x - 18) vs = std::max(small->FontSize, vs * (size.x - 18) / vw);
    dl->PushClipRect(p, ImVec2(p.x + size.x - 4, p.y + size.y), true);
    dl->AddText(big, vs, ImVec2(p.x + 11, p.y + 8 + small->FontSize + (kValuePx - vs) * 0.5f), palette::text,
                c.value.c_str());
    dl->PopClipRect();
    if (c.note)
        dl->AddText(small, small->FontSize, ImVec2(p.x + 11, p.y + size.y - small->FontSize - 6), palette::text_faint,
                    c.note);
    ImGui::Dummy(size);
}

}  // namespace

float card_height() { return kValuePx + 2 * (fonts().small ? fonts().small->FontSize : 13.0f) + 18; }

float metrics_height(float width) {
    const int rows = width > 520 ? 2 : 4;
    return rows * (card_height() + ImGui::GetStyle().ItemSpacing.y);
}

void draw_metrics(const headstart::Turn* turn, float width, const headstart::SpeechTrack* heard) {
    headstart::TurnMetrics m;
    std::string path = "\xE2\x80\x94";
    if (turn) {
        m = turn->timeline().metrics();
        const bool cloud_only = turn->config().opener_source == headstart::OpenerSource::None;
        if (cloud_only) path = "cloud only";
        else if (turn->cloud_failed()) path = "fallback";
        else if (turn->verdict() || turn->answer().gated) path = turn->answer().label();
    }
    const auto opt = [](double v, bool have) { return have ? std::optional<double>(v) : std::nullopt; };
    const bool cloud_asked = turn && turn->timeline().first(headstart::EventKind::CloudRequestSent);
    char words[16];
    std::snprintf(words, sizeof words, "%d", m.words_before_cloud);
    // How much of the prompt the μLM had read before the question was sent (typed ahead).
    char ttft_note[64] = "question \xE2\x86\x92 first \xC2\xB5LM token";
    if (turn && turn->prompt_reused() > 0)
        std::snprintf(ttft_note, sizeof ttft_note, "%d of %d prompt tokens read ahead", turn->prompt_reused(),
                      turn->prompt_tokens());
    // Heard: the first word and the stall as they played.
    std::optional<double> heard_first, heard_stall;
    bool heard_cloud = false;
    if (heard) {
        if (!heard->words.empty()) heard_first = heard->words.front().start_ms;
        for (const auto& w : heard->words) heard_cloud |= w.origin == headstart::Origin::Cloud;
        if (heard_cloud) heard_stall = heard->handoff_silence_ms;
    }
    Card first_word{"perceived first word", format_ms(m.perceived_first_word_ms), "question \xE2\x86\x92 first word shown",
                    palette::text};
    Card stall{"stall", format_ms(opt(m.stall_ms, cloud_asked)), "silence at the handoff",
               m.stall_ms > 0 ? palette::red : palette::text_faint};
    if (heard) {
        first_word = {"first word heard", format_ms(heard_first), "question \xE2\x86\x92 its sound plays", palette::text};
        stall = {"stall (heard)", format_ms(heard_stall), "silence at the handoff, as played",
                 heard_stall && *heard_stall > 300 ? palette::red : palette::teal};
    }
    const Card cards[] = {
        {"local TTFT", format_ms(m.local_ttft_ms), ttft_note, palette::teal},
        {"time to 4 words", format_ms(m.time_to_4_words_ms), "\xC2\xB5LM writes 4 words", palette::teal},
        {"cloud TTFT", format_ms(m.cloud_ttft_ms), "request \xE2\x86\x92 first cloud token", palette::violet},
        first_word,
        {"masked", format_ms(opt(m.masked_ms, cloud_asked)), "cloud wait hidden by the opener", palette::teal},
        stall,
        {"words before cloud", cloud_asked ? words : "\xE2\x80\x94", "opener words shown first", palette::teal},
        {"path", path, "correction that fired", path_color(path)},
    };
    const int cols = width > 520 ? 4 : 2;
    const float gap = 8.0f;
    const float cw = (width - gap * (cols - 1)) / cols;
    const float ch = card_height();
    for (int i = 0; i < 8; ++i) {
        if (i % cols) ImGui::SameLine(0, gap);
        draw_card(cards[i], ImVec2(cw, ch));
    }
}

}  // namespace ui
