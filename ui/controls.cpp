// ui/controls.cpp — see controls.h.
//
// Map of this file:
//   presets              the preset questions and latency profiles
//   request()            the controls -> the next turn's TurnRequest (the one place they are read)
//   set(), to_json()     a control by name (scripts, the page's hook) and all of them as JSON
//   draw()               the sidebar
#include "ui/controls.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "imgui.h"
#include "ui/theme.h"
#include "ui/widgets.h"

namespace ui {

const std::vector<std::string>& preset_questions() {
    // Questions of the offline cloud's reference corpus (assets/reference/), so the embedded default
    // answers them for real; any other question goes to the cloud just the same.
    static const std::vector<std::string> q = {
        "Can you explain the basics of quantum computing?",
        "How can I improve my time management skills?",
        "What is the best way to form a new habit?",
        "Why can I see the moon during the day?",
        "What are the most effective ways to deal with stress?",
        "How can I increase my productivity while working from home?",
        "How do weather models work?",
        "What are some good browser alternatives to Chrome?",
    };
    return q;
}

const std::vector<std::string>& latency_profiles() {
    static const std::vector<std::string> p = {"", "none", "wifi", "lte", "congested", "satellite"};
    return p;
}

const char* to_string(Method m) {
    switch (m) {
        case Method::Auto: return "auto";
        case Method::Continue: return "continue";
        case Method::Gate: return "gate";
        case Method::Pivot: return "pivot";
        case Method::Rewrite: return "rewrite";
    }
    return "auto";
}

const char* to_string(OpenerPolicyChoice p) {
    switch (p) {
        case OpenerPolicyChoice::ClauseAware: return "clause";
        case OpenerPolicyChoice::FixedLength: return "fixed";
        case OpenerPolicyChoice::LatencyAware: return "latency";
    }
    return "clause";
}

namespace {

// The nominal first-token wait of headstart-cloud's profiles (core/latency_profile.cpp), for the
// latency-aware policy before a turn has measured one.
double nominal_latency_ms(const std::string& profile) {
    if (profile == "none") return 100;
    if (profile == "wifi") return 450;
    if (profile == "congested") return 2000;
    if (profile == "satellite") return 2800;
    return 900;  // lte, and the demo server's default
}

bool parse_int(const std::string& s, int lo, int hi, int* out) {
    char* end = nullptr;
    const long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end || v < lo || v > hi) return false;
    *out = static_cast<int>(v);
    return true;
}

bool parse_float(const std::string& s, float lo, float hi, float* out) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end || v < lo || v > hi) return false;
    *out = static_cast<float>(v);
    return true;
}

bool parse_bool(const std::string& s, bool* out) {
    if (s == "on" || s == "true" || s == "1" || s == "yes") return *out = true, true;
    if (s == "off" || s == "false" || s == "0" || s == "no") return *out = false, true;
    return false;
}

void copy(char* dst, size_t n, const std::string& s) { std::snprintf(dst, n, "%s", s.c_str()); }

void label(const char* text) {
    FontScope f(fonts().small);
    ImGui::TextColored(to_vec4(palette::text_dim), "%s", text);
}

void section(const char* title, ImU32 color) {
    ImGui::Spacing();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + 3), ImVec2(p.x + 3, p.y + 17), color, 1.5f);
    ImGui::SetCursorScreenPos(ImVec2(p.x + 10, p.y));
    FontScope f(fonts().heading);
    ImGui::TextUnformatted(title);
}

}  // namespace

