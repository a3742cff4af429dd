// native/http_client.cpp — see http_client.h.
#include "native/http_client.h"

#include <httplib.h>

#include <chrono>

namespace headstart {

struct HttpClient::Active {
    std::unique_ptr<httplib::Client> client;
    std::atomic<bool> cancelled{false};
};

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

using Clock = std::chrono::steady_clock;

std::unique_ptr<httplib::Client> make_client(const UrlParts& u, int connect_ms, int read_ms,
                                             const std::string& ca_file) {
    const std::string origin = u.scheme + "://" +
                               (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" +
                               std::to_string(u.port);
    auto c = std::make_unique<httplib::Client>(origin);
    c->set_connection_timeout(connect_ms / 1000, (connect_ms % 1000) * 1000);
    c->set_read_timeout(read_ms / 1000, (read_ms % 1000) * 1000);
    c->set_write_timeout(read_ms / 1000, (read_ms % 1000) * 1000);
    c->set_keep_alive(false);
    c->set_follow_location(false);
    // https: the server's certificate is always verified (system CAs, or ca_file when given).
    if (u.scheme == "https") {
        c->enable_server_certificate_verification(true);
        if (!ca_file.empty()) c->set_ca_cert_path(ca_file);
    }
    return c;
}

HttpOutcome failure(TransportFailure f, std::string message, int status = 0) {
    HttpOutcome o;
    o.failure = f;
    o.status = status;
    o.message = std::move(message);
    return o;
}

// The path and query of an absolute URL ("/" when it has none).
std::string path_of(const std::string& url) {
    const auto slash = url.find('/', url.find("://") + 3);
    return slash == std::string::npos ? "/" : url.substr(slash);
}

// Reads the error text out of an OpenAI-style {"error":{"message":...}} body, else the body.
std::string server_error_text(const std::string& body) {
    const auto at = body.find("\"message\"");
    if (at != std::string::npos) {
        const auto q1 = body.find('"', body.find(':', at) + 1);
        const auto q2 = q1 == std::string::npos ? q1 : body.find('"', q1 + 1);
        if (q2 != std::string::npos) return body.substr(q1 + 1, q2 - q1 - 1);
    }
    return body.substr(0, 200);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> auth_headers(const Endpoint& endpoint) {
    if (endpoint.api_key.empty()) return {};
    return {{"Authorization", "Bearer " + endpoint.api_key}};
}

void HttpClient::cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (active_) {
        active_->cancelled = true;
        active_->client->stop();
    }
}

HttpOutcome HttpClient::post_stream(const HttpPost& request, const OnBytes& on_bytes, const OnStatus& on_status) {
    UrlParts url;
    if (!parse_url(request.url, &url))
        return failure(TransportFailure::Unreachable, "not an http(s) URL: " + request.url);
    auto active = std::make_shared<Active>();
    active->client = make_client(url, request.connect_timeout_ms, request.idle_timeout_ms, request.ca_file);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        active_ = active;
    }
    const auto start = Clock::now();
    const auto elapsed_ms = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    };

    httplib::Request req;
    req.method = "POST";
    req.path = path_of(request.url);
    req.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream, application/json"}};
    for (const auto& [k, v] : request.headers) req.headers.emplace(k, v);
    req.body = request.body;

    int status = 0;
    auto last_byte = start;
    bool deadline_hit = false, receiver_stopped = false;
    std::string error_body;
    req.response_handler = [&](const httplib::Response& res) {
        status = res.status;
        if (on_status) on_status(status);
        return true;
    };
    req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
        if (active->cancelled) return false;
        last_byte = Clock::now();
        if (elapsed_ms() > request.total_timeout_ms) {
            deadline_hit = true;
            return false;
        }
        if (status < 200 || status >= 300) {
            if (error_body.size() < kMaxErrorBody)
                error_body.append(data, std::min(len, kMaxErrorBody - error_body.size()));
            return true;
        }
        if (!on_bytes(std::string_view(data, len))) {
            receiver_stopped = true;
            return false;
        }
        return true;
    };

    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    const bool sent = active->client->send(req, res, err);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        active_.reset();
    }

    if (active->cancelled || receiver_stopped) return failure(TransportFailure::Cancelled, "cancelled", status);
    if (deadline_hit)
        return failure(TransportFailure::Timeout,
                       "the response took longer than " + std::to_string(request.total_timeout_ms) + " ms", status);
    if (!sent) {
        switch (err) {
            case httplib::Error::Connection:
            case httplib::Error::SSLConnection:
            case httplib::Error::SSLServerVerification:
                return failure(
                    TransportFailure::Unreachable,
                    "cannot reach " + url.host + ":" + std::to_string(url.port) + " (" + httplib::to_string(err) + ")");
            case httplib::Error::Read: {
                // A read error is either the idle deadline (silence for idle_timeout_ms) or the
                // peer closing the connection early.
                const auto silent_ms =
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - last_byte).count();
                if (silent_ms + 50 >= request.idle_timeout_ms)
                    return failure(TransportFailure::Timeout,
                                   (status ? "the stream stalled for " : "no answer within ") +
                                       std::to_string(request.idle_timeout_ms) + " ms",
                                   status);
                return failure(status ? TransportFailure::CutMidStream : TransportFailure::Unreachable,
                               status ? "the stream was cut mid-way" : "the connection closed before a response",
                               status);
            }
            default:
                return failure(status ? TransportFailure::CutMidStream : TransportFailure::Unreachable,
                               std::string("transport error: ") + httplib::to_string(err), status);
        }
    }
    if (status < 200 || status >= 300) {
        HttpOutcome o = failure(TransportFailure::HttpStatus,
                                "HTTP " + std::to_string(status) + ": " + server_error_text(error_body), status);
        o.body = error_body;
        return o;
    }
    HttpOutcome ok;
    ok.status = status;
    return ok;
}

HttpOutcome HttpClient::get(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
                            int timeout_ms) {
    UrlParts url;
    if (!parse_url(target, &url)) return failure(TransportFailure::Unreachable, "not an http(s) URL: " + target);
    auto client = make_client(url, timeout_ms, timeout_ms, "");
    httplib::Headers h;
    for (const auto& [k, v] : headers) h.emplace(k, v);
    auto res = client->Get(path_of(target).c_str(), h);
    if (!res)
        return failure(TransportFailure::Unreachable,
                       "cannot reach " + target + " (" + httplib::to_string(res.error()) + ")");
    HttpOutcome o;
    o.status = res->status;
    o.body = res->body.substr(0, 1 << 20);
    if (res->status < 200 || res->status >= 300) {
        o.failure = TransportFailure::HttpStatus;
        o.message = "HTTP " + std::to_string(res->status) + ": " + server_error_text(res->body);
    }
    return o;
}

}  // namespace headstart
