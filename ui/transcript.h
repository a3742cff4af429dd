// ui/transcript.h — the turn as text: the μLM's token chips and the answer the user sees.
//
//   answer_words()      the CorrectedAnswer as words, each with its style (normal, bridge, struck,
//                       cut), origin and whether (and when) the presenter has shown it
//   AnswerAnimation     the clock the answer is drawn at: words fade in as they are shown, a
//                       retraction's strike-through grows from the verdict's time
//   draw_answer()       the answer flowing over lines: μLM words teal, cloud words violet-white,
//                       fallback amber; the pivot's bridge highlighted; gate-cut words greyed and
//                       crossed; a rewrite's opener struck through; words not shown yet as ghosts
//   draw_token_chips()  one chip per μLM token (probability under it, top alternatives on hover
//                       or when pinned), the handoff marker, then the cloud's streamed pieces
//   draw_transcript()   the panel: path badge and why, the chips, the answer, a legend
//   path_color()        the colour of a correction path label ("gate+pivot" -> the pivot's)
#pragma once

#include <string>
#include <vector>

#include "core/turn.h"
#include "imgui.h"

namespace ui {

struct AnswerWord {
    std::string text;
    headstart::SegmentStyle style = headstart::SegmentStyle::Normal;
    headstart::Origin origin = headstart::Origin::Device;
    bool shown = false;
    double shown_ms = 0.0;  // when the presenter showed it (if shown)
};

std::vector<AnswerWord> answer_words(const headstart::Turn& turn);

struct AnswerAnimation {
    double now_ms = 1e12;       // the turn's clock; far future: everything settled
    double retract_ms = -1.0;   // when a rewrite verdict arrived (< 0: none)
    bool show_queued = true;    // draw words not shown yet as ghosts
    bool as_user_sees = false;  // plain: no origin colours, no bridge highlight, no cut or queued words
    bool show_cut = true;       // the gate's cut words, greyed and crossed
};

// Draws at the cursor, `width` wide; advances the cursor past the text.
void draw_answer(const std::vector<AnswerWord>& words, const AnswerAnimation& anim, float width);

// Draws at the cursor; `pinned` (>= 0) shows that chip's alternatives without hovering.
void draw_token_chips(const headstart::Turn& turn, float width, int pinned);

void draw_transcript(const headstart::Turn* turn, double now_ms, bool running, int pinned_token);

ImU32 path_color(const std::string& label);

// When the turn's rewrite verdict arrived (for AnswerAnimation), or -1.
double retract_time_ms(const headstart::Turn& turn);

}  // namespace ui
