// native/turn_runner.cpp — see turn_runner.h.
#include "native/turn_runner.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace headstart {

std::string endpoint_url(const Endpoint& endpoint, const std::string& path) {
    std::string base = endpoint.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (base.size() >= 3 && base.compare(base.size() - 3, 3, "/v1") == 0 && path.rfind("/v1/", 0) == 0)
        base.resize(base.size() - 3);
    return base + path;
}

namespace {

using Clock = std::chrono::steady_clock;

// What the cloud worker hands to the turn's thread.
struct CloudEvents {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::pair<std::string, double>> bytes;  // chunk, arrival ms
    int status = 0;
    double status_ms = 0;
    bool ended = false;
    HttpOutcome outcome;
    double ended_ms = 0;
};

}  // namespace

Status run_turn(Turn& turn, std::string_view question, LanguageModel* model, HttpClient& http,
                const TurnRunOptions& options, const std::function<void(const Turn&)>& on_update,
                const std::atomic<bool>* cancel) {
    const auto start = Clock::now();
    const auto now_ms = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); };
    const auto update = [&] {
        if (on_update) on_update(turn);
    };
    const auto cancelled = [&] { return cancel && cancel->load(); };

    auto prompt = turn.begin(question, now_ms());
    if (!prompt.ok()) return Error{prompt.error()};

    // The μLM opener: prefill once, then one step per token, until the policy fixes the opener.
    if (!prompt->empty()) {
        Status st = model ? model->prefill(*prompt) : Status(Error{"no μLM loaded"});
        if (st.ok()) turn.on_prompt_reused(model->reused_on_last_prefill());
        while (st.ok() && !turn.opener_fixed() && !cancelled()) {
            auto next = turn.on_logits(model->logits(), now_ms());
            if (!next.ok()) {
                st = Error{next.error()};
                break;
            }
            update();
            if (!next->has_value()) break;
            st = model->step(**next);
        }
        if (!st.ok()) turn.on_model_error(st.error(), now_ms());
    }

    auto request = turn.handoff(now_ms());
    if (!request.ok()) return Error{request.error()};
    update();

    HttpPost post;
    post.url = endpoint_url(options.endpoint, request->path);
    post.body = request->body;
    post.headers = auth_headers(options.endpoint);
    post.headers.insert(post.headers.end(), options.headers.begin(), options.headers.end());
    post.connect_timeout_ms = options.connect_timeout_ms;
    post.idle_timeout_ms = options.idle_timeout_ms;
    post.total_timeout_ms = options.total_timeout_ms;
    post.ca_file = options.endpoint.ca_file;

    CloudEvents ev;
    std::thread worker([&] {
        HttpOutcome outcome = http.post_stream(
            post,
            [&](std::string_view bytes) {
                std::lock_guard<std::mutex> lock(ev.mutex);
                ev.bytes.emplace_back(std::string(bytes), now_ms());
                ev.changed.notify_one();
                return true;
            },
            [&](int status) {
                std::lock_guard<std::mutex> lock(ev.mutex);
                ev.status = status;
                ev.status_ms = now_ms();
                ev.changed.notify_one();
            });
        std::lock_guard<std::mutex> lock(ev.mutex);
        ev.ended = true;
        ev.outcome = std::move(outcome);
        ev.ended_ms = now_ms();
        ev.changed.notify_one();
    });

    bool status_seen = false, end_seen = false;
    while (!turn.finished()) {
        if (cancelled()) http.cancel();
        std::deque<std::pair<std::string, double>> chunks;
        bool ended = false;
        HttpOutcome outcome;
        double ended_ms = 0;
        int status = 0;
        double status_ms = 0;
        {
            std::unique_lock<std::mutex> lock(ev.mutex);
            // Sleep until the cloud sends something or the next word is due.
            const auto due = turn.next_word_due_ms();
            const double wait_ms = !options.paced && due ? 0 : due ? std::max(0.0, *due - now_ms()) : 50.0;
            ev.changed.wait_for(
                lock, std::chrono::microseconds(static_cast<long long>(std::min(wait_ms, 50.0) * 1000)),
                [&] { return !ev.bytes.empty() || (ev.ended && !end_seen) || (ev.status && !status_seen); });
            chunks.swap(ev.bytes);
            if (ev.status && !status_seen) {
                status = ev.status;
                status_ms = ev.status_ms;
            }
            if (ev.ended && !end_seen) {
                ended = true;
                outcome = ev.outcome;
                ended_ms = ev.ended_ms;
            }
        }
        if (status) {
            status_seen = true;
            turn.on_cloud_status(status, status_ms);
        }
        for (auto& [bytes, t] : chunks) turn.on_cloud_bytes(bytes, t);
        if (ended) {
            end_seen = true;
            turn.on_cloud_end(outcome, ended_ms);
        }
        // Unpaced: every queued word is due at once (its slot still counts in the timeline).
        const size_t shown = turn.advance(options.paced ? now_ms() : 1e12);
        if (status || !chunks.empty() || ended || shown) update();
    }
    worker.join();
    return Ok{};
}

}  // namespace headstart
