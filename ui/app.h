// ui/app.h — the Headstart app, shared by the desktop shell (desktop/main.cpp) and the web shell
// (wasm/main.cpp). A shell owns the window, the GL context and the loop; each iteration it calls
//   render_backdrop()  (shader layer, before ImGui draws)
//   frame()            (between ImGui::NewFrame and ImGui::Render)
// and nothing else of the app's inner workings.
//
// The app composes the views (each its own file, ImGui style):
//   top bar        the question, presets, Ask and Race, the turn's status
//   controls.*     the sidebar: every setting of the next turn
//   transcript.*   Live tab: token chips, handoff, the answer with its correction path
//   timeline_view.*  Live tab: the three lanes with the masked latency shaded (a shader)
//   metrics_view.* Live tab: TTFTs, first-word latency, masked and stall ms, path
//   race_view.*    Race tab: cloud only vs μLM + cloud, at once
//   study_view.*   Study tab: blind A/B pairs, ratings, summary, CSV
//   watch_view.*   Watch tab: the answer as heard on a round watch face (speech-first)
//   speaker.*      the live turn spoken aloud (when the shell gives a voice and an audio device)
//   state.*        the state as JSON (tests, the page's state hook)
// Optional platform parts, set before the first frame: a second driver (the race's and the
// study's "cloud only" side), a study store (core/study_store.h), the fonts, a voice (speaker.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/study_store.h"
#include "core/timeline.h"
#include "ui/controls.h"
#include "ui/driver.h"
#include "ui/race_view.h"
#include "ui/shader.h"
#include "ui/speaker.h"
#include "ui/study_view.h"
#include "ui/timeline_view.h"

namespace ui {

struct AppInfo {
    std::string platform;    // "desktop" or "web"
    std::string gl_version;  // what the GL driver reports
};

class App {
public:
    enum class View { Live, Watch, Race, Study };

    // `driver` runs the turns (native threads or the browser's callbacks); the app does not own it.
    App(AppInfo info, TurnDriver* driver);

    // The driver for the "cloud only" side of the race and the study, so both turns run at once
    // (not owned). Without one the race cannot run and the study runs its turns one by one.
    void set_cloud_only_driver(TurnDriver* driver) { cloud_only_driver_ = driver; }
    // Where study ratings go (not owned); without one they are kept in memory only.
    void set_study_store(headstart::StudyStore* store) { study_.set_store(store); }
    // TTF bytes for the UI font (regular and bold), before the first frame; the app keeps them.
    // Without a call, or with empty bytes, ImGui's built-in font is used.
    void load_fonts(std::vector<unsigned char> regular, std::vector<unsigned char> bold);
    // A voice and an audio device: the live turn is spoken when the sidebar's "speak aloud" is on.
    void set_speech(SpeechPlatform platform) { speaker_ = std::make_unique<Speaker>(std::move(platform)); }
    const Speaker& speaker() const { return *speaker_; }

    // Asks a question with the current controls (as the Ask button does; tests and scripts too).
    void ask(const std::string& question);
    // The same question as cloud only and μLM + cloud at once (the Race button). "" or why not.
    std::string race(const std::string& question);

    // Call once the GL context is current. Returns false (see error()) if a shader fails; the app
    // still runs, with a plain backdrop and the error shown in the window.
    bool init_graphics();

    void render_backdrop(int framebuffer_w, int framebuffer_h);
    void frame(float delta_seconds);

    // A JSON snapshot of what the app shows, for tests and the page's state hook.
    std::string state_json() const;
    const std::string& error() const { return error_; }
    long frames() const { return frames_; }

    // ---- for scripts (ui/script.h) and tests: the controls by name ------------------------
    std::string set_control(const std::string& key, const std::string& value);  // "" or why not
    std::string show_view(const std::string& name);                             // live, watch, race, study
    // preread, handoff, first_word, cloud_token, cloud_done, done, spoken, race_done, study_rating,
    // study_idle; nothing when the name is unknown.
    std::optional<bool> condition(const std::string& name) const;
    // participant NAME | seed N | next [QUESTION] | rate a|equivalent|b | export | replay
    std::string study_command(const std::string& command, const std::string& argument);
    void inspect_token(int index) { pinned_token_ = index; }  // shows its alternatives (-1: none)
    double clock_s() const { return time_s_; }

private:
    void draw_top_bar();
    void draw_sidebar();
    void draw_main();
    void draw_live(ImVec2 size);
    void update_speech();  // the live turn's new words to the voice, once a frame
    bool drivers_busy_with_study() const { return study_.owns_drivers(); }
    void preread_typed();  // lets the μLM read the question as it is typed (TurnDriver::preread)

    AppInfo info_;
    TurnDriver* driver_;
    TurnDriver* cloud_only_driver_ = nullptr;
    Controls controls_;
    TurnSnapshot snapshot_;  // what the driver last published
    char question_[512] = "How do I make a good cup of coffee?";
    std::string typed_;  // the question box as last seen, and when it last changed
    double typed_at_s_ = 0.0;
    std::string preread_key_;  // what was last handed to TurnDriver::preread
    ShaderQuad backdrop_;
    TimelineView lanes_;
    RaceView race_;
    StudyView study_;
    std::unique_ptr<Speaker> speaker_ = std::make_unique<Speaker>();
    View view_ = View::Live;
    std::optional<View> select_view_;  // a tab to select on the next frame (Ask, Race, scripts)
    int pinned_token_ = -1;
    std::string error_, notice_;
    std::vector<unsigned char> font_regular_, font_bold_;
    bool style_applied_ = false;
    long frames_ = 0;
    double time_s_ = 0.0;
    int fb_w_ = 0, fb_h_ = 0;
};

}  // namespace ui
