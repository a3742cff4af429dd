// core/handoff.cpp — see handoff.h.
#include "core/handoff.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "core/verdict.h"
#include "core/words.h"

namespace headstart {

const char* const kOfflineNoAnswer =
    "I don't have an answer to that offline: this stand-in cloud only knows the questions of its reference "
    "corpus. Point Headstart at a real LLM (the Cloud URL in the app, --cloud URL on the command line) for one.";

bool is_offline_no_answer(std::string_view text) {
    const std::string_view k(kOfflineNoAnswer);
    return text.find(k.substr(0, k.find(':'))) != std::string_view::npos;
}

const char* to_string(HandoffMode mode) { return mode == HandoffMode::Chat ? "chat" : "prefill"; }

std::string continuator_system_prompt(bool verdict_protocol) {
    std::string p =
        "You finish answers that another assistant has already started. The user has already seen or "
        "heard the first words of the answer (the opener). Write only the words that come next, "
        "continuing mid-sentence exactly where the opener stops. Never repeat the opener.";
    if (verdict_protocol) {
        p += std::string("\nBegin your reply with exactly one verdict tag, then the text:\n") +
             verdict_tag(Verdict::Continue) + " if the opener is a good start: continue it seamlessly.\n" +
             verdict_tag(Verdict::Pivot) +
             " if the opener is heading the wrong way but can be saved: write a short natural bridge such as "
             "\"— actually,\" and then the right answer. Never say that anything was wrong or incorrect and do "
             "not explain the slip.\n" +
             verdict_tag(Verdict::Rewrite) +
             " if the opener cannot be saved: write the whole answer from the beginning as new sentences.\n"
             "Write nothing before the tag.";
    }
    p += "\nBe concise and direct.";
    return p;
}

namespace {

// "<|im_end|>" in user text must stay text: break the marker so no tokenizer or template reads it
// as a control token.
std::string defuse_markers(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        out.push_back(text[i]);
        if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '|') out.push_back(' ');
    }
    return out;
}

std::string clean(std::string_view text) { return defuse_markers(repair_utf8(text)); }

}  // namespace

// The chat-mode user message, in three fixed parts so a server can read it back.
constexpr std::string_view kQuestionHead = "Question:\n";
constexpr std::string_view kOpenerHead = "\n\nOpener (already shown; do not repeat it):\n";
constexpr std::string_view kOpenerTail = "\n\nWrite only what comes next, continuing the opener mid-sentence.";
constexpr std::string_view kNoOpener = "\n\nNothing of the answer has been shown yet: write the whole answer.";

std::optional<ChatHandoff> parse_chat_handoff(std::string_view user_message) {
    if (user_message.substr(0, kQuestionHead.size()) != kQuestionHead) return std::nullopt;
    const std::string_view rest = user_message.substr(kQuestionHead.size());
    const auto ends_with = [](std::string_view s, std::string_view tail) {
        return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
    };
    ChatHandoff h;
    if (ends_with(rest, kNoOpener)) {
        h.question = std::string(rest.substr(0, rest.size() - kNoOpener.size()));
        return h;
    }
    if (!ends_with(rest, kOpenerTail)) return std::nullopt;
    const std::string_view body = rest.substr(0, rest.size() - kOpenerTail.size());
    const auto at = body.rfind(kOpenerHead);
    if (at == std::string_view::npos) return std::nullopt;
    h.question = std::string(body.substr(0, at));
    h.opener = std::string(body.substr(at + kOpenerHead.size()));
    return h;
}

std::string chatml_prompt(std::string_view system, std::string_view question, std::string_view opener) {
    std::string p;
    p += "<|im_start|>system\n" + clean(system) + "<|im_end|>\n";
    p += "<|im_start|>user\n" + clean(question) + "<|im_end|>\n";
    p += "<|im_start|>assistant\n" + clean(trim_spaces(opener));
    return p;
}

Result<HandoffRequest> build_handoff_request(const HandoffConfig& config, std::string_view question,
                                             std::string_view opener) {
    if (trim_spaces(question).empty()) return Error{"handoff: the question is empty"};
    if (config.max_tokens < 1) return Error{"handoff: max_tokens must be >= 1"};
    if (!std::isfinite(config.temperature) || config.temperature < 0.0 || config.temperature > 2.0)
        return Error{"handoff: temperature must be in [0, 2]"};
    if (trim_spaces(config.model).empty()) return Error{"handoff: no model name (set the endpoint's model)"};

    const std::string system =
        config.system_prompt.empty() ? continuator_system_prompt(config.verdict_protocol) : config.system_prompt;
    const std::string q = clean(trim_spaces(question));
    const std::string o = clean(trim_spaces(opener));

    nlohmann::json body;
    body["model"] = repair_utf8(config.model);
    body["max_tokens"] = config.max_tokens;
    body["temperature"] = config.temperature;
    body["stream"] = config.stream;

    HandoffRequest request;
    if (config.mode == HandoffMode::Chat) {
        std::string user = std::string(kQuestionHead) + q;
        if (o.empty()) {
            user += kNoOpener;
        } else {
            // The reader finds the opener after the last kOpenerHead, so an opener that holds that very
            // line (found by fuzz/fuzz_handoff.cpp) gets it defused like the ChatML markers: "\n\n Opener (".
            std::string opener_text = o;
            for (std::size_t at = 0; (at = opener_text.find(kOpenerHead, at)) != std::string::npos; at += 3)
                opener_text.insert(at + 2, " ");
            user += std::string(kOpenerHead) + opener_text + std::string(kOpenerTail);
        }
        body["messages"] = nlohmann::json::array({
            {{"role", "system"}, {"content", repair_utf8(system)}},
            {{"role", "user"}, {"content", user}},
        });
        request.path = "/v1/chat/completions";
    } else {
        body["prompt"] = chatml_prompt(system, q, o);
        body["stop"] = nlohmann::json::array({"<|im_end|>"});
        request.path = "/v1/completions";
    }
    request.body = body.dump();
    return request;
}

}  // namespace headstart
