// ui/study.h — where the study mode keeps its ratings: a small interface each platform fills.
//
//   StudyStore         add() must not return before the trial is durable (a crash right after
//                      loses nothing); all() reads every trial back in the order added;
//                      export_csv() puts the CSV where the user can take it (a file on the
//                      desktop, a download in the browser) and says where
//   MemoryStudyStore   keeps trials in memory only: the fallback when a platform has no store
//                      yet (the web build until its localStorage store lands), and for tests
//
// The desktop's store is SQLite (desktop/study_store.h); the records and statistics are
// core/study.h.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "core/study.h"

namespace ui {

class StudyStore {
public:
    virtual ~StudyStore() = default;
    virtual headstart::Status add(const headstart::StudyTrial& trial) = 0;
    virtual headstart::Result<std::vector<headstart::StudyTrial>> all() = 0;
    // Returns where the CSV went (a path, "downloaded", ...).
    virtual headstart::Result<std::string> export_csv(const std::string& csv) = 0;
    virtual std::string describe() const = 0;  // "SQLite /path (WAL, synchronous=FULL)"
    virtual bool durable() const = 0;          // survives a crash / restart
};

class MemoryStudyStore final : public StudyStore {
public:
    headstart::Status add(const headstart::StudyTrial& trial) override {
        trials_.push_back(trial);
        return headstart::Ok{};
    }
    headstart::Result<std::vector<headstart::StudyTrial>> all() override { return trials_; }
    headstart::Result<std::string> export_csv(const std::string& csv) override {
        last_csv_ = csv;
        return std::string("kept in memory (this build has no file export)");
    }
    std::string describe() const override { return "in memory only (not saved)"; }
    bool durable() const override { return false; }
    const std::string& last_csv() const { return last_csv_; }

private:
    std::vector<headstart::StudyTrial> trials_;
    std::string last_csv_;
};

}  // namespace ui
