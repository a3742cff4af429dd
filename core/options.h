// core/options.h — the command-line values the front ends parse the same way (the `headstart` CLI and
// headstart-cloud).
#pragma once

#include <string>
#include <vector>

namespace headstart {

// "a,b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& s);
// The whole string as a number (strtod) in [lo, hi]; NaN and trailing characters are rejected.
bool parse_number(const char* s, double lo, double hi, double* out);

}  // namespace headstart
