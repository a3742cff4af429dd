// ui/watch_view.h — the Watch tab: the answer as a watch (or glasses, or a car) gives it, speech first.
//
//   draw_watch()   a round face drawn with ImGui's draw list: the word being heard large in the middle
//                  (the words before it small above), the turn's lanes as rim arcs on one clock —
//                  outer: the μLM writing the opener, middle: the network and the cloud (faint while
//                  waiting, solid while streaming), inner: each word as heard (or shown, when the turn is
//                  not spoken), coloured by origin — a tick at the handoff, and the stall heard below
#pragma once

#include "core/turn.h"
#include "imgui.h"
#include "ui/speaker.h"

namespace ui {

// `now_ms`: the turn's clock (the speaker's own clock is used for what is heard).
void draw_watch(const headstart::Turn* turn, const Speaker& speaker, double now_ms, bool running, ImVec2 size);

}  // namespace ui
