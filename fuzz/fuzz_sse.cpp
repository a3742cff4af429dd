// fuzz/fuzz_sse.cpp — the SSE parser and the OpenAI stream reader on arbitrary bytes cut anywhere.
// Invariants: no crash, no unbounded growth (small limits), and the events do not depend on where the
// stream was cut: fed in chunks or in one piece, the same events and the same success.
#include <cstdint>

#include "core/sse.h"
#include "fuzz/fuzz_check.h"

using namespace headstart;

namespace {

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].type != b[i].type || a[i].data != b[i].data || a[i].id != b[i].id) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const bool small = in.ConsumeBool();
    SseLimits limits;
    if (small) limits = SseLimits{64, 256};
    const auto parts = fuzz::chunks(in);
    const std::string whole = fuzz::joined(parts);

    SseParser one(limits), many(limits);
    std::vector<SseEvent> ev_one, ev_many;
    bool ok_one = one.feed(whole, ev_one).ok();
    ok_one = one.finish(ev_one).ok() && ok_one;
    bool ok_many = true;
    for (const auto& p : parts) ok_many = many.feed(p, ev_many).ok() && ok_many;
    ok_many = many.finish(ev_many).ok() && ok_many;
    FUZZ_CHECK(ok_one == ok_many, "success depends on where the stream was cut");
    if (ok_one) FUZZ_CHECK(same(ev_one, ev_many), "events depend on where the stream was cut");
    for (const auto& e : ev_one) FUZZ_CHECK(!small || e.data.size() <= limits.max_event_bytes, "event over the limit");

    OpenAiStream stream(limits);
    std::size_t errors = 0;
    const auto count = [&](const std::vector<StreamDelta>& ds) {
        for (const auto& d : ds) {
            if (d.kind == StreamDelta::Kind::Error) {
                ++errors;
                FUZZ_CHECK(!d.text.empty(), "an error delta without a message");
            }
        }
    };
    for (const auto& p : parts) count(stream.feed(p));
    count(stream.finish());
    (void)errors;
    return 0;
}
