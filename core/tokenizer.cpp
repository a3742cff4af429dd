// core/tokenizer.cpp — see tokenizer.h. Hugging Face's tokenizers (Rust) is the reference: every
// rule below mirrors what it does, and the fixtures in tests/fixtures/ were checked against it.
//
// Map of this file:
//   UTF-8 + byte-level alphabet   code point helpers; GPT-2's byte <-> printable character map
//   pre-tokenizer                 split behaviours, Digits, literal Split, the GPT-2 pattern by hand
//   loading                       from_json(): every check and its error message; load()
//   added tokens                  leftmost-longest literal matching with lstrip / rstrip / single_word
//   BPE                           merges by rank with a heap (like HF's word.rs), the word cache
//   decoding                      pieces, decode(), starts_word(), TokenStream
#include "core/tokenizer.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/unicode_tables.h"

namespace headstart {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// UTF-8 + byte-level alphabet
// ---------------------------------------------------------------------------------------------
namespace {

// Decodes the code point at s[i] of *well-formed* UTF-8 (the tokenizer repairs its input first);
// sets `len` to its byte length. Returns U+FFFD for anything unexpected rather than reading past.
char32_t decode_at(std::string_view s, std::size_t i, std::size_t* len) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + n > s.size()) n = 1;
    *len = n;
    if (n == 1) return c < 0x80 ? c : 0xFFFD;
    char32_t cp = c & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(k) & 0x3F);
    return cp;
}

// The code point that ends just before s[i] (well-formed UTF-8), and its start.
char32_t decode_before(std::string_view s, std::size_t i, std::size_t* start) {
    std::size_t j = i - 1;
    while (j > 0 && i - j < 4 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;
    *start = j;
    std::size_t len = 0;
    return decode_at(s, j, &len);
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// GPT-2's reversible map: printable bytes stand for themselves, the other 68 bytes (controls,
// space, 0x7F-0xA0, 0xAD) become U+0100.. so that every vocabulary entry is printable text.
struct ByteAlphabet {
    char32_t byte_to_cp[256] = {};
    short cp_to_byte[324] = {};  // -1 where the code point is not in the alphabet
};

constexpr ByteAlphabet make_byte_alphabet() {
    ByteAlphabet a{};
    for (short& b : a.cp_to_byte) b = -1;
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
        a.byte_to_cp[b] = cp;
        a.cp_to_byte[cp] = static_cast<short>(b);
    }
    return a;
}

constexpr ByteAlphabet kBytes = make_byte_alphabet();

// The bytes a vocabulary entry stands for. Like HF's ByteLevel decoder, an entry with any
// character outside the alphabet (e.g. a special token containing a space) is taken literally.
std::string token_to_bytes(const std::string& token) {
    std::string out;
    for (std::size_t i = 0; i < token.size();) {
        std::size_t len = 0;
        const char32_t cp = decode_at(token, i, &len);
        if (cp >= 324 || kBytes.cp_to_byte[cp] < 0) return token;
        out += static_cast<char>(kBytes.cp_to_byte[cp]);
        i += len;
    }
    return out;
}

std::string byte_to_token(unsigned char b) {
    std::string out;
    append_utf8(out, kBytes.byte_to_cp[b]);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Pre-tokenizer
// ---------------------------------------------------------------------------------------------

// HF's SplitDelimiterBehavior: what happens to the matched parts of a split.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct Span {
    std::size_t begin, end;
    bool match;
};

// Applies a behaviour to spans that cover a piece (HF's NormalizedString::split), appending the
// resulting non-empty parts to `out`.
void split_spans(std::string_view piece, std::vector<Span> spans, SplitBehavior behavior, bool invert,
                 std::vector<std::string>& out) {
    if (invert)
        for (Span& s : spans) s.match = !s.match;
    std::vector<std::pair<std::size_t, std::size_t>> parts;
    switch (behavior) {
        case SplitBehavior::Isolated:
            for (const Span& s : spans) parts.emplace_back(s.begin, s.end);
            break;
        case SplitBehavior::Removed:
            for (const Span& s : spans)
                if (!s.match) parts.emplace_back(s.begin, s.end);
            break;
        case SplitBehavior::Contiguous: {
            bool previous_match = false;
            for (const Span& s : spans) {
                if (s.match == previous_match && !parts.empty()) parts.back().second = s.end;
                else parts.emplace_back(s.begin, s.end);
                previous_match = s.match;
            }
            break;
        }
        case SplitBehavior::MergedWithPrevious: {
            bool previous_match = false;
            for (const Span& s : spans) {
                if (s.match && !previous_match && !parts.empty()) parts.back().second = s.end;
                else parts.emplace_back(s.begin, s.end);
                previous_match = s.match;
            }
            break;
        }
        case SplitBehavior::MergedWithNext: {
            bool previous_match = false;
            for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
                if (it->match && !previous_match && !parts.empty()) parts.back().first = it->begin;
                else parts.emplace_back(it->begin, it->end);
                previous_match = it->match;
            }
            std::reverse(parts.begin(), parts.end());
            break;
        }
    }
    for (const auto& [b, e] : parts)
        if (e > b) out.emplace_back(piece.substr(b, e - b));
}

