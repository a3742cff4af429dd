// wasm/main.cpp — the web shell: an SDL2 window on the page's <canvas> with a WebGL2 context that
// runs the same ui::App as the desktop. The browser owns the loop (emscripten_set_main_loop_arg);
// this file gives the app its platform parts, as desktop/main.cpp does natively:
//   two WebTurnDrivers (wasm/web_driver.h: onnxruntime-web in a worker + fetch streaming; the
//   second runs the race's and the study's "cloud only" side), the localStorage study store, the
//   fonts, the voice (wasm/web_voice.h: eSpeak NG in WebAssembly in a Worker, played through Web
//   Audio; ?speech=1 turns "speak aloud" on), and the cloud: the page's own server, or the page's
//   ?cloud=URL (&model=ID #key=KEY for an OpenAI-compatible API).
//
// The page (web/index.html) passes its settings in Module.headstartConfig: the μLMs of
// models/models.json, the cloud, onnxruntime-web threads, or a benchmark to run instead of the
// app (wasm/web_bench.h). Exported for the page, scripts and tests (window.headstart.*):
//   headstart_state()                   the app's state as JSON
//   headstart_ask(question, options)    asks as the Ask button does; options JSON, for this turn:
//                                       {"headers": {name: value}} (e.g. X-Headstart-Fault)
//   headstart_race(question)            the Race button; "" or why not
//   headstart_control(key, value)       a control, as the desktop's `--script` `set KEY VALUE`;
//                                       "" or why not
//   headstart_view(name)                live, race or study
//   headstart_study(command, argument)  the study tab's actions (participant, seed, next, rate, export)
//   headstart_condition(name)           "true" / "false" / "unknown": handoff, done, race_done,
//                                       study_rating, ... (the desktop script's `wait` conditions)
#include <SDL.h>
#include <emscripten.h>
#include <emscripten/html5.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "imgui.h"
#include "imgui_impl_opengl3.h"
#include "imgui_impl_sdl.h"
#include "ui/app.h"
#include "ui/gl.h"
#include "wasm/web_bench.h"
#include "wasm/web_bridge.h"
#include "wasm/web_driver.h"
#include "wasm/web_study_store.h"
#include "wasm/web_voice.h"

namespace {

struct Shell {
    SDL_Window* window = nullptr;
    ui::App* app = nullptr;
    headstart::WebTurnDriver* driver = nullptr;
    double last_ms = 0.0;  // when the last frame was drawn
    std::string reply;     // storage behind the exported functions' returned strings
};
Shell g_shell;  // the browser calls back into C with no context: one shell per page

void fit_canvas_to_page(SDL_Window* window) {
    double css_w = 0, css_h = 0;
    emscripten_get_element_css_size("#canvas", &css_w, &css_h);
    int w = 0, h = 0;
    SDL_GetWindowSize(window, &w, &h);
    if (css_w >= 1 && css_h >= 1 && (static_cast<int>(css_w) != w || static_cast<int>(css_h) != h))
        SDL_SetWindowSize(window, static_cast<int>(css_w), static_cast<int>(css_h));
}

void loop(void* arg) {
    Shell& s = *static_cast<Shell*>(arg);
    // While the μLM writes the opener, draw at most one frame per kOpenerFrameMs. Each token comes
    // back from the worker as a message to this thread, and a frame being drawn holds it up (under
    // software GL a 1280x800 frame keeps the thread ~35 ms); a skipped frame leaves the thread free
    // to turn each token around at once, so the opener's few tokens come at the model's pace.
    constexpr double kOpenerFrameMs = 100.0;
    if (s.driver && s.driver->writing_opener() && emscripten_get_now() - s.last_ms < kOpenerFrameMs) return;
    SDL_Event e;
    while (SDL_PollEvent(&e)) ImGui_ImplSDL2_ProcessEvent(&e);
    fit_canvas_to_page(s.window);

    const double now = emscripten_get_now();
    const float dt = s.last_ms > 0 ? static_cast<float>((now - s.last_ms) / 1000.0) : 1.0f / 60.0f;
    s.last_ms = now;
    ImGuiIO& io = ImGui::GetIO();
    io.DeltaTime = dt > 0 ? dt : 1.0f / 60.0f;  // virtual time in headless runs can stand still

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    if (io.DeltaTime <= 0) io.DeltaTime = 1.0f / 60.0f;
    ImGui::NewFrame();
    s.app->frame(dt);
    ImGui::Render();

    int fb_w = 0, fb_h = 0;
    SDL_GL_GetDrawableSize(s.window, &fb_w, &fb_h);
    s.app->render_backdrop(fb_w, fb_h);
    glViewport(0, 0, fb_w, fb_h);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    SDL_GL_SwapWindow(s.window);
}

// Reads of the page's JSON that never throw (the web build has no exceptions): wrong types read
// as the fallback.
std::string text_of(const nlohmann::json& j, const char* key, std::string fallback = {}) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}
int int_of(const nlohmann::json& j, const char* key, int fallback) {
    return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<int>() : fallback;
}

// The μLMs the page lists (models/models.json, staged by the build), as the desktop's
// default_models() finds files.
std::vector<ui::ModelChoice> page_models(const nlohmann::json& config) {
    std::vector<ui::ModelChoice> models;
    if (config.is_object() && config.contains("models") && config["models"].is_array())
        for (const auto& m : config["models"])
            if (!text_of(m, "model").empty())
                models.push_back({text_of(m, "name", text_of(m, "model")), text_of(m, "model"),
                                  text_of(m, "tokenizer", "models/tokenizer.json")});
    return models;
}

