// core/model.h — the μLM contract: what the engine needs from any decoder, whatever runs it
// (native ONNX Runtime in desktop/, onnxruntime-web in wasm/).
//
// The ONNX layout (Hugging Face Optimum / transformers.js), one decoder file per model:
//   inputs   input_ids                  int64  [batch, seq]
//            attention_mask             int64  [batch, past + seq]
//            position_ids               int64  [batch, seq]
//            past_key_values.{i}.key    float  [batch, n_kv_heads, past, head_dim]   i = 0..n_layers-1
//            past_key_values.{i}.value  float  [batch, n_kv_heads, past, head_dim]
//   outputs  logits                     float  [batch, seq, vocab]
//            present.{i}.key|value      float  [batch, n_kv_heads, past + seq, head_dim]
// Headstart always runs batch = 1. A sequence starts with prefill(prompt) (past = 0, one run),
// then step(token) per generated token (seq = 1, the KV cache of the previous run as past).
// extend(keep, tokens) cuts the KV cache back to its first `keep` positions and runs `tokens`
// after them: how a prompt reuses what the cache already holds (core/prompt_cache.h).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace headstart {

struct ModelInfo {
    std::string path;
    int vocab_size = 0;
    int n_layers = 0;
    int n_kv_heads = 0;
    int head_dim = 0;
    bool has_position_ids = false;
    bool has_attention_mask = false;
    std::string kernels = "fp32";  // what runs the int8 weights (native/ort_model.h): "fp32", "nbits8-b32", ...
};

class LanguageModel {
public:
    virtual ~LanguageModel() = default;
    virtual const ModelInfo& info() const = 0;

    // Forgets the KV cache and runs `prompt` in one pass. After success, logits() holds the
    // next-token logits after the last prompt token.
    virtual Status prefill(const std::vector<int>& prompt) = 0;
    // Appends one token using the KV cache; logits() then holds the following next-token logits.
    virtual Status step(int token) = 0;
    // Keeps the first `keep` positions of the KV cache (0 <= keep <= past_length()) and runs
    // `tokens` (at least one) after them in one pass; logits() then follows the last of them.
    // extend(0, p) is prefill(p); extend(past_length(), {t}) is step(t).
    virtual Status extend(int keep, const std::vector<int>& tokens) = 0;

    virtual const std::vector<float>& logits() const = 0;  // size vocab_size
    virtual int past_length() const = 0;                   // tokens held in the KV cache
    // Prompt tokens the last prefill() took from the KV cache instead of running them
    // (0 unless the model reuses its cache, see core/prompt_cache.h's CachingModel).
    virtual int reused_on_last_prefill() const { return 0; }
};

}  // namespace headstart
