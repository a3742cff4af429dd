// fuzz/fuzz_check.h — what the harnesses share: FUZZ_CHECK (an invariant that failed is a finding:
// print it and abort, so libFuzzer saves the input) and the chunking of one input into stream deltas.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace headstart::fuzz {

// What the harness is looking at (set it before the checks): printed, escaped, when a check fails.
inline std::string& context() {
    static std::string c;
    return c;
}

inline std::string escaped(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out + "\"";
}

}  // namespace headstart::fuzz

#define FUZZ_CHECK(cond, what)                                                                                 \
    do {                                                                                                       \
        if (!(cond)) {                                                                                         \
            std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s)\n%s\n", __FILE__, __LINE__, #cond, what, \
                         headstart::fuzz::context().c_str());                                                  \
            std::abort();                                                                                      \
        }                                                                                                      \
    } while (0)

namespace headstart::fuzz {

// Splits what is left of the input into chunks of 0..max_chunk bytes, the cut points chosen by the input
// itself (a network may cut a stream anywhere: inside a line, a UTF-8 character, a tag).
inline std::vector<std::string> chunks(FuzzedDataProvider& in, std::size_t max_chunk = 64) {
    std::vector<std::string> out;
    while (in.remaining_bytes() > 0) {
        const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, max_chunk);
        out.push_back(in.ConsumeBytesAsString(n));
    }
    return out;
}

// An opener (up to 96 bytes) and the cloud's continuation cut into deltas, both from the input; noted as the
// context a failed check prints.
inline std::pair<std::string, std::vector<std::string>> opener_and_stream(FuzzedDataProvider& in) {
    std::string opener = in.ConsumeRandomLengthString(96);
    std::vector<std::string> parts = chunks(in, 24);
    std::string c = "opener " + escaped(opener) + "\nparts";
    for (const auto& p : parts) c += " " + escaped(p);
    context() = c;
    return {std::move(opener), std::move(parts)};
}

inline std::string joined(const std::vector<std::string>& parts) {
    std::string s;
    for (const auto& p : parts) s += p;
    return s;
}

}  // namespace headstart::fuzz
