// ui/shader.h — a GLSL program built from the shaders/ sources (embedded at build time), drawn
// as a full-rectangle quad into a pixel rectangle of the framebuffer.
#pragma once

#include <string>

#include "ui/gl.h"

namespace ui {

struct PixelRect {
    int x, y, w, h;
};  // framebuffer pixels, origin bottom-left (GL convention)

class ShaderQuad {
public:
    ShaderQuad() = default;
    ShaderQuad(const ShaderQuad&) = delete;
    ShaderQuad& operator=(const ShaderQuad&) = delete;
    ~ShaderQuad();

    // Compiles and links; on failure returns false and error() says why (with the GLSL log).
    bool build(const char* vertex_body, const char* fragment_body);
    bool ok() const { return program_ != 0; }
    const std::string& error() const { return error_; }

    // Binds the program, the viewport and scissor of `rect`; then set uniforms and call draw().
    void begin(PixelRect rect) const;
    // The quad fills `viewport` (v_uv spans it) but only pixels inside `scissor` are drawn;
    // `blend`: alpha blending (a shading over what is drawn already) instead of opaque.
    void begin(PixelRect viewport, PixelRect scissor, bool blend) const;
    void uniform(const char* name, float v) const;
    void uniform(const char* name, float a, float b) const;
    void uniform(const char* name, float a, float b, float c) const;
    void draw() const;

private:
    GLuint program_ = 0;
    GLuint vao_ = 0;
    std::string error_;
};

}  // namespace ui
