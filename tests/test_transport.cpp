// The native transport against real local servers: HTTPS with certificate verification (a
// self-signed certificate made with the openssl CLI), the API key sent but never echoed in
// errors, and cancellation from another thread; plus URL parsing.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "native/http_client.h"

using namespace headstart;

namespace {

// A server on 127.0.0.1 running on its own thread for the length of a test.
struct RunningServer {
    httplib::Server& server;
    int port = 0;
    std::thread thread;
    explicit RunningServer(httplib::Server& s) : server(s) {
        port = server.bind_to_any_port("127.0.0.1");
        REQUIRE(port > 0);
        thread = std::thread([this] { server.listen_after_bind(); });
        for (int i = 0; i < 200 && !server.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ~RunningServer() {
        server.stop();
        thread.join();
    }
};

void sse_route(httplib::Server& s, std::string* seen_auth) {
    s.Post("/v1/chat/completions", [seen_auth](const httplib::Request& req, httplib::Response& res) {
        *seen_auth = req.get_header_value("Authorization");
        if (*seen_auth != "Bearer sk-test-secret") {
            res.status = 401;
            res.set_content(R"({"error":{"message":"bad key"}})", "application/json");
            return;
        }
        res.set_content("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n",
                        "text/event-stream");
    });
}

}  // namespace

TEST_CASE("transport: URLs are split into scheme, host, port and prefix", "[transport]") {
    UrlParts u;
    REQUIRE(parse_url("https://api.example.com/v1", &u));
    CHECK(u.scheme == "https");
    CHECK(u.host == "api.example.com");
    CHECK(u.port == 443);
    CHECK(u.prefix == "/v1");
    REQUIRE(parse_url("http://127.0.0.1:8088", &u));
    CHECK(u.port == 8088);
    CHECK(u.prefix.empty());
    REQUIRE(parse_url("http://[::1]:9000/x/", &u));
    CHECK(u.host == "::1");
    CHECK(u.port == 9000);
    CHECK(u.prefix == "/x");
    CHECK_FALSE(parse_url("ftp://x", &u));
    CHECK_FALSE(parse_url("http://:80", &u));
    CHECK_FALSE(parse_url("http://host:99999", &u));
    CHECK_FALSE(parse_url("127.0.0.1:8088", &u));
}

TEST_CASE("transport: https verifies the certificate and sends the API key", "[transport]") {
    // A self-signed certificate for 127.0.0.1, made fresh for this test.
    const int made = std::system(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout tls-key.pem -out tls-cert.pem -days 1 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1");
    REQUIRE(made == 0);
    httplib::SSLServer server("tls-cert.pem", "tls-key.pem");
    REQUIRE(server.is_valid());
    std::string seen_auth;
    sse_route(server, &seen_auth);
    RunningServer running(server);

    Endpoint ep;
    ep.base_url = "https://127.0.0.1:" + std::to_string(running.port);
    ep.api_key = "sk-test-secret";
    HttpPost post;
    post.url = ep.base_url + "/v1/chat/completions";
    post.body = "{}";
    post.headers = auth_headers(ep);

    SECTION("trusted with the test CA: the stream arrives") {
        post.ca_file = "tls-cert.pem";
        HttpClient http;
        std::string body;
        const HttpOutcome o = http.post_stream(post, [&](std::string_view b) {
            body += b;
            return true;
        });
        INFO(o.message);
        CHECK(o.ok());
        CHECK(o.status == 200);
        CHECK(body.find("data: [DONE]") != std::string::npos);
        CHECK(seen_auth == "Bearer sk-test-secret");
    }
    SECTION("not trusted: refused, and the key is not in the message") {
        HttpClient http;
        const HttpOutcome o = http.post_stream(post, [](std::string_view) { return true; });
        CHECK(o.failure == TransportFailure::Unreachable);
        CHECK(o.message.find("sk-test-secret") == std::string::npos);
        CHECK(seen_auth.empty());  // nothing was sent over an unverified connection
    }
    SECTION("a wrong key: the server's error text, not the key") {
        post.ca_file = "tls-cert.pem";
        post.headers = {{"Authorization", "Bearer wrong"}};
        HttpClient http;
        const HttpOutcome o = http.post_stream(post, [](std::string_view) { return true; });
        CHECK(o.failure == TransportFailure::HttpStatus);
        CHECK(o.status == 401);
        CHECK_THAT(o.message, Catch::Contains("bad key"));
    }
}

TEST_CASE("transport: cancel() from another thread ends a silent request at once", "[transport]") {
    httplib::Server server;
    std::atomic<bool> release{false};
    server.Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
        for (int i = 0; i < 300 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        res.set_content("late", "text/plain");
    });
    RunningServer running(server);
    HttpPost post;
    post.url = "http://127.0.0.1:" + std::to_string(running.port) + "/slow";
    post.idle_timeout_ms = 10000;
    HttpClient http;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        http.cancel();
    });
    const auto t0 = std::chrono::steady_clock::now();
    const HttpOutcome o = http.post_stream(post, [](std::string_view) { return true; });
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    canceller.join();
    release = true;
    CHECK(o.failure == TransportFailure::Cancelled);
    CHECK(ms < 2000);  // the 10 s idle deadline did not have to pass
}
