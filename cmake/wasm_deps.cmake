# WebAssembly dependencies: SDL2 and Dear ImGui compiled from the Debian source packages that
# scripts/setup unpacks into ${HEADSTART_DEPS_DIR}/src/{sdl2,imgui}.
#
# Included from the top-level CMakeLists.txt when building with Emscripten's toolchain file.
# `-sUSE_SDL=2` cannot be used (the port is downloaded at link time and this machine is offline),
# so SDL 2.26 is built here with a small glob-based recipe on top of its own
# include/SDL_config_emscripten.h (no configure step, ~40 s on 2 cores).
#
# Defines:
#   wasm_sdl2   static SDL2 (video/emscripten + GLES2/EGL, events, audio emscripten/dummy/disk,
#               joystick emscripten, timer unix, filesystem/locale/misc/power emscripten, no threads)
#               PUBLIC include dir lets code `#include <SDL.h>` (placed before emscripten's
#               sysroot include/SDL, which holds SDL1 headers).
#   wasm_imgui  static Dear ImGui + SDL2/OpenGL3 backends with IMGUI_IMPL_OPENGL_ES3 (WebGL2).
#               PUBLIC include dirs match the native Debian layout (/usr/include/imgui and
#               /usr/include/imgui/backends): "imgui.h", "imgui_impl_sdl.h", "imgui_impl_opengl3.h".
#               INTERFACE link options: WebGL2 only + memory growth.
include_guard(GLOBAL)

if(NOT EMSCRIPTEN)
  message(FATAL_ERROR "cmake/wasm_deps.cmake is only for Emscripten builds "
    "(-DCMAKE_TOOLCHAIN_FILE=/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake)")
endif()

if(NOT DEFINED HEADSTART_DEPS_DIR)
  set(HEADSTART_DEPS_DIR "${CMAKE_SOURCE_DIR}/.deps" CACHE PATH "where scripts/setup caches dependencies")
endif()

set(_hs_sdl2_dir "${HEADSTART_DEPS_DIR}/src/sdl2")
set(_hs_imgui_dir "${HEADSTART_DEPS_DIR}/src/imgui")
if(NOT EXISTS "${_hs_sdl2_dir}/include/SDL_config_emscripten.h" OR NOT EXISTS "${_hs_sdl2_dir}/src/SDL.c")
  message(FATAL_ERROR "SDL2 sources not found at ${_hs_sdl2_dir} "
    "(HEADSTART_DEPS_DIR=${HEADSTART_DEPS_DIR}): run scripts/setup first")
endif()
if(NOT EXISTS "${_hs_imgui_dir}/imgui.cpp" OR NOT EXISTS "${_hs_imgui_dir}/backends/imgui_impl_sdl.cpp")
  message(FATAL_ERROR "Dear ImGui sources not found at ${_hs_imgui_dir} "
    "(HEADSTART_DEPS_DIR=${HEADSTART_DEPS_DIR}): run scripts/setup first")
endif()

# SDL is C; make sure the language is on even if the including project only enabled CXX.
get_property(_hs_langs GLOBAL PROPERTY ENABLED_LANGUAGES)
if(NOT "C" IN_LIST _hs_langs)
  enable_language(C)
endif()

# ---------------------------------------------------------------------------------------------
# SDL2
# ---------------------------------------------------------------------------------------------
# Mirrors the EMSCRIPTEN branch of SDL's own CMakeLists.txt, minus what the config header
# disables (haptic and hidapi are compiled but inert; threads use the generic no-op backend)
# and minus renderers that cannot be enabled here (d3d, metal, gl, psp, ...).
set(_s "${_hs_sdl2_dir}/src")
file(GLOB _hs_sdl2_sources
  "${_s}/*.c"
  "${_s}/atomic/*.c"
  "${_s}/audio/*.c"
  "${_s}/audio/dummy/*.c"
  "${_s}/audio/disk/*.c"
  "${_s}/audio/emscripten/*.c"
  "${_s}/cpuinfo/*.c"
  "${_s}/events/*.c"
  "${_s}/file/*.c"
  "${_s}/filesystem/emscripten/*.c"
  "${_s}/haptic/*.c"
  "${_s}/haptic/dummy/*.c"
  "${_s}/joystick/*.c"
  "${_s}/joystick/emscripten/*.c"
  "${_s}/libm/*.c"
  "${_s}/loadso/dlopen/*.c"
  "${_s}/locale/*.c"
  "${_s}/locale/emscripten/*.c"
  "${_s}/misc/*.c"
  "${_s}/misc/emscripten/*.c"
  "${_s}/power/*.c"
  "${_s}/power/emscripten/*.c"
  "${_s}/render/*.c"
  "${_s}/render/opengles2/*.c"
  "${_s}/render/software/*.c"
  "${_s}/sensor/*.c"
  "${_s}/sensor/dummy/*.c"
  "${_s}/stdlib/*.c"
  "${_s}/thread/*.c"
  "${_s}/thread/generic/*.c"
  "${_s}/timer/*.c"
  "${_s}/timer/unix/*.c"
  "${_s}/video/*.c"
  "${_s}/video/emscripten/*.c"
  "${_s}/video/yuv2rgb/*.c")
unset(_s)

add_library(wasm_sdl2 STATIC ${_hs_sdl2_sources})
# SYSTEM + BEFORE: consumers see -isystem <sdl2>/include ahead of the sysroot (whose include/SDL
# holds SDL1 headers); SDL's headers also stay out of the project's -Wall -Wextra output.
target_include_directories(wasm_sdl2 SYSTEM BEFORE PUBLIC "${_hs_sdl2_dir}/include")
target_include_directories(wasm_sdl2 PRIVATE "${_hs_sdl2_dir}/src")
# -w: third-party code, keep the build log clean. -O2 regardless of build type (fast + small).
target_compile_options(wasm_sdl2 PRIVATE -O2 -w)

# ---------------------------------------------------------------------------------------------
# Dear ImGui (+ SDL2 and OpenGL3/ES3 backends)
# ---------------------------------------------------------------------------------------------
add_library(wasm_imgui STATIC
  "${_hs_imgui_dir}/imgui.cpp"
  "${_hs_imgui_dir}/imgui_draw.cpp"
  "${_hs_imgui_dir}/imgui_tables.cpp"
  "${_hs_imgui_dir}/imgui_widgets.cpp"
  "${_hs_imgui_dir}/imgui_demo.cpp"
  "${_hs_imgui_dir}/backends/imgui_impl_sdl.cpp"
  "${_hs_imgui_dir}/backends/imgui_impl_opengl3.cpp")
target_include_directories(wasm_imgui SYSTEM PUBLIC "${_hs_imgui_dir}" "${_hs_imgui_dir}/backends")
target_compile_definitions(wasm_imgui PUBLIC IMGUI_IMPL_OPENGL_ES3)
target_compile_options(wasm_imgui PRIVATE -O2 -w)
target_link_libraries(wasm_imgui PUBLIC wasm_sdl2)
target_link_options(wasm_imgui INTERFACE
  -sMIN_WEBGL_VERSION=2
  -sMAX_WEBGL_VERSION=2
  -sALLOW_MEMORY_GROWTH=1)

unset(_hs_sdl2_sources)
unset(_hs_langs)
