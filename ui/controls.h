// ui/controls.h — the settings of the next turn, as widgets and as named values.
//
//   Controls        plain data: μLM model, opener length and policy, pace, temperature / seed,
//                   cloud endpoint (local headstart-cloud or any OpenAI-compatible URL), latency
//                   profile, cloud token cap, correction method (auto or forced), presentation
//   request()       Controls + question -> the TurnRequest a TurnDriver runs (one mapping, used
//                   by Ask, the race and the study alike)
//   set()           the same settings by name, for --script and tests ("pace" "240")
//   draw()          the sidebar
//   to_json()       the settings, for the app's state
//   preset_questions()   the questions offered in the top bar
//
// Correction method "gate" forces Method 1 by tightening the confidence gate (and asks the cloud
// to continue); "pivot" / "rewrite" / "continue" ask headstart-cloud for that verdict
// (TurnConfig::forced_verdict); "auto" lets the μLM's confidence and the cloud decide.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ui/driver.h"
#include "ui/speaker.h"

namespace ui {

enum class Method { Auto, Continue, Gate, Pivot, Rewrite };
enum class OpenerPolicyChoice { ClauseAware, FixedLength, LatencyAware };

const std::vector<std::string>& preset_questions();
const std::vector<std::string>& latency_profiles();  // "" (the server's own), none, wifi, lte, ...

struct Controls {
    int model = 0;
    int opener_min = 4, opener_max = 8;
    OpenerPolicyChoice policy = OpenerPolicyChoice::ClauseAware;
    bool confidence_stop = true;
    float pace_wpm = 200.0f;
    float temperature = 0.0f;  // greedy: the most on-topic openers (docs/evaluation.md)
    int seed = 7;
    bool speech = false;  // presentation: speech (a rewrite becomes "Let me rephrase:")
    // Speak aloud (ui/speaker.h): the answer is heard, so its corrections take their spoken form
    // (speech presentation) and the opener is sized for the voice's rate.
    bool speak = false;
    char voice[64] = "en-us";  // an eSpeak NG voice (espeak-ng --voices); the page: also browser[:LANG]
    int speech_wpm = 165;      // 80..450
    bool openai = false;  // endpoint kind: any OpenAI-compatible URL instead of headstart-cloud
    char local_url[256] = "http://127.0.0.1:8088";
    char openai_url[256] = "https://api.openai.com/v1";
    char api_key[256] = "";
    char openai_model[128] = "gpt-4o-mini";
    bool prefill = false;  // /v1/completions with ChatML instead of chat
    int profile = 0;       // into latency_profiles()
    int max_tokens = 96;
    Method method = Method::Auto;
    bool gate = true;
    std::optional<double> measured_cloud_ttft_ms;  // latency-aware policy: the last turn's

    TurnRequest request(const std::string& question, headstart::OpenerSource source) const;
    SpeechSettings speech_settings() const;
    std::string set(const std::string& key, const std::string& value);  // "" or why not
    nlohmann::json to_json() const;
    // The sidebar; `models` from the driver. Returns true when a setting changed.
    bool draw(const std::vector<ModelChoice>& models);
};

const char* to_string(Method m);
const char* to_string(OpenerPolicyChoice p);

}  // namespace ui
