// core/utf8.h — UTF-8 validation, repair, and a streaming decoder.
//
// Prompts arrive from users and servers; tokens arrive one byte-level BPE piece at a time and may
// split a character in two. Everything the core shows or sends goes through these functions, so
// nothing downstream ever sees a broken sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace headstart {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Copy of `s` with every ill-formed sequence replaced by U+FFFD (one per maximal bad subpart).
std::string repair_utf8(std::string_view s);

// Number of code points in well-formed `s` (ill-formed bytes count one each).
std::size_t utf8_length(std::string_view s);

// Decodes a byte stream in arbitrary chunks and only ever returns whole characters.
// An incomplete sequence at the end of a chunk is held back until the next push().
class Utf8Stream {
public:
    // Returns the longest prefix of (held-back bytes + `bytes`) made of complete characters;
    // ill-formed bytes come out as U+FFFD.
    std::string push(std::string_view bytes);
    // Ends the stream: returns whatever was held back, with an incomplete tail as U+FFFD.
    std::string finish();
    bool has_pending() const { return !pending_.empty(); }

private:
    std::string pending_;
};

}  // namespace headstart
