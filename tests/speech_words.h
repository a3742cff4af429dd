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

inline std::vector<headstart::WordArrival> operator+(std::vector<headstart::WordArrival> a,
                                                     const std::vector<headstart::WordArrival>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace speech_words
