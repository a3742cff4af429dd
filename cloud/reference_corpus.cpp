// cloud/reference_corpus.cpp — see reference_corpus.h.
#include "cloud/reference_corpus.h"

#include <sqlite3.h>
#include <zlib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/eval_metrics.h"
#include "core/utf8.h"
#include "core/words.h"

namespace headstart {
namespace {

struct Statement {
    sqlite3_stmt* s = nullptr;
    ~Statement() { sqlite3_finalize(s); }
};

Result<std::string> read_gzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) return Error{"cannot open the reference corpus " + path};
    std::string out;
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    int err = Z_OK;
    const char* msg = gzerror(f, &err);
    gzclose(f);
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
        return Error{"the reference corpus " + path + " is corrupt: " + (msg ? msg : "read error")};
    return out;
}

std::set<std::string> word_set(std::string_view text) {
    const auto words = content_words(text);
    return {words.begin(), words.end()};
}

// The FTS5 query: the question's words that are not stop words, each quoted, ORed ("" when none).
// The words themselves, not light_stem()'s stems ("stres", "franc"): the porter tokenizer stems
// both sides its own way ("studies" meets "study").
std::string fts_query(std::string_view question) {
    std::set<std::string> terms;
    for (const std::string& w : words_of(question)) {
        const std::string k = word_key(w);
        if (k.empty() || is_stop_word(k)) continue;
        std::string clean;
        for (char c : k)
            if (std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80)) clean += c;
        if (!clean.empty()) terms.insert(clean);
    }
    std::string q;
    for (const auto& t : terms) q += (q.empty() ? "\"" : " OR \"") + t + "\"";
    return q;
}

}  // namespace

double match_score(std::string_view asked, std::string_view reference_question) {
    const auto a = word_set(asked), r = word_set(reference_question);
    if (a.empty() || r.empty()) return 0;
    size_t shared = 0;
    for (const auto& w : a) shared += r.count(w);
    if (shared == 0) return 0;
    const double recall = static_cast<double>(shared) / static_cast<double>(a.size());
    const double precision = static_cast<double>(shared) / static_cast<double>(r.size());
    return 2 * recall * precision / (recall + precision);
}

Result<std::unique_ptr<ReferenceCorpus>> ReferenceCorpus::load(const std::string& path) {
    auto text = read_gzip(path);
    if (!text.ok()) return Error{text.error()};
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
        SQLITE_OK) {
        sqlite3_close(db);
        return Error{"cannot open an in-memory SQLite database"};
    }
    std::unique_ptr<ReferenceCorpus> corpus(new ReferenceCorpus(db, path, 0));
    char* err = nullptr;
    if (sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE refs USING fts5(q, a UNINDEXED, src UNINDEXED, tokenize='porter unicode61');"
                     "BEGIN;",
                     nullptr, nullptr, &err) != SQLITE_OK) {
        std::string why = std::string("SQLite FTS5 is not available: ") + (err ? err : "?");
        sqlite3_free(err);
        return Error{why};
    }
    Statement ins;
    sqlite3_prepare_v2(db, "INSERT INTO refs(q, a, src) VALUES (?, ?, ?)", -1, &ins.s, nullptr);
    std::istringstream in(*text);
    size_t line_no = 0, rows = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (line.empty()) continue;
        const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object() || !j.contains("q") || !j["q"].is_string() || !j.contains("a") || !j["a"].is_string())
            return Error{path + ":" + std::to_string(line_no) + ": not a {\"q\", \"a\"} record"};
        const std::string q = j["q"].get<std::string>(), a = j["a"].get<std::string>();
        const std::string src = j.value("src", std::string());
        sqlite3_reset(ins.s);
        sqlite3_bind_text(ins.s, 1, q.c_str(), static_cast<int>(q.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(ins.s, 2, a.c_str(), static_cast<int>(a.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(ins.s, 3, src.c_str(), static_cast<int>(src.size()), SQLITE_TRANSIENT);
        if (sqlite3_step(ins.s) != SQLITE_DONE)
            return Error{std::string("indexing the references: ") + sqlite3_errmsg(db)};
        ++rows;
    }
    sqlite3_exec(db, "COMMIT;", nullptr, nullptr, nullptr);
    if (rows == 0) return Error{"the reference corpus " + path + " holds no answers"};
    corpus->size_ = rows;
    return corpus;
}

ReferenceCorpus::~ReferenceCorpus() { sqlite3_close(db_); }

std::optional<Reference> ReferenceCorpus::lookup(std::string_view question, double min_score) const {
    const std::string query = fts_query(repair_utf8(question));
    if (query.empty()) return std::nullopt;
    std::lock_guard<std::mutex> lock(mutex_);
    Statement st;
    if (sqlite3_prepare_v2(db_, "SELECT q, a, src FROM refs WHERE refs MATCH ? ORDER BY bm25(refs) LIMIT 20", -1, &st.s,
                           nullptr) != SQLITE_OK)
        return std::nullopt;
    sqlite3_bind_text(st.s, 1, query.c_str(), static_cast<int>(query.size()), SQLITE_TRANSIENT);
    std::optional<Reference> best;
    while (sqlite3_step(st.s) == SQLITE_ROW) {
        Reference r;
        r.question = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
        r.answer = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1));
        r.source = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 2));
        r.score = match_score(question, r.question);
        if (!best || r.score > best->score) best = std::move(r);  // ties: bm25's order
    }
    if (!best || best->score < min_score) return std::nullopt;
    return best;
}

}  // namespace headstart
