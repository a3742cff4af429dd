// core/speech.cpp — see speech.h.
#include "core/speech.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace headstart {

namespace {

size_t ms_to_samples(double ms, int rate) {
    return static_cast<size_t>(std::llround(std::max(0.0, ms) * rate / 1000.0));
}

bool same_voice(Origin a, Origin b) { return (a == Origin::Cloud) == (b == Origin::Cloud); }

}  // namespace

LiveSpeech::LiveSpeech(Synthesizer& synth, SpeechOptions options) : synth_(synth), options_(options) {}

void LiveSpeech::push(WordArrival word) { waiting_.push_back(std::move(word)); }

Result<std::vector<int16_t>> LiveSpeech::tick(double now_ms) {
    if (!error_.empty()) return Error{error_};
    if (waiting_.empty() || now_ms < free_at_ || synthesizing()) return std::vector<int16_t>{};
    const auto text = begin(now_ms);
    if (!text) return std::vector<int16_t>{};
    return finish(synth_.speak(*text), now_ms);
}

size_t LiveSpeech::take(double now_ms) const {
    if (waiting_.empty()) return 0;
    // Every word waiting by now, of the same voice, up to max_words; and always the whole of the first word's
    // arrival (the opener comes at once): a shell whose clock reads a little behind the turn's (the page's
    // voice set its clock from a snapshot a frame old) must not cut "Quantum" from "computing is a type".
    const double by = std::max(now_ms, waiting_.front().arrived_ms);
    size_t end = 1;
    while (end < waiting_.size() && waiting_[end].arrived_ms <= by &&
           same_voice(waiting_[end].origin, waiting_.front().origin) &&
           static_cast<int>(end) < std::max(1, options_.max_words))
        ++end;
    return end;
}

std::string LiveSpeech::next_text(double now_ms) const {
    std::string text;
    const size_t end = take(now_ms);
    for (size_t i = 0; i < end; ++i) text += (i ? " " : "") + waiting_[i].word;
    return text;
}

std::optional<std::string> LiveSpeech::begin(double now_ms) {
    if (!error_.empty() || waiting_.empty() || synthesizing()) return std::nullopt;
    std::string text = next_text(now_ms);
    pending_ = take(now_ms);
    pending_chars_ = text.size();
    begun_ms_ = now_ms;
    return text;
}

std::vector<WordArrival> LiveSpeech::take_next(double now_ms) {
    if (!error_.empty() || synthesizing()) return {};
    const auto end = waiting_.begin() + static_cast<std::ptrdiff_t>(take(now_ms));
    std::vector<WordArrival> out(waiting_.begin(), end);
    waiting_.erase(waiting_.begin(), end);
    return out;
}

Result<std::vector<int16_t>> LiveSpeech::finish(const Result<Utterance>& u, double now_ms) {
    if (!error_.empty()) return Error{error_};
    const size_t end = pending_;
    if (end == 0) return Error{"speech: an utterance finished that was not begun"};
    pending_ = 0;
    last_wait_ms_ = std::max(0.0, now_ms - begun_ms_);
    last_chars_ = pending_chars_;
    const auto fail = [&](std::string why) -> Result<std::vector<int16_t>> {
        error_ = "speech: " + why;
        return Error{error_};
    };
    if (!u.ok()) return fail(u.error());
    const Utterance& a = u.value();
    if (a.sample_rate <= 0) return fail("the synthesizer gave no sample rate");
    if (track_.utterances == 0) track_.sample_rate = a.sample_rate;
    else if (a.sample_rate != track_.sample_rate) return fail("the synthesizer changed its sample rate mid-answer");
    if (a.word_start_ms.size() != end)
        return fail("the synthesizer timed " + std::to_string(a.word_start_ms.size()) + " words of " +
                    std::to_string(end));
    const double length_ms = 1000.0 * a.samples.size() / a.sample_rate;
    // silence until the utterance (it starts when its audio is there and the voice is free); its words
    // are timed from the sample it really starts at
    const double start_ms = std::max(now_ms, free_at_);
    track_.samples.resize(std::max(track_.samples.size(), ms_to_samples(start_ms, track_.sample_rate)), 0);
    const double at = 1000.0 * track_.samples.size() / track_.sample_rate;
    track_.samples.insert(track_.samples.end(), a.samples.begin(), a.samples.end());
    for (size_t k = 0; k < end; ++k) {
        const double from = std::min(a.word_start_ms[k], length_ms);
        const double to = k + 1 < a.word_start_ms.size() ? std::min(a.word_start_ms[k + 1], length_ms) : length_ms;
        track_.words.push_back(HeardWord{waiting_[k].word, at + from, at + std::max(from, to), waiting_[k].origin});
    }
    free_at_ = at + length_ms;
    ++track_.utterances;
    waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(end));
    return a.samples;
}

SpeechTrack LiveSpeech::track() const {
    SpeechTrack t = track_;
    const HeardWord* last_device = nullptr;
    const HeardWord* first_cloud = nullptr;
    for (const HeardWord& w : t.words) {
        if (w.origin == Origin::Cloud) {
            if (!first_cloud) first_cloud = &w;
        } else if (!first_cloud) {
            last_device = &w;
        }
    }
    if (last_device && first_cloud)
        t.handoff_silence_ms = longest_silence_ms(t.samples, t.sample_rate, last_device->start_ms, first_cloud->end_ms,
                                                  options_.silence_threshold);
    return t;
}

