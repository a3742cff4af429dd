// cli/main.cpp — the `headstart` command line: one binary, five commands, each a thin front end over
// core/ and the native backends (native/):
//
//   headstart ask "question" [options]   opener, handoff, continuation, correction path, timings (ask.cpp)
//   headstart bench [options]            μLM latency benchmark (bench.cpp)
//   headstart eval [options]             the evaluation harness (eval.cpp)
//   headstart serve [cloud options]      runs headstart-cloud with the same flags (serve.cpp)
//   headstart load --url URL [options]   bounded load on a headstart-cloud at 127.0.0.1 (load.cpp)
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "cli/commands.h"

using namespace headstart;

int cli_usage(const std::string& why) {
    std::fprintf(
        stderr,
        "headstart: %s\n"
        "usage: headstart ask \"question\" [--model F] [--tokenizer F] [--cloud URL] [--mode chat|prefill]\n"
        "                 [--opener mulm|canned|none] [--verdict auto|continue|pivot|rewrite] [--json] ...\n"
        "       headstart bench [--models F,F] [--tokenizer F] [--runs N] [--json OUT]\n"
        "       headstart eval [--prompts F.jsonl] [--models F,F] [--cloud URL] [--profiles wifi,lte] [--out DIR]\n"
        "       headstart serve [--port P] [--model F] [--profile wifi|lte|congested|satellite] ...\n"
        "       headstart load --url http://127.0.0.1:PORT [--pid PID] [--requests N] [--json OUT]\n"
        "(see the top of cli/ask.cpp, cli/bench.cpp, cli/eval.cpp or docs/cli.md for every option)\n",
        why.c_str());
    return 2;
}

int main(int argc, char** argv) {
    if (argc < 2) return cli_usage("no command");
    const std::string cmd = argv[1];
    if (cmd == "ask") return ask_main(argc - 1, argv + 1);
    if (cmd == "bench") return bench_main(argc - 1, argv + 1);
    if (cmd == "eval") return eval_main(argc - 1, argv + 1);
    if (cmd == "serve") return serve_main(argc - 1, argv + 1);
    if (cmd == "load") return load_main(argc - 1, argv + 1);
    if (cmd == "--help" || cmd == "-h" || cmd == "help") return cli_usage("help"), 0;
    return cli_usage("unknown command " + cmd);
}
