// cloud/main.cpp — headstart-cloud's command line (`headstart serve` runs it too), see server.h.
//
//   headstart-cloud [--host H] [--port P] [--continuator reference|model] [--references FILE,...]
//                   [--min-match F] [--model FILE.onnx] [--tokenizer tokenizer.json]
//                   [--profile none|wifi|lte|congested|satellite] [--first-token-ms MS]
//                   [--jitter-ms MS] [--per-token-ms MS] [--concurrency N] [--max-body BYTES]
//                   [--threads N] [--web DIR] [--name MODEL_ID] [--allow-faults]
//
// The continuator: `reference` (cloud/reference_continuator.h: the reference answers of
// assets/reference/answers.jsonl.gz, or of a comma-separated list of corpora and prompt sets with a
// "reference" field, the first listed winning ties: what scripts/eval gives it) or `model` (cloud/model_continuator.h: a μLM, --model or the largest
// trained one). Default: `model` when --model is given, else `reference` when the corpus is there.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "cloud/model_continuator.h"
#include "cloud/reference_continuator.h"
#include "cloud/server.h"
#include "core/options.h"
#include "core/tokenizer.h"
#include "native/model_files.h"

namespace headstart {
namespace {

CloudServer* g_server = nullptr;  // for the signal handler only

void on_signal(int) {
    if (g_server) g_server->stop();
}

int usage(const std::string& why) {
    std::fprintf(
        stderr,
        "headstart-cloud: %s\n"
        "usage: headstart-cloud [--host H] [--port P] [--continuator reference|model] [--references FILE,...]\n"
        "       [--min-match F] [--model FILE.onnx] [--tokenizer FILE]\n"
        "       [--profile none|wifi|lte|congested|satellite] [--first-token-ms MS] [--jitter-ms MS]\n"
        "       [--per-token-ms MS] [--concurrency N] [--max-body BYTES] [--threads N] [--web DIR]\n"
        "       [--name MODEL_ID] [--allow-faults]\n",
        why.c_str());
    return 2;
}

}  // namespace

int run(int argc, char** argv) {
    CloudServerOptions opt;
    ModelContinuatorOptions model;
    latency_profile("none", &opt.latency);
    double first = -1, jitter = -1, per_token = -1;
    std::string continuator, references = "assets/reference/answers.jsonl.gz";
    ReferenceContinuatorOptions ref_options;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") return usage("help"), 0;
        if (a == "--allow-faults") {
            opt.allow_faults = true;
            continue;
        }
        if (i + 1 >= argc) return usage("missing value for " + a);
        const char* v = argv[++i];
        double n = 0;
        if (a == "--host") opt.host = v;
        else if (a == "--port") {
            if (!parse_number(v, 0, 65535, &n)) return usage("bad --port");
            opt.port = static_cast<int>(n);
        } else if (a == "--continuator") {
            continuator = v;
            if (continuator != "reference" && continuator != "model")
                return usage("--continuator is reference or model");
        } else if (a == "--references") references = v;
        else if (a == "--min-match") {
            if (!parse_number(v, 0, 1, &ref_options.min_score)) return usage("bad --min-match (0..1)");
        } else if (a == "--model") model.model_path = v;
        else if (a == "--tokenizer") model.tokenizer_path = v;
        else if (a == "--profile") {
            if (!latency_profile(v, &opt.latency)) return usage(std::string("unknown --profile ") + v);
        } else if (a == "--first-token-ms") {
            if (!parse_number(v, 0, 600000, &first)) return usage("bad --first-token-ms");
        } else if (a == "--jitter-ms") {
            if (!parse_number(v, 0, 600000, &jitter)) return usage("bad --jitter-ms");
        } else if (a == "--per-token-ms") {
            if (!parse_number(v, 0, 60000, &per_token)) return usage("bad --per-token-ms");
        } else if (a == "--concurrency") {
            if (!parse_number(v, 1, 512, &n)) return usage("bad --concurrency (1..512)");
            opt.max_concurrency = static_cast<int>(n);
        } else if (a == "--max-body") {
            if (!parse_number(v, 1024, 64 << 20, &n)) return usage("bad --max-body");
            opt.max_body_bytes = static_cast<size_t>(n);
        } else if (a == "--threads") {
            if (!parse_number(v, 1, 64, &n)) return usage("bad --threads");
            model.threads = static_cast<int>(n);
        } else if (a == "--web") opt.web_dir = v;
        else if (a == "--name") opt.model_name = v;
        else return usage("unknown option " + a);
    }
    if (first >= 0) {
        opt.latency.first_token_ms = first;
        opt.latency.name = "custom";
    }
    if (jitter >= 0) {
        opt.latency.jitter_ms = jitter;
        opt.latency.name = "custom";
    }
    if (per_token >= 0) {
        opt.latency.per_token_ms = per_token;
        opt.latency.name = "custom";
    }

