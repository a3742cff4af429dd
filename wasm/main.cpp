// wasm/main.cpp — the web shell: an SDL2 window on the page's <canvas> with a WebGL2 context that
// runs the same ui::App as the desktop. The browser owns the loop (emscripten_set_main_loop_arg);
// the page reads the app's state through the exported headstart_state().
#include <SDL.h>
#include <emscripten.h>
#include <emscripten/html5.h>

#include <cstdio>
#include <string>

#include "imgui.h"
#include "imgui_impl_opengl3.h"
#include "imgui_impl_sdl.h"
#include "ui/app.h"
#include "ui/gl.h"

namespace {

struct Shell {
    SDL_Window* window = nullptr;
    ui::App* app = nullptr;
    double last_ms = 0.0;
    std::string state;  // storage behind headstart_state()'s pointer
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

}  // namespace

extern "C" EMSCRIPTEN_KEEPALIVE const char* headstart_state() {
    g_shell.state = g_shell.app ? g_shell.app->state_json() : "{\"app\":\"headstart\",\"frames\":0}";
    return g_shell.state.c_str();
}

int main() {
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
    ImGui::StyleColorsDark();
    ImGui_ImplSDL2_InitForOpenGL(window, gl);
    ImGui_ImplOpenGL3_Init("#version 300 es");

    static ui::App app({"web", reinterpret_cast<const char*>(glGetString(GL_RENDERER))});
    if (!app.init_graphics()) std::fprintf(stderr, "headstart-web: %s\n", app.error().c_str());
    g_shell.window = window;
    g_shell.app = &app;
    emscripten_set_main_loop_arg(loop, &g_shell, 0, true);
    return 0;
}
