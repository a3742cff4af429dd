// core/transport.cpp — see transport.h.
#include "core/transport.h"

#include <cstdlib>

namespace headstart {

const char* to_string(TransportFailure f) {
    switch (f) {
        case TransportFailure::None: return "none";
        case TransportFailure::Unreachable: return "unreachable";
        case TransportFailure::Timeout: return "timeout";
        case TransportFailure::HttpStatus: return "http_status";
        case TransportFailure::CutMidStream: return "cut_mid_stream";
        case TransportFailure::Cancelled: return "cancelled";
    }
    return "unknown";
}

bool parse_url(const std::string& url, UrlParts* out) {
    UrlParts p;
    const auto sep = url.find("://");
    if (sep == std::string::npos) return false;
    p.scheme = url.substr(0, sep);
    if (p.scheme != "http" && p.scheme != "https") return false;
    std::string rest = url.substr(sep + 3);
    const auto slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    p.prefix = slash == std::string::npos ? "" : rest.substr(slash);
    while (!p.prefix.empty() && p.prefix.back() == '/') p.prefix.pop_back();
    if (hostport.empty()) return false;
    p.port = p.scheme == "https" ? 443 : 80;
    std::string port;
    if (hostport.front() == '[') {  // [IPv6]:port
        const auto close = hostport.find(']');
        if (close == std::string::npos) return false;
        if (close + 1 < hostport.size()) {
            if (hostport[close + 1] != ':') return false;
            port = hostport.substr(close + 2);
            if (port.empty()) return false;
        }
        hostport = hostport.substr(1, close - 1);
    } else if (const auto colon = hostport.rfind(':'); colon != std::string::npos) {
        port = hostport.substr(colon + 1);
        if (port.empty()) return false;
        hostport = hostport.substr(0, colon);
    }
    if (!port.empty()) {
        char* end = nullptr;
        const long v = std::strtol(port.c_str(), &end, 10);
        if (*end || v <= 0 || v > 65535) return false;
        p.port = static_cast<int>(v);
    }
    if (hostport.empty()) return false;
    p.host = hostport;
    *out = p;
    return true;
}

}  // namespace headstart
