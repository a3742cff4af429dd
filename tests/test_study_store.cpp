// tests/test_study_store.cpp — the desktop's SQLite study store (native/sqlite_study_store.h): trials
// come back as they went in, a crash right after add() loses nothing, the CSV lands beside the
// database.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "native/sqlite_study_store.h"

using namespace headstart;

namespace {

std::string temp_db(const char* tag) {
    char dir[] = "/tmp/headstart-store-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    return std::string(dir) + "/sub/" + tag + ".sqlite";  // the store creates sub/
}

StudyTrial sample(int index, Rating rating) {
    StudyTrial t;
    t.participant = "P07";
    t.index = index;
    t.question = "Tea, or \"coffee\"? — ünïcode";
    t.headstart_is_a = index % 2 == 0;
    t.rating = rating;
    t.created_at = "2024-05-01T10:00:00Z";
    t.decision_ms = 812.5;
    RecordedTurn h, c;
    h.condition = Condition::Headstart;
    h.path = "pivot";
    h.words = {{"Start", 12, 300, Origin::Device, SegmentStyle::Normal},
               {"boiling", 1100, 300, Origin::Cloud, SegmentStyle::Normal}};
    c.condition = Condition::CloudOnly;
    c.words = {{"Boil", 980, 300, Origin::Cloud, SegmentStyle::Normal}};
    t.a = t.headstart_is_a ? h : c;
    t.b = t.headstart_is_a ? c : h;
    return t;
}

}  // namespace

TEST_CASE("study store: trials come back in order and unchanged", "[study_store]") {
    const std::string path = temp_db("roundtrip");
    {
        auto store = SqliteStudyStore::open(path);
        REQUIRE(store.ok());
        CHECK(store.value()->durable());
        CHECK(store.value()->describe().find("WAL") != std::string::npos);
        REQUIRE(store.value()->add(sample(0, Rating::ABetter)).ok());
        REQUIRE(store.value()->add(sample(1, Rating::Equivalent)).ok());
    }
    auto reopened = SqliteStudyStore::open(path);
    REQUIRE(reopened.ok());
    auto all = reopened.value()->all();
    REQUIRE(all.ok());
    REQUIRE(all->size() == 2);
    CHECK(to_json((*all)[0]) == to_json(sample(0, Rating::ABetter)));
    CHECK((*all)[1].rating == Rating::Equivalent);
    CHECK((*all)[1].question == sample(1, Rating::Equivalent).question);
}

TEST_CASE("study store: a crash right after add() loses nothing", "[study_store][fork]") {
    const std::string path = temp_db("crash");
    { REQUIRE(SqliteStudyStore::open(path).ok()); }  // create the file and the table first
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The child saves two ratings and dies at once: no close, no destructors, no atexit.
        auto store = SqliteStudyStore::open(path);
        if (!store.ok()) _exit(3);
        if (!store.value()->add(sample(0, Rating::BBetter)).ok()) _exit(4);
        if (!store.value()->add(sample(1, Rating::ABetter)).ok()) _exit(5);
        _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    auto store = SqliteStudyStore::open(path);
    REQUIRE(store.ok());
    auto all = store.value()->all();
    REQUIRE(all.ok());
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].rating == Rating::BBetter);
    CHECK(preference((*all)[0]) == Preference::CloudOnly);  // index 0: μLM + cloud was A, B was preferred
}

TEST_CASE("study store: the CSV is written beside the database", "[study_store]") {
    const std::string path = temp_db("csv");
    auto store = SqliteStudyStore::open(path);
    REQUIRE(store.ok());
    REQUIRE(store.value()->add(sample(0, Rating::ABetter)).ok());
    auto trials = store.value()->all();
    REQUIRE(trials.ok());
    auto where = store.value()->export_csv(study_csv(trials.value()));
    REQUIRE(where.ok());
    CHECK(where->rfind(path.substr(0, path.find_last_of('/')), 0) == 0);
    std::ifstream f(*where);
    std::stringstream text;
    text << f.rdbuf();
    CHECK(text.str() == study_csv(trials.value()));
    CHECK(text.str().find("P07,0,\"Tea, or \"\"coffee\"\"? — ünïcode\",headstart,cloud_only,a_better,headstart") !=
          std::string::npos);
}

TEST_CASE("study store: a database that cannot be opened is an error, not a crash", "[study_store]") {
    auto store = SqliteStudyStore::open("/proc/headstart-no-such-dir/study.sqlite");
    CHECK_FALSE(store.ok());
    CHECK(store.error().find("study database") != std::string::npos);
}
