// core/handoff.h — the request that hands the turn to the cloud the moment the opener is fixed.
//
//   HandoffMode          Chat (/v1/chat/completions, any hosted LLM) or Prefill (/v1/completions
//                        with a raw ChatML prompt: llama.cpp server, vLLM, headstart-cloud)
//   HandoffConfig        mode, model, max_tokens, temperature, stream, verdict protocol on/off,
//                        system prompt override
//   HandoffRequest       the path ("/v1/chat/completions") and the JSON body, ready for a transport
//   build_handoff_request()   the builder; errors as data (empty question, bad numbers)
//   continuator_system_prompt()  the default system prompt (verdict tags of verdict.h included)
//   chatml_prompt()      the prefill prompt, ending inside the assistant turn with the opener
//
// Chat mode puts the opener in the *user* message, not as a trailing assistant message. A
// trailing assistant message is continued only by some servers (llama.cpp, vLLM with
// continue_final_message, Anthropic); OpenAI-style APIs start a fresh assistant turn after it
// and the model tends to repeat the opener. Quoting the opener in the user message, with the
// system prompt saying "write only what comes next", behaves the same on every hosted LLM, and
// the verdict parser + joiner clean up a model that restates it anyway.
//
// Prefill mode sends the ChatML prompt
//   <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n{opener}
// so the model simply continues the text; "stop": ["<|im_end|>"] ends it. The opener is sent
// with trailing spaces trimmed (byte-level BPE models continue " word" far better than "word"
// after a dangling space). ChatML control markers ("<|...|>") inside the question or the opener
// are defused ("<|" -> "< |") so user text cannot close the turn or forge a system message.
//
// Both modes ask for the verdict tag first (verdict.h) unless verdict_protocol is false; the
// parser infers the verdict when a model ignores the request.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace headstart {

enum class HandoffMode { Chat, Prefill };

const char* to_string(HandoffMode mode);  // "chat", "prefill"

struct HandoffConfig {
    HandoffMode mode = HandoffMode::Chat;
    std::string model = "headstart-cloud";
    int max_tokens = 256;
    double temperature = 0.3;  // low: the cloud should be the reliable half of the answer
    bool stream = true;
    bool verdict_protocol = true;  // ask for a verdict tag first
    std::string system_prompt;     // empty: continuator_system_prompt(verdict_protocol)
};

struct HandoffRequest {
    std::string path;  // "/v1/chat/completions" or "/v1/completions"
    std::string body;  // JSON
};

// What headstart-cloud's reference continuator answers (a rewrite) when its corpus has no reference for
// the question: honest, and pointing at a real cloud. `headstart eval` counts these turns apart.
extern const char* const kOfflineNoAnswer;
// The text holds that answer's first clause (whole or cut by max_tokens after it).
bool is_offline_no_answer(std::string_view text);

// The default system prompt: the model is a continuator of an already shown opener.
std::string continuator_system_prompt(bool verdict_protocol);

// "<|im_start|>system ... <|im_start|>assistant\n{opener}" (markers in the text defused).
std::string chatml_prompt(std::string_view system, std::string_view question, std::string_view opener);

// Reads back the question and opener of a chat-mode user message built here (servers that
// stand in for a hosted LLM, like headstart-cloud, use it); nothing for any other message.
struct ChatHandoff {
    std::string question;
    std::string opener;  // "" when nothing was shown yet
};
std::optional<ChatHandoff> parse_chat_handoff(std::string_view user_message);

// Errors: empty question, max_tokens < 1, temperature outside [0, 2] or not finite, empty model.
// Invalid UTF-8 in the question / opener is repaired (U+FFFD), never sent as is.
Result<HandoffRequest> build_handoff_request(const HandoffConfig& config, std::string_view question,
                                             std::string_view opener);

}  // namespace headstart
