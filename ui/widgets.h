// ui/widgets.h — small drawing helpers the views share.
//
//   Flow            places boxes left to right, wrapping at a width (token chips, answer words)
//   panel_title()   a view's title line, with an optional dim subtitle on the right
//   pill()          a rounded label in a colour (path badges, status)
//   legend_dot()    "● μLM" legend entries
//   format_ms()     "38 ms", "1.24 s"; "—" when empty
//   nice_step()     1-2-5 axis step for a span and a tick count
//   utf8_visible()  a token's text made visible for a chip: "⏎" for line breaks, "·" for spaces
#pragma once

#include <optional>
#include <string>

#include "imgui.h"

namespace ui {

class Flow {
public:
    Flow(ImVec2 origin, float width, float line_height, float gap = 4.0f)
        : origin_(origin), width_(width), line_h_(line_height), gap_(gap), x_(0), y_(0) {}
    // Top-left of a box `w` wide, `extra_gap` more pixels after the previous box; wraps first
    // when the box would overflow (a box wider than the line gets a line of its own).
    ImVec2 place(float w, float extra_gap = 0.0f);
    void newline();
    // Whether a box `w` wide would start a new line.
    bool would_wrap(float w, float extra_gap = 0.0f) const { return x_ > 0 && x_ + gap_ + extra_gap + w > width_; }
    int line() const { return static_cast<int>(y_ / line_h_ + 0.5f); }  // 0-based line of the last box
    float height() const { return y_ + (x_ > 0 ? line_h_ : 0.0f); }
    float line_height() const { return line_h_; }

private:
    ImVec2 origin_;
    float width_, line_h_, gap_, x_, y_;
};

void panel_title(const char* title, const char* subtitle = nullptr);
// Draws at the cursor (advances it); returns the pill's size.
ImVec2 pill(const char* text, ImU32 color, bool filled = false);
void legend_dot(const char* label, ImU32 color);

std::string format_ms(std::optional<double> ms);
double nice_step(double span, int target_ticks);
std::string utf8_visible(const std::string& token);

}  // namespace ui
