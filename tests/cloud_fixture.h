// tests/cloud_fixture.h — what the cloud and end-to-end tests share: the tiny model fixture
// (HEADSTART_FIXTURE_DIR, built by training/make_fixture.py), a real headstart-cloud server
// running in-process on 127.0.0.1 (port 0) for the length of one test, and small HTTP helpers.
// Nothing here is a mock: the server is CloudServer on a real ONNX Runtime continuator.
#pragma once

#include <catch2/catch.hpp>

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cloud/model_continuator.h"
#include "cloud/server.h"

namespace headstart_test {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A file of the tiny model fixture (tiny.onnx, tokenizer.json, reference.json).
inline std::string fixture(const std::string& name) {
    const char* dir = std::getenv("HEADSTART_FIXTURE_DIR");
    REQUIRE(dir != nullptr);  // set by ctest (tests/CMakeLists.txt)
    return std::string(dir) + "/" + name;
}

inline headstart::ModelContinuatorOptions tiny_continuator() {
    headstart::ModelContinuatorOptions o;
    o.model_path = fixture("tiny.onnx");
    o.tokenizer_path = fixture("tokenizer.json");
    o.threads = 1;
    return o;
}

// Test defaults: any free port on loopback, faults honoured, no injected latency.
inline headstart::CloudServerOptions test_server_options() {
    headstart::CloudServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.allow_faults = true;
    o.latency = headstart::LatencyProfile{};
    return o;
}

// One headstart-cloud for one test: bound and serving on a background thread once constructed
// (it answers /health), stopped and joined when it goes out of scope.
class CloudFixture {
public:
    // The factory: the tiny μLM's continuator unless another is given (the reference continuator).
    explicit CloudFixture(headstart::CloudServerOptions options = test_server_options(),
                          headstart::CloudServer::Factory factory = nullptr) {
        if (!factory) {
            const auto model = tiny_continuator();
            factory = [model] { return headstart::make_model_continuator(model); };
        }
        server_ = std::make_unique<headstart::CloudServer>(std::move(options), std::move(factory));
        const auto bound = server_->bind();
        INFO((bound.ok() ? std::string() : bound.error()));
        REQUIRE(bound.ok());
        port_ = server_->bound_port();
        REQUIRE(port_ > 0);
        thread_ = std::thread([this] { server_->run(); });
        // stop() before listen starts would be lost: wait until the server answers.
        const auto t0 = Clock::now();
        bool up = false;
        while (!up && ms_since(t0) < 5000) {
            httplib::Client c("127.0.0.1", port_);
            c.set_connection_timeout(0, 200000);
            auto r = c.Get("/health");
            up = r && r->status == 200;
            if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (!up) shutdown();
        REQUIRE(up);
    }
    ~CloudFixture() { shutdown(); }
    CloudFixture(const CloudFixture&) = delete;
    CloudFixture& operator=(const CloudFixture&) = delete;

    int port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    httplib::Client client(int timeout_ms = 5000) const {
        httplib::Client c("127.0.0.1", port_);
        c.set_connection_timeout(timeout_ms / 1000, (timeout_ms % 1000) * 1000);
        c.set_read_timeout(timeout_ms / 1000, (timeout_ms % 1000) * 1000);
        c.set_keep_alive(false);
        return c;
    }

private:
    void shutdown() {
        if (server_) server_->stop();
        if (thread_.joinable()) thread_.join();
    }

    std::unique_ptr<headstart::CloudServer> server_;
    std::thread thread_;
    int port_ = 0;
};

// A streamed POST read by hand: status, every body chunk with its arrival time (ms after the
// request was sent), and httplib's error when the transfer did not complete.
struct StreamedResponse {
    int status = 0;
    std::string content_type;
    httplib::Headers headers;
    std::string body;
    std::vector<std::pair<double, std::string>> chunks;
    httplib::Error error = httplib::Error::Success;
    bool completed = false;
};

// `stop_after_chunks` > 0: hang up after that many body chunks (a client that goes away).
inline StreamedResponse post_streamed(const CloudFixture& cloud, const std::string& path, const std::string& body,
                                      const httplib::Headers& headers = {}, int stop_after_chunks = 0,
                                      int timeout_ms = 5000) {
    auto client = cloud.client(timeout_ms);
    StreamedResponse out;
    httplib::Request req;
    req.method = "POST";
    req.path = path;
    req.headers = headers;
    req.headers.emplace("Content-Type", "application/json");
    req.body = body;
    const auto t0 = Clock::now();
    req.response_handler = [&](const httplib::Response& res) {
        out.status = res.status;
        out.content_type = res.get_header_value("Content-Type");
        out.headers = res.headers;
        return true;
    };
    req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
        out.chunks.emplace_back(ms_since(t0), std::string(data, len));
        out.body.append(data, len);
        return stop_after_chunks <= 0 || static_cast<int>(out.chunks.size()) < stop_after_chunks;
    };
    httplib::Response res;
    out.completed = client.send(req, res, out.error);
    if (out.status == 0) out.status = res.status;
    return out;
}

}  // namespace headstart_test
