// core/turn.cpp — see turn.h.
//
// Map of this file:
//   mulm_prompt_ids()         the question as the μLM's ChatML prompt (cut at 4000 bytes, UTF-8 safe)
//   begin(), on_logits()      the opener: prompt ids, then one sampled token per logits, the policy's stop
//   handoff()                 the gate, then the cloud request
//   on_cloud_*()              status, bytes (SSE -> deltas -> verdict), the end or the failure
//   answer(), advance()       the corrected answer, and the presenter paced to a clock
#include "core/turn.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "core/words.h"

namespace headstart {

const char* to_string(TurnPhase p) {
    switch (p) {
        case TurnPhase::Idle: return "idle";
        case TurnPhase::Opener: return "opener";
        case TurnPhase::Handoff: return "handoff";
        case TurnPhase::Cloud: return "cloud";
        case TurnPhase::Done: return "done";
    }
    return "idle";
}

const char* to_string(OpenerSource s) {
    switch (s) {
        case OpenerSource::Model: return "mulm";
        case OpenerSource::Canned: return "canned";
        case OpenerSource::None: return "none";
    }
    return "unknown";
}

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 character.
std::string cut_utf8(std::string s, size_t max) {
    if (s.size() <= max) return s;
    size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s.resize(end);
    return s;
}

}  // namespace

std::vector<int> mulm_prompt_ids(const Tokenizer& tokenizer, std::string_view question, bool open_answer) {
    // The question cannot forge ChatML markers: its specials are taken as text.
    std::vector<int> ids = {tokenizer.im_start_id()};
    const auto user = tokenizer.encode("user\n", SpecialTokens::AsText);
    ids.insert(ids.end(), user.begin(), user.end());
    if (!question.empty()) {
        const auto body = tokenizer.encode(question, SpecialTokens::AsText);
        ids.insert(ids.end(), body.begin(), body.end());
    }
    if (open_answer) {
        const auto assistant = tokenizer.encode("<|im_end|>\n<|im_start|>assistant\n", SpecialTokens::Match);
        ids.insert(ids.end(), assistant.begin(), assistant.end());
    }
    return ids;
}

Turn::Turn(Tokenizer tokenizer, TurnConfig config)
    : tokenizer_(tokenizer),
      config_(std::move(config)),
      sampler_(config_.sampler),
      policy_(config_.opener),
      token_text_(tokenizer_, /*skip_special=*/true),
      presenter_(config_.presenter) {}

Result<std::vector<int>> Turn::begin(std::string_view question, double t_ms) {
    if (phase_ != TurnPhase::Idle) return Error{"a turn can only begin once"};
    if (auto st = validate(config_.sampler); !st.ok()) return Error{st.error()};
    if (auto st = validate(config_.opener); !st.ok()) return Error{st.error()};
    if (auto st = validate(config_.presenter); !st.ok()) return Error{st.error()};
    std::string q = repair_utf8(question);
    const auto trimmed = trim_spaces(q);
    if (trimmed.empty()) return Error{"the question is empty"};
    q = std::string(trimmed);
    if (q.size() > config_.max_question_bytes) q = cut_utf8(std::move(q), config_.max_question_bytes);
    question_ = q;
    timeline_.add(EventKind::Request, t_ms, question_);
    if (config_.opener_source != OpenerSource::Model) {
        phase_ = TurnPhase::Handoff;
        return std::vector<int>{};
    }
    phase_ = TurnPhase::Opener;
    if (tokenizer_.im_start_id() < 0) return Error{"the tokenizer has no <|im_start|>: not a ChatML μLM"};
    std::vector<int> ids = mulm_prompt_ids(tokenizer_, question_, /*open_answer=*/true);
    prompt_tokens_ = static_cast<int>(ids.size());
    return ids;
}

Result<std::optional<int>> Turn::on_logits(const std::vector<float>& logits, double t_ms) {
    if (phase_ != TurnPhase::Opener) return Error{"on_logits() outside the opener phase"};
    if (!prefill_seen_) {
        prefill_seen_ = true;
        timeline_.add(EventKind::PrefillDone, t_ms);
    }
    auto sampled = sampler_.sample(logits, generated_);
    if (!sampled.ok()) return Error{"sampling failed: " + sampled.error()};
    const int id = sampled->id;
    const bool eos = id == tokenizer_.im_end_id() || id == tokenizer_.endoftext_id() || (tokenizer_.is_special(id));
    const std::string piece = eos ? std::string() : tokenizer_.token_piece(id);
    const OpenerDecision d = policy_.on_token(OpenerToken{piece, sampled->logprob, sampled->entropy, eos});

    OpenerTokenView view;
    view.id = id;
    view.text = eos ? tokenizer_.vocab_token(id) : token_text_.push(id);
    view.prob = sampled->prob;
    view.logprob = sampled->logprob;
    view.entropy = sampled->entropy;
    view.t_ms = t_ms;
    for (const auto& alt : sampled->alternatives)
        view.alternatives.emplace_back(tokenizer_.is_special(alt.id) ? tokenizer_.vocab_token(alt.id)
                                                                     : repair_utf8(tokenizer_.token_piece(alt.id)),
                                       alt.prob);
    view.in_opener = d.action != OpenerAction::StopBefore;
    tokens_.push_back(view);
    if (view.in_opener) timeline_.add(EventKind::OpenerToken, t_ms, view.text);
    generated_.push_back(id);

    if (!d.stops()) return std::optional<int>(id);
    phase_ = TurnPhase::Handoff;
    return std::optional<int>();
}

