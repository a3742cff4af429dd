// core/options.cpp — see options.h.
#include "core/options.h"

#include <cstdlib>
#include <sstream>

namespace headstart {

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

bool parse_number(const char* s, double lo, double hi, double* out) {
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) return false;
    *out = v;
    return true;
}

}  // namespace headstart