TurnRequest Controls::request(const std::string& question, headstart::OpenerSource source) const {
    TurnRequest r;
    r.question = question;
    r.model_index = model;
    headstart::TurnConfig& c = r.config;
    c.opener_source = source;
    c.opener.min_words = std::min(opener_min, opener_max);
    c.opener.max_words = std::max(opener_min, opener_max);
    c.opener.words_per_minute = pace_wpm;
    c.presenter.words_per_minute = pace_wpm;
    switch (policy) {
        case OpenerPolicyChoice::ClauseAware:
            c.opener.prefer_clause_boundary = true;
            c.opener.stop_on_low_confidence = confidence_stop;
            break;
        case OpenerPolicyChoice::FixedLength:
            c.opener.prefer_clause_boundary = false;
            c.opener.stop_on_low_confidence = false;
            c.opener.min_words = c.opener.max_words;
            break;
        case OpenerPolicyChoice::LatencyAware:
            c.opener.prefer_clause_boundary = true;
            c.opener.stop_on_low_confidence = confidence_stop;
            c.opener.expected_cloud_latency_ms =
                measured_cloud_ttft_ms ? *measured_cloud_ttft_ms : nominal_latency_ms(latency_profiles()[profile]);
            break;
    }
    c.sampler.temperature = temperature;
    c.sampler.seed = static_cast<std::uint64_t>(seed);
    c.gate.enabled = gate || method == Method::Gate;
    if (method == Method::Gate) {
        // Strict thresholds: any word the μLM was not fairly sure of is cut.
        c.gate.min_word_logprob = -1.0;
        c.gate.max_word_entropy = 2.5;
        c.gate.min_kept_words = 2;
    }
    switch (method) {
        case Method::Auto: c.forced_verdict = ""; break;
        case Method::Continue:
        case Method::Gate: c.forced_verdict = "continue"; break;
        case Method::Pivot: c.forced_verdict = "pivot"; break;
        case Method::Rewrite: c.forced_verdict = "rewrite"; break;
    }
    c.correction.mode = speech || speak ? headstart::PresentationMode::Speech : headstart::PresentationMode::Display;
    // Heard, the opener lasts as long as the voice takes to say it (the latency-aware policy's sizing).
    if (speak) c.opener.words_per_minute = speech_wpm;
    c.handoff.mode = prefill ? headstart::HandoffMode::Prefill : headstart::HandoffMode::Chat;
    c.handoff.max_tokens = max_tokens;
    if (openai) {
        r.endpoint.base_url = openai_url;
        r.endpoint.api_key = api_key;
        r.endpoint.model = openai_model;
    } else {
        r.endpoint.base_url = local_url;
        r.endpoint.model = "headstart-cloud";
    }
    c.handoff.model = r.endpoint.model;
    r.latency_profile = openai ? "" : latency_profiles()[profile];
    c.latency_profile = r.latency_profile;
    return r;
}

SpeechSettings Controls::speech_settings() const {
    SpeechSettings s;
    s.on = speak;
    s.voice = voice;
    s.words_per_minute = speech_wpm;
    return s;
}