void Turn::on_model_error(const std::string& message, double t_ms) {
    timeline_.add(EventKind::Verdict, t_ms, "μLM failed: " + message);
    config_.opener_source = OpenerSource::None;
    phase_ = TurnPhase::Handoff;
}

Result<HandoffRequest> Turn::handoff(double t_ms) {
    if (phase_ != TurnPhase::Handoff) return Error{"handoff() before the opener is fixed"};
    switch (config_.opener_source) {
        case OpenerSource::Model: {
            if (config_.gate.enabled) {
                auto g = apply_confidence_gate(policy_.opener(), policy_.word_confidences(), config_.gate);
                if (!g.ok()) return Error{g.error()};
                gate_ = g.value();
            } else {
                gate_ = pass_through_gate(policy_.opener());
            }
            if (gate_.fired) {
                // Tokens after the last kept word are marked as cut on their chips.
                const std::string kept = gate_.used_fallback ? std::string() : gate_.opener;
                std::string so_far;
                for (auto& t : tokens_) {
                    if (!t.in_opener) continue;
                    so_far += t.text;
                    if (std::string(trim_trailing_spaces(so_far)).size() > kept.size()) t.in_opener = false;
                }
            }
            break;
        }
        case OpenerSource::Canned: gate_ = pass_through_gate(config_.canned_opener); break;
        case OpenerSource::None: gate_ = pass_through_gate(""); break;
    }
    HandoffConfig hc = config_.handoff;
    if (config_.opener_source == OpenerSource::None) hc.verdict_protocol = false;  // nothing to judge
    auto req = build_handoff_request(hc, question_, gate_.opener);
    if (!req.ok()) return Error{req.error()};
    // Fields headstart-cloud reads (a hosted LLM ignores unknown fields; the system prompt asks it).
    if ((!config_.forced_verdict.empty() && config_.opener_source != OpenerSource::None) ||
        !config_.latency_profile.empty()) {
        auto body = nlohmann::json::parse(req->body);
        if (!config_.forced_verdict.empty() && config_.opener_source != OpenerSource::None)
            body["headstart_verdict"] = config_.forced_verdict;
        if (!config_.latency_profile.empty()) body["headstart_latency"] = config_.latency_profile;
        req->body = body.dump();
    }
    timeline_.add(EventKind::Handoff, t_ms, gate_.opener);
    if (gate_.fired) timeline_.add(EventKind::Verdict, t_ms, "gate: " + gate_.why);
    timeline_.add(EventKind::CloudRequestSent, t_ms);
    if (!gate_.opener.empty())
        presenter_.add_text(gate_.opener, t_ms, Origin::Device);  // the fallback opener too: shown locally
    verdict_.emplace(gate_.opener);
    phase_ = TurnPhase::Cloud;
    return req;
}

void Turn::on_cloud_status(int status, double t_ms) {
    if (phase_ != TurnPhase::Cloud) return;
    if (!cloud_first_byte_) {
        cloud_first_byte_ = true;
        timeline_.add(EventKind::CloudFirstByte, t_ms, "HTTP " + std::to_string(status));
    }
}

void Turn::on_cloud_bytes(std::string_view bytes, double t_ms) {
    if (phase_ != TurnPhase::Cloud || cloud_ended_) return;
    on_cloud_status(200, t_ms);
    for (const StreamDelta& d : sse_.feed(bytes)) handle_delta(d, t_ms);
    feed_presenter(t_ms);
}

void Turn::handle_delta(const StreamDelta& d, double t_ms) {
    switch (d.kind) {
        case StreamDelta::Kind::Text: {
            if (config_.opener_source == OpenerSource::None) {
                cloud_text_ += d.text;  // cloud only: no verdict protocol
            } else {
                cloud_text_ += verdict_->push(d.text);
            }
            if (!d.text.empty()) {
                if (!cloud_first_token_) cloud_first_token_ = true;
                timeline_.add(EventKind::ContinuationToken, t_ms, d.text);
            }
            break;
        }
        case StreamDelta::Kind::Error:
            if (!cloud_failed_) {
                cloud_failed_ = true;
                failure_ = "the cloud sent a bad stream: " + d.text;
            }
            break;
        case StreamDelta::Kind::Finished:
        case StreamDelta::Kind::Done: break;
    }
    if (verdict_ && verdict_->decided() && !verdict_recorded_ && config_.opener_source != OpenerSource::None) {
        verdict_recorded_ = true;
        timeline_.add(EventKind::Verdict, t_ms, answer().label() + " (" + verdict_->report().why + ")");
    }
}

