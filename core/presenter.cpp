// core/presenter.cpp — see presenter.h.
#include "core/presenter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/words.h"

namespace headstart {

Status validate(const PresenterConfig& c) {
    if (!std::isfinite(c.words_per_minute)) return Error{"presenter: words_per_minute must be a finite number"};
    if (!std::isfinite(c.clause_pause_ms) || c.clause_pause_ms < 0.0 || !std::isfinite(c.sentence_pause_ms) ||
        c.sentence_pause_ms < 0.0)
        return Error{"presenter: pauses must be finite and >= 0 ms"};
    return Ok{};
}

double word_duration_ms(std::string_view word, const PresenterConfig& c) {
    if (!(c.words_per_minute > 0.0)) return 0.0;  // no pacing
    double ms = has_no_word_chars(word) ? 0.0 : 60000.0 / c.words_per_minute;
    if (c.punctuation_pauses) {
        switch (trailing_boundary(word)) {
            case Boundary::Sentence: ms += std::max(0.0, c.sentence_pause_ms); break;
            case Boundary::Clause: ms += std::max(0.0, c.clause_pause_ms); break;
            case Boundary::None:
                // A lone dash chunk ("—", "-") is a pause too.
                if (has_no_word_chars(word) && !word.empty()) ms += std::max(0.0, c.clause_pause_ms);
                break;
        }
    }
    return ms;
}

Presenter::Presenter(PresenterConfig config) : config_(config) {}

void Presenter::add_word(std::string_view word, double arrived_ms, Origin origin) {
    const std::string_view w = trim_spaces(word);
    if (w.empty()) return;
    queue_.push_back(WordArrival{std::string(w), arrived_ms, origin});
}

void Presenter::add_text(std::string_view text, double arrived_ms, Origin origin) {
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t n = 1;
        if (text_class(decode_code_point(text, i, &n)) == TextClass::Space) {
            i += n;
            continue;
        }
        const std::size_t begin = i;
        while (i < text.size() && text_class(decode_code_point(text, i, &n)) != TextClass::Space) i += n;
        add_word(text.substr(begin, i - begin), arrived_ms, origin);
    }
}

void Presenter::add_stream_text(std::string_view piece, double arrived_ms, Origin origin) {
    if (!partial_.empty() && origin != partial_origin_) end_stream(arrived_ms);
    partial_origin_ = origin;
    for (std::size_t i = 0; i < piece.size();) {
        std::size_t n = 1;
        if (text_class(decode_code_point(piece, i, &n)) == TextClass::Space) {
            if (!partial_.empty()) {
                add_word(partial_, arrived_ms, partial_origin_);
                partial_.clear();
            }
        } else {
            partial_.append(piece.substr(i, n));
        }
        i += n;
    }
}

void Presenter::end_stream(double arrived_ms) {
    if (partial_.empty()) return;
    add_word(partial_, arrived_ms, partial_origin_);
    partial_.clear();
}

std::optional<double> Presenter::next_due_ms() const {
    if (queue_.empty()) return std::nullopt;
    const double arrived = queue_.front().arrived_ms;
    return shown_any_ ? std::max(arrived, busy_until_) : arrived;
}

std::vector<ShownWord> Presenter::advance(double now_ms, Timeline* timeline) {
    std::vector<ShownWord> shown;
    while (!queue_.empty()) {
        const double start = *next_due_ms();
        if (start > now_ms) break;
        WordArrival w = std::move(queue_.front());
        queue_.pop_front();
        const double duration = word_duration_ms(w.word, config_);
        if (timeline) timeline->add_word_shown(start, w.word, duration, w.origin, w.arrived_ms);
        busy_until_ = start + duration;
        shown_any_ = true;
        shown.push_back(ShownWord{std::move(w.word), start, duration, w.origin});
    }
    return shown;
}

std::vector<ShownWord> schedule_words(const std::vector<WordArrival>& arrivals, const PresenterConfig& config) {
    Presenter p(config);
    for (const WordArrival& a : arrivals) p.add_word(a.word, a.arrived_ms, a.origin);
    return p.advance(std::numeric_limits<double>::infinity());
}

}  // namespace headstart
