// ui/app.cpp — see app.h.
//
// Map of this file:
//   ask(), race()          a turn / a race from the question box, the presets or a script
//   frame()                one frame: drivers polled, the voice fed, read-ahead, backdrop, top bar,
//                          sidebar, tab
//   update_speech()        the live turn's words to the Speaker, on the turn's clock read now
//   preread_typed()        the question's finished words into the μLM's KV cache while typing
//   draw_top_bar() ...     the layout: top bar (question, presets), sidebar (controls), the tabs
//   scripting              set_control(), show_view(), condition(), study_command()
//   state                  state_json(): the app's own fields + ui/state.h's turn fields
#include "ui/app.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/prompt_cache.h"
#include "core/words.h"
#include "imgui.h"
#include "shaders_embedded.h"
#include "ui/metrics_view.h"
#include "ui/state.h"
#include "ui/theme.h"
#include "ui/transcript.h"
#include "ui/watch_view.h"
#include "ui/widgets.h"

namespace ui {
namespace {

constexpr float kDevice[3] = {0.06f, 0.25f, 0.28f};  // backdrop: deep teal (the device) ...
constexpr float kCloud[3] = {0.15f, 0.10f, 0.30f};   // ... to deep violet (the cloud)
constexpr float kMargin = 12.0f;
constexpr float kTopBarH = 60.0f;
constexpr float kSidebarW = 300.0f;
constexpr ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                         ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;

// The turn's clock for drawing: the driver's while it runs, else the end of its last event.
double turn_clock_ms(const TurnSnapshot& s) {
    if (!s.turn) return s.elapsed_ms;
    return s.running ? s.elapsed_ms : std::max(s.elapsed_ms, s.turn->timeline().end_ms());
}

const char* view_name(App::View v) {
    switch (v) {
        case App::View::Live: return "live";
        case App::View::Watch: return "watch";
        case App::View::Race: return "race";
        case App::View::Study: return "study";
    }
    return "live";
}

}  // namespace

App::App(AppInfo info, TurnDriver* driver) : info_(std::move(info)), driver_(driver) {}

void App::load_fonts(std::vector<unsigned char> regular, std::vector<unsigned char> bold) {
    font_regular_ = std::move(regular);
    font_bold_ = std::move(bold);
    ui::load_fonts(font_regular_, font_bold_);
}

void App::ask(const std::string& question) {
    if (!driver_) return;
    if (drivers_busy_with_study()) {
        notice_ = "a study pair is being prepared";
        return;
    }
    std::snprintf(question_, sizeof question_, "%s", question.c_str());
    race_.detach();  // the race keeps its last picture; the driver is the live turn's now
    driver_->start(controls_.request(question, headstart::OpenerSource::Model));
    speaker_->begin_turn(controls_.speech_settings());
    notice_.clear();
    if (view_ != View::Live && view_ != View::Watch) select_view_ = View::Live;
}

std::string App::race(const std::string& question_or_empty) {
    if (drivers_busy_with_study()) return notice_ = "a study pair is being prepared";
    const std::string question = question_or_empty.empty() ? std::string(question_) : question_or_empty;
    std::snprintf(question_, sizeof question_, "%s", question.c_str());
    speaker_->stop();  // the race's turns are read, not heard
    select_view_ = View::Race;
    notice_ = race_.start(question, controls_, driver_, cloud_only_driver_);
    return notice_;
}

bool App::init_graphics() {
    if (!lanes_.init_graphics()) error_ = lanes_.error();
    if (!backdrop_.build(shaders::fullscreen_vert_glsl, shaders::backdrop_frag_glsl)) {
        error_ = backdrop_.error();
        return false;
    }
    return error_.empty();
}

void App::render_backdrop(int w, int h) {
    fb_w_ = w;
    fb_h_ = h;
    if (!backdrop_.ok()) {
        glClearColor(kDevice[0], kDevice[1], kDevice[2], 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        return;
    }
    backdrop_.begin({0, 0, w, h});
    backdrop_.uniform("u_resolution", static_cast<float>(w), static_cast<float>(h));
    backdrop_.uniform("u_time", static_cast<float>(time_s_));
    backdrop_.uniform("u_device", kDevice[0], kDevice[1], kDevice[2]);
    backdrop_.uniform("u_cloud", kCloud[0], kCloud[1], kCloud[2]);
    backdrop_.draw();
}

void App::frame(float dt) {
    // Headless browsers with virtual time can report a zero or negative delta.
    time_s_ += std::max(0.0f, dt);
    ++frames_;
    if (!style_applied_) {
        apply_style();
        style_applied_ = true;
    }
    lanes_.begin_frame(time_s_);
    if (driver_) {
        driver_->poll();
        snapshot_ = driver_->snapshot();
    }
    if (cloud_only_driver_) cloud_only_driver_->poll();
    update_speech();
    if (study_.owns_drivers()) race_.detach();  // the study's hidden turns are not a race
    race_.update(driver_, cloud_only_driver_);
    study_.update({driver_, cloud_only_driver_, &controls_}, time_s_);
    // The latency-aware opener policy sizes the opener by the cloud latency last measured.
    if (snapshot_.turn && !snapshot_.running)
        if (auto ttft = snapshot_.turn->timeline().metrics().cloud_ttft_ms) controls_.measured_cloud_ttft_ms = ttft;

    draw_top_bar();
    draw_sidebar();
    draw_main();
    preread_typed();
}

void App::update_speech() {
    if (!speaker_->active() || !driver_) return;
    if (study_.owns_drivers()) return speaker_->stop();
    // A fresh snapshot: its elapsed_ms is the turn's clock read now, so the voice's clock is set
    // from the same instant (the frame's snapshot can be a frame old).
    const TurnSnapshot s = driver_->snapshot();
    if (!s.turn) return;  // the μLM is loading: the turn's clock has not started
    if (!speaker_->has_turn_clock()) speaker_->set_turn_clock(s.elapsed_ms);
    speaker_->update(s.turn->arrived_words(), !s.running);
}

void App::preread_typed() {
    // A pause this long after the last edit counts as "the last word is done" too.
    constexpr double kTypingPauseS = 0.35;
    const std::string text = question_;
    if (text != typed_) {
        typed_ = text;
        typed_at_s_ = time_s_;
    }
    if (!driver_ || snapshot_.running || drivers_busy_with_study()) return;
    const bool paused = time_s_ - typed_at_s_ >= kTypingPauseS;
    std::string key(paused ? headstart::trim_spaces(text) : headstart::finished_words(text));
    if (paused) key += '\x01';  // the whole question, not just its finished words
    if (key == preread_key_) return;
    TurnRequest r = controls_.request(text, headstart::OpenerSource::Model);
    r.typing_paused = paused;
    if (driver_->preread(r)) preread_key_ = key;  // else again on the next frame
}

void App::draw_top_bar() {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + kMargin, vp->Pos.y + kMargin));
    ImGui::SetNextWindowSize(ImVec2(vp->Size.x - 2 * kMargin, kTopBarH));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(16, 0));
    ImGui::Begin("##top", nullptr, kPanelFlags);
    ImGui::PopStyleVar();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 wp = ImGui::GetWindowPos();
    // Brand: a two-tone mark and the name.
    {
        const float cy = wp.y + kTopBarH * 0.5f;
        dl->AddCircleFilled(ImVec2(wp.x + 26, cy), 9.0f, palette::teal);
        dl->AddCircleFilled(ImVec2(wp.x + 40, cy), 9.0f, with_alpha(palette::violet, 0.9f));
        ImGui::SetCursorPos(ImVec2(58, (kTopBarH - (fonts().big ? fonts().big->FontSize : 26.0f)) * 0.5f - 1));
        FontScope f(fonts().big);
        ImGui::TextUnformatted("Headstart");
    }
    ImGui::SameLine(0, 22);
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(12, 9));
    const float frame_h = ImGui::GetFontSize() + 18;
    ImGui::SetCursorPosY((kTopBarH - frame_h) * 0.5f);
    const float right_w = 250.0f;
    const float buttons_w = 36 + 82 + 82 + 3 * 8;
    const float input_w = std::max(200.0f, ImGui::GetContentRegionAvail().x - buttons_w - right_w);
    ImGui::SetNextItemWidth(input_w);
    const bool enter = ImGui::InputTextWithHint("##question", "Ask anything\xE2\x80\xA6", question_, sizeof question_,
                                                ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine(0, 8);
    if (ImGui::Button("\xE2\x96\xBE", ImVec2(36, 0))) ImGui::OpenPopup("presets");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("preset questions");
    if (ImGui::BeginPopup("presets")) {
        for (const std::string& q : preset_questions())
            if (ImGui::Selectable(q.c_str())) std::snprintf(question_, sizeof question_, "%s", q.c_str());
        ImGui::EndPopup();
    }
    ImGui::SameLine(0, 8);
    const bool busy = drivers_busy_with_study();
    ImGui::BeginDisabled(busy || !driver_);
    if ((ImGui::Button("Ask", ImVec2(82, 0)) || enter) && driver_) ask(question_);
    ImGui::SameLine(0, 8);
    {
        const ImVec4 v = to_vec4(palette::violet);
        ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(v.x, v.y, v.z, 0.28f));
        ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImVec4(v.x, v.y, v.z, 0.5f));
        ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImVec4(v.x, v.y, v.z, 0.7f));
        if (ImGui::Button("Race", ImVec2(82, 0))) race(question_);
        ImGui::PopStyleColor(3);
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip("the same question as cloud only and \xC2\xB5LM + cloud, at once");
    }
    ImGui::EndDisabled();
    ImGui::PopStyleVar();
    // Status, right-aligned.
    {
        std::string status = snapshot_.status.empty() ? "ready" : snapshot_.status;
        ImU32 color = palette::text_dim;
        if (!snapshot_.error.empty()) status = snapshot_.error, color = palette::red;
        else if (!notice_.empty()) status = notice_, color = palette::amber;
        else if (!speaker_->status().empty() && snapshot_.turn)  // the reason in short; all of it on hover
            status = speaker_->status().substr(0, speaker_->status().find(" (")) + " \xC2\xB7 " + status,
            color = palette::amber;
        else if (snapshot_.running)
            color = snapshot_.turn && snapshot_.turn->phase() == headstart::TurnPhase::Opener ? palette::teal
                                                                                              : palette::violet;
        FontScope f(fonts().small);
        const float max_w = right_w - 24;
        std::string shown = status;
        while (shown.size() > 4 && ImGui::CalcTextSize(shown.c_str()).x > max_w - 20)
            shown = shown.substr(0, shown.size() - 4) + "\xE2\x80\xA6";
        const ImVec2 ts = ImGui::CalcTextSize(shown.c_str());
        const float x = wp.x + ImGui::GetWindowWidth() - ts.x - 34, cy = wp.y + kTopBarH * 0.5f;
        if (snapshot_.running) {
            const float pulse = 0.55f + 0.45f * static_cast<float>(0.5 + 0.5 * std::sin(time_s_ * 6.0));
            dl->AddCircleFilled(ImVec2(x - 10, cy), 4.5f, with_alpha(color, pulse));
        } else {
            dl->AddCircleFilled(ImVec2(x - 10, cy), 4.5f, with_alpha(color, 0.8f));
        }
        dl->AddText(ImVec2(x, cy - ts.y * 0.5f), snapshot_.running ? palette::text : color, shown.c_str());
        if (ImGui::IsMouseHoveringRect(ImVec2(x - 16, cy - ts.y), ImVec2(x + ts.x, cy + ts.y)) &&
            (shown != status || !speaker_->status().empty()))
            ImGui::SetTooltip("%s%s%s", status.c_str(), speaker_->status().empty() ? "" : "\n",
                              speaker_->status().c_str());
    }
    ImGui::End();
}