// The cloud controls from the page: its own server (headstart-cloud serves page and API), or
// ?cloud=URL — an OpenAI-compatible API when a model id or key is given, else a headstart-cloud.
void point_at_cloud(ui::App& app, const nlohmann::json& config) {
    const std::string url = text_of(config, "cloud"), model = text_of(config, "cloudModel"),
                      key = text_of(config, "apiKey");
    if (url.empty()) return;
    if (model.empty() && key.empty()) {
        app.set_control("endpoint", url);
        return;
    }
    app.set_control("openai_url", url);
    if (!model.empty()) app.set_control("cloud_model", model);
    if (!key.empty()) app.set_control("api_key", key);
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* headstart_state() {
    g_shell.reply = g_shell.app ? g_shell.app->state_json() : "{\"app\":\"headstart\",\"frames\":0}";
    return g_shell.reply.c_str();
}

EMSCRIPTEN_KEEPALIVE void headstart_ask(const char* question, const char* options_json) {
    if (!g_shell.app || !g_shell.driver) return;
    const auto opt = nlohmann::json::parse(options_json ? options_json : "", nullptr, false);
    std::vector<std::pair<std::string, std::string>> headers;
    if (opt.is_object() && opt.contains("headers") && opt["headers"].is_object())
        for (const auto& [k, v] : opt["headers"].items())
            if (v.is_string()) headers.emplace_back(k, v.get<std::string>());
    g_shell.driver->set_headers(std::move(headers));
    g_shell.app->ask(question ? question : "");
}

EMSCRIPTEN_KEEPALIVE const char* headstart_race(const char* question) {
    g_shell.reply = g_shell.app ? g_shell.app->race(question ? question : "") : "the app has not started";
    return g_shell.reply.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* headstart_control(const char* key, const char* value) {
    g_shell.reply =
        g_shell.app ? g_shell.app->set_control(key ? key : "", value ? value : "") : "the app has not started";
    return g_shell.reply.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* headstart_view(const char* name) {
    g_shell.reply = g_shell.app ? g_shell.app->show_view(name ? name : "") : "the app has not started";
    return g_shell.reply.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* headstart_study(const char* command, const char* argument) {
    g_shell.reply = g_shell.app ? g_shell.app->study_command(command ? command : "", argument ? argument : "")
                                : "the app has not started";
    return g_shell.reply.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* headstart_condition(const char* name) {
    const auto c = g_shell.app ? g_shell.app->condition(name ? name : "") : std::nullopt;
    return c ? (*c ? "true" : "false") : "unknown";
}

}  // extern "C"

int main() {
    const std::string config_text = headstart::page_config();
    const auto config = nlohmann::json::parse(config_text, nullptr, false);
    if (config.is_object() && config.contains("bench")) {  // index.html?bench=...: no app, only figures
        headstart::start_web_bench(config_text);
        return 0;  // the runtime stays alive (no EXIT_RUNTIME): the bench runs on callbacks
    }
    const std::vector<ui::ModelChoice> models = page_models(config);
    const int threads = int_of(config, "threads", 0);
    static headstart::WebTurnDriver driver(models, threads);
    static headstart::WebTurnDriver cloud_only_driver(models, threads);  // the race's / study's other side
    driver.preload(0);  // the page's progress bar follows the download and session creation
    g_shell.driver = &driver;

    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        std::fprintf(stderr, "headstart-web: SDL_Init failed: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_ES);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_Window* window = SDL_CreateWindow("Headstart", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, 1280, 800,
                                          SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE);
    SDL_GLContext gl = window ? SDL_GL_CreateContext(window) : nullptr;
    if (!gl) {
        std::fprintf(stderr, "headstart-web: no WebGL2 context: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_MakeCurrent(window, gl);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    ImGui_ImplSDL2_InitForOpenGL(window, gl);
    ImGui_ImplOpenGL3_Init("#version 300 es");

    static ui::App app({"web", reinterpret_cast<const char*>(glGetString(GL_RENDERER))}, &driver);
    app.set_cloud_only_driver(&cloud_only_driver);
    // The desktop's font (DejaVu Sans, staged beside the page by the build when the system has it).
    app.load_fonts(headstart::page_file("fonts/DejaVuSans.ttf"), headstart::page_file("fonts/DejaVuSans-Bold.ttf"));
    static std::unique_ptr<headstart::StudyStore> store;
    if (headstart::WebStudyStore::available()) store = std::make_unique<headstart::WebStudyStore>();
    else store = std::make_unique<headstart::MemoryStudyStore>();
    app.set_study_store(store.get());
    point_at_cloud(app, config);
    // The voice: eSpeak NG in a Worker, played through Web Audio (opened at the first spoken turn), or the
    // browser's own Web Speech API for ?voice=browser[:LANG].
    static headstart::WebAudioSink audio;
    app.set_speech(headstart::web_speech_platform(audio));
    const std::string voice = config.is_object() ? config.value("voice", std::string()) : std::string();
    if (!voice.empty())
        if (const std::string why = app.set_control("voice", voice); !why.empty())
            std::fprintf(stderr, "headstart-web: ?voice=%s: %s\n", voice.c_str(), why.c_str());
    if (config.is_object() && config.value("speech", false)) {  // ?speech=1
        app.set_control("speak", "on");
        if (!ui::plays_itself(voice)) headstart::preload_web_voice();
    }
    if (!app.init_graphics()) std::fprintf(stderr, "headstart-web: %s\n", app.error().c_str());
    g_shell.window = window;
    g_shell.app = &app;
    emscripten_set_main_loop_arg(loop, &g_shell, 0, true);
    return 0;
}
