// wasm/web_study_store.h — the study's ratings in the browser (core/study_store.h's StudyStore): each trial
// is one JSON line (core/study.h to_json, lossless) appended to localStorage, so a reload or a
// crashed tab loses nothing; the CSV export is a download. localStorage is per site and per
// browser profile: a study run on one machine stays there until exported.
#pragma once

#include <string>

#include "core/study_store.h"

namespace headstart {

class WebStudyStore final : public StudyStore {
public:
    // False when the page cannot use localStorage (disabled, sandboxed): use MemoryStudyStore.
    static bool available();

    Status add(const StudyTrial& trial) override;
    Result<std::vector<StudyTrial>> all() override;
    Result<std::string> export_csv(const std::string& csv) override;
    std::string describe() const override;
    bool durable() const override { return true; }

private:
    static constexpr const char* kKey = "headstart.study.trials";
};

}  // namespace headstart
