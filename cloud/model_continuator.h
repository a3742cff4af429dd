// cloud/model_continuator.h — headstart-cloud --continuator model: a local μLM (ONNX Runtime) that
// continues the assistant's opener, and follows the verdict protocol of core/verdict.h.
//
// The verdict is the cloud model's judgement of the opener: it scores the opener under its own
// distribution (mean log-prob per token, teacher-forced after the question). A likely opener is
// continued ([[continue]]); an unlikely one gets a bridge and the model's own answer
// ([[pivot]], Method 2); a very unlikely one is retracted and answered afresh ([[rewrite]],
// Method 3). A client may force the path with the body field "headstart_verdict".
#pragma once

#include <memory>
#include <string>

#include "cloud/server.h"
#include "core/result.h"

namespace headstart {

struct ModelContinuatorOptions {
    std::string model_path;  // "": the largest trained μLM in assets/models (default_continuator_model())
    std::string tokenizer_path = "assets/models/tokenizer.json";
    int threads = 1;
    double pivot_below = -4.0;    // mean opener log-prob (nats/token) under which the cloud pivots
    double rewrite_below = -6.0;  // ... under which it retracts and rewrites
    int context_length = 0;       // 0: the model card's (beside the model), else 512
};

Result<std::unique_ptr<Continuator>> make_model_continuator(const ModelContinuatorOptions& options);

}  // namespace headstart
