// cli/load.cpp — headstart load: bounded load on a headstart-cloud at 127.0.0.1, its figures printed and
// checked (scripts/load starts the server and runs this).
//
//   headstart load --url http://127.0.0.1:PORT [--pid PID] [--requests N] [--per-profile N]
//                  [--profiles wifi,lte,congested,satellite] [--max-seconds S] [--json FILE]
//
// Every request is a streamed chat handoff (core/handoff.h) naming its latency profile
// ("headstart_latency"), read with core's OpenAiStream. Phases, each bounded in count and time:
//   profiles     the server's max_concurrency clients at once, --per-profile requests each, per profile:
//                first-token p50 / p99 (request sent -> first text delta) against the profile's promise
//                (first_token_ms ± jitter_ms; p50 inside it, p99 under its top + 100 ms of overhead)
//   overload     max_concurrency clients take every slot on a profile whose wait outlasts the server's
//                queue timeout, then as many more arrive: exactly max_concurrency are served, the rest get
//                429 (code "busy")
//   hang-ups     max_concurrency clients that hang up during the first-token wait, then as many that hang
//                up mid-stream: how long until /health shows every slot free again
//   soak         --requests requests (default 10,000) by max_concurrency clients, no injected latency: the
//                server's RSS and open descriptors (/proc/PID, with --pid) sampled every 1,000 requests
// Exit status 0 when every check holds, 1 when one fails (each is printed with its figure), 2 on bad usage.
#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "core/eval_metrics.h"  // percentile()
#include "core/handoff.h"
#include "core/latency_profile.h"
#include "core/sse.h"
#include "native/http_client.h"

namespace headstart {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

const char* const kQuestions[] = {"How can I improve my time management skills?",
                                  "What are the main causes of climate change?",
                                  "How do vaccines work?",
                                  "What is the best way to learn a new language?",
                                  "Why is the sky blue?",
                                  "How do I make a good cup of coffee?",
                                  "What are some tips for a job interview?",
                                  "How does a refrigerator work?"};

struct Shot {
    int status = 0;
    bool completed = false;      // [DONE] seen
    double first_token_ms = -1;  // request sent -> first text delta
    std::string error;
};

enum class HangUp { Never, DuringWait, AfterFirstToken };

struct Load {
    std::string url;
    int pid = 0;
    int concurrency = 2;
    int queue_timeout_ms = 2000;
    std::atomic<int> n{0};

    std::string body(const std::string& profile, int max_tokens) {
        HandoffConfig hc;
        hc.max_tokens = max_tokens;
        const int i = n++;
        auto req = build_handoff_request(hc, kQuestions[i % 8], i % 3 == 0 ? "" : "The first thing to");
        json b = json::parse(req->body);
        b["headstart_latency"] = profile;
        b["seed"] = i;
        return b.dump();
    }

    Shot shot(const std::string& profile, int max_tokens, HangUp hang_up = HangUp::Never, int hang_up_ms = 0) {
        HttpClient client;
        HttpPost post;
        post.url = url + "/v1/chat/completions";
        post.body = body(profile, max_tokens);
        post.idle_timeout_ms = 10000;
        post.total_timeout_ms = 60000;
        Shot s;
        OpenAiStream stream;
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        std::thread watchdog;
        if (hang_up == HangUp::DuringWait)
            watchdog = std::thread([&] {
                std::unique_lock<std::mutex> lock(m);
                if (!cv.wait_for(lock, std::chrono::milliseconds(hang_up_ms), [&] { return done; })) client.cancel();
            });
        const auto t0 = Clock::now();
        const auto outcome = client.post_stream(post, [&](std::string_view bytes) {
            for (const auto& d : stream.feed(bytes)) {
                if (d.kind == StreamDelta::Kind::Text && s.first_token_ms < 0) s.first_token_ms = ms_since(t0);
                if (d.kind == StreamDelta::Kind::Done) s.completed = true;
                if (d.kind == StreamDelta::Kind::Error) s.error = d.text;
            }
            return !(hang_up == HangUp::AfterFirstToken && s.first_token_ms >= 0);
        });
        {
            std::lock_guard<std::mutex> lock(m);
            done = true;
        }
        cv.notify_all();
        if (watchdog.joinable()) watchdog.join();
        s.status = outcome.status;
        if (!outcome.ok() && s.error.empty()) s.error = outcome.message;
        return s;
    }

