// core/transport.h — what the engine asks of a network transport, as plain data. The native
// transport (native/http_client, cpp-httplib) and the web one (wasm/, fetch streaming) both
// deliver a response as: a status, body bytes in arbitrary chunks, and one outcome.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace headstart {

struct Endpoint {
    std::string base_url = "http://127.0.0.1:8088";  // scheme://host[:port][/prefix], e.g. .../v1 not included
    std::string api_key;                             // sent as a Bearer token; never logged or shown
    std::string model = "headstart-cloud";
    std::string ca_file;  // extra CA bundle for https (self-signed test servers); "" = the system's
};

struct HttpPost {
    std::string url;   // absolute
    std::string body;  // JSON
    std::vector<std::pair<std::string, std::string>> headers;
    int connect_timeout_ms = 3000;
    int idle_timeout_ms = 8000;    // longest silence accepted, first byte included
    int total_timeout_ms = 30000;  // the whole response
    std::string ca_file;           // see Endpoint::ca_file
};

enum class TransportFailure {
    None,
    Unreachable,   // DNS, refused, TLS handshake
    Timeout,       // connect, idle or total deadline
    HttpStatus,    // a non-2xx status (body kept for the message)
    CutMidStream,  // the connection ended before the response was complete
    Cancelled,
};

const char* to_string(TransportFailure failure);

struct HttpOutcome {
    int status = 0;
    TransportFailure failure = TransportFailure::None;
    std::string message;  // readable; for HttpStatus includes the server's error text
    std::string body;     // for non-streaming calls and error bodies (capped)
    bool ok() const { return failure == TransportFailure::None; }
};

// Splits "http(s)://host[:port][/prefix]" into its parts; false if it is not such a URL.
struct UrlParts {
    std::string scheme, host, prefix;
    int port = 0;
};
bool parse_url(const std::string& url, UrlParts* out);

}  // namespace headstart