void Turn::on_cloud_end(const HttpOutcome& outcome, double t_ms) {
    if (phase_ != TurnPhase::Cloud || cloud_ended_) return;
    for (const StreamDelta& d : sse_.finish()) handle_delta(d, t_ms);
    if (verdict_ && config_.opener_source != OpenerSource::None) cloud_text_ += verdict_->finish();
    if (!outcome.ok() && !cloud_failed_) {
        cloud_failed_ = true;
        failure_ = std::string(to_string(outcome.failure)) + ": " + outcome.message;
    } else if (outcome.ok() && !cloud_failed_ && !sse_.saw_done() && cloud_text_.empty()) {
        cloud_failed_ = true;
        failure_ = "the cloud answered with no text";
    }
    cloud_ended_ = true;
    if (verdict_ && verdict_->decided() && !verdict_recorded_ && config_.opener_source != OpenerSource::None) {
        verdict_recorded_ = true;
        timeline_.add(EventKind::Verdict, t_ms, answer().label() + " (" + verdict_->report().why + ")");
    }
    if (cloud_failed_) timeline_.add(EventKind::CloudFailed, t_ms, failure_);
    else timeline_.add(EventKind::CloudDone, t_ms);
    feed_presenter(t_ms);
    presenter_.end_stream(t_ms);
    // Graceful ending: when the cloud gave nothing usable, the user still gets a finished thought.
    if (cloud_failed_ && trim_spaces(cloud_text_).empty()) {
        if (!verdict_recorded_) timeline_.add(EventKind::Verdict, t_ms, "fallback (" + failure_ + ")");
        presenter_.add_text(config_.offline_ending, t_ms, Origin::Fallback);
    } else if (cloud_failed_) {
        presenter_.add_word("…", t_ms, Origin::Fallback);
    }
    phase_ = TurnPhase::Done;
}

std::optional<VerdictReport> Turn::verdict() const {
    if (verdict_ && verdict_->decided()) return verdict_->report();
    return std::nullopt;
}

CorrectedAnswer Turn::answer() const {
    CorrectionInput in;
    in.gate = gate_;
    if (verdict_ && verdict_->decided()) in.verdict = verdict_->report().verdict;
    in.cloud_text = cloud_text_;
    in.cloud_done = cloud_ended_;
    CorrectedAnswer a = compose_answer(in, config_.correction);
    if (cloud_ended_ && cloud_failed_) {
        Segment s;
        s.origin = Origin::Fallback;
        s.text = trim_spaces(cloud_text_).empty() ? " " + config_.offline_ending : " …";
        a.segments.push_back(s);
    }
    return a;
}

void Turn::feed_presenter(double t_ms) {
    const CorrectedAnswer a = answer();
    if (!a.settled) return;  // a pivot's bridge may still change: wait
    std::string visible;
    for (const Segment& s : a.segments)
        if (s.origin != Origin::Fallback && (s.style == SegmentStyle::Normal || s.style == SegmentStyle::Bridge))
            visible += s.text;
    std::string tail;
    if (starts_with(visible, gate_.opener)) {
        tail = visible.substr(gate_.opener.size());
    } else {
        tail = visible;  // retract and replace (display): the replacement is all new
        tail_rewritten_ = true;
    }
    if (!starts_with(tail, fed_tail_)) return;  // not monotonic (should not happen once settled)
    const std::string delta = tail.substr(fed_tail_.size());
    if (!delta.empty()) presenter_.add_stream_text(delta, t_ms, Origin::Cloud);
    fed_tail_ = tail;
}

size_t Turn::advance(double now_ms) {
    const auto shown = presenter_.advance(now_ms, &timeline_);
    for (const auto& w : shown) {
        if (!shown_.empty()) shown_ += ' ';
        shown_ += w.word;
    }
    return shown.size();
}

std::vector<WordArrival> Turn::arrived_words() const {
    std::vector<WordArrival> out;
    for (const Event& e : timeline_.events())
        if (e.kind == EventKind::WordShown) out.push_back(WordArrival{e.text, e.arrived_ms, e.origin});
    out.insert(out.end(), presenter_.queued_words().begin(), presenter_.queued_words().end());
    return out;
}

bool Turn::finished() const {
    return phase_ == TurnPhase::Done && presenter_.queued() == 0 && !presenter_.has_pending_stream_word();
}

}  // namespace headstart
