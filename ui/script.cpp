// ui/script.cpp — see script.h.
#include "ui/script.h"

#include <cstdlib>

#include "ui/app.h"

namespace ui {
namespace {

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t\r");
    if (a == std::string::npos) return "";
    const size_t b = s.find_last_not_of(" \t\r");
    return s.substr(a, b - a + 1);
}

// Splits off the first whitespace-separated word.
std::pair<std::string, std::string> head(const std::string& s) {
    const std::string t = trim(s);
    const size_t sp = t.find_first_of(" \t");
    if (sp == std::string::npos) return {t, ""};
    return {t.substr(0, sp), trim(t.substr(sp))};
}

// "500", "500 ms", "500ms", "1.5 s", "1.5s" -> seconds; false if it is not a duration.
bool parse_duration(const std::string& text, double* seconds) {
    const std::string t = trim(text);
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (end == t.c_str() || v < 0) return false;
    const std::string unit = trim(end);
    if (unit.empty() || unit == "ms") return *seconds = v / 1000.0, true;
    if (unit == "s") return *seconds = v, true;
    return false;
}

bool known_condition(const std::string& c) {
    for (const char* k : {"preread", "handoff", "first_word", "cloud_token", "cloud_done", "done", "spoken",
                          "race_done", "study_rating", "study_idle"})
        if (c == k) return true;
    return false;
}

}  // namespace

headstart::Result<Script> Script::parse(const std::string& text) {
    Script s;
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
        ++line_no;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        Command c;
        c.line = line_no;
        auto [verb, rest] = head(line);
        // A trailing comment ("  # ...") ends the line, except in free text (questions).
        if (verb != "ask" && verb != "race" && verb != "study") {
            for (size_t i = 1; i < rest.size(); ++i)
                if (rest[i] == '#' && (rest[i - 1] == ' ' || rest[i - 1] == '\t')) {
                    rest = trim(rest.substr(0, i));
                    break;
                }
        }
        c.verb = verb;
        c.rest = rest;
        const auto [a1, after] = head(rest);
        c.arg1 = a1;
        const auto fail = [&](const std::string& why) {
            return headstart::Error{"script line " + std::to_string(line_no) + ": " + why};
        };
        if (verb == "set" || verb == "study") {
            if (a1.empty()) return fail(verb + " needs an argument");
            c.rest = after;
        } else if (verb == "wait") {
            double sec = 0;
            if (!parse_duration(rest, &sec)) {
                if (!known_condition(a1)) return fail("wait for what? '" + rest + "'");
                if (!after.empty() && !parse_duration(after + " s", &sec))
                    return fail("bad time limit '" + after + "'");
            }
        } else if (verb == "ask") {
            if (rest.empty()) return fail("ask needs a question");
        } else if (verb == "view") {
            if (rest != "live" && rest != "watch" && rest != "race" && rest != "study")
                return fail("view live, watch, race or study");
        } else if (verb == "screenshot" || verb == "state") {
            if (rest.empty()) return fail(verb + " needs a path");
        } else if (verb == "inspect") {
            char* end = nullptr;
            std::strtol(rest.c_str(), &end, 10);
            if (rest.empty() || *end) return fail("inspect needs a token index");
        } else if (verb != "race" && verb != "quit") {
            return fail("unknown command '" + verb + "'");
        }
        s.commands_.push_back(std::move(c));
    }
    return s;
}

Script::Step Script::step(App& app, double now_s) {
    Step out;
    ++frames_since_change_;
    while (pc_ < commands_.size()) {
        const Command& c = commands_[pc_];
        const auto fail = [&](const std::string& why) {
            out.error = "script line " + std::to_string(c.line) + " (" + c.verb + " " + c.rest + "): " + why;
            out.finished = true;
            pc_ = commands_.size();
            return out;
        };
        const auto done = [&](const std::string& what) {
            out.log += "[" + std::to_string(static_cast<long>(now_s * 1000)) + " ms] " + what + "\n";
            ++pc_;
            wait_started_s_ = -1;
        };
        if (c.verb == "wait") {
            if (wait_started_s_ < 0) wait_started_s_ = now_s;
            double sec = 0;
            if (parse_duration(c.rest, &sec)) {
                if (now_s - wait_started_s_ < sec) return out;
                done("waited " + c.rest);
                continue;
            }
            double limit = 60;
            const auto after = c.rest.substr(c.arg1.size());
            if (!trim(after).empty()) parse_duration(trim(after) + " s", &limit);
            const auto met = app.condition(c.arg1);
            if (!met) return fail("unknown condition");
            if (*met) {
                done("wait " + c.arg1 + ": met after " +
                     std::to_string(static_cast<long>((now_s - wait_started_s_) * 1000)) + " ms");
                continue;
            }
            if (now_s - wait_started_s_ > limit)
                return fail("not met within " + std::to_string(static_cast<int>(limit)) + " s");
            return out;
        }
        if (c.verb == "screenshot" || c.verb == "state") {
            if (frames_since_change_ < 3) return out;  // let the picture settle first
            out.outputs.push_back(
                {c.verb == "screenshot" ? ScriptOutput::Kind::Screenshot : ScriptOutput::Kind::State, c.rest});
            done(c.verb + " " + c.rest);
            // The output shows this frame: later commands wait for the next one (a state and a
            // screenshot in a row still share the frame).
            while (pc_ < commands_.size() && (commands_[pc_].verb == "screenshot" || commands_[pc_].verb == "state")) {
                const Command& n = commands_[pc_];
                out.outputs.push_back(
                    {n.verb == "screenshot" ? ScriptOutput::Kind::Screenshot : ScriptOutput::Kind::State, n.rest});
                done(n.verb + " " + n.rest);
            }
            if (pc_ >= commands_.size()) out.finished = true;
            return out;
        }
        std::string err;
        if (c.verb == "set") err = app.set_control(c.arg1, c.rest);
        else if (c.verb == "ask") app.ask(c.rest);
        else if (c.verb == "race") {
            if (!c.rest.empty()) app.set_control("question", c.rest);
            err = app.race(c.rest.empty() ? std::string() : c.rest);
        } else if (c.verb == "view") err = app.show_view(c.rest);
        else if (c.verb == "inspect") app.inspect_token(std::atoi(c.rest.c_str()));
        else if (c.verb == "study") err = app.study_command(c.arg1, c.rest);
        else if (c.verb == "quit") {
            done("quit");
            pc_ = commands_.size();
            break;
        }
        if (!err.empty()) return fail(err);
        frames_since_change_ = 0;
        done(c.verb + " " + (c.verb == "set" || c.verb == "study" ? c.arg1 + " " : "") + c.rest);
    }
    out.finished = true;
    return out;
}

}  // namespace ui
