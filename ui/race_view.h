// ui/race_view.h — the same question answered "cloud only" and "μLM + cloud", side by side and at
// the same time, so an audience sees what the opener buys.
//
//   RaceView::start()   starts both turns at once: μLM + cloud on the app's driver, cloud only
//                       (TurnConfig::opener_source = None) on the second driver; without a
//                       second driver the race says so and runs nothing
//   update()            reads both drivers' snapshots each frame while the race owns them
//   detach()            another view took the drivers: the race keeps its last pictures
//   draw()              per side: a big first-word clock and the words as shown so far; below,
//                       both users' lanes stacked on one time axis (the masked span shaded teal,
//                       cloud only's blank wait shaded red); then who showed a word first, by how much
//   state()             both sides for the app's JSON state
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ui/controls.h"
#include "ui/driver.h"
#include "ui/timeline_view.h"

namespace ui {

class RaceView {
public:
    // Returns "" or why the race cannot run.
    std::string start(const std::string& question, const Controls& controls, TurnDriver* headstart,
                      TurnDriver* cloud_only);
    void update(TurnDriver* headstart, TurnDriver* cloud_only);
    void detach() { attached_ = false; }
    void draw(TimelineView& lanes, ImVec2 size);

    bool started() const { return started_; }
    bool running() const { return started_ && (headstart_.running || cloud_only_.running); }
    bool done() const;  // both turns ended
    nlohmann::json state() const;

private:
    void draw_side(const TurnSnapshot& snap, bool is_headstart, ImVec2 size);
    void draw_lanes(TimelineView& lanes, double span_ms, ImVec2 size);

    TurnSnapshot headstart_, cloud_only_;
    std::string question_, error_;
    bool started_ = false, attached_ = false;
};

}  // namespace ui