// Spans of every literal occurrence of `needle` (HF's Split with a String pattern).
std::vector<Span> literal_spans(std::string_view s, std::string_view needle) {
    std::vector<Span> spans;
    std::size_t pos = 0;
    if (!needle.empty()) {
        for (std::size_t at = s.find(needle); at != std::string_view::npos; at = s.find(needle, pos)) {
            if (at > pos) spans.push_back({pos, at, false});
            spans.push_back({at, at + needle.size(), true});
            pos = at + needle.size();
        }
    }
    if (pos < s.size() || spans.empty()) spans.push_back({pos, s.size(), false});
    return spans;
}

// Spans of Digits: each \p{N} character alone (individual) or runs of them.
std::vector<Span> digit_spans(std::string_view s) {
    std::vector<Span> spans;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 0;
        const char32_t cp = decode_at(s, i, &len);
        if (unicode::is_number(cp)) {
            if (i > pos) spans.push_back({pos, i, false});
            spans.push_back({i, i + len, true});
            pos = i + len;
        }
        i += len;
    }
    if (pos < s.size()) spans.push_back({pos, s.size(), false});
    return spans;
}

constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// The GPT-2 pattern above, by hand, as a backtracking regex engine runs it: at each position the
// first alternative that matches wins. It covers every character, so its matches tile the text.
// Calls `emit(begin, end)` (byte offsets) for each match.
template <typename Emit>
void gpt2_split(std::string_view s, std::vector<char32_t>& cps, std::vector<unicode::CharClass>& cls,
                std::vector<std::size_t>& offs, Emit&& emit) {
    using unicode::CharClass;
    cps.clear();
    cls.clear();
    offs.clear();
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 0;
        const char32_t cp = decode_at(s, i, &len);
        CharClass c = unicode::classify(cp);
        if (c != CharClass::Letter && c != CharClass::Number && c != CharClass::Space) c = CharClass::Other;
        cps.push_back(cp);
        cls.push_back(c);
        offs.push_back(i);
        i += len;
    }
    const std::size_t n = cps.size();
    offs.push_back(s.size());
    std::size_t i = 0;
    while (i < n) {
        const char32_t c = cps[i];
        if (c == '\'' && i + 1 < n) {  // 's|'t|'re|'ve|'m|'ll|'d
            const char32_t c1 = cps[i + 1], c2 = i + 2 < n ? cps[i + 2] : 0;
            std::size_t len = 0;
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') len = 2;
            else if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) len = 3;
            if (len) {
                emit(offs[i], offs[i + len]);
                i += len;
                continue;
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
        const std::size_t k = (c == ' ' && i + 1 < n && cls[i + 1] != CharClass::Space) ? i + 1 : i;
        if (cls[k] != CharClass::Space) {
            std::size_t j = k;
            while (j < n && cls[j] == cls[k]) ++j;
            emit(offs[i], offs[j]);
            i = j;
            continue;
        }
        // `\s+(?!\S)|\s+`: a whitespace run; before a non-space, its last character is left to
        // prefix the next word (unless the run is that one character).
        std::size_t j = i;
        while (j < n && cls[j] == CharClass::Space) ++j;
        if (j < n && j - 1 > i) --j;
        emit(offs[i], offs[j]);
        i = j;
    }
}

// One pre-tokenizer step, in the order they run; ByteLevel is always last.
struct Step {
    enum class Kind { SplitLiteral, SplitGpt2, Digits, ByteLevel } kind;
    std::string literal;  // SplitLiteral
    SplitBehavior behavior = SplitBehavior::Isolated;
    bool invert = false;
    bool individual_digits = false;
    bool add_prefix_space = false;  // ByteLevel
    bool use_regex = true;          // ByteLevel
};

