// native/ort_model.cpp — see ort_model.h.
#include "native/ort_model.h"

#include <onnxruntime_cxx_api.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace headstart {
namespace {

// ORT wants one environment per process; it outlives every session. ONNX Runtime 1.29's Linux build starts a
// telemetry client (Microsoft's 1DS SDK: it reads /etc/machine-id and tries to upload) unless
// ORT_DISABLE_TELEMETRY is set: a device μLM sends nothing anywhere, and under qemu-aarch64 that client spun
// forever inside the first session's creation (the arm64 tests hung 30 min). Set before the first Env.
Ort::Env& ort_env() {
    static Ort::Env env = [] {
        setenv("ORT_DISABLE_TELEMETRY", "1", /*overwrite=*/1);
        Ort::Env e(ORT_LOGGING_LEVEL_ERROR, "headstart");
        e.DisableTelemetryEvents();
        return e;
    }();
    return env;
}

class OrtModel final : public LanguageModel {
public:
    OrtModel(std::unique_ptr<Ort::Session> session, ModelInfo info, std::vector<std::string> input_names,
             std::vector<std::string> output_names, std::map<size_t, size_t> past_index)
        : session_(std::move(session)),
          info_(std::move(info)),
          input_names_(std::move(input_names)),
          output_names_(std::move(output_names)),
          past_index_(std::move(past_index)),
          memory_(Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault)) {
        for (const auto& n : input_names_) input_ptrs_.push_back(n.c_str());
        for (const auto& n : output_names_) output_ptrs_.push_back(n.c_str());
        logits_.resize(static_cast<size_t>(info_.vocab_size));
    }
    ~OrtModel() override {
        if (profiling_) try {
                session_->EndProfilingAllocated(allocator_);  // writes the profile file
            } catch (const Ort::Exception& e) {
                std::fprintf(stderr, "headstart: could not write the ONNX Runtime profile: %s\n", e.what());
            }
    }
    void set_profiling() { profiling_ = true; }

    const ModelInfo& info() const override { return info_; }
    const std::vector<float>& logits() const override { return logits_; }
    int past_length() const override { return past_; }

    Status prefill(const std::vector<int>& prompt) override {
        if (prompt.empty()) return Error{"prefill needs at least one token"};
        past_ = 0;
        past_values_.clear();
        return run(prompt);
    }

    Status step(int token) override {
        if (past_values_.empty()) return Error{"step() before prefill()"};
        return run({token});
    }

    Status extend(int keep, const std::vector<int>& tokens) override {
        if (tokens.empty()) return Error{"extend needs at least one token"};
        if (keep < 0 || keep > past_)
            return Error{"extend: cannot keep " + std::to_string(keep) + " of " + std::to_string(past_) +
                         " cached positions"};
        if (keep == 0) return prefill(tokens);
        if (keep < past_) {
            if (auto st = truncate(keep); !st.ok()) return st;
        }
        return run(tokens);
    }

private:
    // Cuts every past tensor [1, kv_heads, past, head_dim] to its first `keep` positions (a copy:
    // ORT owns the old buffers).
    Status truncate(int keep) {
        const size_t heads = static_cast<size_t>(info_.n_kv_heads), dim = static_cast<size_t>(info_.head_dim);
        const size_t old_len = static_cast<size_t>(past_), new_len = static_cast<size_t>(keep);
        std::vector<Ort::Value> cut;
        cut.reserve(past_values_.size());
        try {
            for (Ort::Value& v : past_values_) {
                const int64_t shape[4] = {1, info_.n_kv_heads, keep, info_.head_dim};
                Ort::Value t = Ort::Value::CreateTensor<float>(allocator_, shape, 4);
                const float* from = v.GetTensorData<float>();
                float* to = t.GetTensorMutableData<float>();
                for (size_t h = 0; h < heads; ++h)
                    std::copy(from + h * old_len * dim, from + (h * old_len + new_len) * dim, to + h * new_len * dim);
                cut.push_back(std::move(t));
            }
        } catch (const Ort::Exception& e) { return drop_cache(std::string("cannot cut the KV cache: ") + e.what()); }
        past_values_ = std::move(cut);
        past_ = keep;
        return Ok{};
    }