    const std::vector<std::string> ref_files = split_list(references);
    if (continuator.empty())
        continuator = !model.model_path.empty() || ref_files.empty() || !std::ifstream(ref_files.front()).good()
                          ? "model"
                          : "reference";
    // Tokens ("usage", the reference continuator's max_tokens) in the μLMs' tokenizer when it is there.
    if (auto tok = Tokenizer::load(model.tokenizer_path); tok.ok()) {
        auto shared_tok = std::make_shared<const Tokenizer>(std::move(*tok));
        opt.count_tokens = [shared_tok](std::string_view text) {
            return static_cast<int>(shared_tok->encode(text, SpecialTokens::AsText).size());
        };
        ref_options.count_tokens = opt.count_tokens;
    }
    CloudServer::Factory factory;
    std::string serving;
    if (continuator == "reference") {
        // Loaded once, shared by every slot; a bad corpus is reported at start, not on the first request.
        auto corpus = ReferenceCorpus::load(ref_files);
        if (!corpus.ok()) {
            std::fprintf(stderr, "headstart-cloud: %s\n", corpus.error().c_str());
            return 1;
        }
        std::shared_ptr<const ReferenceCorpus> shared(std::move(*corpus));
        serving = "reference answers " + references + " (" + std::to_string(shared->size()) + ")";
        factory = [shared, ref_options]() -> Result<std::unique_ptr<Continuator>> {
            return make_reference_continuator(shared, ref_options);
        };
    } else {
        if (model.model_path.empty()) {  // the largest trained μLM that ships
            const auto largest = largest_model();
            if (!largest) return usage("no --model given and no trained μLM in assets/models (mulm-*-int8.onnx)");
            model.model_path = largest->model_path;
        }
        // Load once up front so a bad model is reported at start, not on the first request.
        auto probe = make_model_continuator(model);
        if (!probe.ok()) {
            std::fprintf(stderr, "headstart-cloud: %s\n", probe.error().c_str());
            return 1;
        }
        serving = "μLM " + model.model_path;
        factory = [model] { return make_model_continuator(model); };
    }
    CloudServer server(opt, factory);
    if (auto st = server.bind(); !st.ok()) {
        std::fprintf(stderr, "headstart-cloud: %s\n", st.error().c_str());
        return 1;
    }
    g_server = &server;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("headstart-cloud: http://%s:%d/  model %s (%s), latency %s (%.0f ms ± %.0f, %.0f ms/token)%s\n",
                opt.host.c_str(), server.bound_port(), opt.model_name.c_str(), serving.c_str(),
                opt.latency.name.c_str(), opt.latency.first_token_ms, opt.latency.jitter_ms, opt.latency.per_token_ms,
                opt.web_dir.empty() ? "" : ("  page: " + opt.web_dir).c_str());
    std::fflush(stdout);
    server.run();
    g_server = nullptr;
    std::printf("headstart-cloud: stopped\n");
    return 0;
}

}  // namespace headstart

int main(int argc, char** argv) { return headstart::run(argc, argv); }
