// core/utf8.cpp — see utf8.h. The decoder follows the Unicode "maximal subpart" rule for U+FFFD.
#include "core/utf8.h"

namespace headstart {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the well-formed sequence at s[i], 0 if ill-formed, or -k if it is a valid but
// incomplete prefix of k bytes (truncated by the end of `s`).
int sequence_length(std::string_view s, std::size_t i, std::size_t* bad_len) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    *bad_len = 1;
    if (c < 0x80) return 1;
    int need;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c == 0xE0) {
        need = 3;
        lo = 0xA0;
    } else if (c == 0xED) {
        need = 3;
        hi = 0x9F;
    }  // no UTF-16 surrogates
    else if (c >= 0xE1 && c <= 0xEF)
        need = 3;
    else if (c == 0xF0) {
        need = 4;
        lo = 0x90;
    } else if (c == 0xF4) {
        need = 4;
        hi = 0x8F;
    }  // nothing above U+10FFFF
    else if (c >= 0xF1 && c <= 0xF3)
        need = 4;
    else return 0;  // 0x80..0xC1, 0xF5..0xFF
    for (int k = 1; k < need; ++k) {
        if (i + k >= s.size()) return -k;  // valid so far, but truncated
        const unsigned char lo_k = k == 1 ? lo : 0x80, hi_k = k == 1 ? hi : 0xBF;
        if (b(k) < lo_k || b(k) > hi_k) {
            *bad_len = k;
            return 0;
        }
    }
    return need;
}

// Shared walk: appends decoded text to `out`; returns the offset of an incomplete tail
// (s.size() if none). With `tail_is_error`, an incomplete tail is replaced instead.
std::size_t decode(std::string_view s, std::string* out, bool tail_is_error) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t bad = 1;
        const int n = sequence_length(s, i, &bad);
        if (n > 0) {
            if (out) out->append(s.substr(i, n));
            i += n;
        } else if (n < 0 && !tail_is_error) {
            return i;
        } else {
            if (out) out->append(kReplacement);
            i += n < 0 ? static_cast<std::size_t>(-n) : bad;
        }
    }
    return s.size();
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t bad = 1;
        const int n = sequence_length(s, i, &bad);
        if (n <= 0) return false;
        i += n;
    }
    return true;
}

std::string repair_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    decode(s, &out, /*tail_is_error=*/true);
    return out;
}

std::size_t utf8_length(std::string_view s) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size(); ++count) {
        std::size_t bad = 1;
        const int n = sequence_length(s, i, &bad);
        i += n > 0 ? n : (n < 0 ? static_cast<std::size_t>(-n) : bad);
    }
    return count;
}

std::string Utf8Stream::push(std::string_view bytes) {
    pending_.append(bytes);
    std::string out;
    const std::size_t tail = decode(pending_, &out, /*tail_is_error=*/false);
    pending_.erase(0, tail);
    return out;
}

std::string Utf8Stream::finish() {
    std::string out = repair_utf8(pending_);
    pending_.clear();
    return out;
}

}  // namespace headstart
