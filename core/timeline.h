// core/timeline.h — the record of one turn, and the metrics derived from it.
//
// Every stage of a turn (μLM, handoff, cloud, presenter) appends timestamped events here; the CLI,
// the UI lanes, the benchmarks and the study mode all read the same record. Metrics are derived,
// never stored, so they cannot disagree with the events.
//
// Lanes:  device μLM      Request, PrefillDone, OpenerToken, Handoff
//         network+cloud   CloudRequestSent, CloudFirstByte, ContinuationToken, Verdict, CloudDone, CloudFailed
//         user sees/hears WordShown (with the time the word occupies at the presenter's pace)
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace headstart {

enum class EventKind {
    Request,      // the user's question entered the pipeline (t = 0 by convention)
    PrefillDone,  // μLM prompt prefill finished
    OpenerToken,  // one μLM token; text = its decoded piece
    Handoff,      // the opener is fixed; text = the opener
    CloudRequestSent,
    CloudFirstByte,
    ContinuationToken,  // one cloud token; text = its piece
    Verdict,            // text = the verdict / correction path that fired
    CloudDone,
    CloudFailed,  // text = why (unreachable, 5xx, deadline, cut mid-stream, ...)
    WordShown,    // presenter showed/spoke a word; text = word, duration_ms = its slot
};

enum class Origin { Device, Cloud, Fallback };
const char* to_string(Origin origin);  // "device", "cloud", "fallback"

struct Event {
    EventKind kind;
    double t_ms;  // monotonic, relative to the turn's Request
    std::string text;
    double duration_ms = 0.0;  // only for WordShown
    Origin origin = Origin::Device;
    double arrived_ms = 0.0;  // only for WordShown: when the word reached the presenter (core/speech.h)
};

const char* to_string(EventKind kind);

// Metrics of docs/architecture.md. A metric is empty when the turn never reached the events it needs.
struct TurnMetrics {
    std::optional<double> local_ttft_ms;            // Request -> first OpenerToken
    std::optional<double> time_to_4_words_ms;       // Request -> 4 complete opener words generated
    std::optional<double> cloud_ttft_ms;            // CloudRequestSent -> first ContinuationToken
    std::optional<double> perceived_first_word_ms;  // Request -> first WordShown
    double masked_ms = 0.0;                         // cloud wait that fell while opener words were being shown
    double stall_ms = 0.0;                          // silence between the end of the opener and the next word shown
    int words_before_cloud = 0;                     // opener words shown before the first continuation token arrived
    std::string path;                               // last Verdict text, "" if none
    bool failed = false;                            // a CloudFailed event was recorded
};

// A stretch of the turn's clock, for the UI to shade (masked latency) or mark (stall).
struct Span {
    double from_ms = 0.0, to_ms = 0.0;
    double length() const { return to_ms - from_ms; }
};

class Timeline {
public:
    void add(EventKind kind, double t_ms, std::string text = {});
    // arrived_ms < 0: the word was shown the moment it arrived
    void add_word_shown(double t_ms, std::string word, double duration_ms, Origin origin, double arrived_ms = -1.0);
    void clear() { events_.clear(); }

    const std::vector<Event>& events() const { return events_; }
    const Event* first(EventKind kind) const;
    const Event* last(EventKind kind) const;
    double end_ms() const;  // time of the latest event end (t + duration)

    TurnMetrics metrics() const;
    // Where masked_ms and stall_ms lie on the clock (the lanes shade them); empty when zero.
    // metrics() derives masked_ms and stall_ms from these, so the picture and the numbers agree.
    std::optional<Span> masked_span() const;
    std::optional<Span> stall_span() const;

private:
    std::vector<Event> events_;
};

}  // namespace headstart