void App::draw_sidebar() {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float top = kMargin * 2 + kTopBarH;
    ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + kMargin, vp->Pos.y + top));
    ImGui::SetNextWindowSize(ImVec2(kSidebarW, vp->Size.y - top - kMargin));
    ImGui::Begin("##controls", nullptr, kPanelFlags & ~ImGuiWindowFlags_NoScrollbar);
    panel_title("Controls", "next turn");
    controls_.draw(driver_ ? driver_->models() : std::vector<ModelChoice>{});
    ImGui::Spacing();
    ImGui::Separator();
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_faint), "%s \xC2\xB7 %.0f fps", info_.platform.c_str(),
                           ImGui::GetIO().Framerate);
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(to_vec4(palette::text_faint), "%s", info_.gl_version.c_str());
        if (!error_.empty()) ImGui::TextColored(to_vec4(palette::red), "%s", error_.c_str());
        if (!speaker_->status().empty()) ImGui::TextColored(to_vec4(palette::amber), "%s", speaker_->status().c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::End();
}

void App::draw_main() {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float top = kMargin * 2 + kTopBarH, left = kMargin * 2 + kSidebarW;
    ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + left, vp->Pos.y + top));
    ImGui::SetNextWindowSize(ImVec2(vp->Size.x - left - kMargin, vp->Size.y - top - kMargin));
    ImGui::Begin("##main", nullptr, kPanelFlags);
    if (ImGui::BeginTabBar("##views")) {
        const View views[] = {View::Live, View::Watch, View::Race, View::Study};
        const char* labels[] = {"  Live turn  ", "  Watch  ", "  Race: cloud only vs \xC2\xB5LM + cloud  ", "  Study  "};
        for (int i = 0; i < 4; ++i) {
            ImGuiTabItemFlags flags = select_view_ && *select_view_ == views[i] ? ImGuiTabItemFlags_SetSelected : 0;
            if (ImGui::BeginTabItem(labels[i], nullptr, flags)) {
                view_ = views[i];
                const ImVec2 size = ImGui::GetContentRegionAvail();
                switch (views[i]) {
                    case View::Live: draw_live(size); break;
                    case View::Watch:
                        draw_watch(snapshot_.turn.get(), *speaker_, turn_clock_ms(snapshot_), snapshot_.running, size);
                        break;
                    case View::Race: race_.draw(lanes_, size); break;
                    case View::Study: study_.draw({driver_, cloud_only_driver_, &controls_}, time_s_, size); break;
                }
                ImGui::EndTabItem();
            }
        }
        ImGui::EndTabBar();
    }
    select_view_.reset();
    ImGui::End();
}