Result<SpeechTrack> speak_arrivals(const std::vector<WordArrival>& words, Synthesizer& synth,
                                   const SpeechOptions& options) {
    // LiveSpeech ticked at exactly the instants something can start: when the voice comes free, or when
    // the next word arrives while it is idle.
    LiveSpeech live(synth, options);
    size_t next = 0;
    while (next < words.size() || live.waiting()) {
        const double t = live.waiting() ? live.free_at_ms() : std::max(live.free_at_ms(), words[next].arrived_ms);
        while (next < words.size() && words[next].arrived_ms <= t) live.push(words[next++]);
        auto r = live.tick(t);
        if (!r.ok()) return Error{r.error()};
    }
    return live.track();
}

std::vector<double> word_starts_from_marks(const std::string& text, const std::vector<std::pair<int, double>>& marks,
                                           double total_ms) {
    std::vector<int> starts;  // the code point where each word starts
    int chars = 0;
    bool in_word = false;
    for (unsigned char c : text) {
        if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: same character
        const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (!space && !in_word) starts.push_back(chars);
        in_word = !space;
        ++chars;
    }
    std::vector<double> at(starts.size(), -1.0);
    if (starts.empty()) return at;
    size_t e = 0;
    for (size_t w = 0; w < starts.size(); ++w) {
        const int end = w + 1 < starts.size() ? starts[w + 1] : 1 << 30;
        while (e < marks.size() && marks[e].first - 1 < starts[w]) ++e;
        if (e < marks.size() && marks[e].first - 1 < end) at[w] = std::min(marks[e++].second, total_ms);
    }
    if (at[0] < 0) at[0] = 0.0;
    for (size_t w = 1; w < starts.size();) {
        if (at[w] >= 0) {
            ++w;
            continue;
        }
        size_t k = w;  // at[w - 1] is known; w..k-1 are not
        while (k < starts.size() && at[k] < 0) ++k;
        const double from = at[w - 1], to = k < starts.size() ? at[k] : total_ms;
        const int c0 = starts[w - 1], c1 = k < starts.size() ? starts[k] : chars;
        for (size_t j = w; j < k; ++j) at[j] = from + (to - from) * (starts[j] - c0) / std::max(1, c1 - c0);
        w = k;
    }
    return at;
}

std::vector<WordArrival> spoken_arrivals(const Timeline& timeline) {
    std::vector<WordArrival> out;
    for (const Event& e : timeline.events())
        if (e.kind == EventKind::WordShown) out.push_back(WordArrival{e.text, e.arrived_ms, e.origin});
    return out;
}

double longest_silence_ms(const std::vector<int16_t>& samples, int sample_rate, double from_ms, double to_ms,
                          double threshold) {
    if (sample_rate <= 0 || to_ms <= from_ms) return 0.0;
    const size_t a = std::min(samples.size(), ms_to_samples(from_ms, sample_rate));
    const size_t b = std::min(samples.size(), ms_to_samples(to_ms, sample_rate));
    const double limit = threshold * 32768.0;
    size_t run = 0, best = 0;
    for (size_t i = a; i < b; ++i) {
        run = std::abs(static_cast<double>(samples[i])) <= limit ? run + 1 : 0;
        best = std::max(best, run);
    }
    // past the end of the audio is silence too (the voice has stopped)
    if (b < ms_to_samples(to_ms, sample_rate)) best = std::max(best, run + ms_to_samples(to_ms, sample_rate) - b);
    return 1000.0 * best / sample_rate;
}

Status write_wav(const std::string& path, const std::vector<int16_t>& samples, int sample_rate) {
    if (sample_rate <= 0) return Error{"cannot write " + path + ": no sample rate"};
    std::ofstream f(path, std::ios::binary);
    if (!f) return Error{"cannot write " + path};
    auto u32 = [&](uint32_t v) {
        const char b[4] = {char(v & 0xff), char((v >> 8) & 0xff), char((v >> 16) & 0xff), char((v >> 24) & 0xff)};
        f.write(b, 4);
    };
    auto u16 = [&](uint16_t v) {
        const char b[2] = {char(v & 0xff), char((v >> 8) & 0xff)};
        f.write(b, 2);
    };
    const uint32_t data = static_cast<uint32_t>(samples.size() * 2);
    f.write("RIFF", 4);
    u32(36 + data);
    f.write("WAVEfmt ", 8);
    u32(16);
    u16(1);  // PCM
    u16(1);  // mono
    u32(static_cast<uint32_t>(sample_rate));
    u32(static_cast<uint32_t>(sample_rate) * 2);
    u16(2);
    u16(16);
    f.write("data", 4);
    u32(data);
    for (int16_t s : samples) u16(static_cast<uint16_t>(s));
    f.flush();
    if (!f) return Error{"cannot write " + path + " (disk full?)"};
    return Ok{};
}

}  // namespace headstart
