// cli/commands.h — the `headstart` CLI's commands, one entry point each (argv[0] is the command's
// name, as a program's would be), dispatched by cli/main.cpp.
#pragma once

#include <string>
#include <vector>

namespace headstart {

int ask_main(int argc, char** argv);    // cli/ask.cpp
int bench_main(int argc, char** argv);  // cli/bench.cpp
int eval_main(int argc, char** argv);   // cli/eval.cpp
int serve_main(int argc, char** argv);  // cli/serve.cpp

// The option values every command parses the same way (cli/main.cpp).
// "a,b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& s);
// The whole string as a number (strtod) in [lo, hi]; NaN and trailing characters are rejected.
bool parse_number(const char* s, double lo, double hi, double* out);

}  // namespace headstart

// The usage text for every command; returns 2 (the exit status of a command-line mistake).
int cli_usage(const std::string& why);
