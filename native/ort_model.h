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
    // What runs the int8 weights that reach a MatMul through DequantizeLinear (training/export.py,
    // training/quant.py's shipped form "dq"):
    //   "auto"       what the models folder's kernels.json chose for this file (chosen_kernels), else "fp32"
    //   "fp32"       folded to fp32 at load: exact, the numbers the model was evaluated with
    //   "nbits8-bN"  ONNX Runtime fuses DequantizeLinear + MatMul into MatMulNBits at load: the export's own
    //                8-bit weights and scales, int8 activations in blocks of N (16..256, a power of two)
    //                along K — the numbers of training/quant.py's nbits8-bN candidate
    std::string kernels = "auto";
    // Non-empty: ONNX Runtime's profiler records every node of every run, written as
    // <profile_prefix>_<date>.json when the model is destroyed (headstart bench --profile;
    // scripts/ort_profile.py sums it per op for prefill and decode).
    std::string profile_prefix;
};

// Loads an ONNX decoder of the core/model.h layout. Errors name the file and what is wrong:
// missing, not an ONNX model, inputs/outputs that do not follow the layout, or unknown kernels.
// info().kernels names the kernels it runs with.
Result<std::unique_ptr<LanguageModel>> load_ort_model(const std::string& path, const OrtModelOptions& options = {});

// The kernels "auto" means for a model file: its entry in kernels.json beside it ({"native": {"<file
// name>": "nbits8-b32", ...}}, written by scripts/quant_candidates), else "fp32" (also when that
// manifest is missing or unreadable: the exact path is never wrong, only slower).
std::string chosen_kernels(const std::string& model_path);

// "" when `kernels` is one load_ort_model knows, else why not.
std::string check_kernels(const std::string& kernels);

}  // namespace headstart
