// fuzz/fuzz_verdict.cpp — the verdict parser on an arbitrary opener and a continuation cut anywhere.
// Invariants: it always decides by the end; what it passes on is the continuation with at most a prefix
// removed (the tag and the spaces before it), never invented or reordered text; infer_verdict with
// final_text always decides.
#include <cstdint>

#include "core/verdict.h"
#include "fuzz/fuzz_check.h"

using namespace headstart;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto [opener, parts] = fuzz::opener_and_stream(in);
    const std::string whole = fuzz::joined(parts);

    VerdictParser parser(opener);
    std::string out;
    for (const auto& p : parts) {
        const std::string piece = parser.push(p);
        if (!parser.decided()) FUZZ_CHECK(piece.empty(), "text passed on before the verdict");
        out += piece;
    }
    out += parser.finish();
    FUZZ_CHECK(parser.decided(), "no verdict after finish()");
    FUZZ_CHECK(!parser.report().why.empty(), "a verdict without a reason");
    FUZZ_CHECK(out.size() <= whole.size() && whole.compare(whole.size() - out.size(), out.size(), out) == 0,
               "the text passed on is not a suffix of the continuation");
    const auto inferred = infer_verdict(opener, whole, true);
    FUZZ_CHECK(inferred.has_value(), "infer_verdict(final_text) did not decide");
    return 0;
}
