// Full-rectangle quad without a vertex buffer: gl_VertexID 0..3 as a triangle strip.
// Shared by GL 3.3 core and WebGL2 (ES 3.00); the #version line is prepended by ui/shader.cpp.
out vec2 v_uv;
void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    v_uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
