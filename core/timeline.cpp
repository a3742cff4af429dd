// core/timeline.cpp — see timeline.h; every metric is computed from the event list alone.
#include "core/timeline.h"

#include <algorithm>
#include <cctype>

namespace headstart {

const char* to_string(Origin origin) {
    switch (origin) {
        case Origin::Device: return "device";
        case Origin::Cloud: return "cloud";
        case Origin::Fallback: return "fallback";
    }
    return "device";
}

const char* to_string(EventKind kind) {
    switch (kind) {
        case EventKind::Request: return "request";
        case EventKind::PrefillDone: return "prefill_done";
        case EventKind::OpenerToken: return "opener_token";
        case EventKind::Handoff: return "handoff";
        case EventKind::CloudRequestSent: return "cloud_request_sent";
        case EventKind::CloudFirstByte: return "cloud_first_byte";
        case EventKind::ContinuationToken: return "continuation_token";
        case EventKind::Verdict: return "verdict";
        case EventKind::CloudDone: return "cloud_done";
        case EventKind::CloudFailed: return "cloud_failed";
        case EventKind::WordShown: return "word_shown";
    }
    return "unknown";
}

void Timeline::add(EventKind kind, double t_ms, std::string text) {
    events_.push_back(Event{kind, t_ms, std::move(text)});
}

void Timeline::add_word_shown(double t_ms, std::string word, double duration_ms, Origin origin, double arrived_ms) {
    events_.push_back(
        Event{EventKind::WordShown, t_ms, std::move(word), duration_ms, origin, arrived_ms < 0 ? t_ms : arrived_ms});
}

const Event* Timeline::first(EventKind kind) const {
    for (const Event& e : events_)
        if (e.kind == kind) return &e;
    return nullptr;
}

const Event* Timeline::last(EventKind kind) const {
    for (auto it = events_.rbegin(); it != events_.rend(); ++it)
        if (it->kind == kind) return &*it;
    return nullptr;
}

double Timeline::end_ms() const {
    double end = 0.0;
    for (const Event& e : events_) end = std::max(end, e.t_ms + e.duration_ms);
    return end;
}

namespace {

// Number of words that are complete in `text`: a word counts once whitespace follows it.
int complete_words(const std::string& text) {
    int words = 0;
    bool in_word = false;
    for (unsigned char c : text) {
        if (std::isspace(c)) {
            if (in_word) ++words;
            in_word = false;
        } else {
            in_word = true;
        }
    }
    return words;
}

int all_words(const std::string& text) { return complete_words(text + " "); }

}  // namespace

namespace {

// The span the user is kept busy by the opener: from its first shown word to the end of the
// slot of its last shown word; and the first word shown after it that is not the device's.
struct OpenerShowing {
    double busy_from = -1.0, busy_to = -1.0;
    const Event* first_later_word = nullptr;
};

OpenerShowing opener_showing(const std::vector<Event>& events) {
    OpenerShowing s;
    for (const Event& e : events) {
        if (e.kind != EventKind::WordShown) continue;
        if (e.origin == Origin::Device) {
            if (s.busy_from < 0) s.busy_from = e.t_ms;
            s.busy_to = std::max(s.busy_to, e.t_ms + e.duration_ms);
        } else if (!s.first_later_word) {
            s.first_later_word = &e;
        }
    }
    return s;
}

}  // namespace

std::optional<Span> Timeline::masked_span() const {
    const Event* sent = first(EventKind::CloudRequestSent);
    if (!sent) return std::nullopt;
    const OpenerShowing s = opener_showing(events_);
    if (s.busy_from < 0) return std::nullopt;
    // The cloud wait ends with its first token, or with the failure, or is still open.
    const Event* first_cont = first(EventKind::ContinuationToken);
    const Event* failed = first(EventKind::CloudFailed);
    const double wait_end = first_cont ? first_cont->t_ms : failed ? failed->t_ms : end_ms();
    const double lo = std::max(sent->t_ms, s.busy_from), hi = std::min(wait_end, s.busy_to);
    if (hi <= lo) return std::nullopt;
    return Span{lo, hi};
}

std::optional<Span> Timeline::stall_span() const {
    const OpenerShowing s = opener_showing(events_);
    if (s.busy_to < 0 || !s.first_later_word || s.first_later_word->t_ms <= s.busy_to) return std::nullopt;
    return Span{s.busy_to, s.first_later_word->t_ms};
}

TurnMetrics Timeline::metrics() const {
    TurnMetrics m;
    const Event* request = first(EventKind::Request);
    const double t0 = request ? request->t_ms : 0.0;

    if (const Event* tok = first(EventKind::OpenerToken)) m.local_ttft_ms = tok->t_ms - t0;

    // Four words: either four complete words inside the stream, or the handoff of an opener that
    // has four words (its last word is complete by definition once the opener is fixed).
    std::string opener;
    for (const Event& e : events_) {
        if (e.kind == EventKind::OpenerToken) {
            opener += e.text;
            if (complete_words(opener) >= 4) {
                m.time_to_4_words_ms = e.t_ms - t0;
                break;
            }
        } else if (e.kind == EventKind::Handoff) {
            if (all_words(opener) >= 4) m.time_to_4_words_ms = e.t_ms - t0;
            break;
        }
    }

    const Event* sent = first(EventKind::CloudRequestSent);
    const Event* first_cont = first(EventKind::ContinuationToken);
    if (sent && first_cont) m.cloud_ttft_ms = first_cont->t_ms - sent->t_ms;

    const Event* first_shown = first(EventKind::WordShown);
    if (first_shown) m.perceived_first_word_ms = first_shown->t_ms - t0;

    m.failed = first(EventKind::CloudFailed) != nullptr;
    if (auto masked = masked_span()) m.masked_ms = masked->length();
    if (sent)
        for (const Event& e : events_)
            if (e.kind == EventKind::WordShown && e.origin == Origin::Device &&
                (!first_cont || e.t_ms < first_cont->t_ms))
                ++m.words_before_cloud;
    if (auto stall = stall_span()) m.stall_ms = stall->length();

    if (const Event* v = last(EventKind::Verdict)) m.path = v->text;
    return m;
}

}  // namespace headstart
