// ui/app.h — the Headstart app, shared by the desktop shell (desktop/main.cpp) and the web shell
// (wasm/main.cpp). A shell owns the window, the GL context and the loop; each iteration it calls
//   render_backdrop()  (shader layer, before ImGui draws)
//   frame()            (between ImGui::NewFrame and ImGui::Render)
// and nothing else of the app's inner workings.
#pragma once

#include <string>

#include "core/timeline.h"
#include "ui/driver.h"
#include "ui/shader.h"

namespace ui {

struct AppInfo {
    std::string platform;    // "desktop" or "web"
    std::string gl_version;  // what the GL driver reports
};

class App {
public:
    // `driver` runs the turns (native threads or the browser's callbacks); the app does not own it.
    App(AppInfo info, TurnDriver* driver);

    // Asks a question with the current controls (as the Ask button does; tests and scripts too).
    void ask(const std::string& question);

    // Call once the GL context is current. Returns false (see error()) if a shader fails; the app
    // still runs, with a plain backdrop and the error shown in the window.
    bool init_graphics();

    void render_backdrop(int framebuffer_w, int framebuffer_h);
    void frame(float delta_seconds);

    // A small JSON snapshot of what the app shows, for tests and the page's state hook.
    std::string state_json() const;
    const std::string& error() const { return error_; }
    long frames() const { return frames_; }

private:
    void draw_header();
    void draw_timeline_lanes();

    AppInfo info_;
    TurnDriver* driver_;
    TurnRequest request_;      // the controls' state: the next turn's settings
    TurnSnapshot snapshot_;    // what the driver last published
    char question_[512] = "How do I make a good cup of coffee?";
    ShaderQuad backdrop_;
    std::string error_;
    long frames_ = 0;
    double time_s_ = 0.0;
    int fb_w_ = 0, fb_h_ = 0;
};

}  // namespace ui
