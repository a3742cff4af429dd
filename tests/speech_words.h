// tests/speech_words.h — words arriving at the voice, for the speech tests (test_speech.cpp, test_speaker.cpp):
// arrivals("Sure thing", 50, Origin::Device) + arrivals("here it is.", 300, Origin::Cloud).
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "core/speech.h"

namespace speech_words {

// Each whitespace-separated word of text, all arriving at `at` from `origin`.
inline std::vector<headstart::WordArrival> arrivals(const std::string& text, double at, headstart::Origin origin) {
    std::vector<headstart::WordArrival> out;
    std::istringstream words(text);
    std::string w;
    while (words >> w) out.push_back({w, at, origin});
    return out;
}

// A fake voice's audio at 1 sample per ms: 50 loud samples per character of each word (its start at the
// word's first sample), then 100 quiet ones.
inline headstart::Utterance fake_utterance(const std::string& text, int sample_rate) {
    headstart::Utterance u;
    u.sample_rate = sample_rate;
    std::istringstream words(text);
    std::string w;
    while (words >> w) {
        u.word_start_ms.push_back(static_cast<double>(u.samples.size()));
        u.samples.insert(u.samples.end(), 50 * w.size(), 10000);
    }
    u.samples.insert(u.samples.end(), 100, 0);
    return u;
}

inline std::vector<headstart::WordArrival> operator+(std::vector<headstart::WordArrival> a,
                                                     const std::vector<headstart::WordArrival>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace speech_words
