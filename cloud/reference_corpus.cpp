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
    const std::string why = msg && *msg ? msg : "read error";  // gzerror's text lives in f: copy it before gzclose
    gzclose(f);
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
        return Error{"the reference corpus " + path + " is corrupt: " + why};
    return out;
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

Result<std::unique_ptr<ReferenceCorpus>> ReferenceCorpus::load(const std::string& path) {
    return load(std::vector<std::string>{path});
}

Result<std::unique_ptr<ReferenceCorpus>> ReferenceCorpus::load(const std::vector<std::string>& paths) {
    if (paths.empty()) return Error{"no reference corpus given"};
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
        SQLITE_OK) {
        sqlite3_close(db);
        return Error{"cannot open an in-memory SQLite database"};
    }
    std::string joined;
    for (const auto& p : paths) joined += (joined.empty() ? "" : ",") + p;
    std::unique_ptr<ReferenceCorpus> corpus(new ReferenceCorpus(db, joined, 0));
    char* err = nullptr;
    if (sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE refs USING fts5(q, a UNINDEXED, src UNINDEXED, rank_of_file UNINDEXED, "
                     "tokenize='porter unicode61');"
                     "BEGIN;",
                     nullptr, nullptr, &err) != SQLITE_OK) {
        std::string why = std::string("SQLite FTS5 is not available: ") + (err ? err : "?");
        sqlite3_free(err);
        return Error{why};
    }
    Statement ins;
    sqlite3_prepare_v2(db, "INSERT INTO refs(q, a, src, rank_of_file) VALUES (?, ?, ?, ?)", -1, &ins.s, nullptr);
    size_t rows = 0;
    for (size_t rank = 0; rank < paths.size(); ++rank) {
        const std::string& path = paths[rank];
        auto text = read_gzip(path);
        if (!text.ok()) return Error{text.error()};
        std::istringstream in(*text);
        size_t line_no = 0, file_rows = 0;
        for (std::string line; std::getline(in, line);) {
            ++line_no;
            if (line.empty()) continue;
            const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
            const auto text_field = [&](const char* key) {
                return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                              : std::string();
            };
            std::string q = text_field("q"), a = text_field("a"), src = text_field("src");
            if (q.empty() && a.empty()) {  // a prompt set: {"prompt", "reference"}; rows without one are skipped
                q = text_field("prompt");
                if (q.empty())
                    return Error{path + ":" + std::to_string(line_no) +
                                 ": neither a {\"q\", \"a\"} record nor a {\"prompt\", \"reference\"} one"};
                a = text_field("reference");
                if (a.empty()) continue;
                src = text_field("id");
            } else if (q.empty() || a.empty()) {
                return Error{path + ":" + std::to_string(line_no) + ": not a {\"q\", \"a\"} record"};
            }
            sqlite3_reset(ins.s);
            sqlite3_bind_text(ins.s, 1, q.c_str(), static_cast<int>(q.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(ins.s, 2, a.c_str(), static_cast<int>(a.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(ins.s, 3, src.c_str(), static_cast<int>(src.size()), SQLITE_TRANSIENT);
            sqlite3_bind_int(ins.s, 4, static_cast<int>(rank));
            if (sqlite3_step(ins.s) != SQLITE_DONE)
                return Error{std::string("indexing the references: ") + sqlite3_errmsg(db)};
            ++file_rows;
        }
        if (file_rows == 0) return Error{"the reference corpus " + path + " holds no answers"};
        rows += file_rows;
    }
    sqlite3_exec(db, "COMMIT;", nullptr, nullptr, nullptr);
    corpus->size_ = rows;
    return corpus;
}

ReferenceCorpus::~ReferenceCorpus() { sqlite3_close(db_); }

std::optional<Reference> ReferenceCorpus::lookup(std::string_view question, double min_score) const {
    const std::string query = fts_query(repair_utf8(question));
    if (query.empty()) return std::nullopt;
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string key(question);
    auto hit = cache_.find(key);
    if (hit == cache_.end()) {
        if (cache_.size() >= kCacheSize) cache_.clear();
        hit = cache_.emplace(key, search(question, query)).first;
    }
    if (!hit->second || hit->second->score < min_score) return std::nullopt;
    return hit->second;
}

std::optional<Reference> ReferenceCorpus::search(std::string_view question, const std::string& query) const {
    Statement st;
    if (sqlite3_prepare_v2(db_,
                           "SELECT q, a, src, rank_of_file FROM refs WHERE refs MATCH ? ORDER BY bm25(refs) LIMIT 20",
                           -1, &st.s, nullptr) != SQLITE_OK)
        return std::nullopt;
    sqlite3_bind_text(st.s, 1, query.c_str(), static_cast<int>(query.size()), SQLITE_TRANSIENT);
    std::optional<Reference> best;
    int best_rank = 0;
    while (sqlite3_step(st.s) == SQLITE_ROW) {
        Reference r;
        r.question = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
        r.answer = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1));
        r.source = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 2));
        r.score = content_word_f1(question, r.question);
        const int rank = sqlite3_column_int(st.s, 3);
        // Ties: the file listed first, then bm25's order.
        if (!best || r.score > best->score || (r.score == best->score && rank < best_rank)) {
            best = std::move(r);
            best_rank = rank;
        }
    }
    return best;
}

}  // namespace headstart
