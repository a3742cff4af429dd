// native/sqlite_study_store.cpp — see sqlite_study_store.h.
#include "native/sqlite_study_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>

namespace headstart {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS trials ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  created_at TEXT NOT NULL,"
    "  participant TEXT NOT NULL,"
    "  trial INTEGER NOT NULL,"
    "  question TEXT NOT NULL,"
    "  a TEXT NOT NULL,"  // condition shown as A: headstart / cloud_only
    "  b TEXT NOT NULL,"
    "  rating TEXT NOT NULL,"     // a_better / equivalent / b_better
    "  preferred TEXT NOT NULL,"  // headstart / equivalent / cloud_only
    "  record TEXT NOT NULL"      // the whole trial as JSON (core/study.h)
    ")";

std::string sqlite_error(sqlite3* db, const std::string& what) {
    return what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

// mkdir -p for the directory part of `path`.
void make_parent_dirs(const std::string& path) {
    for (size_t i = 1; i < path.size(); ++i)
        if (path[i] == '/') ::mkdir(path.substr(0, i).c_str(), 0755);
}

struct Statement {
    sqlite3_stmt* s = nullptr;
    ~Statement() { sqlite3_finalize(s); }
};

}  // namespace

std::string default_study_db_path() {
    if (const char* p = std::getenv("HEADSTART_STUDY_DB"); p && *p) return p;
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/headstart/study.sqlite";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/share/headstart/study.sqlite";
    return "headstart-study.sqlite";
}

Result<std::unique_ptr<SqliteStudyStore>> SqliteStudyStore::open(const std::string& path) {
    make_parent_dirs(path);
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string why = sqlite_error(db, "cannot open the study database " + path);
        sqlite3_close(db);
        return Error{why};
    }
    sqlite3_busy_timeout(db, 2000);
    // WAL + synchronous=FULL: each commit is on disk (the WAL is fsynced) before it returns.
    const char* pragmas[] = {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema};
    for (const char* sql : pragmas) {
        char* err = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string why = std::string("study database ") + path + ": " + (err ? err : "error");
            sqlite3_free(err);
            sqlite3_close(db);
            return Error{why};
        }
    }
    return std::unique_ptr<SqliteStudyStore>(new SqliteStudyStore(db, path));
}

SqliteStudyStore::~SqliteStudyStore() { sqlite3_close(db_); }

Status SqliteStudyStore::add(const StudyTrial& t) {
    Statement st;
    const char* sql =
        "INSERT INTO trials (created_at, participant, trial, question, a, b, rating, preferred, record) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    if (sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr) != SQLITE_OK)
        return Error{sqlite_error(db_, "cannot save the rating")};
    const std::string record = to_json(t);
    const auto text = [&](int i, const std::string& v) {
        sqlite3_bind_text(st.s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    };
    text(1, t.created_at);
    text(2, t.participant);
    sqlite3_bind_int(st.s, 3, t.index);
    text(4, t.question);
    text(5, to_string(t.a.condition));
    text(6, to_string(t.b.condition));
    text(7, to_string(t.rating));
    text(8, to_string(preference(t)));
    text(9, record);
    // Autocommit: the row is committed (and, with synchronous=FULL, synced) when step returns.
    if (sqlite3_step(st.s) != SQLITE_DONE) return Error{sqlite_error(db_, "cannot save the rating")};
    return Ok{};
}

Result<std::vector<StudyTrial>> SqliteStudyStore::all() {
    Statement st;
    if (sqlite3_prepare_v2(db_, "SELECT id, record FROM trials ORDER BY id", -1, &st.s, nullptr) != SQLITE_OK)
        return Error{sqlite_error(db_, "cannot read the ratings")};
    std::vector<StudyTrial> out;
    int rc;
    while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1));
        const int n = sqlite3_column_bytes(st.s, 1);
        auto t = trial_from_json(std::string_view(p ? p : "", p ? static_cast<size_t>(n) : 0));
        if (!t.ok()) return Error{"trial #" + std::to_string(sqlite3_column_int64(st.s, 0)) + ": " + t.error()};
        out.push_back(std::move(t.value()));
    }
    if (rc != SQLITE_DONE) return Error{sqlite_error(db_, "cannot read the ratings")};
    return out;
}

Result<std::string> SqliteStudyStore::export_csv(const std::string& csv) {
    const size_t slash = path_.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash);
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char name[64];
    std::strftime(name, sizeof name, "study-%Y%m%d-%H%M%S.csv", &tm);
    const std::string out = dir + "/" + name;
    std::ofstream f(out, std::ios::binary);
    f << csv;
    f.close();
    if (!f) return Error{"cannot write " + out};
    return out;
}

std::string SqliteStudyStore::describe() const { return "SQLite " + path_ + " (WAL, synchronous=FULL)"; }

}  // namespace headstart