    // `clients` threads at once, each running `each` shots.
    std::vector<Shot> wave(int clients, int each, const std::function<Shot()>& one) {
        std::vector<Shot> out;
        std::mutex m;
        std::vector<std::thread> threads;
        for (int c = 0; c < clients; ++c)
            threads.emplace_back([&] {
                for (int k = 0; k < each; ++k) {
                    Shot s = one();
                    std::lock_guard<std::mutex> lock(m);
                    out.push_back(std::move(s));
                }
            });
        for (auto& t : threads) t.join();
        return out;
    }

    json health() {
        HttpClient c;
        const auto r = c.get(url + "/health");
        if (!r.ok()) return json();
        return json::parse(r.body, nullptr, false);
    }

    // Waits until /health shows no request in flight; the milliseconds that took (-1: not within limit_ms).
    double until_idle(double limit_ms) {
        const auto t0 = Clock::now();
        while (ms_since(t0) < limit_ms) {
            const json h = health();
            if (h.is_object() && h.value("in_flight", -1) == 0) return ms_since(t0);
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return -1;
    }
};

// VmRSS in KiB and the number of open descriptors of a process (-1 when /proc cannot tell).
std::pair<long, int> process_usage(int pid) {
    if (pid <= 0) return {-1, -1};
    long rss = -1;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) rss = std::strtol(line.c_str() + 6, nullptr, 10);
    int fds = -1;
    if (DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
        fds = 0;
        while (const dirent* e = readdir(d))
            if (e->d_name[0] != '.') ++fds;
        closedir(d);
    }
    return {rss, fds};
}

int usage(const std::string& why) {
    std::fprintf(stderr,
                 "headstart load: %s\n"
                 "usage: headstart load --url http://127.0.0.1:PORT [--pid PID] [--requests N] [--per-profile N]\n"
                 "                      [--profiles wifi,lte,congested,satellite] [--max-seconds S] [--json FILE]\n",
                 why.c_str());
    return 2;
}

}  // namespace