    // A failed run or cut leaves no half-updated cache: the next call starts from an empty past.
    Error drop_cache(std::string why) {
        past_values_.clear();
        past_ = 0;
        return Error{std::move(why)};
    }

    Status run(const std::vector<int>& tokens) {
        for (int t : tokens)
            if (t < 0 || t >= info_.vocab_size)
                return Error{"token id " + std::to_string(t) + " is outside the vocabulary (" +
                             std::to_string(info_.vocab_size) + ")"};
        const int64_t seq = static_cast<int64_t>(tokens.size());
        ids_.assign(tokens.begin(), tokens.end());
        positions_.resize(tokens.size());
        for (size_t i = 0; i < tokens.size(); ++i) positions_[i] = past_ + static_cast<int64_t>(i);
        mask_.assign(static_cast<size_t>(past_ + seq), 1);

        std::vector<Ort::Value> inputs;
        inputs.reserve(input_names_.size());
        const int64_t ids_shape[2] = {1, seq};
        const int64_t mask_shape[2] = {1, past_ + seq};
        for (size_t i = 0; i < input_names_.size(); ++i) {
            const std::string& name = input_names_[i];
            if (name == "input_ids") {
                inputs.push_back(Ort::Value::CreateTensor<int64_t>(memory_, ids_.data(), ids_.size(), ids_shape, 2));
            } else if (name == "attention_mask") {
                inputs.push_back(Ort::Value::CreateTensor<int64_t>(memory_, mask_.data(), mask_.size(), mask_shape, 2));
            } else if (name == "position_ids") {
                inputs.push_back(
                    Ort::Value::CreateTensor<int64_t>(memory_, positions_.data(), positions_.size(), ids_shape, 2));
            } else if (past_values_.empty()) {  // a past_key_values.* input at the start: empty
                const int64_t shape[4] = {1, info_.n_kv_heads, 0, info_.head_dim};
                inputs.push_back(Ort::Value::CreateTensor<float>(allocator_, shape, 4));
            } else {
                inputs.push_back(std::move(past_values_[past_index_.at(i)]));
            }
        }
        std::vector<Ort::Value> outputs;
        try {
            outputs = session_->Run(Ort::RunOptions{nullptr}, input_ptrs_.data(), inputs.data(), inputs.size(),
                                    output_ptrs_.data(), output_ptrs_.size());
        } catch (const Ort::Exception& e) {
            return drop_cache(std::string("ONNX Runtime failed to run ") + info_.path + ": " + e.what());
        }
        // logits [1, seq, vocab], or [1, 1, vocab] from a model that projects only the last position
        // (training/quant.py -last): keep the last row either way.
        const auto shape = outputs[0].GetTensorTypeAndShapeInfo().GetShape();
        if (shape.size() != 3 || (shape[1] != seq && shape[1] != 1) || shape[2] != info_.vocab_size)
            return drop_cache("model " + info_.path + " gave logits of an unexpected shape (expected [1, " +
                              std::to_string(seq) + " or 1, " + std::to_string(info_.vocab_size) + "])");
        const float* all = outputs[0].GetTensorData<float>();
        const float* last = all + static_cast<size_t>(shape[1] - 1) * info_.vocab_size;
        std::copy(last, last + info_.vocab_size, logits_.begin());
        // present.* become the next run's past_key_values.* (same order, see load).
        past_values_.clear();
        for (size_t o = 1; o < outputs.size(); ++o) past_values_.push_back(std::move(outputs[o]));
        past_ += seq;
        return Ok{};
    }

