// ui/widgets.cpp — see widgets.h.
#include "ui/widgets.h"

#include <cmath>
#include <cstdio>

#include "ui/theme.h"

namespace ui {

ImVec2 Flow::place(float w, float extra_gap) {
    float x = x_ > 0 ? x_ + gap_ + extra_gap : 0.0f;
    if (x > 0 && x + w > width_) {
        y_ += line_h_;
        x = 0;
    }
    x_ = x + w;
    return ImVec2(origin_.x + x, origin_.y + y_);
}

void Flow::newline() {
    if (x_ > 0) y_ += line_h_;
    x_ = 0;
}

void panel_title(const char* title, const char* subtitle) {
    {
        FontScope f(fonts().heading);
        ImGui::TextUnformatted(title);
    }
    if (subtitle && *subtitle) {
        ImGui::SameLine();
        FontScope f(fonts().small);
        ImGui::SetCursorPosY(ImGui::GetCursorPosY() + 2);
        ImGui::TextColored(to_vec4(palette::text_dim), "%s", subtitle);
    }
}

ImVec2 pill(const char* text, ImU32 color, bool filled) {
    FontScope f(fonts().small);
    const ImVec2 ts = ImGui::CalcTextSize(text);
    const ImVec2 size(ts.x + 14, ts.y + 6);
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), with_alpha(color, filled ? 0.9f : 0.18f), size.y * 0.5f);
    if (!filled) dl->AddRect(p, ImVec2(p.x + size.x, p.y + size.y), with_alpha(color, 0.7f), size.y * 0.5f);
    dl->AddText(ImVec2(p.x + 7, p.y + 3), filled ? IM_COL32(12, 14, 20, 255) : palette::text, text);
    ImGui::Dummy(size);
    return size;
}

void legend_dot(const char* label, ImU32 color) {
    FontScope f(fonts().small);
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = ImGui::GetTextLineHeight();
    ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(p.x + 5, p.y + h * 0.5f + 1), 4.5f, color);
    ImGui::Dummy(ImVec2(12, h));
    ImGui::SameLine(0, 4);
    ImGui::TextColored(to_vec4(palette::text_dim), "%s", label);
}

std::string format_ms(std::optional<double> ms) {
    if (!ms) return "\xE2\x80\x94";
    char buf[32];
    if (std::fabs(*ms) >= 10000) std::snprintf(buf, sizeof buf, "%.1f s", *ms / 1000.0);
    else if (std::fabs(*ms) >= 1000) std::snprintf(buf, sizeof buf, "%.2f s", *ms / 1000.0);
    else std::snprintf(buf, sizeof buf, "%.0f ms", *ms);
    return buf;
}

double nice_step(double span, int target_ticks) {
    if (span <= 0 || target_ticks < 1) return 1.0;
    const double raw = span / target_ticks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / mag;
    const double step = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
    return step * mag;
}

std::string utf8_visible(const std::string& token) {
    std::string out;
    for (char c : token) {
        if (c == '\n') out += "\xE2\x8F\x8E";  // ⏎
        else if (c == '\t') out += ' ';
        else if (c == '\r') continue;
        else out += c;
    }
    // Leading spaces mark a word start; the chip shows it by its gap, so drop them; a token of
    // spaces only becomes a middle dot.
    const size_t first = out.find_first_not_of(' ');
    if (first == std::string::npos) return out.empty() ? out : "\xC2\xB7";
    return out.substr(first);
}

}  // namespace ui
