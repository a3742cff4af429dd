// cloud/reference_corpus.h — the offline cloud's reference answers (assets/reference/answers.jsonl.gz,
// scripts/make_reference_corpus.py), searched with SQLite FTS5.
//
//   ReferenceCorpus::load(paths)  reads JSONL files, gzip'd or plain, into one in-memory FTS5 table of the
//                                 questions: {"q","a","src"} per line (the corpus), or a prompt set's
//                                 {"id","prompt","reference"} (rows without a reference are skipped); a
//                                 missing, corrupt or empty file is an Error. On equal scores the file
//                                 listed first wins.
//   lookup(question)              the best reference for a question, or nothing below the threshold
//                                 (remembered: the same question again is not searched again)
//
// Retrieval is bm25() over the question's content words (OR), top 20, then re-scored by content_word_f1() (core/eval_metrics.h):
// bm25 alone ranks a long question that shares one rare word above a short one that shares all, and its
// scale depends on the query, so the threshold is on the F1 (1.0 for the same question, ~0.5 for a
// question that shares half its content words), which means the same thing for every question.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

struct sqlite3;

namespace headstart {

struct Reference {
    std::string question, answer, source;
    double score = 0;  // content_word_f1() against the asked question
};

class ReferenceCorpus {
public:
    static Result<std::unique_ptr<ReferenceCorpus>> load(const std::string& path);
    static Result<std::unique_ptr<ReferenceCorpus>> load(const std::vector<std::string>& paths);
    ~ReferenceCorpus();
    ReferenceCorpus(const ReferenceCorpus&) = delete;
    ReferenceCorpus& operator=(const ReferenceCorpus&) = delete;

    // min_score: the content_word_f1() a reference needs (0.6: most of both questions' content words).
    std::optional<Reference> lookup(std::string_view question, double min_score = 0.6) const;
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }  // the files, comma-separated

private:
    std::optional<Reference> search(std::string_view question, const std::string& query) const;  // mutex_ held
    ReferenceCorpus(sqlite3* db, std::string path, size_t size) : db_(db), path_(std::move(path)), size_(size) {}
    sqlite3* db_;
    std::string path_;
    size_t size_;
    mutable std::mutex mutex_;  // one connection, shared by the server's slots; guards cache_ too
    // question -> its best reference before the threshold: a question asked again (every system and profile
    // of an evaluation asks each one many times) costs no query. Cleared when it holds kCacheSize.
    mutable std::unordered_map<std::string, std::optional<Reference>> cache_;
    static constexpr size_t kCacheSize = 8192;
};

}  // namespace headstart