struct AddedToken {
    std::string content;
    int id;
    bool special, single_word, lstrip, rstrip, normalized;
};

struct AddedTokens {
    std::vector<AddedToken> list;
    std::array<std::vector<int>, 256> by_first_byte;  // indices into `list`
};

struct Merge {
    int rank;
    int new_id;
};

bool read_bool(const json& obj, const char* key, bool fallback) {
    const auto it = obj.find(key);
    return it != obj.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

const std::string* read_string(const json& obj, const char* key) {
    const auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

bool is_null_or_absent(const json& obj, const char* key) {
    const auto it = obj.find(key);
    return it == obj.end() || it->is_null();
}

// Collects the first syntax error of a JSON text (nlohmann's SAX interface reports it as data,
// so this works where exceptions are disabled, as in the WebAssembly build).
struct SyntaxErrorFinder : json::json_sax_t {
    std::string message;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const json::exception& ex) override {
        message = ex.what();
        return false;
    }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// The loaded tokenizer
// ---------------------------------------------------------------------------------------------
struct Tokenizer::Model {
    std::vector<std::string> token;                   // vocabulary spelling by id ("" where no token)
    std::vector<std::string> piece;                   // bytes by id
    std::vector<unsigned char> special;               // 1 for special added tokens
    std::unordered_map<std::string, int> vocab;       // model vocabulary: spelling -> id
    std::unordered_map<std::string, int> added_id;    // added tokens: content -> id
    std::unordered_map<std::string, int> word_id;     // bytes -> id (only with ignore_merges)
    std::array<int, 256> byte_id{};                   // the symbol of each byte, -1 if none
    std::unordered_map<std::uint64_t, Merge> merges;  // (left id, right id) -> rank, merged id
    AddedTokens added;
    std::vector<Step> steps;  // ByteLevel last
    int unk_id = -1;
    bool fuse_unk = false;
    bool ignore_merges = false;
    int im_start = -1, im_end = -1, endoftext = -1;

    static std::uint64_t pair_key(int a, int b) {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
    }
    const Merge* find_merge(int a, int b) const {
        const auto it = merges.find(pair_key(a, b));
        return it == merges.end() ? nullptr : &it->second;
    }
    bool valid(int id) const { return id >= 0 && static_cast<std::size_t>(id) < token.size(); }
    // Added tokens first, as in HF's token_to_id.
    int id_of(const std::string& spelling) const {
        if (const auto it = added_id.find(spelling); it != added_id.end()) return it->second;
        if (const auto it = vocab.find(spelling); it != vocab.end()) return it->second;
        return -1;
    }
};

// Words already merged. HF keeps such a cache too; words are short and repeat a lot.
struct Tokenizer::WordCache {
    static constexpr std::size_t kMaxWords = 20000;
    static constexpr std::size_t kMaxWordBytes = 256;
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int>> words;
};

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------
namespace {

Error fail(std::string message) { return Error{"tokenizer.json: " + std::move(message)}; }

std::string shown(std::string_view s) {
    std::string out = "'";
    out.append(s.substr(0, 60));
    if (s.size() > 60) out += "...";
    return repair_utf8(out) + "'";  // the cut may have split a character
}

// Parses one pre-tokenizer (recursing into Sequence) into steps.
Status parse_step(const json& j, std::vector<Step>& steps, int depth) {
    if (!j.is_object()) return fail("pre_tokenizer must be an object");
    const std::string* type = read_string(j, "type");
    if (!type) return fail("pre_tokenizer has no \"type\"");
    if (*type == "Sequence") {
        const auto it = j.find("pretokenizers");
        if (it == j.end() || !it->is_array()) return fail("Sequence pre_tokenizer has no \"pretokenizers\" list");
        if (depth > 8) return fail("pre_tokenizer Sequences are nested too deeply");
        for (const json& child : *it) {
            Status s = parse_step(child, steps, depth + 1);
            if (!s) return s;
        }
        return Ok{};
    }
    Step step{};
    if (*type == "ByteLevel") {
        step.kind = Step::Kind::ByteLevel;
        step.add_prefix_space = read_bool(j, "add_prefix_space", true);
        step.use_regex = read_bool(j, "use_regex", true);
    } else if (*type == "Digits") {
        step.kind = Step::Kind::Digits;
        step.individual_digits = read_bool(j, "individual_digits", false);
    } else if (*type == "Split") {
        const auto pattern = j.find("pattern");
        if (pattern == j.end() || !pattern->is_object()) return fail("Split pre_tokenizer has no \"pattern\" object");
        if (const std::string* literal = read_string(*pattern, "String")) {
            step.kind = Step::Kind::SplitLiteral;
            step.literal = *literal;
        } else if (const std::string* regex = read_string(*pattern, "Regex")) {
            if (*regex != kGpt2Pattern)
                return fail("unsupported Split regex " + shown(*regex) +
                            " (only the GPT-2 pattern is implemented; there is no regex engine in core)");
            step.kind = Step::Kind::SplitGpt2;
        } else {
            return fail("Split pattern must be {\"String\": ...} or {\"Regex\": ...}");
        }
        const std::string* behavior = read_string(j, "behavior");
        if (!behavior) return fail("Split pre_tokenizer has no \"behavior\"");
        static constexpr std::pair<std::string_view, SplitBehavior> kBehaviors[] = {
            {"Removed", SplitBehavior::Removed},
            {"Isolated", SplitBehavior::Isolated},
            {"MergedWithPrevious", SplitBehavior::MergedWithPrevious},
            {"MergedWithNext", SplitBehavior::MergedWithNext},
            {"Contiguous", SplitBehavior::Contiguous}};
        bool known = false;
        for (const auto& [name, value] : kBehaviors)
            if (*behavior == name) step.behavior = value, known = true;
        if (!known) return fail("unknown Split behavior " + shown(*behavior));
        step.invert = read_bool(j, "invert", false);
    } else {
        return fail("unsupported pre_tokenizer " + shown(*type) +
                    " (supported: ByteLevel, alone or in a Sequence after Digits / Split)");
    }
    steps.push_back(std::move(step));
    return Ok{};
}

}  // namespace

Result<Tokenizer> Tokenizer::load(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return Error{"cannot open tokenizer file '" + path + "'"};
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad() || text.str().empty())
        return Error{"cannot read tokenizer file '" + path + "' (empty, or not a regular file)"};
    Result<Tokenizer> tokenizer = from_json(text.str());
    if (!tokenizer) return Error{path + ": " + tokenizer.error()};
    return tokenizer;
}

Result<Tokenizer> Tokenizer::from_json(std::string_view json_text) {
    const json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        SyntaxErrorFinder finder;
        json::sax_parse(json_text.begin(), json_text.end(), &finder);
        return fail("not valid JSON: " + finder.message);
    }
    if (!doc.is_object()) return fail("the top level is not a JSON object");

    auto model = std::make_shared<Model>();

    // --- model ---
    const auto m = doc.find("model");
    if (m == doc.end() || !m->is_object()) return fail("no \"model\" object (is this a Hugging Face tokenizer.json?)");
    if (const std::string* type = read_string(*m, "type")) {
        if (*type != "BPE") return fail("the model is " + shown(*type) + ", not a byte-level \"BPE\"");
    } else if (m->find("merges") == m->end()) {
        return fail("the model has no \"type\" and no \"merges\": not a BPE model");
    }
    if (read_bool(*m, "byte_fallback", false))
        return fail("BPE with byte_fallback (SentencePiece style) is not supported; expected a byte-level BPE");
    if (const auto it = m->find("dropout");
        it != m->end() && !it->is_null() && !(it->is_number() && it->get<double>() == 0.0))
        return fail("BPE dropout is not supported (it makes encoding random)");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        const std::string* s = read_string(*m, key);
        if (!is_null_or_absent(*m, key) && !(s && s->empty()))
            return fail(std::string("BPE with a ") + key + " is not supported (not GPT-2 style)");
    }
    model->fuse_unk = read_bool(*m, "fuse_unk", false);
    model->ignore_merges = read_bool(*m, "ignore_merges", false);

    const auto vocab = m->find("vocab");
    if (vocab == m->end() || !vocab->is_object())
        return fail("model.vocab is missing (expected an object token -> id)");
    if (vocab->empty()) return fail("model.vocab is empty");
    std::int64_t max_id = -1;
    model->vocab.reserve(vocab->size());
    for (auto it = vocab->begin(); it != vocab->end(); ++it) {
        if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0 ||
            it.value().get<std::int64_t>() > 0x7FFFFFFF)
            return fail("model.vocab[" + shown(it.key()) + "] is not a non-negative integer id");
        const auto id = it.value().get<std::int64_t>();
        max_id = std::max(max_id, id);
        model->vocab.emplace(it.key(), static_cast<int>(id));
    }

    const auto added = doc.find("added_tokens");
    if (added != doc.end() && !added->is_null() && !added->is_array()) return fail("added_tokens is not a list");
    if (added != doc.end() && added->is_array()) {
        for (const json& a : *added) {
            const std::string* content = a.is_object() ? read_string(a, "content") : nullptr;
            const auto id = a.is_object() ? a.find("id") : a.end();
            if (!content || id == a.end() || !id->is_number_integer() || id->get<std::int64_t>() < 0 ||
                id->get<std::int64_t>() > 0x7FFFFFFF)
                return fail("every added_tokens entry needs a \"content\" string and a non-negative integer \"id\"");
            if (content->empty()) continue;  // HF ignores empty added tokens
            const int tid = static_cast<int>(id->get<std::int64_t>());
            if (const auto v = model->vocab.find(*content); v != model->vocab.end() && v->second != tid)
                return fail("added token " + shown(*content) + " has id " + std::to_string(tid) +
                            " but model.vocab gives it " + std::to_string(v->second));
            const bool special = read_bool(a, "special", false);
            AddedToken t{*content,
                         tid,
                         special,
                         read_bool(a, "single_word", false),
                         read_bool(a, "lstrip", false),
                         read_bool(a, "rstrip", false),
                         read_bool(a, "normalized", !special)};
            max_id = std::max<std::int64_t>(max_id, tid);
            model->added_id[t.content] = tid;
            model->added.list.push_back(std::move(t));
        }
    }
    const std::size_t entries = model->vocab.size() + model->added.list.size();
    if (static_cast<std::size_t>(max_id) >= 4 * entries + 1024)
        return fail("ids go up to " + std::to_string(max_id) + " for only " + std::to_string(entries) +
                    " tokens: refusing such a sparse vocabulary");

    const std::size_t size = static_cast<std::size_t>(max_id) + 1;
    model->token.assign(size, std::string());
    model->piece.assign(size, std::string());
    model->special.assign(size, 0);
    for (const auto& [spelling, id] : model->vocab) {
        model->token[id] = spelling;
        model->piece[id] = token_to_bytes(spelling);
    }
    for (std::size_t i = 0; i < model->added.list.size(); ++i) {
        const AddedToken& t = model->added.list[i];
        model->token[t.id] = t.content;
        model->piece[t.id] = token_to_bytes(t.content);
        model->special[t.id] = t.special ? 1 : 0;
        model->added.by_first_byte[static_cast<unsigned char>(t.content[0])].push_back(static_cast<int>(i));
    }
    for (int b = 0; b < 256; ++b) {
        const auto it = model->vocab.find(byte_to_token(static_cast<unsigned char>(b)));
        model->byte_id[b] = it == model->vocab.end() ? -1 : it->second;
    }
    if (model->ignore_merges)
        for (const auto& [spelling, id] : model->vocab) model->word_id.emplace(model->piece[id], id);

    if (const std::string* unk = read_string(*m, "unk_token")) {
        const auto it = model->vocab.find(*unk);
        if (it == model->vocab.end()) return fail("unk_token " + shown(*unk) + " is not in model.vocab");
        model->unk_id = it->second;
    }

    // --- merges: "a b" strings or ["a", "b"] pairs ---
    const auto merges = m->find("merges");
    if (merges == m->end() || !merges->is_array()) return fail("model.merges is missing (expected a list)");
    model->merges.reserve(merges->size());
    int rank = 0;
    for (const json& entry : *merges) {
        std::string left, right;
        if (entry.is_string()) {
            const std::string& s = entry.get_ref<const std::string&>();
            const std::size_t space = s.find(' ');
            if (space == std::string::npos || space == 0 || space + 1 >= s.size() ||
                s.find(' ', space + 1) != std::string::npos)
                return fail("merge #" + std::to_string(rank) + " " + shown(s) +
                            " is not two tokens separated by one space");
            left = s.substr(0, space);
            right = s.substr(space + 1);
        } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
            left = entry[0].get<std::string>();
            right = entry[1].get<std::string>();
        } else {
            return fail("merge #" + std::to_string(rank) + " is neither \"a b\" nor [\"a\", \"b\"]");
        }
        const auto l = model->vocab.find(left), r = model->vocab.find(right), lr = model->vocab.find(left + right);
        for (const auto& [it, name] : {std::pair{l, &left}, std::pair{r, &right}})
            if (it == model->vocab.end())
                return fail("merge #" + std::to_string(rank) + " refers to " + shown(*name) +
                            ", which is not in model.vocab");
        if (lr == model->vocab.end())
            return fail("merge #" + std::to_string(rank) + " makes " + shown(left + right) +
                        ", which is not in model.vocab");
        model->merges[Model::pair_key(l->second, r->second)] = Merge{rank, lr->second};
        ++rank;
    }

    // --- normalizer, pre-tokenizer, decoder ---
    if (const auto n = doc.find("normalizer"); n != doc.end() && !n->is_null()) {
        const std::string* type = n->is_object() ? read_string(*n, "type") : nullptr;
        const auto list = n->is_object() ? n->find("normalizers") : n->end();
        const bool empty_sequence =
            type && *type == "Sequence" && list != n->end() && list->is_array() && list->empty();
        if (!empty_sequence)
            return fail("normalizer " + shown(type ? *type : "?") +
                        " is not supported (byte-level BPE tokenizers use none)");
    }
    const auto pre = doc.find("pre_tokenizer");
    if (pre == doc.end() || pre->is_null())
        return fail("no pre_tokenizer: a byte-level BPE needs a ByteLevel pre_tokenizer");
    if (Status s = parse_step(*pre, model->steps, 0); !s) return Error{s.error()};
    const auto byte_levels = std::count_if(model->steps.begin(), model->steps.end(),
                                           [](const Step& s) { return s.kind == Step::Kind::ByteLevel; });
    if (byte_levels != 1 || model->steps.back().kind != Step::Kind::ByteLevel)
        return fail("the pre_tokenizer must end with exactly one ByteLevel step (this is a byte-level BPE)");
    if (const auto d = doc.find("decoder"); d != doc.end() && !d->is_null()) {
        const std::string* type = d->is_object() ? read_string(*d, "type") : nullptr;
        if (!type || *type != "ByteLevel")
            return fail("decoder " + shown(type ? *type : "?") + " is not supported (expected ByteLevel)");
    }

    model->im_start = model->id_of("<|im_start|>");
    model->im_end = model->id_of("<|im_end|>");
    model->endoftext = model->id_of("<|endoftext|>");

    Tokenizer tokenizer;
    tokenizer.model_ = std::move(model);
    tokenizer.cache_ = std::make_shared<WordCache>();
    return tokenizer;
}

