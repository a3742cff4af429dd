// core/study_store.h — where the study mode keeps its ratings: a small interface each platform fills.
//
//   StudyStore         add() must not return before the trial is durable (a crash right after
//                      loses nothing); all() reads every trial back in the order added;
//                      export_csv() puts the CSV where the user can take it (a file on the
//                      desktop, a download in the browser) and says where
//   MemoryStudyStore   keeps trials in memory only: the fallback when a platform has no store
//                      (a page without localStorage), and for tests
//
// The native store is SQLite (native/sqlite_study_store.h), the page's localStorage
// (wasm/web_study_store.h); the records and statistics are core/study.h.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "core/study.h"

namespace headstart {

class StudyStore {
public:
    virtual ~StudyStore() = default;
    virtual Status add(const StudyTrial& trial) = 0;
    virtual Result<std::vector<StudyTrial>> all() = 0;
    // Returns where the CSV went (a path, "downloaded", ...).
    virtual Result<std::string> export_csv(const std::string& csv) = 0;
    virtual std::string describe() const = 0;  // "SQLite /path (WAL, synchronous=FULL)"
    virtual bool durable() const = 0;          // survives a crash / restart
};

class MemoryStudyStore final : public StudyStore {
public:
    Status add(const StudyTrial& trial) override {
        trials_.push_back(trial);
        return Ok{};
    }
    Result<std::vector<StudyTrial>> all() override { return trials_; }
    Result<std::string> export_csv(const std::string& csv) override {
        last_csv_ = csv;
        return std::string("kept in memory (this build has no file export)");
    }
    std::string describe() const override { return "in memory only (not saved)"; }
    bool durable() const override { return false; }
    const std::string& last_csv() const { return last_csv_; }

private:
    std::vector<StudyTrial> trials_;
    std::string last_csv_;
};

}  // namespace headstart
