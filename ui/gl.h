// ui/gl.h — the one place that picks the OpenGL flavour: ES 3.0 / WebGL2 on the web, GL 3.3 core
// on the desktop (Mesa's libGL exports the core entry points, so no loader is needed there).
#pragma once

#if defined(__EMSCRIPTEN__)
#include <GLES3/gl3.h>
#define HEADSTART_GLSL_VERSION "#version 300 es\nprecision mediump float;\n"
#else
#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>
#define HEADSTART_GLSL_VERSION "#version 330 core\n"
#endif