std::string Controls::set(const std::string& key, const std::string& v) {
    if (key == "model") return parse_int(v, 0, 63, &model) ? "" : "model: an index";
    if (key == "opener_min") return parse_int(v, 1, 16, &opener_min) ? "" : "opener_min: 1..16";
    if (key == "opener_max") return parse_int(v, 1, 16, &opener_max) ? "" : "opener_max: 1..16";
    if (key == "opener_words") {
        int a = 0, b = 0;
        if (std::sscanf(v.c_str(), "%d-%d", &a, &b) == 2 && a >= 1 && b >= a && b <= 16) {
            opener_min = a;
            opener_max = b;
            return "";
        }
        return "opener_words: MIN-MAX, e.g. 4-8";
    }
    if (key == "policy") {
        if (v == "clause") policy = OpenerPolicyChoice::ClauseAware;
        else if (v == "fixed") policy = OpenerPolicyChoice::FixedLength;
        else if (v == "latency") policy = OpenerPolicyChoice::LatencyAware;
        else return "policy: clause, fixed or latency";
        return "";
    }
    if (key == "confidence_stop") return parse_bool(v, &confidence_stop) ? "" : "confidence_stop: on or off";
    if (key == "pace" || key == "wpm")
        return parse_float(v, 0, 1000, &pace_wpm) ? "" : "pace: words per minute, 0..1000";
    if (key == "temperature") return parse_float(v, 0, 2, &temperature) ? "" : "temperature: 0..2";
    if (key == "seed") return parse_int(v, 0, 1 << 30, &seed) ? "" : "seed: a non-negative integer";
    if (key == "presentation") {
        if (v == "display") speech = false;
        else if (v == "speech") speech = true;
        else return "presentation: display or speech";
        return "";
    }
    if (key == "speak") return parse_bool(v, &speak) ? "" : "speak: on or off";
    if (key == "voice") {
        if (v.empty() || v.size() >= sizeof voice || v.find_first_of(" \t") != std::string::npos || v == "browser:")
            return "voice: an eSpeak NG voice name (espeak-ng --voices), e.g. en-us; in the page also browser or "
                   "browser:LANG (its Web Speech voices), e.g. browser:en-GB";
        return copy(voice, sizeof voice, v), "";
    }
    if (key == "speech_wpm" || key == "voice_wpm")
        return parse_int(v, 80, 450, &speech_wpm) ? "" : "speech_wpm: words per minute, 80..450";
    if (key == "endpoint") {
        openai = false;
        copy(local_url, sizeof local_url, v);
        return "";
    }
    if (key == "openai_url") {
        openai = true;
        copy(openai_url, sizeof openai_url, v);
        return "";
    }
    if (key == "endpoint_kind") {
        if (v == "local") openai = false;
        else if (v == "openai") openai = true;
        else return "endpoint_kind: local or openai";
        return "";
    }
    if (key == "api_key") return copy(api_key, sizeof api_key, v), "";
    if (key == "cloud_model") return copy(openai_model, sizeof openai_model, v), "";
    if (key == "request_mode") {
        if (v == "chat") prefill = false;
        else if (v == "prefill") prefill = true;
        else return "request_mode: chat or prefill";
        return "";
    }
    if (key == "profile") {
        const auto& p = latency_profiles();
        const std::string want = v == "server" || v == "default" ? "" : v;
        const auto it = std::find(p.begin(), p.end(), want);
        if (it == p.end()) return "profile: server, none, wifi, lte, congested or satellite";
        profile = static_cast<int>(it - p.begin());
        return "";
    }
    if (key == "max_tokens" || key == "cloud_max_tokens")
        return parse_int(v, 1, 4096, &max_tokens) ? "" : "max_tokens: 1..4096";
    if (key == "method") {
        if (v == "auto") method = Method::Auto;
        else if (v == "continue") method = Method::Continue;
        else if (v == "gate") method = Method::Gate;
        else if (v == "pivot") method = Method::Pivot;
        else if (v == "rewrite") method = Method::Rewrite;
        else return "method: auto, continue, gate, pivot or rewrite";
        return "";
    }
    if (key == "gate") return parse_bool(v, &gate) ? "" : "gate: on or off";
    return "unknown setting '" + key + "'";
}

nlohmann::json Controls::to_json() const {
    return {{"model", model},
            {"opener_min", opener_min},
            {"opener_max", opener_max},
            {"policy", to_string(policy)},
            {"confidence_stop", confidence_stop},
            {"pace_wpm", pace_wpm},
            {"temperature", temperature},
            {"seed", seed},
            {"presentation", speech || speak ? "speech" : "display"},
            {"speak", speak},
            {"voice", voice},
            {"speech_wpm", speech_wpm},
            {"endpoint_kind", openai ? "openai" : "local"},
            {"endpoint", openai ? openai_url : local_url},
            {"request_mode", prefill ? "prefill" : "chat"},
            {"profile", latency_profiles()[profile].empty() ? "server" : latency_profiles()[profile]},
            {"max_tokens", max_tokens},
            {"method", to_string(method)},
            {"gate", gate}};
}