void App::draw_live(ImVec2 size) {
    const headstart::Turn* turn = snapshot_.turn.get();
    const double now = turn_clock_ms(snapshot_);
    const float gap = 10.0f;
    const float metrics_h = metrics_height(size.x);
    const float timeline_h = 178.0f;
    const float transcript_h = std::max(150.0f, size.y - metrics_h - timeline_h - 2 * gap - 4);

    ImGui::BeginChild("##transcript", ImVec2(size.x, transcript_h), true);
    panel_title("Transcript",
                "\xC2\xB5LM tokens \xE2\x86\x92 handoff \xE2\x86\x92 cloud; the answer as the user sees it");
    ImGui::SameLine(ImGui::GetContentRegionAvail().x + ImGui::GetCursorPosX() - 290);
    legend_dot("\xC2\xB5LM", palette::teal);
    ImGui::SameLine(0, 12);
    legend_dot("cloud", palette::violet);
    ImGui::SameLine(0, 12);
    legend_dot("fallback", palette::amber);
    ImGui::SameLine(0, 12);
    legend_dot("bridge", palette::bridge);
    ImGui::Separator();
    draw_transcript(turn, now, snapshot_.running, pinned_token_);
    ImGui::EndChild();

    ImGui::Dummy(ImVec2(0, gap - ImGui::GetStyle().ItemSpacing.y));
    ImGui::BeginChild("##timeline", ImVec2(size.x, timeline_h), true, ImGuiWindowFlags_NoScrollbar);
    panel_title("Timeline", "ms since the question");
    ImGui::SameLine(ImGui::GetContentRegionAvail().x + ImGui::GetCursorPosX() - 200);
    legend_dot("masked latency", palette::teal);
    ImGui::SameLine(0, 12);
    legend_dot("stall", palette::red);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const bool heard = speaker_->active() && turn;
    const double voice_now = heard && speaker_->has_turn_clock() ? speaker_->turn_now_ms() : now;
    lanes_.draw(turn, heard ? std::max(now, voice_now) : now, snapshot_.running || (heard && !speaker_->done()),
                ImVec2(avail.x, avail.y - 2), heard ? &speaker_->heard() : nullptr);
    ImGui::EndChild();

    ImGui::Dummy(ImVec2(0, gap - ImGui::GetStyle().ItemSpacing.y));
    draw_metrics(turn, size.x, heard ? &speaker_->heard() : nullptr);
}

