// desktop/main.cpp — the native shell: an SDL2 window with an OpenGL 3.3 core context that runs
// ui::App each frame. Everything else lives in ui/ and core/; this file owns the window, the
// loop, files (fonts, models, the script, screenshots) and the platform parts the app is given:
// two NativeTurnDrivers (the race's and the study's "cloud only" side runs on the second), the
// SQLite study store, and the voice: eSpeak NG on a worker thread (native/background_synth.h) into
// SDL2 audio (sdl_voice.h; SDL_AUDIODRIVER picks the driver, `disk` records what plays to SDL_DISKAUDIOFILE).
//
//   headstart-desktop [--size WxH] [--frames N] [--screenshot OUT.png] [--state OUT.json]
//                     [--script FILE] [--models-dir DIR] [--cloud URL] [--study-db FILE]
//                     [--font FILE.ttf] [--fps N] [--view live|watch|race|study]
//
// --frames N quits after N frames; --screenshot writes the last frame's pixels as PNG and
// --state the app's JSON state, so a test can drive the app under Xvfb and check what it drew.
// --script FILE runs a script of actions (ui/script.h: set, ask, race, wait, screenshot, ...);
// the app quits when it ends, writing --screenshot / --state then, and exits 1 if it failed.
// --view opens on that tab (watch: the speech-first face, for a small screen or the Orange Pi demo).
#include <SDL.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "desktop/native_driver.h"
#include "desktop/sdl_voice.h"
#include "imgui.h"
#include "imgui_impl_opengl3.h"
#include "imgui_impl_sdl.h"
#include "native/model_files.h"
#include "ui/app.h"
#include "ui/gl.h"
#include "ui/script.h"
#if defined(HEADSTART_HAVE_SQLITE)
#include "native/sqlite_study_store.h"
#endif
#include "native/background_synth.h"
#if defined(HEADSTART_HAVE_ESPEAK)
#include "native/espeak_synth.h"
#endif

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "stb_image_write.h"

namespace {

struct Options {
    int width = 1280, height = 800;
    long frames = -1;  // run until closed
    int fps = 60;      // frame cap when not benchmarking (--frames alone runs uncapped)
    std::string screenshot, state, script, models_dir, cloud, study_db, font, view;
};

const char* kUsage =
    "usage: headstart-desktop [--size WxH] [--frames N] [--screenshot OUT.png] [--state OUT.json]\n"
    "                         [--script FILE] [--models-dir DIR] [--cloud URL] [--study-db FILE]\n"
    "                         [--font FILE.ttf] [--fps N] [--view live|watch|race|study]\n";

int usage(const char* why) {
    std::fprintf(stderr, "headstart-desktop: %s\n%s", why, kUsage);
    return 2;
}

bool parse(int argc, char** argv, Options* o, std::string* err) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--help" || a == "-h") {
            *err = "help";
            return false;
        }
        if (!has_value) {
            *err = "missing value for " + a;
            return false;
        }
        const char* v = argv[++i];
        if (a == "--size") {
            if (std::sscanf(v, "%dx%d", &o->width, &o->height) != 2 || o->width < 200 || o->height < 150) {
                *err = std::string("bad --size '") + v + "' (expected WxH, at least 200x150)";
                return false;
            }
        } else if (a == "--frames") {
            char* end = nullptr;
            o->frames = std::strtol(v, &end, 10);
            if (*end || o->frames < 1) {
                *err = std::string("bad --frames '") + v + "'";
                return false;
            }
        } else if (a == "--fps") {
            char* end = nullptr;
            o->fps = static_cast<int>(std::strtol(v, &end, 10));
            if (*end || o->fps < 0 || o->fps > 1000) {
                *err = std::string("bad --fps '") + v + "' (0 = uncapped)";
                return false;
            }
        } else if (a == "--screenshot") {
            o->screenshot = v;
        } else if (a == "--state") {
            o->state = v;
        } else if (a == "--script") {
            o->script = v;
        } else if (a == "--models-dir") {
            o->models_dir = v;
        } else if (a == "--cloud") {
            o->cloud = v;
        } else if (a == "--study-db") {
            o->study_db = v;
        } else if (a == "--font") {
            o->font = v;
        } else if (a == "--view") {
            o->view = v;
            if (o->view != "live" && o->view != "watch" && o->view != "race" && o->view != "study") {
                *err = std::string("bad --view '") + v + "' (live, watch, race or study)";
                return false;
            }
        } else {
            *err = "unknown option " + a;
            return false;
        }
    }
    return true;
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

