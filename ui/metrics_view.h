// ui/metrics_view.h — the turn's numbers (TurnMetrics of core/timeline.h) as cards.
//
//   draw_metrics()   local TTFT, time to 4 words, cloud TTFT, perceived first word, masked ms,
//                    stall ms, words before the cloud, and the correction path, in a grid that
//                    fills the width it is given; empty values show "—" while the turn runs. A spoken
//                    turn (`heard`, ui/speaker.h) shows the first word heard and the stall heard: the
//                    silence at the handoff in the audio that played
#pragma once

#include "core/speech.h"
#include "core/turn.h"

namespace ui {

void draw_metrics(const headstart::Turn* turn, float width, const headstart::SpeechTrack* heard = nullptr);
float metrics_height(float width);  // what draw_metrics() takes at that width

}  // namespace ui
