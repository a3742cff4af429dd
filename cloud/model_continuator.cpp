// cloud/model_continuator.cpp — see model_continuator.h.
#include "cloud/model_continuator.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/handoff.h"
#include "core/sampler.h"
#include "core/tokenizer.h"
#include "core/verdict.h"
#include "native/ort_model.h"

namespace headstart {
namespace {

// The μLM's own chat format (it is trained without a system turn).
std::string answer_prompt(const std::string& question) {
    return "<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n";
}

class ModelContinuator final : public Continuator {
public:
    ModelContinuator(ModelContinuatorOptions options, Tokenizer tokenizer, std::unique_ptr<LanguageModel> model)
        : options_(std::move(options)), tokenizer_(std::move(tokenizer)), model_(std::move(model)) {}

    Status generate(const ContinuationTask& task, const std::function<bool(std::string_view)>& emit,
                    std::string* finish_reason) override {
        *finish_reason = "stop";
        std::vector<int> prompt = tokenizer_.encode(answer_prompt(task.question), SpecialTokens::Match);
        const std::vector<int> opener = tokenizer_.encode(task.opener, SpecialTokens::AsText);
        if (static_cast<int>(prompt.size() + opener.size()) + 8 > options_.context_length)
            return Error{"prompt too long: " + std::to_string(prompt.size() + opener.size()) +
                         " tokens, the model's context is " + std::to_string(options_.context_length)};
        if (auto st = model_->prefill(prompt); !st.ok()) return st;

        // The protocol is on when the client asked for it (its system prompt names the tags) or
        // forced a path; a plain request gets a plain answer.
        const bool protocol =
            !task.opener.empty() &&
            (task.forced_verdict.size() || task.system.find(verdict_tag(Verdict::Continue)) != std::string::npos);
        Verdict verdict = Verdict::Continue;
        if (!task.opener.empty()) {
            double sum = 0;  // teacher-forced log-prob of the opener
            for (int id : opener) {
                sum += log_softmax_at(model_->logits(), id);
                if (auto st = model_->step(id); !st.ok()) return st;
            }
            const double mean = opener.empty() ? 0.0 : sum / static_cast<double>(opener.size());
            verdict = mean < options_.rewrite_below ? Verdict::Rewrite
                      : mean < options_.pivot_below ? Verdict::Pivot
                                                    : Verdict::Continue;
            if (auto forced = verdict_from_name(task.forced_verdict)) verdict = *forced;
        }
        if (protocol && !emit(verdict_tag(verdict))) return Ok{};

        std::vector<int> history = prompt;
        if (verdict == Verdict::Rewrite) {
            if (auto st = model_->prefill(prompt); !st.ok()) return st;  // answer afresh
        } else {
            history.insert(history.end(), opener.begin(), opener.end());
            if (verdict == Verdict::Pivot) {
                const std::string bridge = " — actually,";
                if (!emit(bridge)) return Ok{};
                for (int id : tokenizer_.encode(bridge, SpecialTokens::AsText)) {
                    if (auto st = model_->step(id); !st.ok()) return st;
                    history.push_back(id);
                }
            }
        }
        return sample_until_done(task, history, emit, finish_reason);
    }

private:
    static double log_softmax_at(const std::vector<float>& logits, int id) {
        float max = logits[0];
        for (float v : logits) max = std::max(max, v);
        double sum = 0;
        for (float v : logits) sum += std::exp(static_cast<double>(v - max));
        return static_cast<double>(logits[static_cast<size_t>(id)] - max) - std::log(sum);
    }

    Status sample_until_done(const ContinuationTask& task, std::vector<int> history,
                             const std::function<bool(std::string_view)>& emit, std::string* finish_reason) {
        SamplerConfig sc;
        sc.temperature = static_cast<float>(task.temperature);
        sc.top_p = static_cast<float>(task.top_p);
        sc.top_k = 40;
        sc.repetition_penalty = 1.1f;
        sc.seed = task.seed;
        sc.alternatives = 0;
        Sampler sampler(sc);
        TokenStream stream(tokenizer_, /*skip_special=*/true);
        std::string text;  // for stop strings
        const size_t recent_from = history.size();
        for (int n = 0; n < task.max_tokens; ++n) {
            if (static_cast<int>(history.size()) >= options_.context_length) {
                *finish_reason = "length";
                break;
            }
            std::vector<int> recent(history.begin() + static_cast<long>(recent_from), history.end());
            auto tok = sampler.sample(model_->logits(), recent);
            if (!tok.ok()) return Error{tok.error()};
            const int id = tok->id;
            if (tokenizer_.is_special(id)) return Ok{};  // <|im_end|>, <|endoftext|>, a stray <|im_start|>
            std::string piece = stream.push(id);
            text += piece;
            for (const auto& s : task.stop) {
                const auto at = s.empty() ? std::string::npos : text.find(s);
                if (at != std::string::npos) {
                    const size_t before = text.size() - piece.size();
                    if (at > before) emit(std::string_view(piece).substr(0, at - before));
                    return Ok{};
                }
            }
            if (!piece.empty() && !emit(piece)) return Ok{};
            history.push_back(id);
            if (auto st = model_->step(id); !st.ok()) return st;
            if (n + 1 == task.max_tokens) *finish_reason = "length";
        }
        const std::string tail = stream.finish();
        if (!tail.empty()) emit(tail);
        return Ok{};
    }

    ModelContinuatorOptions options_;
    Tokenizer tokenizer_;
    std::unique_ptr<LanguageModel> model_;
};

}  // namespace

Result<std::unique_ptr<Continuator>> make_model_continuator(const ModelContinuatorOptions& options) {
    auto tokenizer = Tokenizer::load(options.tokenizer_path);
    if (!tokenizer.ok()) return Error{tokenizer.error()};
    OrtModelOptions mo;
    mo.threads = options.threads;
    auto model = load_ort_model(options.model_path, mo);
    if (!model.ok()) return Error{model.error()};
    if ((*model)->info().vocab_size < tokenizer->vocab_size())
        return Error{"tokenizer " + options.tokenizer_path + " has " + std::to_string(tokenizer->vocab_size()) +
                     " tokens but model " + options.model_path + " only " +
                     std::to_string((*model)->info().vocab_size)};
    ModelContinuatorOptions o = options;
    if (o.context_length <= 0) {
        o.context_length = 512;
        const std::string card = options.model_path.substr(0, options.model_path.rfind('.')) + ".json";
        std::ifstream in(card);
        if (in) {
            auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
            const auto arch = j.is_object() && j.contains("architecture") ? j["architecture"] : j;
            if (arch.is_object() && arch.contains("context_length") && arch["context_length"].is_number_integer())
                o.context_length = arch["context_length"].get<int>();
        }
    }
    return std::unique_ptr<Continuator>(
        std::make_unique<ModelContinuator>(std::move(o), std::move(tokenizer.value()), std::move(model.value())));
}

}  // namespace headstart
