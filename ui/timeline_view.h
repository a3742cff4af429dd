// ui/timeline_view.h — the turn on a clock: three lanes with a time axis in ms.
//
//   lanes        device μLM       prefill, opener tokens (height = probability), handoff
//                network + cloud  request sent, waiting, first byte, streamed tokens, verdict, done
//                user sees/hears  each shown word as a block over its slot, coloured by origin; when
//                                 the turn is spoken, each word as it played (ui/speaker.h) and the
//                                 silence at the handoff in the played audio
//   shading      the masked latency (Timeline::masked_span) across the cloud and user lanes, and
//                any stall (Timeline::stall_span) on the user lane, drawn by the GLSL shader
//                shaders/lane_shade.frag.glsl inside ImGui's draw list (ImDrawList::AddCallback);
//                plain fills when the shader did not build
//   TimeAxis     maps ms to x, draws ticks with "ms" labels (shared with the race view)
//   TimelineView owns the shader and the per-frame callback payloads: begin_frame() each frame
//                before drawing, shade() for any view that wants a shaded span
#pragma once

#include <deque>
#include <string>

#include "core/speech.h"
#include "core/turn.h"
#include "imgui.h"
#include "ui/shader.h"

namespace ui {

struct TimeAxis {
    float x0 = 0, x1 = 1;  // screen x of 0 ms and span_ms
    double span_ms = 1000;
    float x(double t_ms) const;
    // Ticks from y down (labels under them); faint grid lines from grid_top to y.
    void draw(ImDrawList* dl, float y, float grid_top) const;
};

// A span to show: at least 1 s, rounded up to a whole axis step.
double timeline_span_ms(double latest_ms);

class TimelineView {
public:
    // Builds the shading shader (GL context current). False: plain fills, error() says why.
    bool init_graphics();
    bool shader_ok() const { return shader_.ok(); }
    const std::string& error() const { return shader_.error(); }

    // Once per frame, before any draw: the previous frame's callback payloads are released.
    void begin_frame(double time_s);

    // The three lanes, filling `size` at the cursor. `now_ms`: the turn's clock (a cursor while
    // running). `heard`: the turn as it played (the user lane shows it instead of the shown words).
    void draw(const headstart::Turn* turn, double now_ms, bool running, ImVec2 size,
              const headstart::SpeechTrack* heard = nullptr);

    // Shades the screen rectangle [a, b] in `rgb` with the lane shader (or a plain fill).
    void shade(ImDrawList* dl, ImVec2 a, ImVec2 b, const float rgb[3], float alpha);
    int shaded_spans() const { return shaded_this_frame_; }  // spans shaded in the latest frame

private:
    struct ShadeCall {
        const TimelineView* view;
        ImVec2 a, b;
        float rgb[3];
        float alpha;
    };
    static void on_draw(const ImDrawList* list, const ImDrawCmd* cmd);

    ShaderQuad shader_;
    std::deque<ShadeCall> calls_;  // stable addresses until the frame is rendered
    double time_s_ = 0;
    int shaded_this_frame_ = 0;
};

}  // namespace ui