// ---- scripting ----------------------------------------------------------------------------

std::string App::set_control(const std::string& key, const std::string& value) {
    if (key == "question") {
        std::snprintf(question_, sizeof question_, "%s", value.c_str());
        return "";
    }
    return controls_.set(key, value);
}

std::string App::show_view(const std::string& name) {
    if (name == "live") select_view_ = View::Live;
    else if (name == "watch") select_view_ = View::Watch;
    else if (name == "race") select_view_ = View::Race;
    else if (name == "study") select_view_ = View::Study;
    else return "view: live, watch, race or study";
    return "";
}

std::optional<bool> App::condition(const std::string& name) const {
    const TurnSnapshot s = driver_ ? driver_->snapshot() : TurnSnapshot{};
    const headstart::Turn* t = s.turn.get();
    const auto has = [&](headstart::EventKind k) { return t && t->timeline().first(k) != nullptr; };
    if (name == "preread") return s.preread_tokens > 0;
    if (name == "handoff") return has(headstart::EventKind::Handoff);
    if (name == "first_word") return has(headstart::EventKind::WordShown);
    if (name == "cloud_token") return has(headstart::EventKind::ContinuationToken);
    if (name == "cloud_done") return t && t->phase() == headstart::TurnPhase::Done;
    if (name == "done") return t && !s.running;
    if (name == "spoken") return t && !s.running && speaker_->done();  // a silent turn: when it is done
    if (name == "race_done") return race_.done();
    if (name == "study_rating") return study_.phase() == StudyView::Phase::Rating;
    if (name == "study_idle") return study_.phase() == StudyView::Phase::Idle;
    return std::nullopt;
}

