// Shading of a span on the timeline lanes: the masked latency (teal) or a stall (red). Moving
// diagonal hatching over a soft fill, with bright edges where the span starts and ends.
// Drawn inside ImGui's draw list by ui/timeline_view.cpp (ImDrawList::AddCallback), blended.
uniform vec2 u_resolution;   // pixels of the span's rectangle
uniform float u_time;        // seconds, for the hatching's drift
uniform vec3 u_color;
uniform float u_alpha;       // overall strength
uniform float u_stripe;      // hatching period in pixels
in vec2 v_uv;
out vec4 frag_color;
void main() {
    vec2 px = v_uv * u_resolution;
    float s = fract((px.x + px.y) / u_stripe - u_time * 0.35);
    float stripe = smoothstep(0.0, 0.12, s) * (1.0 - smoothstep(0.45, 0.57, s));
    float edge_dist = min(px.x, u_resolution.x - px.x);
    float edge = 1.0 - smoothstep(0.0, 2.5, edge_dist);
    float glow = 1.0 - smoothstep(0.0, 18.0, edge_dist);
    float a = u_alpha * (0.22 + 0.38 * stripe + 0.25 * glow);
    a = max(a, 0.95 * edge);
    frag_color = vec4(u_color * (0.85 + 0.3 * stripe), a);
}
