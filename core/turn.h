// core/turn.h — one turn of Headstart, start to finish, as a state machine every front end drives
// (CLI, desktop, web, benchmarks, evaluation). It owns no thread, clock, model or socket: the
// driver feeds it logits, cloud bytes and times (ms since the turn began), so every decision
// can be replayed in a test.
//
//   begin()            question -> the μLM prompt ids to prefill; Request event
//   on_logits()        after the prefill / each step: sample, ask the OpenerPolicy; returns the
//                      token to feed next, or nothing once the opener is fixed
//   handoff()          Method 1 (confidence gate), the opener goes to the presenter, and the
//                      cloud request is built (chat or prefill mode); Handoff + CloudRequestSent
//   on_cloud_status/bytes/end()   SSE -> deltas -> verdict (tag or inferred) -> correction path
//                      -> joined text -> presenter; failures end the turn gracefully
//   advance()          the presenter shows the words that are due (WordShown events)
//   answer(), timeline(), opener_tokens()   what the UI, CLI and study mode read
//
// Modes: the μLM opener (default), a canned opener ("Sure —", a baseline) or cloud only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/correction.h"
#include "core/handoff.h"
#include "core/opener_policy.h"
#include "core/presenter.h"
#include "core/result.h"
#include "core/sampler.h"
#include "core/sse.h"
#include "core/timeline.h"
#include "core/tokenizer.h"
#include "core/transport.h"
#include "core/verdict.h"

namespace headstart {

enum class OpenerSource { Model, Canned, None };
const char* to_string(OpenerSource source);  // "mulm", "canned", "none"

struct TurnConfig {
    OpenerSource opener_source = OpenerSource::Model;
    std::string canned_opener = "Sure —";
    OpenerPolicyConfig opener;
    SamplerConfig sampler;
    ConfidenceGateConfig gate;
    HandoffConfig handoff;
    CorrectionConfig correction;
    PresenterConfig presenter;
    std::string forced_verdict;   // "" (auto) or continue/pivot/rewrite: asked of the cloud
    std::string latency_profile;  // "" or a headstart-cloud profile name (wifi, lte, ...) for this turn
    std::string offline_ending = "— I can't reach the cloud right now, so that is all I can say.";
    size_t max_question_bytes = 4000;
};

enum class TurnPhase { Idle, Opener, Handoff, Cloud, Done };
const char* to_string(TurnPhase phase);  // "idle", "opener", "handoff", "cloud", "done"

// One μLM token as the UI shows it (a chip).
struct OpenerTokenView {
    int id = 0;
    std::string text;  // whole characters (a split character shows on the token that completes it)
    double prob = 0.0, logprob = 0.0, entropy = 0.0;
    std::vector<std::pair<std::string, double>> alternatives;  // text, probability
    double t_ms = 0.0;
    bool in_opener = true;  // false: the token the policy stopped before, or words the gate cut
};

// The μLM's prompt (ChatML, no system turn): "<|im_start|>user\n{question}" and, with
// open_answer, "<|im_end|>\n<|im_start|>assistant\n" after it. Needs a ChatML tokenizer.
std::vector<int> mulm_prompt_ids(const Tokenizer& tokenizer, std::string_view question, bool open_answer);

class Turn {
public:
    Turn(Tokenizer tokenizer, TurnConfig config);

    const TurnConfig& config() const { return config_; }
    TurnPhase phase() const { return phase_; }

    // Starts the turn. Returns the prompt to prefill (empty when there is no μLM opener: call
    // handoff() next). Errors: empty question; it is repaired if not UTF-8 and cut (with a note)
    // at max_question_bytes on a character boundary.
    Result<std::vector<int>> begin(std::string_view question, double t_ms);
    // Logits after the prefill or the last fed token. Returns the next token to feed the model,
    // or nothing when the opener is fixed (then call handoff()).
    Result<std::optional<int>> on_logits(const std::vector<float>& logits, double t_ms);
    bool opener_fixed() const { return phase_ == TurnPhase::Handoff; }
    // How many of the prompt's tokens the μLM took from its KV cache instead of running them at
    // the request (pre-read while the question was typed, or shared with the last prompt).
    void on_prompt_reused(int tokens) { prompt_reused_ = tokens; }
    int prompt_tokens() const { return prompt_tokens_; }
    int prompt_reused() const { return prompt_reused_; }
    // The μLM failed (model error): the turn goes on as cloud only, recorded in the timeline.
    void on_model_error(const std::string& message, double t_ms);

    // Fixes the opener (gate), hands it to the presenter and returns the cloud request.
    Result<HandoffRequest> handoff(double t_ms);

    void on_cloud_status(int status, double t_ms);
    void on_cloud_bytes(std::string_view bytes, double t_ms);
    void on_cloud_end(const HttpOutcome& outcome, double t_ms);

    // Shows the words due by now_ms. Returns how many were shown.
    size_t advance(double now_ms);
    // When the presenter's next word is due (to sleep until then), if one is queued.
    std::optional<double> next_word_due_ms() const { return presenter_.next_due_ms(); }
    // The cloud has ended and every word has been shown.
    bool finished() const;

    const Timeline& timeline() const { return timeline_; }
    const std::string& question() const { return question_; }
    const std::vector<OpenerTokenView>& opener_tokens() const { return tokens_; }
    const OpenerDecision& opener_decision() const { return policy_.final_decision(); }
    const GateDecision& gate() const { return gate_; }
    std::string opener() const { return gate_.opener; }
    // The answer as it stands: segments with their styles and the path that fired.
    CorrectedAnswer answer() const;
    std::optional<VerdictReport> verdict() const;
    std::string cloud_text() const { return cloud_text_; }  // tag stripped, as the cloud sent it
    bool cloud_failed() const { return cloud_failed_; }
    const std::string& failure() const { return failure_; }
    // Words the user has been shown so far, in order.
    std::string shown_text() const { return shown_; }
    // Every word that has reached the presenter, shown or still queued, in the order it will be shown,
    // with the time it arrived: what a voice speaks as soon as it can (the display keeps its own pace).
    std::vector<WordArrival> arrived_words() const;

private:
    void feed_presenter(double t_ms);
    void handle_delta(const StreamDelta& d, double t_ms);

    Tokenizer tokenizer_;
    TurnConfig config_;
    TurnPhase phase_ = TurnPhase::Idle;
    Timeline timeline_;
    std::string question_;
    Sampler sampler_;
    OpenerPolicy policy_;
    TokenStream token_text_;
    std::vector<int> generated_;
    std::vector<OpenerTokenView> tokens_;
    bool prefill_seen_ = false;
    int prompt_tokens_ = 0, prompt_reused_ = 0;
    GateDecision gate_;
    OpenAiStream sse_;
    std::optional<VerdictParser> verdict_;
    std::string cloud_text_;
    bool cloud_first_byte_ = false, cloud_first_token_ = false, cloud_ended_ = false, cloud_failed_ = false;
    bool verdict_recorded_ = false;
    std::string failure_;
    Presenter presenter_;
    std::string fed_tail_;  // the part of the answer after the opener already given to the presenter
    bool tail_rewritten_ = false;
    std::string shown_;
};

}  // namespace headstart