std::string App::study_command(const std::string& command, const std::string& arg) {
    const StudyDrivers d{driver_, cloud_only_driver_, &controls_};
    if (command == "participant") return study_.set_participant(arg), "";
    if (command == "seed") {
        char* end = nullptr;
        const unsigned long long v = std::strtoull(arg.c_str(), &end, 10);
        if (arg.empty() || *end) return "study seed: a non-negative integer";
        study_.set_seed(v);
        return "";
    }
    if (command == "next") {
        speaker_->stop();  // the study's turns are its own
        return study_.next_pair(d, arg, time_s_);
    }
    if (command == "rate") {
        const auto r = headstart::rating_from_name(arg);
        if (!r) return "study rate: a, equivalent or b";
        return study_.rate(*r, time_s_);
    }
    if (command == "export") return study_.export_csv();
    if (command == "replay") return study_.replay(time_s_), "";
    return "unknown study command '" + command + "'";
}

// ---- state --------------------------------------------------------------------------------

std::string App::state_json() const {
    using nlohmann::json;
    // The driver's snapshot as of now, not the last drawn frame's (the web shell skips frames while
    // the μLM writes the opener): a turn just asked is already there.
    const TurnSnapshot snap = driver_ ? driver_->snapshot() : snapshot_;
    json j = {{"app", "headstart"},
              {"version", HEADSTART_VERSION},
              {"platform", info_.platform},
              {"gl", info_.gl_version},
              {"frames", frames_},
              {"framebuffer", {fb_w_, fb_h_}},
              {"shader_ok", backdrop_.ok()},
              {"lanes_shader_ok", lanes_.shader_ok()},
              {"shaded_spans", lanes_.shaded_spans()},
              {"events", snap.turn ? snap.turn->timeline().events().size() : size_t{0}},
              {"error", error_},
              {"notice", notice_},
              {"view", view_name(view_)},
              {"font", fonts().ttf ? "ttf" : "builtin"},
              {"models", json::array()},
              {"controls", controls_.to_json()}};
    if (driver_)
        for (const auto& m : driver_->models()) j["models"].push_back(m.name);
    j.update(turn_state(snap));
    j["speech"] = speaker_->state();
    j["race"] = race_.state();
    j["study"] = study_.state();
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ui
