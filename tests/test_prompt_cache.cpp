// core/prompt_cache.h: what a prompt re-runs given what the KV cache holds, and which words of a
// question being typed are final. (With a real model: tests/test_ort_model.cpp.)
#include <catch2/catch.hpp>

#include "core/prompt_cache.h"

using namespace headstart;

namespace {

PromptCache holding(const std::vector<int>& ids) {
    PromptCache c;
    c.ran(PrefillPlan{0, ids});
    return c;
}

}  // namespace

TEST_CASE("prompt cache: an empty cache runs the whole prompt", "[prompt_cache]") {
    const PromptCache c;
    const PrefillPlan p = c.plan({5, 6, 7});
    CHECK(p.keep == 0);
    CHECK(p.feed == std::vector<int>{5, 6, 7});
    CHECK(c.plan({}).feed.empty());
}

TEST_CASE("prompt cache: the shared leading tokens are kept, the rest is run", "[prompt_cache]") {
    const PromptCache c = holding({1, 2, 3, 4, 9, 9});
    const PrefillPlan p = c.plan({1, 2, 3, 4, 5, 6});
    CHECK(p.keep == 4);
    CHECK(p.feed == std::vector<int>{5, 6});
    // Nothing shared: start over.
    CHECK(c.plan({7, 2, 3}).keep == 0);
}

TEST_CASE("prompt cache: a prompt the cache already holds still runs its last token", "[prompt_cache]") {
    // The next-token logits come from the last token run, so at least one is fed.
    const PromptCache c = holding({1, 2, 3, 4, 5});
    PrefillPlan p = c.plan({1, 2, 3, 4, 5});
    CHECK(p.keep == 4);
    CHECK(p.feed == std::vector<int>{5});
    p = c.plan({1, 2, 3});  // a shorter prompt inside the cache
    CHECK(p.keep == 2);
    CHECK(p.feed == std::vector<int>{3});
}

TEST_CASE("prompt cache: ran() records held[0:keep] + feed", "[prompt_cache]") {
    PromptCache c = holding({1, 2, 3, 4});
    c.ran(PrefillPlan{2, {8, 9}});
    CHECK(c.held() == std::vector<int>{1, 2, 8, 9});
    c.ran(PrefillPlan{4, {10}});  // a step
    CHECK(c.held() == std::vector<int>{1, 2, 8, 9, 10});
    c.clear();
    CHECK(c.held().empty());
}

TEST_CASE("prompt cache: a pre-read already held runs nothing", "[prompt_cache]") {
    const PromptCache c = holding({1, 2, 3, 4, 5});
    PrefillPlan p = c.plan_preread({1, 2, 3});
    CHECK(p.feed.empty());
    CHECK(p.keep == 5);  // what follows it stays: a turn asked again reuses it
    p = c.plan_preread({1, 2, 7, 8});
    CHECK(p.keep == 2);
    CHECK(p.feed == std::vector<int>{7, 8});
    CHECK(PromptCache().plan_preread({}).feed.empty());
}

TEST_CASE("prompt cache: the finished words of a question being typed", "[prompt_cache]") {
    CHECK(finished_words("What is the capi") == "What is the");
    CHECK(finished_words("What is the ") == "What is the");  // a space ends the word
    CHECK(finished_words("What is the  ") == "What is the");
    CHECK(finished_words("  What") == "");
    CHECK(finished_words("What") == "");
    CHECK(finished_words("") == "");
    CHECK(finished_words("   ") == "");
    CHECK(finished_words("Why is the sky blue?") == "Why is the sky");
    CHECK(finished_words("Wie spät ist es") == "Wie spät ist");
}