bool Controls::draw(const std::vector<ModelChoice>& models) {
    bool changed = false;
    const float w = ImGui::GetContentRegionAvail().x;
    ImGui::PushItemWidth(w);

    section("\xC2\xB5LM on the device", palette::teal);
    label("model");
    const char* current = model < static_cast<int>(models.size()) ? models[model].name.c_str() : "(none)";
    if (ImGui::BeginCombo("##model", current)) {
        for (int i = 0; i < static_cast<int>(models.size()); ++i)
            if (ImGui::Selectable(models[i].name.c_str(), i == model)) model = i, changed = true;
        ImGui::EndCombo();
    }
    label("opener length (words)");
    changed |= ImGui::DragIntRange2("##opener_words", &opener_min, &opener_max, 0.05f, 1, 12, "min %d", "max %d");
    label("opener policy");
    const char* policies[] = {"clause-aware (stop at , . ;)", "fixed length", "latency-aware (longer on slow links)"};
    int p = static_cast<int>(policy);
    if (ImGui::Combo("##policy", &p, policies, 3)) policy = static_cast<OpenerPolicyChoice>(p), changed = true;
    changed |= ImGui::Checkbox("stop early when unsure", &confidence_stop);
    label("temperature");
    changed |= ImGui::SliderFloat("##temperature", &temperature, 0.0f, 1.5f, "%.2f");
    label("seed");
    changed |= ImGui::InputInt("##seed", &seed);
    seed = std::max(0, seed);

    section("Presentation", palette::text);
    label("pace (words per minute)");
    changed |= ImGui::SliderFloat("##pace", &pace_wpm, 80.0f, 400.0f, "%.0f wpm");
    int mode = speech || speak ? 1 : 0;
    ImGui::BeginDisabled(speak);  // what is heard cannot be struck through
    if (ImGui::RadioButton("text", &mode, 0)) changed = true;
    ImGui::SameLine();
    if (ImGui::RadioButton("speech", &mode, 1)) changed = true;
    ImGui::EndDisabled();
    if (!speak) speech = mode == 1;
    changed |= ImGui::Checkbox("speak aloud (eSpeak NG)", &speak);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the opener at once, the cloud's words queued behind it");
    if (speak) {
        label("voice");
        changed |= ImGui::InputTextWithHint("##voice", "en-us", voice, sizeof voice);
        label("voice rate (words per minute)");
        changed |= ImGui::SliderInt("##speech_wpm", &speech_wpm, 80, 450, "%d wpm");
        speech_wpm = std::clamp(speech_wpm, 80, 450);
    }

    section("Cloud", palette::violet);
    int kind = openai ? 1 : 0;
    if (ImGui::RadioButton("headstart-cloud", &kind, 0)) changed = true;
    ImGui::SameLine();
    if (ImGui::RadioButton("OpenAI API", &kind, 1)) changed = true;
    openai = kind == 1;
    if (openai) {
        changed |= ImGui::InputTextWithHint("##openai_url", "https://host/v1", openai_url, sizeof openai_url);
        changed |=
            ImGui::InputTextWithHint("##api_key", "API key", api_key, sizeof api_key, ImGuiInputTextFlags_Password);
        changed |= ImGui::InputTextWithHint("##openai_model", "model", openai_model, sizeof openai_model);
    } else {
        changed |= ImGui::InputTextWithHint("##local_url", "http://127.0.0.1:8088", local_url, sizeof local_url);
        label("latency profile");
        const char* names[] = {"server default",    "none", "wifi (~450 ms)", "LTE (~900 ms)", "congested (~2 s)",
                               "satellite (~2.8 s)"};
        changed |= ImGui::Combo("##profile", &profile, names, 6);
    }
    int req = prefill ? 1 : 0;
    if (ImGui::RadioButton("chat", &req, 0)) changed = true;
    ImGui::SameLine();
    if (ImGui::RadioButton("prefill (ChatML)", &req, 1)) changed = true;
    prefill = req == 1;
    label("cloud tokens (max)");
    changed |= ImGui::SliderInt("##max_tokens", &max_tokens, 16, 512);

    section("Correction", palette::bridge);
    const char* methods[] = {"auto (verdict + confidence)", "force continue", "force gate (Method 1)",
                             "force pivot (Method 2)", "force rewrite (Method 3)"};
    int m = static_cast<int>(method);
    if (ImGui::Combo("##method", &m, methods, 5)) method = static_cast<Method>(m), changed = true;
    changed |= ImGui::Checkbox("confidence gate", &gate);
    ImGui::PopItemWidth();
    return changed;
}

}  // namespace ui
