// fuzz/fuzz_tokenizer.cpp — the shipped tokenizer (assets/models/tokenizer.json) on arbitrary bytes.
// Invariants: encode never fails and gives ids of the vocabulary; decode(encode(t)) == repair_utf8(t) (a
// byte-level BPE without a prefix space loses nothing); decode of any ids is valid UTF-8; the streaming
// decoder (TokenStream, what the opener lane shows token by token) gives exactly decode()'s text.
#include <cstdint>
#include <cstdlib>

#include "core/tokenizer.h"
#include "core/utf8.h"
#include "fuzz/fuzz_check.h"

using namespace headstart;

namespace {
Tokenizer* tok = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* env = std::getenv("HEADSTART_FUZZ_TOKENIZER");
    const std::string path = env ? env : HEADSTART_SOURCE_DIR "/assets/models/tokenizer.json";
    auto loaded = Tokenizer::load(path);
    if (!loaded) {
        std::fprintf(stderr, "fuzz_tokenizer: %s\n", loaded.error().c_str());
        std::exit(2);
    }
    tok = new Tokenizer(std::move(loaded.value()));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const int mode = in.ConsumeIntegralInRange(0, 2);
    std::vector<int> ids;
    if (mode < 2) {  // text -> ids -> text
        const std::string text = in.ConsumeRemainingBytesAsString();
        ids = tok->encode(text, mode == 0 ? SpecialTokens::Match : SpecialTokens::AsText);
        for (int id : ids) FUZZ_CHECK(id >= 0 && id < tok->vocab_size(), "encode gave an id outside the vocabulary");
        FUZZ_CHECK(tok->decode(ids) == repair_utf8(text), "decode(encode(t)) != repair_utf8(t)");
    } else {  // any ids, unknown ones included
        while (in.remaining_bytes() >= 2) ids.push_back(in.ConsumeIntegralInRange(-2, tok->vocab_size() + 2));
    }
    const std::string text = tok->decode(ids);
    FUZZ_CHECK(is_valid_utf8(text), "decode gave ill-formed UTF-8");
    TokenStream stream(*tok);
    std::string streamed;
    for (int id : ids) {
        const std::string piece = stream.push(id);
        FUZZ_CHECK(is_valid_utf8(piece), "TokenStream gave ill-formed UTF-8");
        streamed += piece;
    }
    streamed += stream.finish();
    FUZZ_CHECK(streamed == text, "TokenStream text != decode()");
    for (int id : ids) (void)tok->starts_word(id);
    return 0;
}
