// wasm/web_study_store.cpp — see web_study_store.h; the JavaScript side is wasm/web_bridge.js.
#include "wasm/web_study_store.h"

#include <cstdlib>
#include <optional>
#include <sstream>

extern "C" {
char* hs_storage_read(const char* key);
int hs_storage_append(const char* key, const char* line);
void hs_download(const char* name, const char* type, const char* text);
}

namespace headstart {
namespace {

// localStorage[key], or nothing when the page has no storage.
std::optional<std::string> read(const char* key) {
    char* text = hs_storage_read(key);
    if (!text) return std::nullopt;
    std::string out = text;
    std::free(text);
    return out;
}

}  // namespace

bool WebStudyStore::available() { return read(kKey).has_value(); }

Status WebStudyStore::add(const StudyTrial& trial) {
    if (!hs_storage_append(kKey, to_json(trial).c_str()))
        return Error{"the browser refused to store the rating (localStorage full or disabled)"};
    return Ok{};
}

Result<std::vector<StudyTrial>> WebStudyStore::all() {
    auto text = read(kKey);
    if (!text) return Error{"this page has no localStorage"};
    std::vector<StudyTrial> trials;
    std::istringstream lines(*text);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        ++n;
        if (line.empty()) continue;
        auto t = trial_from_json(line);
        if (!t.ok()) return Error{"stored trial " + std::to_string(n) + " is damaged: " + t.error()};
        trials.push_back(std::move(t.value()));
    }
    return trials;
}

Result<std::string> WebStudyStore::export_csv(const std::string& csv) {
    hs_download("headstart-study.csv", "text/csv", csv.c_str());
    return std::string("downloaded as headstart-study.csv");
}

std::string WebStudyStore::describe() const { return "this browser's localStorage (per site; export to keep)"; }

}  // namespace headstart