    std::unique_ptr<Ort::Session> session_;
    ModelInfo info_;
    std::vector<std::string> input_names_, output_names_;  // outputs: logits, then present.* in past order
    std::vector<const char*> input_ptrs_, output_ptrs_;
    std::map<size_t, size_t> past_index_;  // input index -> index into past_values_
    Ort::MemoryInfo memory_;
    Ort::AllocatorWithDefaultOptions allocator_;
    std::vector<int64_t> ids_, positions_, mask_;
    std::vector<Ort::Value> past_values_;
    std::vector<float> logits_;
    int64_t past_ = 0;
    bool profiling_ = false;
};

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

// The N of "nbits8-bN", or 0 when `kernels` is not of that shape.
int nbits8_block(const std::string& kernels) {
    const std::string prefix = "nbits8-b";
    if (kernels.compare(0, prefix.size(), prefix) != 0 || kernels.size() == prefix.size() ||
        kernels.size() > prefix.size() + 3)
        return 0;
    int n = 0;
    for (size_t i = prefix.size(); i < kernels.size(); ++i) {
        if (kernels[i] < '0' || kernels[i] > '9') return 0;
        n = n * 10 + (kernels[i] - '0');
    }
    return n;
}

}  // namespace

std::string check_kernels(const std::string& kernels) {
    if (kernels == "auto" || kernels == "fp32") return "";
    const int n = nbits8_block(kernels);
    if (n >= 16 && n <= 256 && (n & (n - 1)) == 0) return "";
    return "unknown kernels \"" + kernels + "\" (auto, fp32, or nbits8-bN with N a power of two in 16..256)";
}

std::string chosen_kernels(const std::string& model_path) {
    namespace fs = std::filesystem;
    const fs::path p(model_path);
    std::ifstream f(p.parent_path() / "kernels.json");
    if (!f) return "fp32";
    const auto j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
    const std::string name = p.filename().string();
    if (!j.is_object() || !j.contains("native") || !j["native"].is_object() || !j["native"].contains(name) ||
        !j["native"][name].is_string())
        return "fp32";
    const std::string k = j["native"][name].get<std::string>();
    return k != "auto" && check_kernels(k).empty() ? k : "fp32";
}