std::vector<unsigned char> read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<unsigned char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The μLMs in one directory: trained ones (native/model_files.h: the evaluation's default first),
// else the build's tiny test model.
std::vector<ui::ModelChoice> models_in(const std::string& dir) {
    std::vector<ui::ModelChoice> models;
    for (const auto& m : headstart::trained_models(dir)) models.push_back({m.label, m.model_path, m.tokenizer_path});
    const std::string tok = dir + "/tokenizer.json";
    if (models.empty() && exists(dir + "/tiny.onnx") && exists(tok))
        models.push_back({"tiny test model", dir + "/tiny.onnx", tok});
    return models;
}

// --models-dir when given; else the trained μLMs in assets/models, else the tiny test model of the
// build, looked for beside the working directory, the source tree and the executable.
std::vector<ui::ModelChoice> default_models(const Options& opt) {
    if (!opt.models_dir.empty()) return models_in(opt.models_dir);
    std::vector<std::string> dirs = {"assets/models"};
#if defined(HEADSTART_SOURCE_DIR)
    dirs.push_back(std::string(HEADSTART_SOURCE_DIR) + "/assets/models");
#endif
#if defined(HEADSTART_BUILD_DIR)
    dirs.push_back(std::string(HEADSTART_BUILD_DIR) + "/fixtures");
#endif
    if (char* base = SDL_GetBasePath()) {  // <build>/desktop/ -> <build>/fixtures
        dirs.push_back(std::string(base) + "../fixtures");
        SDL_free(base);
    }
    dirs.push_back("build/native/fixtures");
    for (const std::string& d : dirs) {
        auto m = models_in(d);
        if (!m.empty()) return m;
    }
    return {};
}

bool write_png(const std::string& path, int w, int h) {
    std::vector<unsigned char> rgba(static_cast<size_t>(w) * h * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    for (size_t i = 3; i < rgba.size(); i += 4) rgba[i] = 255;  // the window is opaque
    stbi_flip_vertically_on_write(1);                           // GL rows start at the bottom
    return stbi_write_png(path.c_str(), w, h, 4, rgba.data(), w * 4) != 0;
}

bool write_state(const std::string& path, const ui::App& app) {
    std::ofstream f(path);
    f << app.state_json() << "\n";
    return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    std::string err;
    if (!parse(argc, argv, &opt, &err)) {
        if (err == "help") return std::fputs(kUsage, stdout), 0;
        return usage(err.c_str());
    }
    std::unique_ptr<ui::Script> script;
    if (!opt.script.empty()) {
        std::ifstream f(opt.script);
        if (!f) return usage(("cannot read --script " + opt.script).c_str());
        std::stringstream text;
        text << f.rdbuf();
        auto parsed = ui::Script::parse(text.str());
        if (!parsed.ok()) {
            std::fprintf(stderr, "headstart-desktop: %s\n", parsed.error().c_str());
            return 2;
        }
        script = std::make_unique<ui::Script>(std::move(parsed.value()));
    }

    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        std::fprintf(stderr, "headstart-desktop: cannot start SDL video (is DISPLAY set?): %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_Window* window =
        SDL_CreateWindow("Headstart", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, opt.width, opt.height,
                         SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    SDL_GLContext gl = window ? SDL_GL_CreateContext(window) : nullptr;
    if (!gl) {
        std::fprintf(stderr, "headstart-desktop: cannot create an OpenGL 3.3 window: %s\n", SDL_GetError());
        SDL_Quit();
        return 1;
    }
    SDL_GL_MakeCurrent(window, gl);
    const bool benchmark = opt.frames > 0 && !script;  // --frames alone: as fast as it goes
    SDL_GL_SetSwapInterval(benchmark ? 0 : 1);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;  // layout is the app's, not a file's
    ImGui_ImplSDL2_InitForOpenGL(window, gl);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    const std::vector<ui::ModelChoice> models = default_models(opt);
    if (models.empty())
        std::fprintf(stderr, "headstart-desktop: no \xC2\xB5LM found (assets/models, the build's fixtures%s)\n",
                     opt.models_dir.empty() ? "" : (", " + opt.models_dir).c_str());
    headstart::NativeTurnDriver driver(models);
    headstart::NativeTurnDriver cloud_only_driver(models);  // the race's / study's other side
    ui::App app({"desktop", reinterpret_cast<const char*>(glGetString(GL_RENDERER))}, &driver);
    app.set_cloud_only_driver(&cloud_only_driver);

    // A real font when the system has one (Debian's fonts-dejavu-core), else ImGui's own.
    const std::string font = !opt.font.empty() ? opt.font : "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    std::vector<unsigned char> regular = read_file(font), bold;
    if (opt.font.empty()) bold = read_file("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf");
    if (regular.empty() && !opt.font.empty())
        std::fprintf(stderr, "headstart-desktop: cannot read --font %s\n", font.c_str());
    app.load_fonts(std::move(regular), std::move(bold));

#if defined(HEADSTART_HAVE_SQLITE)
    std::unique_ptr<headstart::SqliteStudyStore> store;
    {
        auto opened =
            headstart::SqliteStudyStore::open(opt.study_db.empty() ? headstart::default_study_db_path() : opt.study_db);
        if (opened.ok()) {
            store = std::move(opened.value());
            app.set_study_store(store.get());
        } else {
            std::fprintf(stderr, "headstart-desktop: %s (study ratings are kept in memory only)\n",
                         opened.error().c_str());
        }
    }
#endif
    // The voice: eSpeak NG made per voice and rate, SDL audio opened when a turn is first spoken.
    headstart::SdlVoice voice;
    {
        ui::SpeechPlatform speech;
        speech.sink = &voice;
        speech.clock_ms = headstart::steady_clock_ms;
        speech.min_lookahead_ms = 1000;  // eSpeak shares the cores with the μLM (and, here, a training run)
#if defined(HEADSTART_HAVE_ESPEAK)
        // On a worker thread: a frame never waits for eSpeak (the next utterance is asked for ahead of time).
        speech.make_synthesizer =
            [](const ui::SpeechSettings& s) -> headstart::Result<std::unique_ptr<headstart::Synthesizer>> {
            auto made = headstart::EspeakSynthesizer::create({s.voice, s.words_per_minute});
            if (!made.ok()) return headstart::Error{made.error()};
            return std::unique_ptr<headstart::Synthesizer>(
                std::make_unique<headstart::BackgroundSynthesizer>(std::move(made.value())));
        };
#endif
        app.set_speech(std::move(speech));
    }
    if (!opt.cloud.empty()) app.set_control("endpoint", opt.cloud);
    if (!opt.view.empty()) app.show_view(opt.view);
    if (!app.init_graphics()) std::fprintf(stderr, "headstart-desktop: %s\n", app.error().c_str());

    const Uint64 freq = SDL_GetPerformanceFrequency();
    Uint64 last = SDL_GetPerformanceCounter();
    bool running = true;
    int status = 0;
    while (running) {
        const Uint64 frame_start = SDL_GetPerformanceCounter();
        SDL_Event e;
        while (SDL_PollEvent(&e)) {
            ImGui_ImplSDL2_ProcessEvent(&e);
            if (e.type == SDL_QUIT) running = false;
        }
        const Uint64 now = SDL_GetPerformanceCounter();
        const float dt = static_cast<float>(now - last) / static_cast<float>(freq);
        last = now;

        ui::Script::Step step;
        if (script) {
            step = script->step(app, app.clock_s());
            if (!step.log.empty()) std::fputs(step.log.c_str(), stderr);
            if (!step.error.empty()) {
                std::fprintf(stderr, "headstart-desktop: %s\n", step.error.c_str());
                status = 1;
            }
        }

        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplSDL2_NewFrame();
        ImGui::NewFrame();
        app.frame(dt);
        ImGui::Render();

        int fb_w = 0, fb_h = 0;
        SDL_GL_GetDrawableSize(window, &fb_w, &fb_h);
        app.render_backdrop(fb_w, fb_h);
        glViewport(0, 0, fb_w, fb_h);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

        for (const ui::ScriptOutput& out : step.outputs) {
            const bool ok = out.kind == ui::ScriptOutput::Kind::Screenshot ? write_png(out.path, fb_w, fb_h)
                                                                           : write_state(out.path, app);
            if (!ok) {
                std::fprintf(stderr, "headstart-desktop: cannot write %s\n", out.path.c_str());
                status = 1;
            }
        }
        const bool frames_done = opt.frames > 0 && app.frames() >= opt.frames;
        if (frames_done && script && !script->finished()) {
            std::fprintf(stderr, "headstart-desktop: --frames %ld reached before the script ended\n", opt.frames);
            status = 1;
        }
        if (frames_done || step.finished) {
            if (!opt.screenshot.empty() && !write_png(opt.screenshot, fb_w, fb_h)) {
                std::fprintf(stderr, "headstart-desktop: cannot write %s\n", opt.screenshot.c_str());
                status = 1;
            }
            if (!opt.state.empty() && !write_state(opt.state, app)) {
                std::fprintf(stderr, "headstart-desktop: cannot write %s\n", opt.state.c_str());
                status = 1;
            }
            running = false;
        }
        SDL_GL_SwapWindow(window);
        // A virtual X server has no vertical blank to wait for: cap the rate so the μLM and the
        // cloud get the CPU.
        if (!benchmark && opt.fps > 0) {
            const double spent_ms = 1000.0 * static_cast<double>(SDL_GetPerformanceCounter() - frame_start) / freq;
            const double budget_ms = 1000.0 / opt.fps;
            if (spent_ms < budget_ms) SDL_Delay(static_cast<Uint32>(budget_ms - spent_ms));
        }
    }

    driver.cancel();
    cloud_only_driver.cancel();
    voice.close();
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
    SDL_GL_DeleteContext(gl);
    SDL_DestroyWindow(window);
    SDL_Quit();
    return status;
}
