// cli/commands.h — the `headstart` CLI's commands, one entry point each (argv[0] is the command's
// name, as a program's would be), dispatched by cli/main.cpp.
#pragma once

#include <string>
#include <vector>

#include "core/options.h"  // split_list(), parse_number(): every command parses its values the same way

namespace headstart {

int ask_main(int argc, char** argv);    // cli/ask.cpp
int bench_main(int argc, char** argv);  // cli/bench.cpp
int eval_main(int argc, char** argv);   // cli/eval.cpp
int serve_main(int argc, char** argv);  // cli/serve.cpp
int load_main(int argc, char** argv);   // cli/load.cpp

}  // namespace headstart

// The usage text for every command; returns 2 (the exit status of a command-line mistake).
int cli_usage(const std::string& why);
