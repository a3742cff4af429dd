// native/http_client.h — the native transport: cpp-httplib (HTTP and HTTPS) with streaming,
// deadlines and cancellation from another thread. Blocking calls: run them off the UI thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/transport.h"

namespace headstart {

class HttpClient {
public:
    // Bytes of a 2xx response as they arrive; return false to stop reading (counts as Cancelled).
    using OnBytes = std::function<bool(std::string_view)>;
    // Called once the status line is in, before any body bytes.
    using OnStatus = std::function<void(int status)>;

    // POSTs and streams the response body into on_bytes. A non-2xx status is read whole (capped)
    // into the outcome's body and message. Never throws.
    HttpOutcome post_stream(const HttpPost& request, const OnBytes& on_bytes, const OnStatus& on_status = {});
    // A plain GET, body returned whole (capped at 1 MiB).
    HttpOutcome get(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers = {},
                    int timeout_ms = 5000);

    // Aborts the call in flight, if any, from any thread; it returns with Cancelled.
    void cancel();

private:
    struct Active;
    std::mutex mutex_;
    std::shared_ptr<Active> active_;
};

// "Authorization: Bearer …" when a key is set; the key itself is never written anywhere else.
std::vector<std::pair<std::string, std::string>> auth_headers(const Endpoint& endpoint);

}  // namespace headstart
