// native/sqlite_study_store.h — the study's ratings in SQLite (Debian's libsqlite3), for StudyStore.
//
// Durability: the database runs in WAL mode with synchronous=FULL, and every trial is one
// committed transaction before add() returns, so a crash (or a power cut) right after a rating
// loses nothing; the next open replays the WAL. Each row keeps the trial's key fields as columns
// (for ad-hoc SQL) and the whole record as JSON (core/study.h to_json: lossless, replays included).
//
//   SqliteStudyStore::open(path)   creates the file and the table if needed
//   default_study_db_path()        $HEADSTART_STUDY_DB, else $XDG_DATA_HOME/headstart/study.sqlite,
//                                  else ~/.local/share/headstart/study.sqlite
//   export_csv()                   writes study-YYYYMMDD-HHMMSS.csv beside the database
#pragma once

#include <memory>
#include <string>

#include "core/study_store.h"

struct sqlite3;

namespace headstart {

class SqliteStudyStore final : public StudyStore {
public:
    static Result<std::unique_ptr<SqliteStudyStore>> open(const std::string& path);
    ~SqliteStudyStore() override;
    SqliteStudyStore(const SqliteStudyStore&) = delete;
    SqliteStudyStore& operator=(const SqliteStudyStore&) = delete;

    Status add(const StudyTrial& trial) override;
    Result<std::vector<StudyTrial>> all() override;
    Result<std::string> export_csv(const std::string& csv) override;
    std::string describe() const override;
    bool durable() const override { return true; }
    const std::string& path() const { return path_; }

private:
    SqliteStudyStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
    sqlite3* db_;
    std::string path_;
};

std::string default_study_db_path();

}  // namespace headstart
