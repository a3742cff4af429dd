// ui/race_view.cpp — see race_view.h.
#include "ui/race_view.h"

#include <algorithm>
#include <cstdio>

#include "ui/state.h"
#include "ui/theme.h"
#include "ui/transcript.h"
#include "ui/widgets.h"

namespace ui {

using headstart::EventKind;

namespace {

// The turn's clock: the driver's while it runs, else the end of its last event.
double clock_of(const TurnSnapshot& s) {
    if (!s.turn) return s.elapsed_ms;
    const double end = s.turn->timeline().end_ms();
    return s.running ? std::max(s.elapsed_ms, 0.0) : std::max(end, s.elapsed_ms);
}

}  // namespace

std::string RaceView::start(const std::string& question, const Controls& controls, TurnDriver* headstart,
                            TurnDriver* cloud_only) {
    question_ = question;
    headstart_ = TurnSnapshot{};
    cloud_only_ = TurnSnapshot{};
    error_.clear();
    if (!headstart || !cloud_only) {
        started_ = false;
        error_ = "the race needs two drivers (this build has one): it cannot run both turns at once";
        return error_;
    }
    // Back to back, so both clocks start within a millisecond of each other.
    cloud_only->start(controls.request(question, headstart::OpenerSource::None));
    headstart->start(controls.request(question, headstart::OpenerSource::Model));
    started_ = true;
    attached_ = true;
    update(headstart, cloud_only);
    return "";
}

void RaceView::update(TurnDriver* headstart, TurnDriver* cloud_only) {
    if (!attached_ || !headstart || !cloud_only) return;
    headstart_ = headstart->snapshot();
    cloud_only_ = cloud_only->snapshot();
}

bool RaceView::done() const {
    return started_ && !headstart_.running && !cloud_only_.running && headstart_.turn && cloud_only_.turn;
}

void RaceView::draw_side(const TurnSnapshot& snap, bool is_headstart, ImVec2 size) {
    const ImU32 accent = is_headstart ? palette::teal : palette::violet;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(14, 14));
    ImGui::BeginChild(is_headstart ? "##race_headstart" : "##race_cloud_only", size, true,
                      ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_AlwaysUseWindowPadding);
    ImGui::PopStyleVar();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    {
        const ImVec2 o = ImGui::GetWindowPos();
        dl->AddRectFilled(o, ImVec2(o.x + size.x, o.y + 4), accent, 8.0f, ImDrawFlags_RoundCornersTop);
    }
    const float inner = ImGui::GetContentRegionAvail().x;
    {
        FontScope f(fonts().heading);
        ImGui::TextColored(to_vec4(accent), "%s", is_headstart ? "\xC2\xB5LM + cloud" : "cloud only");
    }
    ImGui::SameLine();
    {
        FontScope f(fonts().small);
        ImGui::SetCursorPosY(ImGui::GetCursorPosY() + 2);
        ImGui::TextColored(to_vec4(palette::text_dim), "%s",
                           is_headstart ? "the opener is shown while the cloud works" : "the user waits for the cloud");
    }
    const headstart::Turn* turn = snap.turn.get();
    const double now = clock_of(snap);
    const headstart::TurnMetrics m = turn ? turn->timeline().metrics() : headstart::TurnMetrics{};
    // The big clock: when the first word appeared, or how long the user has been waiting.
    {
        FontScope f(fonts().big);
        if (m.perceived_first_word_ms)
            ImGui::TextColored(to_vec4(palette::text), "%s", format_ms(m.perceived_first_word_ms).c_str());
        else if (snap.running) ImGui::TextColored(to_vec4(palette::text_dim), "%s\xE2\x80\xA6", format_ms(now).c_str());
        else ImGui::TextColored(to_vec4(palette::text_faint), "\xE2\x80\x94");
    }
    {
        FontScope f(fonts().small);
        std::string line = m.perceived_first_word_ms ? "to the first word"
                           : snap.running            ? "waiting \xC2\xB7 nothing to read yet"
                                                     : "";
        if (m.cloud_ttft_ms) line += "  \xC2\xB7  cloud TTFT " + format_ms(m.cloud_ttft_ms);
        if (turn && !snap.running) line += "  \xC2\xB7  done at " + format_ms(turn->timeline().end_ms());
        if (is_headstart && turn && (turn->verdict() || turn->answer().gated))
            line += "  \xC2\xB7  path " + turn->answer().label();
        if (!snap.error.empty()) line = snap.error;
        ImGui::TextColored(to_vec4(snap.error.empty() ? palette::text_dim : palette::red), "%s", line.c_str());
    }
    ImGui::Spacing();
    // The words as the user has seen them so far.
    if (turn) {
        AnswerAnimation anim;
        anim.now_ms = now;
        anim.retract_ms = retract_time_ms(*turn);
        anim.show_queued = false;
        anim.show_cut = false;
        FontScope f(fonts().reading);
        draw_answer(answer_words(*turn), anim, inner);
    }
    ImGui::EndChild();
}

