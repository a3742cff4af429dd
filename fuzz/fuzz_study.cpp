// fuzz/fuzz_study.cpp — the study store's records and CSV export on arbitrary input.
// Invariants: trial_from_json gives a trial or an error, never a crash; to_json of a trial read back gives
// the same JSON (a fixed point); the CSV export parses back (RFC 4180) to a header and one row per trial,
// every row as wide as the header; csv_field of any text reads back as that text (a leading = + - @ kept
// behind the ' that defuses it in spreadsheets).
#include <cstdint>

#include "core/study.h"
#include "fuzz/fuzz_check.h"

using namespace headstart;

namespace {

// RFC 4180 reader: rows of fields; false when the text is not well-formed CSV.
bool read_csv(std::string_view s, std::vector<std::vector<std::string>>& rows) {
    std::vector<std::string> row;
    std::string field;
    std::size_t i = 0;
    bool quoted = false, in_field = false;
    while (i < s.size()) {
        const char c = s[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < s.size() && s[i + 1] == '"') {
                    field += '"';
                    i += 2;
                    continue;
                }
                quoted = false;
                ++i;
                if (i < s.size() && s[i] != ',' && s[i] != '\r') return false;
                continue;
            }
            field += c;
            ++i;
            continue;
        }
        if (c == '"' && !in_field) {
            quoted = in_field = true;
            ++i;
        } else if (c == ',') {
            row.push_back(field);
            field.clear();
            in_field = false;
            ++i;
        } else if (c == '\r') {
            if (i + 1 >= s.size() || s[i + 1] != '\n') return false;
            row.push_back(field);
            rows.push_back(row);
            row.clear();
            field.clear();
            in_field = false;
            i += 2;
        } else if (c == '\n' || c == '"') {
            return false;  // a bare LF or quote outside a quoted field
        } else {
            field += c;
            in_field = true;
            ++i;
        }
    }
    return !quoted && row.empty() && field.empty();  // the text ends with a line end
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    if (in.ConsumeBool()) {
        const std::string text = in.ConsumeRemainingBytesAsString();
        std::vector<std::vector<std::string>> rows;
        FUZZ_CHECK(read_csv(csv_field(text) + "\r\n", rows), "csv_field is not a CSV field");
        FUZZ_CHECK(rows.size() == 1 && rows[0].size() == 1, "csv_field is not one field");
        const std::string& back = rows[0][0];
        const bool formula = !text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@');
        FUZZ_CHECK(back == (formula ? "'" + text : text), "csv_field does not read back as the text");
        return 0;
    }
    const std::string json = in.ConsumeRemainingBytesAsString();
    auto trial = trial_from_json(json);
    if (!trial.ok()) {
        FUZZ_CHECK(!trial.error().empty(), "an error without a reason");
        return 0;
    }
    const std::string once = to_json(trial.value());
    auto again = trial_from_json(once);
    FUZZ_CHECK(again.ok(), "to_json wrote a trial trial_from_json refuses");
    FUZZ_CHECK(to_json(again.value()) == once, "to_json -> trial_from_json -> to_json changed the trial");
    const std::vector<StudyTrial> trials{trial.value(), again.value()};
    const std::string csv = study_csv(trials);
    std::vector<std::vector<std::string>> rows;
    FUZZ_CHECK(read_csv(csv, rows), "the CSV export is not well-formed CSV");
    FUZZ_CHECK(rows.size() == 3, "the CSV export does not hold a header and one row per trial");
    for (const auto& r : rows) FUZZ_CHECK(r.size() == rows[0].size(), "a CSV row is not as wide as the header");
    (void)summarize(trials);
    return 0;
}
