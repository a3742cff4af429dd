// native/ort_model.h — the native μLM backend: ONNX Runtime (C++ API) behind core's
// LanguageModel contract, with the KV cache kept as ORT values between runs (prefill once, then
// one run per token). Used by the desktop app, the `headstart` CLI and headstart-cloud.
#pragma once

#include <memory>
#include <string>

#include "core/model.h"

namespace headstart {

struct OrtModelOptions {
    int threads = 1;       // intra-op threads (the published numbers are single-threaded)
    bool optimize = true;  // ORT graph optimizations (ORT_ENABLE_ALL)
};

// Loads an ONNX decoder of the core/model.h layout. Errors name the file and what is wrong:
// missing, not an ONNX model, or inputs/outputs that do not follow the layout.
Result<std::unique_ptr<LanguageModel>> load_ort_model(const std::string& path, const OrtModelOptions& options = {});

}  // namespace headstart
