// fuzz/fuzz_tokenizer_json.cpp — loading a tokenizer.json from arbitrary text (a broken or hostile file
// beside a model). Invariants: a clear error or a tokenizer that then encodes and decodes without crashing,
// ids inside its vocabulary.
#include <cstdint>

#include "core/tokenizer.h"
#include "core/utf8.h"
#include "fuzz/fuzz_check.h"

using namespace headstart;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto loaded = Tokenizer::from_json(text);
    if (!loaded) {
        FUZZ_CHECK(!loaded.error().empty(), "an error without a reason");
        return 0;
    }
    const Tokenizer& tok = loaded.value();
    for (const char* sample :
         {"Hello, world! How do I bake bread?", "<|im_start|>user\nhi<|im_end|>", "  \n\t\xc3\xa9\xe2\x82\xac x"}) {
        const auto ids = tok.encode(sample);
        for (int id : ids) FUZZ_CHECK(id >= 0 && id < tok.vocab_size(), "encode gave an id outside the vocabulary");
        FUZZ_CHECK(is_valid_utf8(tok.decode(ids)), "decode gave ill-formed UTF-8");
    }
    for (int id = -1; id <= 300 && id <= tok.vocab_size(); ++id) {
        (void)tok.token_piece(id);
        (void)tok.starts_word(id);
    }
    return 0;
}
