// ui/theme.cpp — see theme.h.
#include "ui/theme.h"

namespace ui {
namespace {

Fonts g_fonts;  // belongs to ImGui's (global) font atlas, like the fonts themselves

}  // namespace

ImU32 with_alpha(ImU32 c, float alpha) {
    const ImU32 a = static_cast<ImU32>(alpha < 0 ? 0 : alpha > 1 ? 255 : alpha * 255.0f + 0.5f);
    return (c & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

ImU32 origin_color(headstart::Origin origin) {
    switch (origin) {
        case headstart::Origin::Device: return palette::teal;
        case headstart::Origin::Cloud: return palette::violet;
        case headstart::Origin::Fallback: return palette::amber;
    }
    return palette::text;
}

ImVec4 to_vec4(ImU32 c) { return ImGui::ColorConvertU32ToFloat4(c); }

const Fonts& fonts() { return g_fonts; }

void load_fonts(const std::vector<unsigned char>& regular, const std::vector<unsigned char>& bold) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    static const ImWchar kRanges[] = {
        0x0020, 0x00FF,  // Basic Latin + Latin-1 (µ is U+00B5)
        0x0100, 0x017F,  // Latin Extended-A
        0x0370, 0x03FF,  // Greek (μ U+03BC)
        0x2000, 0x206F,  // General Punctuation: — – … “ ” ‘ ’ •
        0x2190, 0x21FF,  // Arrows
        0x2200, 0x22FF,  // Mathematical operators (≈ ≤ ≥)
        0x2300, 0x23FF,  // Misc technical (⏎)
        0x25A0, 0x25FF,  // Geometric shapes (● ▶ ■)
        0x2700, 0x27BF,  // Dingbats (✓ ✗)
        0,
    };
    g_fonts = Fonts{};
    if (!regular.empty()) {
        ImFontConfig cfg;
        cfg.FontDataOwnedByAtlas = false;  // the caller keeps the bytes
        cfg.OversampleH = 2;
        cfg.PixelSnapH = false;
        void* data = const_cast<unsigned char*>(regular.data());
        const int size = static_cast<int>(regular.size());
        const std::vector<unsigned char>& b = bold.empty() ? regular : bold;
        void* bdata = const_cast<unsigned char*>(b.data());
        const int bsize = static_cast<int>(b.size());
        g_fonts.body = io.Fonts->AddFontFromMemoryTTF(data, size, 15.0f, &cfg, kRanges);
        g_fonts.small = io.Fonts->AddFontFromMemoryTTF(data, size, 12.5f, &cfg, kRanges);
        g_fonts.heading = io.Fonts->AddFontFromMemoryTTF(bdata, bsize, 16.0f, &cfg, kRanges);
        g_fonts.big = io.Fonts->AddFontFromMemoryTTF(bdata, bsize, 28.0f, &cfg, kRanges);
        g_fonts.reading = io.Fonts->AddFontFromMemoryTTF(data, size, 20.0f, &cfg, kRanges);
        g_fonts.huge = io.Fonts->AddFontFromMemoryTTF(bdata, bsize, 60.0f, &cfg, kRanges);
        g_fonts.ttf = g_fonts.body && g_fonts.small && g_fonts.heading && g_fonts.big && g_fonts.reading && g_fonts.huge;
    }
    if (!g_fonts.ttf) {
        io.Fonts->Clear();
        ImFontConfig cfg;
        cfg.SizePixels = 13.0f;
        g_fonts.body = io.Fonts->AddFontDefault(&cfg);
        g_fonts.small = g_fonts.body;
        g_fonts.heading = g_fonts.body;
        cfg.SizePixels = 26.0f;
        g_fonts.big = io.Fonts->AddFontDefault(&cfg);
        cfg.SizePixels = 19.5f;
        g_fonts.reading = io.Fonts->AddFontDefault(&cfg);
        cfg.SizePixels = 52.0f;
        g_fonts.huge = io.Fonts->AddFontDefault(&cfg);
    }
    io.FontDefault = g_fonts.body;
}

void apply_style() {
    ImGui::StyleColorsDark();
    ImGuiStyle& s = ImGui::GetStyle();
    s.WindowRounding = 10.0f;
    s.ChildRounding = 8.0f;
    s.FrameRounding = 6.0f;
    s.PopupRounding = 8.0f;
    s.GrabRounding = 6.0f;
    s.TabRounding = 6.0f;
    s.ScrollbarRounding = 8.0f;
    s.WindowBorderSize = 1.0f;
    s.FrameBorderSize = 0.0f;
    s.WindowPadding = ImVec2(14, 12);
    s.FramePadding = ImVec2(9, 5);
    s.ItemSpacing = ImVec2(8, 7);
    s.ItemInnerSpacing = ImVec2(6, 5);
    s.ScrollbarSize = 11.0f;
    s.GrabMinSize = 10.0f;
    ImVec4* c = s.Colors;
    c[ImGuiCol_Text] = to_vec4(palette::text);
    c[ImGuiCol_TextDisabled] = to_vec4(palette::text_dim);
    c[ImGuiCol_WindowBg] = to_vec4(palette::panel);
    c[ImGuiCol_ChildBg] = ImVec4(1, 1, 1, 0.025f);
    c[ImGuiCol_PopupBg] = ImVec4(0.07f, 0.08f, 0.12f, 0.97f);
    c[ImGuiCol_Border] = ImVec4(1, 1, 1, 0.08f);
    c[ImGuiCol_FrameBg] = ImVec4(1, 1, 1, 0.06f);
    c[ImGuiCol_FrameBgHovered] = ImVec4(1, 1, 1, 0.10f);
    c[ImGuiCol_FrameBgActive] = ImVec4(1, 1, 1, 0.14f);
    const ImVec4 teal = to_vec4(palette::teal), violet = to_vec4(palette::violet);
    c[ImGuiCol_TitleBg] = ImVec4(0.06f, 0.08f, 0.11f, 1);
    c[ImGuiCol_TitleBgActive] = ImVec4(0.08f, 0.11f, 0.15f, 1);
    c[ImGuiCol_CheckMark] = teal;
    c[ImGuiCol_SliderGrab] = ImVec4(teal.x, teal.y, teal.z, 0.85f);
    c[ImGuiCol_SliderGrabActive] = teal;
    c[ImGuiCol_Button] = ImVec4(teal.x, teal.y, teal.z, 0.22f);
    c[ImGuiCol_ButtonHovered] = ImVec4(teal.x, teal.y, teal.z, 0.45f);
    c[ImGuiCol_ButtonActive] = ImVec4(teal.x, teal.y, teal.z, 0.65f);
    c[ImGuiCol_Header] = ImVec4(violet.x, violet.y, violet.z, 0.22f);
    c[ImGuiCol_HeaderHovered] = ImVec4(violet.x, violet.y, violet.z, 0.38f);
    c[ImGuiCol_HeaderActive] = ImVec4(violet.x, violet.y, violet.z, 0.5f);
    c[ImGuiCol_Tab] = ImVec4(1, 1, 1, 0.05f);
    c[ImGuiCol_TabHovered] = ImVec4(teal.x, teal.y, teal.z, 0.45f);
    c[ImGuiCol_TabActive] = ImVec4(teal.x, teal.y, teal.z, 0.32f);
    c[ImGuiCol_Separator] = ImVec4(1, 1, 1, 0.09f);
    c[ImGuiCol_PlotHistogram] = teal;
    c[ImGuiCol_TableHeaderBg] = ImVec4(1, 1, 1, 0.05f);
    c[ImGuiCol_TableBorderLight] = ImVec4(1, 1, 1, 0.06f);
    c[ImGuiCol_TableBorderStrong] = ImVec4(1, 1, 1, 0.10f);
    c[ImGuiCol_TableRowBgAlt] = ImVec4(1, 1, 1, 0.025f);
}

}  // namespace ui
