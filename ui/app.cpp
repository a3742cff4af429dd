// ui/app.cpp — see app.h. Views are split by concern as they grow (transcript, timeline,
// controls, study); this first slice holds the header and the empty timeline lanes.
#include "ui/app.h"

#include <algorithm>
#include <cstdio>

#include "imgui.h"
#include "shaders_embedded.h"

namespace ui {
namespace {

constexpr float kDevice[3] = {0.11f, 0.36f, 0.42f};  // teal: the μLM on the device
constexpr float kCloud[3] = {0.24f, 0.16f, 0.42f};   // violet: the cloud
const char* const kLanes[] = {"device \xC2\xB5LM", "network + cloud", "user sees / hears"};

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

}  // namespace

App::App(AppInfo info, TurnDriver* driver) : info_(std::move(info)), driver_(driver) {}

void App::ask(const std::string& question) {
    if (!driver_) return;
    request_.question = question;
    driver_->start(request_);
}

bool App::init_graphics() {
    if (!backdrop_.build(shaders::fullscreen_vert_glsl, shaders::backdrop_frag_glsl)) {
        error_ = backdrop_.error();
        return false;
    }
    return true;
}

void App::render_backdrop(int w, int h) {
    fb_w_ = w;
    fb_h_ = h;
    if (!backdrop_.ok()) {
        glClearColor(kDevice[0], kDevice[1], kDevice[2], 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        return;
    }
    backdrop_.begin({0, 0, w, h});
    backdrop_.uniform("u_resolution", static_cast<float>(w), static_cast<float>(h));
    backdrop_.uniform("u_time", static_cast<float>(time_s_));
    backdrop_.uniform("u_device", kDevice[0], kDevice[1], kDevice[2]);
    backdrop_.uniform("u_cloud", kCloud[0], kCloud[1], kCloud[2]);
    backdrop_.draw();
}

void App::frame(float dt) {
    // Headless browsers with virtual time can report a zero or negative delta.
    time_s_ += std::max(0.0f, dt);
    ++frames_;
    if (driver_) {
        driver_->poll();
        snapshot_ = driver_->snapshot();
    }
    draw_header();
    draw_timeline_lanes();
}

void App::draw_header() {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + 16, vp->Pos.y + 16), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(520, 170), ImGuiCond_FirstUseEver);
    ImGui::Begin("Headstart");
    ImGui::TextUnformatted("An on-device \xC2\xB5LM writes the opener;");
    ImGui::TextUnformatted("the cloud LLM continues it mid-sentence.");
    ImGui::Separator();
    ImGui::Text("platform  %s", info_.platform.c_str());
    ImGui::Text("renderer  %s", info_.gl_version.c_str());
    ImGui::Text("frame     %ld  (%.0f fps)", frames_, ImGui::GetIO().Framerate);
    if (!error_.empty()) ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "%s", error_.c_str());
    ImGui::Separator();
    ImGui::SetNextItemWidth(-70);
    const bool enter = ImGui::InputText("##question", question_, sizeof question_, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if ((ImGui::Button("Ask") || enter) && driver_) ask(question_);
    ImGui::TextDisabled("%s", snapshot_.status.c_str());
    if (!snapshot_.error.empty()) ImGui::TextColored(ImVec4(1, 0.45f, 0.4f, 1), "%s", snapshot_.error.c_str());
    if (snapshot_.turn) ImGui::TextWrapped("%s", snapshot_.turn->shown_text().c_str());
    ImGui::End();
}

void App::draw_timeline_lanes() {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + 16, vp->Pos.y + 200), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(std::max(420.0f, vp->Size.x - 32), 205), ImGuiCond_FirstUseEver);
    ImGui::Begin("Timeline");
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x, lane_h = 34.0f, label_w = 140.0f;
    static const headstart::Timeline kEmpty;
    const headstart::Timeline& timeline_ = snapshot_.turn ? snapshot_.turn->timeline() : kEmpty;
    const double span_ms = std::max(1000.0, timeline_.end_ms());
    for (int lane = 0; lane < 3; ++lane) {
        const float y = origin.y + lane * (lane_h + 6);
        dl->AddRectFilled(ImVec2(origin.x + label_w, y), ImVec2(origin.x + width, y + lane_h),
                          IM_COL32(255, 255, 255, 18), 4.0f);
        dl->AddText(ImVec2(origin.x, y + 9), IM_COL32(220, 230, 235, 255), kLanes[lane]);
    }
    // Time axis in ms under the lanes.
    const float axis_y = origin.y + 3 * (lane_h + 6) + 2;
    for (int i = 0; i <= 4; ++i) {
        const float x = origin.x + label_w + (width - label_w - 64) * i / 4.0f;
        char label[32];
        std::snprintf(label, sizeof label, "%.0f ms", span_ms * i / 4.0);
        dl->AddLine(ImVec2(x, axis_y), ImVec2(x, axis_y + 4), IM_COL32(200, 200, 200, 160));
        dl->AddText(ImVec2(x + 2, axis_y + 4), IM_COL32(200, 200, 200, 200), label);
    }
    ImGui::Dummy(ImVec2(width, 3 * (lane_h + 6) + 24));
    if (timeline_.events().empty()) ImGui::TextDisabled("No turn yet.");
    ImGui::End();
}

std::string App::state_json() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "\"frames\":%ld,\"framebuffer\":[%d,%d],\"shader_ok\":%s,\"events\":%zu",
                  frames_, fb_w_, fb_h_, backdrop_.ok() ? "true" : "false",
                  snapshot_.turn ? snapshot_.turn->timeline().events().size() : size_t{0});
    return std::string("{\"app\":\"headstart\",\"version\":\"") + HEADSTART_VERSION + "\",\"platform\":\"" +
           json_escape(info_.platform) + "\",\"gl\":\"" + json_escape(info_.gl_version) + "\"," + buf +
           ",\"error\":\"" + json_escape(error_) + "\"}";
}

}  // namespace ui