Result<std::unique_ptr<LanguageModel>> load_ort_model(const std::string& path, const OrtModelOptions& options) {
    if (!file_exists(path)) return Error{"model file not found: " + path};
    if (const std::string bad = check_kernels(options.kernels); !bad.empty())
        return Error{"model " + path + ": " + bad};
    const std::string kernels = options.kernels == "auto" ? chosen_kernels(path) : options.kernels;
    Ort::SessionOptions so;
    if (!options.profile_prefix.empty()) so.EnableProfiling(options.profile_prefix.c_str());
    so.SetIntraOpNumThreads(options.threads);
    so.SetInterOpNumThreads(1);
    so.SetExecutionMode(ORT_SEQUENTIAL);
    so.SetGraphOptimizationLevel(options.optimize ? GraphOptimizationLevel::ORT_ENABLE_ALL
                                                  : GraphOptimizationLevel::ORT_DISABLE_ALL);
    // int8 exports keep weights as int8 + scale. "fp32": every DequantizeLinear is folded to fp32 at
    // load (exact). "nbits8-bN": ORT's QDQ transformer turns each DQ + MatMul into MatMulNBits (8 bits,
    // blocks of N, accuracy level 4: int8 activations); the embedding table of the shipped form is
    // Cast + Mul, which constant folding takes either way (a DQ there would run on every call). Files
    // that carry their own int8 kernels (training/quant.py's candidates) load the same under "fp32".
    if (kernels == "fp32") {
        so.AddConfigEntry("session.disable_quant_qdq", "1");
    } else {
        so.AddConfigEntry("session.disable_quant_qdq", "0");
        so.AddConfigEntry("session.qdq_matmulnbits_accuracy_level", "4");
        so.AddConfigEntry("session.qdq_matmulnbits_block_size", std::to_string(nbits8_block(kernels)).c_str());
    }
    std::unique_ptr<Ort::Session> session;
    try {
        session = std::make_unique<Ort::Session>(ort_env(), path.c_str(), so);
    } catch (const Ort::Exception& e) {
        return Error{"cannot load model " + path + " (not a valid ONNX model?): " + e.what()};
    }

    ModelInfo info;
    info.path = path;
    info.kernels = kernels;
    Ort::AllocatorWithDefaultOptions alloc;
    std::vector<std::string> inputs;
    std::map<std::string, size_t> input_at;
    for (size_t i = 0; i < session->GetInputCount(); ++i) {
        inputs.push_back(session->GetInputNameAllocated(i, alloc).get());
        input_at[inputs.back()] = i;
    }
    if (!input_at.count("input_ids"))
        return Error{"model " + path + " has no input_ids input: not a decoder of the Optimum layout"};
    info.has_attention_mask = input_at.count("attention_mask") > 0;
    info.has_position_ids = input_at.count("position_ids") > 0;

    // Layers: past_key_values.{i}.key / .value for i = 0.., each with a matching present output.
    std::vector<std::string> outputs = {"logits"};
    std::map<size_t, size_t> past_index;
    for (int layer = 0;; ++layer) {
        const std::string k = "past_key_values." + std::to_string(layer) + ".key";
        const std::string v = "past_key_values." + std::to_string(layer) + ".value";
        if (!input_at.count(k)) break;
        if (!input_at.count(v)) return Error{"model " + path + " has " + k + " but no " + v};
        for (const std::string& name : {k, v}) {
            past_index[input_at[name]] = outputs.size() - 1;
            outputs.push_back("present" + name.substr(std::string("past_key_values").size()));
        }
        if (layer == 0) {
            auto shape = session->GetInputTypeInfo(input_at[k]).GetTensorTypeAndShapeInfo().GetShape();
            if (shape.size() != 4 || shape[1] <= 0 || shape[3] <= 0)
                return Error{"model " + path + ": " + k +
                             " must be [batch, kv_heads, past, head_dim] with fixed kv_heads and head_dim"};
            info.n_kv_heads = static_cast<int>(shape[1]);
            info.head_dim = static_cast<int>(shape[3]);
        }
        info.n_layers = layer + 1;
    }
    if (info.n_layers == 0) return Error{"model " + path + " has no past_key_values inputs: export it with a KV cache"};
    for (size_t i = 0; i < inputs.size(); ++i)
        if (!past_index.count(i) && inputs[i] != "input_ids" && inputs[i] != "attention_mask" &&
            inputs[i] != "position_ids")
            return Error{"model " + path + " has an input Headstart does not know how to feed: " + inputs[i]};

    std::map<std::string, bool> has_output;
    for (size_t i = 0; i < session->GetOutputCount(); ++i)
        has_output[session->GetOutputNameAllocated(i, alloc).get()] = true;
    for (const auto& o : outputs)
        if (!has_output.count(o)) return Error{"model " + path + " has no output " + o};
    auto logits_shape = session->GetOutputTypeInfo(0).GetTensorTypeAndShapeInfo().GetShape();
    for (size_t i = 0; i < session->GetOutputCount(); ++i)
        if (std::string(session->GetOutputNameAllocated(i, alloc).get()) == "logits")
            logits_shape = session->GetOutputTypeInfo(i).GetTensorTypeAndShapeInfo().GetShape();
    if (logits_shape.size() != 3 || logits_shape[2] <= 0)
        return Error{"model " + path + ": logits must be [batch, seq, vocab] with a fixed vocab"};
    info.vocab_size = static_cast<int>(logits_shape[2]);

    auto model = std::make_unique<OrtModel>(std::move(session), std::move(info), std::move(inputs), std::move(outputs),
                                            std::move(past_index));
    if (!options.profile_prefix.empty()) model->set_profiling();
    return std::unique_ptr<LanguageModel>(std::move(model));
}

}  // namespace headstart