void RaceView::draw_lanes(TimelineView& lanes, double span_ms, ImVec2 size) {
    ImGui::BeginChild("##race_lanes", size, true, ImGuiWindowFlags_NoScrollbar);
    panel_title("What each user sees", "words on screen, ms since the question");
    ImGui::SameLine(ImGui::GetContentRegionAvail().x + ImGui::GetCursorPosX() - 285);
    legend_dot("masked by the opener", palette::teal);
    ImGui::SameLine(0, 12);
    legend_dot("nothing to read", palette::red);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImFont* small = fonts().small ? fonts().small : ImGui::GetFont();
    ImFont* body = fonts().body ? fonts().body : ImGui::GetFont();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float label_w = 120.0f, lane_h = 30.0f, gap = 8.0f;
    const float width = ImGui::GetContentRegionAvail().x;
    TimeAxis axis;
    axis.x0 = o.x + label_w;
    axis.x1 = o.x + width - 14;
    axis.span_ms = span_ms;
    const TurnSnapshot* sides[2] = {&cloud_only_, &headstart_};
    for (int row = 0; row < 2; ++row) {
        const TurnSnapshot& snap = *sides[row];
        const bool is_headstart = row == 1;
        const float y = o.y + row * (lane_h + gap);
        dl->AddCircleFilled(ImVec2(o.x + 6, y + lane_h * 0.5f), 4.5f, is_headstart ? palette::teal : palette::violet);
        dl->AddText(body, body->FontSize, ImVec2(o.x + 16, y + (lane_h - body->FontSize) * 0.5f), palette::text,
                    is_headstart ? "\xC2\xB5LM + cloud" : "cloud only");
        dl->AddRectFilled(ImVec2(axis.x0, y), ImVec2(axis.x1, y + lane_h), palette::lane, 5.0f);
        const headstart::Turn* turn = snap.turn.get();
        if (!turn) continue;
        const auto& tl = turn->timeline();
        const double now = clock_of(snap);
        const auto first = tl.metrics().perceived_first_word_ms;
        if (is_headstart) {
            if (auto masked = tl.masked_span())
                lanes.shade(dl, ImVec2(axis.x(masked->from_ms), y), ImVec2(axis.x(masked->to_ms), y + lane_h),
                            palette::teal_rgb, 0.9f);
            if (auto stall = tl.stall_span())
                lanes.shade(dl, ImVec2(axis.x(stall->from_ms), y), ImVec2(axis.x(stall->to_ms), y + lane_h),
                            palette::red_rgb, 1.0f);
        } else {
            // Cloud only: the whole wait before the first word is blank for the user.
            lanes.shade(dl, ImVec2(axis.x(0), y), ImVec2(axis.x(first ? *first : now), y + lane_h), palette::red_rgb,
                        1.0f);
        }
        for (const auto& e : tl.events()) {
            if (e.kind != EventKind::WordShown) continue;
            const float xa = axis.x(e.t_ms), xb = std::max(xa + 2.0f, axis.x(e.t_ms + e.duration_ms) - 1.0f);
            dl->AddRectFilled(ImVec2(xa, y + 4), ImVec2(xb, y + lane_h - 4), with_alpha(origin_color(e.origin), 0.7f),
                              3.0f);
            dl->PushClipRect(ImVec2(xa, y), ImVec2(xb, y + lane_h), true);
            dl->AddText(small, small->FontSize, ImVec2(xa + 3, y + (lane_h - small->FontSize) * 0.5f), palette::text,
                        e.text.c_str());
            dl->PopClipRect();
        }
        if (first) {  // where the user's first word appeared
            const float x = axis.x(*first);
            dl->AddLine(ImVec2(x, y - 3), ImVec2(x, y + lane_h + 3), palette::text, 2.0f);
        }
        if (snap.running) {
            const float x = axis.x(now);
            dl->AddLine(ImVec2(x, y - 2), ImVec2(x, y + lane_h + 2), IM_COL32(255, 255, 255, 170), 1.0f);
        }
    }
    const float axis_y = o.y + 2 * lane_h + gap + 4;
    axis.draw(dl, axis_y, o.y);
    ImGui::Dummy(ImVec2(width, 2 * lane_h + gap + 26));
    ImGui::EndChild();
}