// ---------------------------------------------------------------------------------------------
// Encoding: added tokens, then words
// ---------------------------------------------------------------------------------------------
namespace {

struct Segment {
    std::string_view text;
    int id;  // an added token, or -1 for text
};

// HF's AddedVocabulary::find_matches for one pass (normalized or not): leftmost-longest literal
// matches; a match that single_word or AsText rejects is skipped whole, as HF's find_iter does.
void split_added(const AddedTokens& added, std::string_view s, bool normalized, SpecialTokens specials,
                 std::vector<Segment>& out) {
    std::size_t start_offset = 0, i = 0;
    while (i < s.size()) {
        const AddedToken* best = nullptr;
        for (int index : added.by_first_byte[static_cast<unsigned char>(s[i])]) {
            const AddedToken& t = added.list[index];
            if (t.normalized == normalized && s.compare(i, t.content.size(), t.content) == 0 &&
                (!best || t.content.size() > best->content.size()))
                best = &t;
        }
        if (!best) {
            ++i;
            continue;
        }
        std::size_t start = i, stop = i + best->content.size();
        i = stop;
        if (best->special && specials == SpecialTokens::AsText) continue;
        if (best->single_word) {
            std::size_t at = 0, len = 0;
            const bool word_before = start > 0 && unicode::is_word(decode_before(s, start, &at));
            const bool word_after = stop < s.size() && unicode::is_word(decode_at(s, stop, &len));
            if (word_before || word_after) continue;
        }
        if (best->lstrip) {
            while (start > start_offset) {
                std::size_t prev = 0;
                if (!unicode::is_space(decode_before(s, start, &prev))) break;
                start = prev;
            }
        }
        if (best->rstrip) {
            while (stop < s.size()) {
                std::size_t len = 0;
                if (!unicode::is_space(decode_at(s, stop, &len))) break;
                stop += len;
            }
            i = stop;
        }
        if (start_offset < start) out.push_back({s.substr(start_offset, start - start_offset), -1});
        out.push_back({{}, best->id});
        start_offset = stop;
    }
    if (start_offset < s.size()) out.push_back({s.substr(start_offset), -1});
}

}  // namespace

