// tests/test_tokenizer.cpp — the byte-level BPE tokenizer: parity with Hugging Face's tokenizers on
// the fixtures in tests/fixtures/ (checked against the Rust implementation, see
// tests/fixtures/make_tokenizer_fixture.py), round trips, specials, streaming, word starts, and
// malformed tokenizer.json files. Fixtures are embedded by tests/tokenizer_fixtures.cmake.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tokenizer.h"
#include "core/utf8.h"
#include "tokenizer_fixtures.h"

using headstart::is_valid_utf8;
using headstart::repair_utf8;
using headstart::SpecialTokens;
using headstart::Tokenizer;
using headstart::TokenStream;
using json = nlohmann::json;

namespace {

const TokenizerFixture& builtin(const std::string& name) {
    for (const TokenizerFixture& f : kBuiltinTokenizerFixtures)
        if (name == f.name) return f;
    FAIL("no built-in tokenizer fixture " << name);
    throw 0;  // unreachable
}

Tokenizer load_fixture(const std::string& name) {
    auto t = Tokenizer::from_json(builtin(name).tokenizer_json);
    INFO(name << ": " << (t ? std::string() : t.error()));
    REQUIRE(t.ok());
    return *t;
}

struct Case {
    std::string text;
    std::vector<int> ids;
    std::string decoded;
};

// tokenizer_fixture.json: [{"text", "ids", "decoded"?}, ...], or {"cases": [...]}.
std::vector<Case> parse_cases(const char* text) {
    const json doc = json::parse(text, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    const json& list = doc.is_object() && doc.contains("cases") ? doc["cases"] : doc;
    REQUIRE(list.is_array());
    std::vector<Case> cases;
    for (const json& c : list) {
        REQUIRE(c.is_object());
        REQUIRE(c.contains("text"));
        REQUIRE(c.contains("ids"));
        Case k{c["text"].get<std::string>(), c["ids"].get<std::vector<int>>(), {}};
        k.decoded = c.contains("decoded") ? c["decoded"].get<std::string>() : k.text;
        cases.push_back(std::move(k));
    }
    return cases;
}

std::string ids_string(const std::vector<int>& ids) {
    std::string s = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
    return s + "]";
}

void check_parity(const TokenizerFixture& fixture) {
    if (fixture.missing) FAIL(fixture.missing);
    auto tokenizer = Tokenizer::from_json(fixture.tokenizer_json);
    INFO(fixture.name << ": " << (tokenizer ? std::string() : tokenizer.error()));
    REQUIRE(tokenizer.ok());
    const std::vector<Case> cases = parse_cases(fixture.cases_json);
    REQUIRE(!cases.empty());
    int mismatches = 0;
    for (const Case& c : cases) {
        const std::vector<int> ids = tokenizer->encode(c.text);
        if (ids != c.ids && ++mismatches <= 5) {  // report the first few in full
            INFO("text:     " << json(c.text).dump());
            INFO("expected: " << ids_string(c.ids));
            INFO("got:      " << ids_string(ids));
            CHECK(ids == c.ids);
        }
        CHECK(tokenizer->decode(c.ids) == c.decoded);
    }
    INFO(mismatches << " of " << cases.size() << " cases encode differently");
    CHECK(mismatches == 0);
}

// A copy of a built-in tokenizer.json with one part replaced (for configurations the fixtures
// do not cover, and for malformed files).
std::string patched(const std::string& name, const std::function<void(json&)>& patch) {
    json doc = json::parse(builtin(name).tokenizer_json);
    patch(doc);
    return doc.dump();
}

std::vector<int> concat(const Tokenizer& t, std::initializer_list<const char*> pieces) {
    std::vector<int> out;
    for (const char* p : pieces) {
        const auto ids = t.encode(p);
        out.insert(out.end(), ids.begin(), ids.end());
    }
    return out;
}

const std::vector<std::string> kTrickyStrings = {
    "Hello, world!",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\n\r\nhere",
    "many        spaces",
    "It's we'll they've I'd you're she's don't",
    "'''s 'S 'LL",
    "Numbers 0 12 345 6789 3.14 1,000,000 -7",
    "café naïve Straße déjà vu e\u0301",
    "Ελληνικά русский עברית العربية",
    "日本語のテキストと中文文本，还有한국어 문장。",
    "😀🎉👍🏽❤️🇫🇷 emoji everywhere 😀",
    "symbols ©®™€£¥°±×÷ → ← ∑ ∞",
    "non\u00a0breaking\u3000ideographic",
    "<|im_start|>user\nWhy is the sky blue?<|im_end|>\n<|im_start|>assistant\n",
    "code: for (int i = 0; i < n; ++i) { x[i] = \"q\"; }\n",
    "\n\n\n",
    " ",
    "",
};

}  // namespace

TEST_CASE("tokenizer: parity with Hugging Face on the GPT-2 style fixture", "[tokenizer]") {
    check_parity(builtin("tokenizer-gpt2"));
}

TEST_CASE("tokenizer: parity with Hugging Face on the SmolLM style fixture (Digits + ByteLevel)", "[tokenizer]") {
    check_parity(builtin("tokenizer-smollm"));
}

TEST_CASE("tokenizer: parity with Hugging Face with a prefix space and lstrip/rstrip added tokens", "[tokenizer]") {
    check_parity(builtin("tokenizer-prefix"));
}

// Written by the Python trainer: training/tokenizer.py train --data training/fixtures/tiny_corpus.jsonl
// --vocab-size 1024 --out tests/fixtures/tokenizer-trainer/tokenizer.json --fixture .../tokenizer_fixture.json
TEST_CASE("tokenizer: parity with training/tokenizer.py (tests/fixtures/tokenizer-trainer)", "[tokenizer]") {
    check_parity(builtin("tokenizer-trainer"));
}

#ifdef HEADSTART_EXTERNAL_TOKENIZER_FIXTURE
TEST_CASE("tokenizer: parity with the external fixture (HEADSTART_TOKENIZER_FIXTURE_DIR)", "[tokenizer]") {
    INFO("fixture dir: " << kExternalTokenizerFixture.name);
    check_parity(kExternalTokenizerFixture);
}
#endif

TEST_CASE("tokenizer: vocabulary facts and the ChatML special ids", "[tokenizer]") {
    const Tokenizer gpt2 = load_fixture("tokenizer-gpt2");
    CHECK(gpt2.vocab_size() == 659);
    CHECK(gpt2.endoftext_id() == 656);
    CHECK(gpt2.im_start_id() == 657);
    CHECK(gpt2.im_end_id() == 658);
    CHECK(gpt2.token_id("<|im_end|>") == 658);
    CHECK(gpt2.token_id("\xC4\xA0") == 32);  // "Ġ", the space byte
    CHECK(gpt2.token_id("no such token") == -1);
    CHECK(gpt2.vocab_token(32) == "\xC4\xA0");
    CHECK(gpt2.vocab_token(9999).empty());
    CHECK(gpt2.is_special(658));
    CHECK_FALSE(gpt2.is_special(32));

    const Tokenizer smol = load_fixture("tokenizer-smollm");  // specials first, as in SmolLM
    CHECK(smol.endoftext_id() == 0);
    CHECK(smol.im_start_id() == 1);
    CHECK(smol.im_end_id() == 2);

    const Tokenizer empty;
    CHECK(empty.vocab_size() == 0);
    CHECK(empty.encode("hello").empty());
    CHECK(empty.decode({1, 2}).empty());
    CHECK(empty.im_end_id() == -1);
}

TEST_CASE("tokenizer: round trip on tricky strings", "[tokenizer]") {
    for (const char* name : {"tokenizer-gpt2", "tokenizer-smollm"}) {
        const Tokenizer t = load_fixture(name);
        for (const std::string& s : kTrickyStrings) {
            INFO(name << ": " << json(s).dump());
            CHECK(t.decode(t.encode(s)) == s);
            CHECK(t.decode(t.encode(s, SpecialTokens::AsText)) == s);
        }
    }
}

TEST_CASE("tokenizer: ChatML specials are matched literally, or taken as text on request", "[tokenizer]") {
    const Tokenizer t = load_fixture("tokenizer-gpt2");
    const std::string prompt = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
    const std::vector<int> ids = t.encode(prompt);
    REQUIRE(ids.size() >= 5);
    CHECK(ids.front() == t.im_start_id());
    CHECK(std::count(ids.begin(), ids.end(), t.im_start_id()) == 2);
    CHECK(std::count(ids.begin(), ids.end(), t.im_end_id()) == 1);
    CHECK(t.decode(ids, /*skip_special=*/true) == "user\nHi\nassistant\n");
    // The text between specials is encoded on its own: no merge crosses a special.
    CHECK(ids == concat(t, {"<|im_start|>", "user\nHi", "<|im_end|>", "\n", "<|im_start|>", "assistant\n"}));

    const std::vector<int> plain = t.encode(prompt, SpecialTokens::AsText);
    CHECK(std::count(plain.begin(), plain.end(), t.im_start_id()) == 0);
    CHECK(std::count(plain.begin(), plain.end(), t.im_end_id()) == 0);
    CHECK(t.decode(plain) == prompt);

    // A near miss is text, and a longer special wins over a shorter prefix of it.
    const std::vector<int> near_miss = t.encode("<|im_end");
    CHECK(std::count(near_miss.begin(), near_miss.end(), t.im_end_id()) == 0);
}

TEST_CASE("tokenizer: input that is not valid UTF-8 is repaired first", "[tokenizer]") {
    const Tokenizer t = load_fixture("tokenizer-gpt2");
    for (const std::string& bad :
         {std::string("a\xFF"
                      "b"),
          std::string("caf\xC3"), std::string("\xED\xA0\x80 x"), std::string("\xF0\x9F\x98 half an emoji")}) {
        INFO(json(repair_utf8(bad)).dump());
        CHECK(t.encode(bad) == t.encode(repair_utf8(bad)));
        CHECK(t.decode(t.encode(bad)) == repair_utf8(bad));
    }
    // Arbitrary bytes: never a crash, always valid UTF-8 back, equal to the repaired input.
    std::mt19937 rng(1234);
    for (int n = 0; n < 300; ++n) {
        std::string s(rng() % 64, '\0');
        for (char& c : s) c = static_cast<char>(rng() % 256);
        const std::string back = t.decode(t.encode(s));
        CHECK(is_valid_utf8(back));
        CHECK(back == repair_utf8(s));
    }
}

TEST_CASE("tokenizer: token_piece and starts_word", "[tokenizer]") {
    const Tokenizer t = load_fixture("tokenizer-gpt2");
    const std::vector<int> ids = t.encode("Hello world,\nnew line");
    std::string joined;
    for (int id : ids) joined += t.token_piece(id);
    CHECK(joined == "Hello world,\nnew line");

    // Each word's first token starts a word; tokens inside a word and punctuation do not.
    std::vector<std::string> words;
    for (int id : ids) {
        if (words.empty() || t.starts_word(id)) words.emplace_back();
        words.back() += t.token_piece(id);
    }
    CHECK(words == std::vector<std::string>{"Hello", " world,", "\nnew", " line"});

    CHECK(t.starts_word(t.im_end_id()));
    CHECK(t.starts_word(t.token_id("\xC4\xA0")));  // " "
    CHECK(t.starts_word(t.token_id("\xC4\x8A")));  // "\n"
    CHECK_FALSE(t.starts_word(t.token_id(",")));
    CHECK_FALSE(t.starts_word(-1));
    CHECK_FALSE(t.starts_word(100000));
    CHECK(t.token_piece(-1).empty());

    // A byte token holding the first byte of a multi-byte character is a partial piece.
    const int lead = t.token_id("\xC3\xA6");  // "æ" in the alphabet = byte 0xE6, lead byte of 日
    REQUIRE(lead >= 0);
    CHECK(t.token_piece(lead) == "\xE6");
    CHECK_FALSE(t.starts_word(lead));
    CHECK(t.token_piece(t.im_start_id()) == "<|im_start|>");
}

TEST_CASE("tokenizer: TokenStream emits whole characters only", "[tokenizer]") {
    const Tokenizer t = load_fixture("tokenizer-gpt2");
    const std::string text = "Emoji 😀 and 日本語, then <|im_end|> done";
    const std::vector<int> ids = t.encode(text);
    TokenStream stream(t);
    std::string out;
    int held_back = 0;
    for (int id : ids) {
        const std::string chunk = stream.push(id);
        CHECK(is_valid_utf8(chunk));
        if (chunk.empty()) ++held_back;
        out += chunk;
    }
    out += stream.finish();
    CHECK(out == text);
    CHECK(held_back > 0);  // the emoji and the CJK characters span several byte tokens here
    CHECK_FALSE(stream.has_pending());

    TokenStream quiet(t, /*skip_special=*/true);
    std::string q;
    for (int id : ids) q += quiet.push(id);
    CHECK(q == "Emoji 😀 and 日本語, then  done");

    // A stream cut inside a character ends with U+FFFD.
    TokenStream cut(t);
    CHECK(cut.push(t.token_id("\xC3\xA6")).empty());
    CHECK(cut.has_pending());
    CHECK(cut.finish() == "\xEF\xBF\xBD");
}

TEST_CASE("tokenizer: SmolLM style Digits splits every digit", "[tokenizer]") {
    const Tokenizer smol = load_fixture("tokenizer-smollm");
    const std::vector<int> ids = smol.encode("year 2024");
    REQUIRE(ids.size() >= 5);
    const std::vector<int> tail(ids.end() - 4, ids.end());
    CHECK(tail == concat(smol, {"2", "0", "2", "4"}));
    // The space before the number stays a token of its own (Digits runs before the GPT-2 split).
    CHECK(ids == concat(smol, {"year", " ", "2", "0", "2", "4"}));
}

TEST_CASE("tokenizer: Split pre-tokenizer behaviours match Hugging Face", "[tokenizer]") {
    // A vocabulary whose merges turn each possible piece of "ab-cd--e-" into one token, so the
    // tokens show the pieces. ByteLevel without its regex keeps each piece whole. Expected pieces
    // are what Hugging Face's preTokenizeString gives for the same configuration.
    const auto pieces = [](const char* behavior, bool invert) {
        json vocab = json::object();
        for (const char* t : {"a", "b", "c", "d", "e", "-", "ab", "cd", "ab-", "cd-", "-cd", "--", "-e", "e-"})
            vocab[t] = static_cast<int>(vocab.size());
        const json d = {
            {"pre_tokenizer",
             {{"type", "Sequence"},
              {"pretokenizers",
               {{{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", invert}},
                {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
            {"model",
             {{"type", "BPE"},
              {"vocab", vocab},
              {"merges", {"a b", "c d", "ab -", "cd -", "- cd", "- -", "- e", "e -"}}}}};
        auto t = Tokenizer::from_json(d.dump());
        INFO(behavior << ": " << (t ? std::string() : t.error()));
        REQUIRE(t.ok());
        std::vector<std::string> out;
        for (int id : t->encode("ab-cd--e-")) out.push_back(t->token_piece(id));
        return out;
    };
    using V = std::vector<std::string>;
    CHECK(pieces("Removed", false) == V{"ab", "cd", "e"});
    CHECK(pieces("Isolated", false) == V{"ab", "-", "cd", "-", "-", "e", "-"});
    CHECK(pieces("Contiguous", false) == V{"ab", "-", "cd", "--", "e", "-"});
    CHECK(pieces("MergedWithPrevious", false) == V{"ab-", "cd-", "-", "e-"});
    CHECK(pieces("MergedWithNext", false) == V{"ab", "-cd", "-", "-e", "-"});
    CHECK(pieces("MergedWithPrevious", true) == V{"ab", "-cd", "-", "-e", "-"});
    CHECK(pieces("MergedWithNext", true) == V{"ab-", "cd-", "-", "e-"});
    CHECK(pieces("Removed", true) == V{"-", "-", "-", "-"});

    const Tokenizer plain = load_fixture("tokenizer-gpt2");
    // The GPT-2 pattern as a Split regex before ByteLevel(use_regex=false) is plain ByteLevel.
    auto regex_split = Tokenizer::from_json(patched("tokenizer-gpt2", [](json& d) {
        d["pre_tokenizer"] = {
            {"type", "Sequence"},
            {"pretokenizers",
             {{{"type", "Split"},
               {"pattern",
                {{"Regex", R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"}}},
               {"behavior", "Isolated"},
               {"invert", false}},
              {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
    }));
    REQUIRE(regex_split.ok());
    for (const std::string& s : kTrickyStrings) CHECK(regex_split->encode(s) == plain.encode(s));

    // Without the regex, ByteLevel takes the whole text as one word.
    auto one_word = Tokenizer::from_json(patched("tokenizer-gpt2", [](json& d) {
        d["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
    }));
    REQUIRE(one_word.ok());
    CHECK(one_word->decode(one_word->encode("the cat sat")) == "the cat sat");
}

TEST_CASE("tokenizer: Digits runs of numbers with a prefix space match Hugging Face", "[tokenizer]") {
    // Digits(individual_digits=false) then ByteLevel(add_prefix_space=true): every piece gets the
    // prefix space, also those between digits and added tokens. Ids from Hugging Face.
    auto t = Tokenizer::from_json(patched("tokenizer-gpt2", [](json& d) {
        d["pre_tokenizer"] = {{"type", "Sequence"},
                              {"pretokenizers",
                               {{{"type", "Digits"}, {"individual_digits", false}},
                                {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}}}};
    }));
    REQUIRE(t.ok());
    CHECK(t->encode("abc 123x45") == std::vector<int>{258, 98, 99, 32, 384, 50, 51, 32, 120, 32, 52, 53});
    CHECK(t->encode("Hello 2024 world 7") ==
          std::vector<int>{32, 72, 101, 318, 111, 32, 385, 48, 50, 52, 307, 554, 32, 32, 55});
    CHECK(t->encode("<|im_start|>x1<|im_end|>") == std::vector<int>{657, 32, 120, 384, 658});
}

TEST_CASE("tokenizer: single_word added tokens only match whole words, as in Hugging Face", "[tokenizer]") {
    auto t = Tokenizer::from_json(patched("tokenizer-gpt2", [](json& d) {
        d["added_tokens"].push_back({{"id", 659},
                                     {"content", "cat"},
                                     {"single_word", true},
                                     {"lstrip", false},
                                     {"rstrip", false},
                                     {"normalized", false},
                                     {"special", false}});
    }));
    REQUIRE(t.ok());
    CHECK(t->vocab_size() == 660);
    CHECK(t->encode("cat") == std::vector<int>{659});
    CHECK(t->encode("a cat sat") == std::vector<int>{97, 32, 659, 262, 267});
    CHECK(t->encode("cat-x") == std::vector<int>{659, 45, 120});
    CHECK(t->encode("concat") == std::vector<int>{99, 320, 99, 267});
    CHECK(t->encode("cats") == std::vector<int>{99, 267, 115});
    CHECK(t->encode("cat_x") == std::vector<int>{99, 267, 95, 120});
    CHECK(t->encode("\u00e9cat") == std::vector<int>{300, 99, 267});
    CHECK(t->encode("1cat") == std::vector<int>{49, 99, 267});
}

TEST_CASE("tokenizer: ignore_merges, unknown bytes and unk_token", "[tokenizer]") {
    // A tiny vocabulary: a, b, c, ab, and "abc" with no merge that makes it.
    const auto make = [](bool ignore_merges, json unk) {
        json d = {{"added_tokens", json::array()},
                  {"normalizer", nullptr},
                  {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
                  {"decoder", {{"type", "ByteLevel"}}},
                  {"model",
                   {{"type", "BPE"},
                    {"unk_token", unk},
                    {"ignore_merges", ignore_merges},
                    {"fuse_unk", true},
                    {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"abc", 4}, {"?", 5}}},
                    {"merges", {"a b"}}}}};
        auto t = Tokenizer::from_json(d.dump());
        INFO((t ? std::string() : t.error()));
        REQUIRE(t.ok());
        return *t;
    };
    CHECK(make(false, nullptr).encode("abc") == std::vector<int>{3, 2});
    CHECK(make(true, nullptr).encode("abc") == std::vector<int>{4});
    // Bytes missing from the vocabulary are dropped before merging (as Hugging Face does), unless
    // there is an unk_token.
    CHECK(make(false, nullptr).encode("axxb") == std::vector<int>{3});
    CHECK(make(false, "?").encode("axxb") == std::vector<int>{0, 5, 1});  // fuse_unk: one for "xx"
}

TEST_CASE("tokenizer: malformed tokenizer.json files are rejected with a clear error", "[tokenizer]") {
    struct Bad {
        std::string json_text;
        std::string expected;  // part of the error message
    };
    const auto patch = [](const std::function<void(json&)>& f) { return patched("tokenizer-gpt2", f); };
    const std::vector<Bad> cases = {
        {"", "not valid JSON"},
        {"{\"model\": ", "not valid JSON"},
        {"{\"a\": \"\xFF\"}", "not valid JSON"},
        {"[1, 2]", "not a JSON object"},
        {"{}", "no \"model\""},
        {patch([](json& d) { d["model"]["type"] = "WordPiece"; }), "not a byte-level \"BPE\""},
        {patch([](json& d) {
             d["model"].erase("type");
             d["model"].erase("merges");
         }),
         "not a BPE model"},
        {patch([](json& d) { d["model"].erase("vocab"); }), "model.vocab is missing"},
        {patch([](json& d) { d["model"]["vocab"] = json::object(); }), "model.vocab is empty"},
        {patch([](json& d) { d["model"]["vocab"]["x"] = "seven"; }), "not a non-negative integer id"},
        {patch([](json& d) { d["model"]["vocab"]["x"] = -3; }), "not a non-negative integer id"},
        {patch([](json& d) { d["model"]["vocab"]["x"] = 2000000000; }), "sparse"},
        {patch([](json& d) { d["model"].erase("merges"); }), "model.merges is missing"},
        {patch([](json& d) { d["model"]["merges"].push_back("zz \xC4\xA0"); }), "refers to 'zz'"},
        {patch([](json& d) { d["model"]["merges"].push_back("q z"); }), "makes 'qz'"},
        {patch([](json& d) { d["model"]["merges"].push_back("a b c"); }), "two tokens separated by one space"},
        {patch([](json& d) { d["model"]["merges"].push_back(42); }), "neither \"a b\" nor"},
        {patch([](json& d) { d["model"]["merges"].push_back({"a"}); }), "neither \"a b\" nor"},
        {patch([](json& d) { d["model"]["byte_fallback"] = true; }), "byte_fallback"},
        {patch([](json& d) { d["model"]["dropout"] = 0.1; }), "dropout"},
        {patch([](json& d) { d["model"]["continuing_subword_prefix"] = "##"; }), "continuing_subword_prefix"},
        {patch([](json& d) { d["model"]["unk_token"] = "<unk>"; }), "unk_token '<unk>' is not in model.vocab"},
        {patch([](json& d) { d["added_tokens"] = 5; }), "added_tokens is not a list"},
        {patch([](json& d) {
             d["added_tokens"].push_back({{"content", "<x>"}});
         }),
         "non-negative integer \"id\""},
        {patch([](json& d) {
             d["added_tokens"].push_back({{"content", "a"}, {"id", 3}});
         }),
         "model.vocab gives it 97"},
        {patch([](json& d) {
             d["normalizer"] = {{"type", "NFC"}};
         }),
         "normalizer 'NFC' is not supported"},
        {patch([](json& d) { d["pre_tokenizer"] = nullptr; }), "no pre_tokenizer"},
        {patch([](json& d) {
             d["pre_tokenizer"] = {{"type", "Metaspace"}};
         }),
         "unsupported pre_tokenizer 'Metaspace'"},
        {patch([](json& d) {
             d["pre_tokenizer"] = {{"type", "Digits"}};
         }),
         "must end with exactly one ByteLevel"},
        {patch([](json& d) {
             d["pre_tokenizer"] = {{"type", "Sequence"},
                                   {"pretokenizers", {{{"type", "ByteLevel"}}, {{"type", "Digits"}}}}};
         }),
         "must end with exactly one ByteLevel"},
        {patch([](json& d) {
             d["pre_tokenizer"] = {
                 {"type", "Sequence"},
                 {"pretokenizers",
                  {{{"type", "Split"}, {"pattern", {{"Regex", "\\p{N}{1,3}"}}}, {"behavior", "Isolated"}},
                   {{"type", "ByteLevel"}}}}};
         }),
         "unsupported Split regex"},
        {patch([](json& d) {
             d["pre_tokenizer"] = {{"type", "Sequence"},
                                   {"pretokenizers",
                                    {{{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", "Sideways"}},
                                     {{"type", "ByteLevel"}}}}};
         }),
         "unknown Split behavior 'Sideways'"},
        {patch([](json& d) {
             d["pre_tokenizer"] = {{"type", "Sequence"}};
         }),
         "no \"pretokenizers\" list"},
        {patch([](json& d) {
             d["decoder"] = {{"type", "WordPiece"}};
         }),
         "decoder 'WordPiece' is not supported"},
    };
    for (const Bad& bad : cases) {
        INFO("expected error containing: " << bad.expected);
        const auto t = Tokenizer::from_json(bad.json_text);
        REQUIRE_FALSE(t.ok());
        INFO("got: " << t.error());
        CHECK(t.error().find(bad.expected) != std::string::npos);
        CHECK(t.error().rfind("tokenizer.json: ", 0) == 0);
    }

    // Every truncation of a valid file is an error, never a crash.
    const std::string good = builtin("tokenizer-smollm").tokenizer_json;
    for (std::size_t n = 0; n < good.size(); n += 61) CHECK_FALSE(Tokenizer::from_json(good.substr(0, n)).ok());
    CHECK(Tokenizer::from_json(good).ok());
}

TEST_CASE("tokenizer: load() reads a file and names the file in its errors", "[tokenizer]") {
    // Relative to the working directory: a real directory natively and under qemu, the in-memory
    // file system under node.
    const std::string path = "test_tokenizer_tmp_tokenizer.json";
    const std::string bad_path = "test_tokenizer_tmp_bad.json";
    {
        std::ofstream(path, std::ios::binary) << builtin("tokenizer-gpt2").tokenizer_json;
        std::ofstream(bad_path, std::ios::binary) << "{\"model\": {\"type\": \"Unigram\"}}";
    }
    const auto t = Tokenizer::load(path);
    INFO((t ? std::string() : t.error()));
    REQUIRE(t.ok());
    CHECK(t->decode(t->encode("Hello, world!")) == "Hello, world!");

    const auto bad = Tokenizer::load(bad_path);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().find(bad_path) != std::string::npos);
    CHECK(bad.error().find("'Unigram'") != std::string::npos);

    const auto missing = Tokenizer::load("no/such/dir/tokenizer.json");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error() == "cannot open tokenizer file 'no/such/dir/tokenizer.json'");

    std::remove(path.c_str());
    std::remove(bad_path.c_str());
}

TEST_CASE("tokenizer: copies share the model and the cache", "[tokenizer]") {
    const Tokenizer a = load_fixture("tokenizer-gpt2");
    const Tokenizer b = a;
    const std::string s = "The quick brown fox jumps over the lazy dog.";
    CHECK(a.encode(s) == b.encode(s));
    CHECK(a.encode(s) == a.encode(s));  // second time from the cache
}

// Not run by ctest (hidden tag): `headstart_tests "[tokenizer-bench]"` prints encode timings.
TEST_CASE("tokenizer: encode speed", "[.][tokenizer-bench]") {
    const Tokenizer t = load_fixture("tokenizer-gpt2");
    std::string prompt = "<|im_start|>user\n";
    for (int i = 0; i < 8; ++i) prompt += kTrickyStrings[i % 12] + " The capital of France is Paris. ";
    prompt += "<|im_end|>\n<|im_start|>assistant\n";
    const std::size_t tokens = t.encode(prompt).size();
    using clock = std::chrono::steady_clock;
    const auto time_us = [&](const Tokenizer& tok, int reps) {
        const auto t0 = clock::now();
        std::size_t n = 0;
        for (int i = 0; i < reps; ++i) n += tok.encode(prompt).size();
        const auto t1 = clock::now();
        CHECK(n == tokens * reps);
        return std::chrono::duration<double, std::micro>(t1 - t0).count() / reps;
    };
    const Tokenizer cold = *Tokenizer::from_json(builtin("tokenizer-gpt2").tokenizer_json);
    const double first = time_us(cold, 1);
    const double warm = time_us(t, 200);
    WARN("prompt of " << prompt.size() << " bytes -> " << tokens << " tokens: first encode " << first
                      << " us (cold cache), then " << warm << " us per encode");
}
