// The app's backdrop: a slow diagonal gradient from the device colour to the cloud colour, with
// faint moving hatching — the same hatching later marks masked latency on the timeline lanes.
uniform vec2 u_resolution;   // pixels of the drawn rectangle
uniform float u_time;        // seconds since start
uniform vec3 u_device;       // colour of the μLM (device) side
uniform vec3 u_cloud;        // colour of the cloud side
in vec2 v_uv;
out vec4 frag_color;
void main() {
    float mix_t = clamp(0.65 * v_uv.x + 0.35 * (1.0 - v_uv.y), 0.0, 1.0);
    vec3 base = mix(u_device, u_cloud, smoothstep(0.0, 1.0, mix_t));
    vec2 px = v_uv * u_resolution;
    float stripe = step(0.5, fract((px.x + px.y) / 28.0 - u_time * 0.25));
    float vignette = 1.0 - 0.35 * length(v_uv - vec2(0.5));
    frag_color = vec4(base * vignette * (0.92 + 0.08 * stripe), 1.0);
}