std::vector<int> Tokenizer::encode(std::string_view text, SpecialTokens specials) const {
    std::vector<int> ids;
    if (!model_) return ids;
    std::string repaired;
    if (!is_valid_utf8(text)) {
        repaired = repair_utf8(text);
        text = repaired;
    }
    std::vector<Segment> segments{{text, -1}};
    for (const bool normalized : {false, true}) {
        const bool any = std::any_of(model_->added.list.begin(), model_->added.list.end(),
                                     [&](const AddedToken& t) { return t.normalized == normalized; });
        if (!any) continue;
        std::vector<Segment> next;
        for (const Segment& seg : segments) {
            if (seg.id >= 0) next.push_back(seg);
            else split_added(model_->added, seg.text, normalized, specials, next);
        }
        segments = std::move(next);
    }
    ids.reserve(text.size() / 3 + 4);
    for (const Segment& seg : segments) {
        if (seg.id >= 0) ids.push_back(seg.id);
        else if (!seg.text.empty()) encode_words(seg.text, ids);
    }
    return ids;
}

// The pre-tokenizer steps, then BPE on each word.
void Tokenizer::encode_words(std::string_view text, std::vector<int>& ids) const {
    std::vector<std::string> pieces{std::string(text)}, next;
    for (const Step& step : model_->steps) {
        if (step.kind == Step::Kind::ByteLevel) break;
        next.clear();
        for (const std::string& p : pieces) {
            if (step.kind == Step::Kind::Digits) {
                split_spans(p, digit_spans(p),
                            step.individual_digits ? SplitBehavior::Isolated : SplitBehavior::Contiguous, false, next);
            } else if (step.kind == Step::Kind::SplitLiteral) {
                split_spans(p, literal_spans(p, step.literal), step.behavior, step.invert, next);
            } else {  // SplitGpt2
                std::vector<Span> spans;
                std::vector<char32_t> cps;
                std::vector<unicode::CharClass> cls;
                std::vector<std::size_t> offs;
                gpt2_split(p, cps, cls, offs, [&](std::size_t b, std::size_t e) { spans.push_back({b, e, true}); });
                split_spans(p, spans, step.behavior, step.invert, next);
            }
        }
        pieces.swap(next);
    }
    const Step& byte_level = model_->steps.back();
    std::vector<char32_t> cps;
    std::vector<unicode::CharClass> cls;
    std::vector<std::size_t> offs;
    std::string prefixed;
    for (const std::string& p : pieces) {
        std::string_view piece = p;
        if (byte_level.add_prefix_space && piece.front() != ' ') {  // HF prefixes every piece
            prefixed = " ";
            prefixed += piece;
            piece = prefixed;
        }
        if (!byte_level.use_regex) {
            encode_word(piece, ids);
            continue;
        }
        gpt2_split(piece, cps, cls, offs,
                   [&](std::size_t b, std::size_t e) { encode_word(piece.substr(b, e - b), ids); });
    }
}

