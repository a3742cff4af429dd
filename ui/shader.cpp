// ui/shader.cpp — see shader.h.
#include "ui/shader.h"

#include <vector>

namespace ui {
namespace {

GLuint compile(GLenum type, const char* body, std::string* error) {
    const char* sources[] = {HEADSTART_GLSL_VERSION, body};
    GLuint s = glCreateShader(type);
    glShaderSource(s, 2, sources, nullptr);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        GLint len = 0;
        glGetShaderiv(s, GL_INFO_LOG_LENGTH, &len);
        std::vector<char> log(static_cast<size_t>(len > 1 ? len : 1));
        glGetShaderInfoLog(s, len, nullptr, log.data());
        *error =
            std::string(type == GL_VERTEX_SHADER ? "vertex" : "fragment") + " shader did not compile: " + log.data();
        glDeleteShader(s);
        return 0;
    }
    return s;
}

}  // namespace

ShaderQuad::~ShaderQuad() {
    if (program_) glDeleteProgram(program_);
    if (vao_) glDeleteVertexArrays(1, &vao_);
}

bool ShaderQuad::build(const char* vertex_body, const char* fragment_body) {
    error_.clear();
    GLuint vs = compile(GL_VERTEX_SHADER, vertex_body, &error_);
    if (!vs) return false;
    GLuint fs = compile(GL_FRAGMENT_SHADER, fragment_body, &error_);
    if (!fs) {
        glDeleteShader(vs);
        return false;
    }
    GLuint p = glCreateProgram();
    glAttachShader(p, vs);
    glAttachShader(p, fs);
    glLinkProgram(p);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(p, GL_LINK_STATUS, &ok);
    if (!ok) {
        char log[1024] = {0};
        glGetProgramInfoLog(p, sizeof log, nullptr, log);
        error_ = std::string("shader program did not link: ") + log;
        glDeleteProgram(p);
        return false;
    }
    program_ = p;
    glGenVertexArrays(1, &vao_);  // core profiles need a bound VAO even without attributes
    return true;
}

void ShaderQuad::begin(PixelRect r) const { begin(r, r, false); }

void ShaderQuad::begin(PixelRect v, PixelRect s, bool blend) const {
    glUseProgram(program_);
    glBindVertexArray(vao_);
    if (blend) {
        glEnable(GL_BLEND);
        glBlendEquation(GL_FUNC_ADD);
        glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    } else {
        glDisable(GL_BLEND);
    }
    glDisable(GL_DEPTH_TEST);
    glEnable(GL_SCISSOR_TEST);
    glViewport(v.x, v.y, v.w, v.h);
    glScissor(s.x, s.y, s.w, s.h);
}

void ShaderQuad::uniform(const char* name, float v) const { glUniform1f(glGetUniformLocation(program_, name), v); }
void ShaderQuad::uniform(const char* name, float a, float b) const {
    glUniform2f(glGetUniformLocation(program_, name), a, b);
}
void ShaderQuad::uniform(const char* name, float a, float b, float c) const {
    glUniform3f(glGetUniformLocation(program_, name), a, b, c);
}

void ShaderQuad::draw() const {
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glDisable(GL_SCISSOR_TEST);
    glBindVertexArray(0);
    glUseProgram(0);
}

}  // namespace ui