int load_main(int argc, char** argv) {
    Load load;
    int requests = 10000, per_profile = 6;
    double max_seconds = 900;
    std::vector<std::string> profiles = {"wifi", "lte", "congested", "satellite"};
    std::string json_out;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return usage("missing value for " + a);
        const char* v = argv[++i];
        double x = 0;
        if (a == "--url") load.url = v;
        else if (a == "--pid" && parse_number(v, 1, 1e9, &x)) load.pid = static_cast<int>(x);
        else if (a == "--requests" && parse_number(v, 0, 1e7, &x)) requests = static_cast<int>(x);
        else if (a == "--per-profile" && parse_number(v, 0, 1000, &x)) per_profile = static_cast<int>(x);
        else if (a == "--max-seconds" && parse_number(v, 1, 86400, &x)) max_seconds = x;
        else if (a == "--profiles") profiles = split_list(v);
        else if (a == "--json") json_out = v;
        else return usage("bad option " + a + " " + v);
    }
    UrlParts parts;
    if (!parse_url(load.url, &parts) || parts.scheme != "http" ||
        (parts.host != "127.0.0.1" && parts.host != "localhost"))
        return usage("--url must be http://127.0.0.1:PORT (load stays on this machine)");
    while (!load.url.empty() && load.url.back() == '/') load.url.pop_back();
    const json h = load.health();
    if (!h.is_object() || !h.contains("max_concurrency"))
        return std::fprintf(stderr, "headstart load: no headstart-cloud at %s\n", load.url.c_str()), 1;
    load.concurrency = h["max_concurrency"].get<int>();
    load.queue_timeout_ms = h.value("queue_timeout_ms", 2000);
    const int C = load.concurrency;
    const auto started = Clock::now();
    const auto out_of_time = [&] { return ms_since(started) > max_seconds * 1000; };
    json report = {{"url", load.url}, {"max_concurrency", C}, {"queue_timeout_ms", load.queue_timeout_ms}};
    int failures = 0;
    const auto check = [&](bool ok, const std::string& what) {
        std::printf("  %s %s\n", ok ? "ok  " : "FAIL", what.c_str());
        if (!ok) ++failures;
        return ok;
    };
    char buf[512];

    // 1. First token under each profile, against its promise.
    std::printf("profiles: %d clients at once, %d streamed requests each\n", C, per_profile);
    json prof = json::array();
    for (const auto& name : profiles) {
        LatencyProfile p;
        if (!latency_profile(name, &p)) return usage("unknown profile " + name);
        if (out_of_time()) break;
        const auto shots = load.wave(C, per_profile, [&] { return load.shot(name, 8); });
        std::vector<double> ft;
        int bad = 0;
        for (const auto& s : shots)
            if (s.status == 200 && s.completed && s.first_token_ms >= 0) ft.push_back(s.first_token_ms);
            else ++bad;
        std::sort(ft.begin(), ft.end());
        const double p50 = percentile(ft, 50), p99 = percentile(ft, 99);
        const double lo = p.first_token_ms - p.jitter_ms, hi = p.first_token_ms + p.jitter_ms;
        std::snprintf(buf, sizeof buf,
                      "%-10s promise %4.0f ± %3.0f ms: first token p50 %6.1f, p99 %6.1f ms (%zu served, %d failed)",
                      name.c_str(), p.first_token_ms, p.jitter_ms, p50, p99, ft.size(), bad);
        check(bad == 0 && p50 >= lo && p50 <= hi && p99 <= hi + 100, buf);
        prof.push_back({{"profile", name},
                        {"promise_ms", p.first_token_ms},
                        {"jitter_ms", p.jitter_ms},
                        {"first_token_p50_ms", p50},
                        {"first_token_p99_ms", p99},
                        {"served", ft.size()},
                        {"failed", bad}});
    }
    report["profiles"] = prof;

    // 2. Over capacity: a wait longer than the queue timeout, 3 C clients at once.
    std::string slow;
    for (const auto& name : latency_profile_names()) {
        LatencyProfile p;
        latency_profile(name, &p);
        if (p.first_token_ms - p.jitter_ms > load.queue_timeout_ms + 200) {
            slow = name;
            break;
        }
    }
    if (!slow.empty() && !out_of_time()) {
        std::printf(
            "overload: %d clients on '%s' (its wait outlasts the %d ms queue timeout), %d of them once the slots are taken\n",
            2 * C, slow.c_str(), load.queue_timeout_ms, C);
        // The first C take every slot (seen on /health), then C more arrive while the wait still holds them.
        std::vector<Shot> shots;
        std::thread holders([&] { shots = load.wave(C, 1, [&] { return load.shot(slow, 4); }); });
        const auto t_fill = Clock::now();
        while (ms_since(t_fill) < 3000) {
            const json hh = load.health();
            if (hh.is_object() && hh.value("in_flight", 0) >= C) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        auto more = load.wave(C, 1, [&] { return load.shot(slow, 4); });
        holders.join();
        shots.insert(shots.end(), more.begin(), more.end());
        int served = 0, busy = 0, other = 0;
        for (const auto& s : shots)
            if (s.status == 200 && s.completed) ++served;
            else if (s.status == 429) ++busy;
            else ++other;
        std::snprintf(buf, sizeof buf, "%d served, %d got 429 busy, %d other (expected %d and %d)", served, busy, other,
                      C, C);
        check(served == C && busy == C && other == 0, buf);
        report["overload"] = {
            {"profile", slow}, {"clients", 2 * C}, {"served", served}, {"busy_429", busy}, {"other", other}};
    }

    // 3. Hang-ups: during the first-token wait, then mid-stream.
    if (!out_of_time()) {
        std::printf("hang-ups: %d clients each time\n", C);
        load.wave(C, 1, [&] { return load.shot("lte", 8, HangUp::DuringWait, 150); });
        const double wait_freed = load.until_idle(5000);
        load.wave(C, 1, [&] { return load.shot("wifi", 64, HangUp::AfterFirstToken); });
        const double stream_freed = load.until_idle(5000);
        std::snprintf(buf, sizeof buf, "hung up during the wait: every slot free %.0f ms later", wait_freed);
        check(wait_freed >= 0 && wait_freed < 250, buf);
        std::snprintf(buf, sizeof buf, "hung up mid-stream: every slot free %.0f ms later", stream_freed);
        check(stream_freed >= 0 && stream_freed < 250, buf);
        report["hang_ups"] = {{"during_wait_freed_ms", wait_freed}, {"mid_stream_freed_ms", stream_freed}};
    }

    // 4. Soak: RSS and descriptors over --requests requests.
    if (requests > 0 && !out_of_time()) {
        std::printf("soak: %d streamed requests by %d clients, no injected latency\n", requests, C);
        json samples = json::array();
        const auto sample = [&](int done) {
            const auto [rss, fds] = process_usage(load.pid);
            samples.push_back({{"requests", done}, {"rss_kib", rss}, {"fds", fds}});
        };
        sample(0);
        std::atomic<int> next{0}, failed{0};
        std::mutex m;
        const auto t0 = Clock::now();
        std::vector<std::thread> threads;
        for (int c = 0; c < C; ++c)
            threads.emplace_back([&] {
                for (int i; (i = next++) < requests && !out_of_time();) {
                    const Shot s = load.shot("none", 8);
                    if (!(s.status == 200 && s.completed)) ++failed;
                    if ((i + 1) % 1000 == 0) {
                        std::lock_guard<std::mutex> lock(m);
                        sample(i + 1);
                    }
                }
            });
        for (auto& t : threads) t.join();
        const double secs = ms_since(t0) / 1000;
        const int done = std::min<int>(next.load(), requests);
        sample(done);
        const json& first = samples[std::min<std::size_t>(1, samples.size() - 1)];  // after the first 1,000
        const json& last = samples.back();
        const long rss0 = first["rss_kib"], rss1 = last["rss_kib"];
        const int fd0 = samples[0]["fds"], fd1 = last["fds"];
        long rss_peak = 0;
        int fd_peak = 0;
        for (const auto& s : samples) {
            rss_peak = std::max<long>(rss_peak, s["rss_kib"].get<long>());
            fd_peak = std::max(fd_peak, s["fds"].get<int>());
        }
        std::snprintf(buf, sizeof buf, "%d requests in %.1f s (%.0f/s), %d failed", done, secs, done / secs,
                      failed.load());
        check(done == requests && failed == 0, buf);
        if (load.pid > 0) {
            std::snprintf(buf, sizeof buf, "RSS %.1f MiB after 1,000 -> %.1f MiB after %d (peak %.1f): %+.1f %%",
                          rss0 / 1024.0, rss1 / 1024.0, done, rss_peak / 1024.0, 100.0 * (rss1 - rss0) / rss0);
            check(rss1 <= rss0 * 1.10 + 2048, buf);
            std::snprintf(buf, sizeof buf, "open descriptors %d before -> %d after (peak %d)", fd0, fd1, fd_peak);
            check(fd1 <= fd0 + 2, buf);
        }
        report["soak"] = {
            {"requests", done}, {"clients", C}, {"seconds", secs}, {"failed", failed.load()}, {"samples", samples}};
    }
    report["failures"] = failures;
    report["seconds"] = ms_since(started) / 1000;
    if (!json_out.empty()) {
        std::ofstream f(json_out);
        f << report.dump(1) << "\n";
        if (!f) return std::fprintf(stderr, "headstart load: cannot write %s\n", json_out.c_str()), 1;
    }
    std::printf("%s: %d check(s) failed, %.0f s\n", failures ? "FAILED" : "passed", failures, ms_since(started) / 1000);
    return failures ? 1 : 0;
}

}  // namespace headstart