// ---------------------------------------------------------------------------------------------
// BPE
// ---------------------------------------------------------------------------------------------
void Tokenizer::encode_word(std::string_view word, std::vector<int>& ids) const {
    const Model& m = *model_;
    if (word.empty()) return;
    if (m.ignore_merges) {
        if (const auto it = m.word_id.find(std::string(word)); it != m.word_id.end()) {
            ids.push_back(it->second);
            return;
        }
    }
    const bool cacheable = word.size() > 1 && word.size() <= WordCache::kMaxWordBytes;
    std::string key;
    if (cacheable) {
        key.assign(word);
        std::lock_guard<std::mutex> lock(cache_->mutex);
        if (const auto it = cache_->words.find(key); it != cache_->words.end()) {
            ids.insert(ids.end(), it->second.begin(), it->second.end());
            return;
        }
    }

    // One symbol per byte; bytes missing from the vocabulary become unk, or are dropped (as HF).
    struct Symbol {
        int id, prev, next;
        bool alive;
    };
    std::vector<Symbol> sym;
    sym.reserve(word.size());
    for (const char ch : word) {
        int id = m.byte_id[static_cast<unsigned char>(ch)];
        if (id < 0) {
            if (m.unk_id < 0) continue;
            if (m.fuse_unk && !sym.empty() && sym.back().id == m.unk_id) continue;
            id = m.unk_id;
        }
        const int index = static_cast<int>(sym.size());
        sym.push_back({id, index - 1, index + 1, true});
    }
    if (!sym.empty()) sym.back().next = -1;

    // Merge the lowest-ranked pair first, leftmost among equals (HF's word.rs merge_all).
    struct Candidate {
        int rank, pos, new_id;
    };
    const auto later = [](const Candidate& a, const Candidate& b) {
        return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    };
    std::vector<Candidate> heap;
    const auto consider = [&](int pos) {
        const int next = sym[pos].next;
        if (next < 0) return;
        if (const Merge* merge = m.find_merge(sym[pos].id, sym[next].id)) {
            heap.push_back({merge->rank, pos, merge->new_id});
            std::push_heap(heap.begin(), heap.end(), later);
        }
    };
    for (int i = 0; i + 1 < static_cast<int>(sym.size()); ++i) consider(i);
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        const Candidate top = heap.back();
        heap.pop_back();
        Symbol& left = sym[top.pos];
        if (!left.alive || left.next < 0) continue;
        Symbol& right = sym[left.next];
        const Merge* merge = m.find_merge(left.id, right.id);
        if (!merge || merge->new_id != top.new_id) continue;  // stale: the pair has changed since
        left.id = top.new_id;
        right.alive = false;
        left.next = right.next;
        if (left.next >= 0) sym[left.next].prev = top.pos;
        if (left.prev >= 0) consider(left.prev);
        consider(top.pos);
    }

    const std::size_t first = ids.size();
    for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[i].next) ids.push_back(sym[i].id);
    if (cacheable) {
        std::lock_guard<std::mutex> lock(cache_->mutex);
        if (cache_->words.size() < WordCache::kMaxWords)
            cache_->words.emplace(std::move(key), std::vector<int>(ids.begin() + first, ids.end()));
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding and token facts
// ---------------------------------------------------------------------------------------------
std::string Tokenizer::decode(const std::vector<int>& ids, bool skip_special) const {
    std::string bytes;
    if (!model_) return bytes;
    for (const int id : ids) {
        if (!model_->valid(id) || (skip_special && model_->special[id])) continue;
        bytes += model_->piece[id];
    }
    return is_valid_utf8(bytes) ? bytes : repair_utf8(bytes);
}

std::string Tokenizer::token_piece(int id) const {
    return model_ && model_->valid(id) ? model_->piece[id] : std::string();
}

std::string Tokenizer::vocab_token(int id) const {
    return model_ && model_->valid(id) ? model_->token[id] : std::string();
}

int Tokenizer::token_id(std::string_view token) const { return model_ ? model_->id_of(std::string(token)) : -1; }

int Tokenizer::vocab_size() const { return model_ ? static_cast<int>(model_->token.size()) : 0; }

bool Tokenizer::is_special(int id) const { return model_ && model_->valid(id) && model_->special[id]; }

bool Tokenizer::starts_word(int id) const {
    if (!model_ || !model_->valid(id)) return false;
    if (model_->special[id]) return true;
    const std::string& p = model_->piece[id];
    if (p.empty()) return false;
    // The first character, only when the piece holds all of it.
    const std::size_t need = static_cast<unsigned char>(p[0]) < 0x80   ? 1
                             : static_cast<unsigned char>(p[0]) < 0xE0 ? 2
                             : static_cast<unsigned char>(p[0]) < 0xF0 ? 3
                                                                       : 4;
    if (p.size() < need || !is_valid_utf8(std::string_view(p).substr(0, need))) return false;
    std::size_t len = 0;
    return unicode::is_space(decode_at(p, 0, &len));
}

int Tokenizer::im_start_id() const { return model_ ? model_->im_start : -1; }
int Tokenizer::im_end_id() const { return model_ ? model_->im_end : -1; }
int Tokenizer::endoftext_id() const { return model_ ? model_->endoftext : -1; }

TokenStream::TokenStream(Tokenizer tokenizer, bool skip_special)
    : tokenizer_(std::move(tokenizer)), skip_special_(skip_special) {}

std::string TokenStream::push(int id) {
    if (skip_special_ && tokenizer_.is_special(id)) return {};
    return utf8_.push(tokenizer_.token_piece(id));
}

std::string TokenStream::finish() { return utf8_.finish(); }

}  // namespace headstart
