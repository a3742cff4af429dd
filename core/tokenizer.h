// core/tokenizer.h — byte-level BPE over a Hugging Face tokenizer.json (GPT-2 style: our μLMs,
// SmolLM exports), plus a streaming decoder and the word-boundary test the opener policy needs.
//
// What encode() does, in Hugging Face's order (and with its results: see tests/test_tokenizer.cpp):
//   1. Text that is not valid UTF-8 is repaired first: every ill-formed subsequence becomes one
//      U+FFFD (repair_utf8 in core/utf8.h). encode() never fails.
//   2. Added tokens (<|im_start|>, <|im_end|>, <|endoftext|>, ...) are matched literally,
//      leftmost-longest, honouring their lstrip / rstrip / single_word flags; the text between
//      them goes through steps 3–4. SpecialTokens::AsText turns that off for special tokens (use
//      it for user text that must not inject ChatML markers).
//   3. The pre-tokenizer splits the text into words: ByteLevel (optional prefix space, the GPT-2
//      split pattern implemented by hand with Unicode letter/number/space tables), optionally
//      after Digits and Split (literal string, or the GPT-2 pattern) steps in a Sequence.
//   4. Each word's UTF-8 bytes become byte-level symbols and are merged by merge rank (BPE).
// No post-processor runs: encode() never adds BOS/EOS; build the prompt text with the specials.
//
// Not supported (from_json() says so): normalizers, other models (WordPiece, Unigram), BPE with
// byte_fallback / dropout / subword prefixes, regex Split patterns other than GPT-2's.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/utf8.h"

namespace headstart {

// Whether encode() turns the text of *special* added tokens ("<|im_end|>") into their ids
// (Match, Hugging Face's default) or tokenizes it like any other text (AsText). Non-special added
// tokens are matched either way, as in Hugging Face's `split_special_tokens`.
enum class SpecialTokens { Match, AsText };

class Tokenizer {
public:
    // An empty tokenizer: vocab_size() 0, encode() and decode() return nothing.
    Tokenizer() = default;

    // Reads a tokenizer.json file (the one platform I/O call here; the web build passes bytes to
    // from_json instead). Errors name the file and what is wrong with it.
    static Result<Tokenizer> load(const std::string& path);
    // Parses the text of a tokenizer.json. Rejects, with a readable reason, anything that is not
    // a byte-level BPE this class encodes exactly like Hugging Face's tokenizers.
    static Result<Tokenizer> from_json(std::string_view json_text);

    std::vector<int> encode(std::string_view text, SpecialTokens specials = SpecialTokens::Match) const;
    // The text of `ids`: their pieces concatenated, ill-formed UTF-8 replaced by U+FFFD; unknown
    // ids are skipped. For tokenizers without a prefix space, decode(encode(t)) == repair_utf8(t).
    std::string decode(const std::vector<int>& ids, bool skip_special = false) const;

    // The bytes of one token after byte-level decoding (may be part of a UTF-8 character);
    // "" for an unknown id. Special tokens give their literal text.
    std::string token_piece(int id) const;
    // The token as tokenizer.json spells it: "Ġthe", "<|im_end|>"; "" for an unknown id.
    std::string vocab_token(int id) const;
    // The id of a token spelled as in tokenizer.json (added tokens by their content), or -1.
    int token_id(std::string_view token) const;
    // One past the largest id (model vocabulary and added tokens together).
    int vocab_size() const;

    bool is_special(int id) const;  // an added token marked "special"
    // True when the token begins a new word: its piece starts with whitespace (space, newline,
    // tab, NBSP, ...), or it is a special token. The opener policy stops *before* such a token,
    // so it never emits half a word. Unknown ids and partial characters are not word starts.
    bool starts_word(int id) const;

    // Ids of the ChatML / GPT-2 specials, -1 when the vocabulary has none.
    int im_start_id() const;   // <|im_start|>
    int im_end_id() const;     // <|im_end|>
    int endoftext_id() const;  // <|endoftext|>

private:
    struct Model;
    struct WordCache;
    void encode_words(std::string_view text, std::vector<int>& ids) const;
    void encode_word(std::string_view word, std::vector<int>& ids) const;

    // Immutable after loading and shared by copies; the word cache is shared (and locked) too,
    // so copying a Tokenizer is cheap and copies may be used from different threads.
    std::shared_ptr<const Model> model_;
    std::shared_ptr<WordCache> cache_;
};

// Turns generated ids into text as they arrive, one token at a time, emitting only whole UTF-8
// characters (a token may end inside one: its bytes are held until the next token completes it).
// Holds its own copy of the Tokenizer (cheap), so it cannot outlive it.
class TokenStream {
public:
    explicit TokenStream(Tokenizer tokenizer, bool skip_special = false);

    // The complete text this token adds (possibly "" while a character is incomplete).
    std::string push(int id);
    // Ends the stream: whatever is held back, an incomplete character as U+FFFD.
    std::string finish();
    bool has_pending() const { return utf8_.has_pending(); }
    void reset() { utf8_ = Utf8Stream{}; }

private:
    Tokenizer tokenizer_;
    Utf8Stream utf8_;
    bool skip_special_;
};

}  // namespace headstart
