// desktop/main.cpp — the native shell: an SDL2 window with an OpenGL 3.3 core context that runs
// ui::App each frame. Everything else lives in ui/ and core/.
//
//   headstart-desktop [--size WxH] [--frames N] [--screenshot OUT.png] [--state OUT.json]
//
// --frames N quits after N frames; --screenshot writes the last frame's pixels as PNG and
// --state the app's JSON state, so a test can drive the app under Xvfb and check what it drew.
#include <SDL.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "imgui.h"
#include "imgui_impl_opengl3.h"
#include "imgui_impl_sdl.h"
#include "desktop/native_driver.h"
#include "ui/app.h"
#include "ui/gl.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "stb_image_write.h"

namespace {

struct Options {
    int width = 1280, height = 800;
    long frames = -1;  // run until closed
    std::string screenshot, state;
};

int usage(const char* why) {
    std::fprintf(stderr, "headstart-desktop: %s\n"
                 "usage: headstart-desktop [--size WxH] [--frames N] [--screenshot OUT.png] [--state OUT.json]\n", why);
    return 2;
}

bool parse(int argc, char** argv, Options* o, std::string* err) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--help" || a == "-h") { *err = "help"; return false; }
        if (!has_value) { *err = "missing value for " + a; return false; }
        const char* v = argv[++i];
        if (a == "--size") {
            if (std::sscanf(v, "%dx%d", &o->width, &o->height) != 2 || o->width < 200 || o->height < 150) {
                *err = std::string("bad --size '") + v + "' (expected WxH, at least 200x150)";
                return false;
            }
        } else if (a == "--frames") {
            char* end = nullptr;
            o->frames = std::strtol(v, &end, 10);
            if (*end || o->frames < 1) { *err = std::string("bad --frames '") + v + "'"; return false; }
        } else if (a == "--screenshot") {
            o->screenshot = v;
        } else if (a == "--state") {
            o->state = v;
        } else {
            *err = "unknown option " + a;
            return false;
        }
    }
    return true;
}

// The μLMs the app offers: trained ones in assets/models, else the tiny test model of the build.
std::vector<ui::ModelChoice> default_models() {
    std::vector<ui::ModelChoice> models;
    for (const char* size : {"8m", "16m", "28m"}) {
        const std::string path = std::string("assets/models/mulm-") + size + "-int8.onnx";
        if (std::ifstream(path).good())
            models.push_back({std::string("\xC2\xB5LM ") + size + " (int8)", path, "assets/models/tokenizer.json"});
    }
    if (models.empty())
        models.push_back({"tiny test model", "build/native/fixtures/tiny.onnx", "build/native/fixtures/tokenizer.json"});
    return models;
}

bool write_png(const std::string& path, int w, int h) {
    std::vector<unsigned char> rgba(static_cast<size_t>(w) * h * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    stbi_flip_vertically_on_write(1);  // GL rows start at the bottom
    return stbi_write_png(path.c_str(), w, h, 4, rgba.data(), w * 4) != 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    std::string err;
    if (!parse(argc, argv, &opt, &err)) return err == "help" ? (usage("help"), 0) : usage(err.c_str());

    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        std::fprintf(stderr, "headstart-desktop: cannot start SDL video (is DISPLAY set?): %s\n", SDL_GetError());
        return 1;
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_Window* window = SDL_CreateWindow("Headstart", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                          opt.width, opt.height,
                                          SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    SDL_GLContext gl = window ? SDL_GL_CreateContext(window) : nullptr;
    if (!gl) {
        std::fprintf(stderr, "headstart-desktop: cannot create an OpenGL 3.3 window: %s\n", SDL_GetError());
        SDL_Quit();
        return 1;
    }
    SDL_GL_MakeCurrent(window, gl);
    SDL_GL_SetSwapInterval(opt.frames > 0 ? 0 : 1);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;  // layout is the app's, not a file's
    ImGui::StyleColorsDark();
    ImGui_ImplSDL2_InitForOpenGL(window, gl);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    headstart::NativeTurnDriver driver(default_models());
    ui::App app({"desktop", reinterpret_cast<const char*>(glGetString(GL_RENDERER))}, &driver);
    if (!app.init_graphics()) std::fprintf(stderr, "headstart-desktop: %s\n", app.error().c_str());

    Uint64 last = SDL_GetPerformanceCounter();
    bool running = true;
    int status = 0;
    while (running) {
        SDL_Event e;
        while (SDL_PollEvent(&e)) {
            ImGui_ImplSDL2_ProcessEvent(&e);
            if (e.type == SDL_QUIT) running = false;
        }
        const Uint64 now = SDL_GetPerformanceCounter();
        const float dt = static_cast<float>(now - last) / static_cast<float>(SDL_GetPerformanceFrequency());
        last = now;

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

        const bool last_frame = opt.frames > 0 && app.frames() >= opt.frames;
        if (last_frame) {
            if (!opt.screenshot.empty() && !write_png(opt.screenshot, fb_w, fb_h)) {
                std::fprintf(stderr, "headstart-desktop: cannot write %s\n", opt.screenshot.c_str());
                status = 1;
            }
            if (!opt.state.empty()) {
                std::ofstream(opt.state) << app.state_json() << "\n";
            }
            running = false;
        }
        SDL_GL_SwapWindow(window);
    }

    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
    SDL_GL_DeleteContext(gl);
    SDL_DestroyWindow(window);
    SDL_Quit();
    return status;
}
