// fuzz/fuzz_handoff.cpp — the handoff request the device sends and headstart-cloud's reading of it, and
// the server's request parser on arbitrary bodies.
// Invariants: a request built from any question / opener is JSON the server accepts, and the server reads
// back exactly the question and the opener that were sent (after the UTF-8 repair and marker defusing the
// builder documents), in both handoff modes; any body gets a value or a 4xx/404 error with a message.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "cloud/completion_request.h"
#include "core/handoff.h"
#include "core/utf8.h"
#include "core/words.h"
#include "fuzz/fuzz_check.h"

using namespace headstart;

namespace {

std::string defused(std::string_view s) {  // handoff.cpp's marker defusing, restated
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        out.push_back(s[i]);
        if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '|') out.push_back(' ');
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const int mode = in.ConsumeIntegralInRange(0, 2);
    CompletionLimits limits{"headstart-cloud", 512};
    if (mode == 2) {  // the server, on any body
        const bool chat = in.ConsumeBool();
        const std::string body = in.ConsumeRemainingBytesAsString();
        auto req = parse_completion_request(body, chat, limits);
        if (!req.ok()) { FUZZ_CHECK(!req.error().empty(), "an error without a message"); }
        ContinuationTask task;
        (void)parse_chatml(body, &task);
        (void)parse_chat_handoff(body);
        return 0;
    }
    HandoffConfig config;
    config.mode = mode == 0 ? HandoffMode::Chat : HandoffMode::Prefill;
    config.verdict_protocol = in.ConsumeBool();
    const std::string question = in.ConsumeRandomLengthString(256);
    const std::string opener = in.ConsumeRemainingBytesAsString();
    fuzz::context() = "question " + fuzz::escaped(question) + "\nopener " + fuzz::escaped(opener);
    auto request = build_handoff_request(config, question, opener);
    if (!request.ok()) {
        FUZZ_CHECK(trim_spaces(question).empty(), "a request with a question was refused");
        return 0;
    }
    nlohmann::json body;
    bool parsed = true;
    try {
        body = nlohmann::json::parse(request->body);
    } catch (const nlohmann::json::exception&) { parsed = false; }
    FUZZ_CHECK(parsed, "the handoff body is not JSON");
    auto read = parse_completion_request(request->body, config.mode == HandoffMode::Chat, limits);
    FUZZ_CHECK(read.ok(), "headstart-cloud refuses a handoff built here");
    const std::string want_q = defused(repair_utf8(trim_spaces(question)));
    std::string want_o = defused(repair_utf8(trim_spaces(opener)));
    if (config.mode == HandoffMode::Chat) {  // the chat message's own opener line, defused inside the opener
        const std::string head = "\n\nOpener (already shown; do not repeat it):\n";
        for (std::size_t at = 0; (at = want_o.find(head, at)) != std::string::npos; at += 3) want_o.insert(at + 2, " ");
    }
    fuzz::context() +=
        "\nread question " + fuzz::escaped(read->task.question) + "\nread opener " + fuzz::escaped(read->task.opener);
    FUZZ_CHECK(read->task.question == want_q, "the server read another question than was sent");
    FUZZ_CHECK(read->task.opener == want_o, "the server read another opener than was sent");
    return 0;
}
