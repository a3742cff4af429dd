// ui/script.h — a small script of actions that drives the app as a user would, so a test (or a
// demo recording) can run a turn and capture the window: `headstart-desktop --script FILE`.
//
// One command per line; '#' starts a comment (a whole line, or after a space except in questions).
// Commands:
//   set KEY VALUE           a control (App::set_control: pace 240, profile lte, method pivot,
//                           endpoint http://127.0.0.1:8088, opener_words 4-6, max_tokens 32,
//                           speak on, voice en-us, speech_wpm 165, ...)
//   ask QUESTION            asks it (the Ask button)
//   race [QUESTION]         cloud only vs μLM + cloud at once (the Race button)
//   view live|watch|race|study  selects a tab
//   wait CONDITION [SECONDS]  until preread (the typed question is in the μLM's KV cache), handoff,
//                           first_word, cloud_token, cloud_done, done, spoken (the turn is done and
//                           its voice has played out; a silent turn: done), race_done, study_rating
//                           or study_idle (default limit 60 s: then the script fails)
//   wait N ms | wait N s    a pause
//   inspect N               shows token N's alternatives, as hovering its chip does (-1: off)
//   screenshot PATH         the window as PNG, after this frame is drawn
//   state PATH              the app's state JSON, after this frame is drawn
//   study participant ID | study seed N | study next [QUESTION] | study rate a|equivalent|b |
//   study export | study replay
//   quit                    ends the script (it also ends after its last line)
// The script is parsed up front (errors name the line); the shell calls step() once per frame
// and writes the outputs it returns once the frame is drawn. A command that changes what is shown
// lets a few frames pass before the next screenshot, so the picture has settled.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace ui {

class App;

struct ScriptOutput {
    enum class Kind { Screenshot, State };
    Kind kind;
    std::string path;
};

class Script {
public:
    static headstart::Result<Script> parse(const std::string& text);

    struct Step {
        std::vector<ScriptOutput> outputs;  // to write after this frame is drawn
        bool finished = false;
        std::string error;  // the script failed (finished is true too)
        std::string log;    // what ran, one line per command
    };
    Step step(App& app, double now_s);
    bool finished() const { return pc_ >= commands_.size(); }

private:
    struct Command {
        int line = 0;
        std::string verb, arg1, rest;  // rest: everything after the verb (or after arg1 for set/study)
    };
    std::vector<Command> commands_;
    size_t pc_ = 0;
    double wait_started_s_ = -1;
    int frames_since_change_ = 0;
};

}  // namespace ui
