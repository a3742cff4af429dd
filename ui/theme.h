// ui/theme.h — the look shared by every view: one palette, the fonts, the ImGui style.
//
//   palette        μLM teal, cloud violet, fallback amber (the origin colours of core/timeline.h),
//                  plus the stall red, the bridge highlight and the text / panel tones
//   origin_color() the colour of a word or token by where it came from
//   with_alpha()   a palette colour at another opacity
//   Fonts, fonts() body / small / heading / big / reading / huge, set by load_fonts(); ImGui's default font (at
//                  several scales) when no TTF is given, as in the web build
//   load_fonts()   call once, before the first frame (the backend builds the atlas then)
//   apply_style()  rounding, spacing and colours of ImGui's widgets
#pragma once

#include <vector>

#include "core/timeline.h"
#include "imgui.h"

namespace ui {

namespace palette {
constexpr ImU32 teal = IM_COL32(45, 190, 175, 255);     // the μLM on the device
constexpr ImU32 violet = IM_COL32(146, 116, 245, 255);  // the cloud
constexpr ImU32 amber = IM_COL32(242, 169, 59, 255);    // fallback (offline ending, generic opener)
constexpr ImU32 red = IM_COL32(232, 96, 80, 255);       // stall, failure, retraction
constexpr ImU32 bridge = IM_COL32(250, 204, 21, 255);   // the pivot's bridge highlight
constexpr ImU32 text = IM_COL32(228, 234, 242, 255);
constexpr ImU32 text_dim = IM_COL32(148, 160, 178, 255);
constexpr ImU32 text_faint = IM_COL32(98, 108, 126, 255);
constexpr ImU32 panel = IM_COL32(16, 20, 29, 236);
constexpr ImU32 lane = IM_COL32(255, 255, 255, 14);
constexpr ImU32 grid = IM_COL32(255, 255, 255, 26);
// The same as float triples for shaders.
constexpr float teal_rgb[3] = {45 / 255.f, 190 / 255.f, 175 / 255.f};
constexpr float violet_rgb[3] = {146 / 255.f, 116 / 255.f, 245 / 255.f};
constexpr float red_rgb[3] = {232 / 255.f, 96 / 255.f, 80 / 255.f};
}  // namespace palette

ImU32 with_alpha(ImU32 color, float alpha);  // alpha in [0, 1], replaces the colour's own
ImU32 origin_color(headstart::Origin origin);
ImVec4 to_vec4(ImU32 color);

struct Fonts {
    ImFont* body = nullptr;     // 15 px
    ImFont* small = nullptr;    // 12.5 px: probabilities, axis labels
    ImFont* heading = nullptr;  // 16 px bold: panel titles
    ImFont* big = nullptr;      // 28 px bold: the race's clocks, metric values
    ImFont* reading = nullptr;  // 20 px: answers an audience reads (race, study)
    ImFont* huge = nullptr;     // 60 px bold: the word being heard on the watch face
    bool ttf = false;           // a real TTF was loaded (else ImGui's built-in bitmap font)
};
const Fonts& fonts();

// `regular` / `bold`: TTF bytes (kept alive by the caller until ImGui is shut down); empty vectors
// fall back to ImGui's default font. Glyphs: Latin-1, general punctuation (— … “ ”), arrows,
// geometric shapes (● ▶), Greek (μ).
void load_fonts(const std::vector<unsigned char>& regular, const std::vector<unsigned char>& bold);

void apply_style();

// RAII font push (null: the current font stays).
struct FontScope {
    explicit FontScope(ImFont* f) : pushed(f != nullptr) {
        if (pushed) ImGui::PushFont(f);
    }
    ~FontScope() {
        if (pushed) ImGui::PopFont();
    }
    FontScope(const FontScope&) = delete;
    FontScope& operator=(const FontScope&) = delete;
    bool pushed;
};

}  // namespace ui
