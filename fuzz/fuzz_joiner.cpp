// fuzz/fuzz_joiner.cpp — the joiner (opener + the cloud's continuation) on arbitrary text cut anywhere.
// Invariants: valid UTF-8 out; appended() is what push()/finish() returned; the text on screen does not
// depend on how the network cut the stream (streamed == join() in one piece); seam() never crashes.
#include <cstdint>

#include "core/joiner.h"
#include "core/utf8.h"
#include "core/words.h"
#include "fuzz/fuzz_check.h"

using namespace headstart;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto [opener, parts] = fuzz::opener_and_stream(in);
    const std::string whole = fuzz::joined(parts);

    // What is on screen when the cloud's text arrives: the opener as join() shows it (repaired, no trailing space).
    const std::string shown(trim_trailing_spaces(repair_utf8(opener)));
    ContinuationJoiner joiner(shown);
    std::string out;
    for (const auto& p : parts) {
        const std::string piece = joiner.push(p);
        FUZZ_CHECK(is_valid_utf8(piece), "the joiner gave ill-formed UTF-8");
        out += piece;
    }
    out += joiner.finish();
    FUZZ_CHECK(out == joiner.appended(), "appended() differs from what was returned");
    FUZZ_CHECK(is_valid_utf8(out), "the joiner gave ill-formed UTF-8");
    FUZZ_CHECK(shown + out == join(opener, whole), "the joined text depends on where the stream was cut");
    FUZZ_CHECK(joiner.dropped_overlap_words() >= 0, "negative overlap");
    (void)seam(opener, whole, !whole.empty() && whole[0] == ' ', whole.size() > 1 ? whole.substr(0, 1) : "");
    return 0;
}
