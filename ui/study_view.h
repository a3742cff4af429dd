// ui/study_view.h — study mode: blind A/B pairs for user studies.
//
//   a pair      the participant's question is answered twice, hidden: cloud only and μLM + cloud
//               (concurrently on two drivers, or one after the other on one); both turns are
//               recorded (core/study.h RecordedTurn: every shown word at its real time)
//   replay      A, then B, in an order drawn by headstart_is_a() (balanced, seeded); each replays
//               its words at their real timing from the moment the question "is asked", in plain
//               text (no origin colours: the participant must not tell which is which)
//   rating      A better / equivalent / B better -> a StudyTrial, written to the StudyStore
//               before the next pair can start (the desktop's SQLite store is durable at once)
//   summary     n, the share preferring each condition with 95 % Wilson intervals, mean first-
//               word latency per condition; CSV export through the store
//
// Phases: idle -> preparing -> playing_a -> playing_b -> rating -> idle.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/study.h"
#include "core/study_store.h"
#include "imgui.h"
#include "ui/controls.h"
#include "ui/driver.h"

namespace ui {

struct StudyDrivers {
    TurnDriver* headstart = nullptr;
    TurnDriver* cloud_only = nullptr;  // null: both conditions run on `headstart`, one after the other
    const Controls* controls = nullptr;
};

class StudyView {
public:
    enum class Phase { Idle, Preparing, PlayingA, PlayingB, Rating };

    // The store (not owned) and its trials; null: an in-memory store of the view's own.
    void set_store(headstart::StudyStore* store);

    // Starts the next pair for `question` ("" = the next preset question). "" or why not.
    std::string next_pair(const StudyDrivers& d, const std::string& question, double now_s);
    std::string rate(headstart::Rating rating, double now_s);
    std::string export_csv();
    void set_participant(const std::string& id);
    void set_seed(std::uint64_t seed) { seed_ = seed; }
    void replay(double now_s);  // the same pair again, A then B

    // Each frame: follows the hidden turns, then the replays.
    void update(const StudyDrivers& d, double now_s);
    void draw(const StudyDrivers& d, double now_s, ImVec2 size);

    Phase phase() const { return phase_; }
    bool owns_drivers() const { return phase_ == Phase::Preparing; }
    nlohmann::json state() const;

private:
    struct Job {
        headstart::Condition condition = headstart::Condition::Headstart;
        TurnDriver* driver = nullptr;
        long generation_before = 0;
        bool started = false, done = false;
        TurnSnapshot last;
    };
    void start_job(Job& job, const StudyDrivers& d);
    void reload();
    std::string draw_session(const StudyDrivers& d, double now_s, float width);
    void draw_pair(double now_s, ImVec2 size);
    void draw_summary(float width);

    headstart::StudyStore* store_ = nullptr;
    headstart::MemoryStudyStore memory_;
    std::vector<headstart::StudyTrial> trials_;
    std::string store_error_;
    Phase phase_ = Phase::Idle;
    char participant_[64] = "P01";
    std::uint64_t seed_ = 20240501;
    int next_index_ = 0;  // within this participant's session
    std::string question_, message_, last_export_;
    std::vector<Job> jobs_;
    bool headstart_is_a_ = true;
    headstart::RecordedTurn a_, b_;
    double phase_start_s_ = 0, b_end_s_ = 0;
};

const char* to_string(StudyView::Phase phase);

}  // namespace ui