void RaceView::draw(TimelineView& lanes, ImVec2 size) {
    if (!started_ && error_.empty()) {
        ImGui::Dummy(ImVec2(0, 12));
        FontScope f(fonts().heading);
        ImGui::TextColored(to_vec4(palette::text_dim), "Press Race to ask the question twice, at the same moment:");
        FontScope s(fonts().body);
        ImGui::TextColored(
            to_vec4(palette::text_faint),
            "cloud only (the user waits for the cloud's first token) against \xC2\xB5LM + cloud (the opener "
            "is shown at once and masks the wait).");
        return;
    }
    if (!error_.empty()) {
        ImGui::TextColored(to_vec4(palette::red), "%s", error_.c_str());
        return;
    }
    {
        FontScope f(fonts().heading);
        ImGui::TextColored(to_vec4(palette::text_dim), "Q");
        ImGui::SameLine();
        ImGui::TextUnformatted(question_.c_str());
    }
    double latest = std::max(clock_of(headstart_), clock_of(cloud_only_));
    for (const TurnSnapshot* s : {&headstart_, &cloud_only_})
        if (s->turn) latest = std::max(latest, s->turn->timeline().end_ms());
    const double span = timeline_span_ms(latest);
    const float gap = 12.0f;
    const float banner_h = 34.0f, lanes_h = 136.0f;
    const float side_h = std::max(180.0f, size.y - banner_h - lanes_h - ImGui::GetFrameHeightWithSpacing() - 2 * gap);
    const float side_w = (size.x - gap) * 0.5f;
    draw_side(cloud_only_, false, ImVec2(side_w, side_h));
    ImGui::SameLine(0, gap);
    draw_side(headstart_, true, ImVec2(side_w, side_h));
    ImGui::Dummy(ImVec2(0, gap - ImGui::GetStyle().ItemSpacing.y));
    draw_lanes(lanes, span, ImVec2(size.x, lanes_h));
    // The difference, in one sentence.
    const auto first = [](const TurnSnapshot& s) {
        return s.turn ? s.turn->timeline().metrics().perceived_first_word_ms : std::nullopt;
    };
    const auto fh = first(headstart_), fc = first(cloud_only_);
    ImGui::Spacing();
    FontScope f(fonts().heading);
    if (fh && fc) {
        const double d = *fc - *fh;
        char line[160];
        if (d >= 0)
            std::snprintf(line, sizeof line, "\xC2\xB5LM + cloud showed its first word %s sooner (%s vs %s)",
                          format_ms(d).c_str(), format_ms(fh).c_str(), format_ms(fc).c_str());
        else
            std::snprintf(line, sizeof line, "cloud only showed its first word %s sooner (%s vs %s)",
                          format_ms(-d).c_str(), format_ms(fc).c_str(), format_ms(fh).c_str());
        ImGui::TextColored(to_vec4(d >= 0 ? palette::teal : palette::violet), "%s", line);
    } else if (running()) {
        ImGui::TextColored(to_vec4(palette::text_dim), "racing\xE2\x80\xA6");
    }
}

nlohmann::json RaceView::state() const {
    return {{"started", started_},
            {"running", running()},
            {"done", done()},
            {"question", question_},
            {"error", error_},
            {"headstart", snapshot_state(headstart_)},
            {"cloud_only", snapshot_state(cloud_only_)}};
}

}  // namespace ui
