// core/bench_prompts.h — what the native (cli/bench.cpp) and browser (wasm/web_bench.cpp) benchmarks
// share, so their figures are of the same work: the prompts, each with a plausible opener for
// teacher-forced runs, and the percentile they report.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "core/eval_metrics.h"

namespace headstart {

struct BenchPrompt {
    const char* question;
    const char* opener;  // fed token by token in --teacher-forced runs
};

inline constexpr BenchPrompt kBenchPrompts[] = {
    {"What is the capital of France?", "The capital of France is Paris,"},
    {"How do I make a good cup of coffee?", "Start with freshly ground beans and"},
    {"Can you explain how vaccines work?", "Vaccines train your immune system to"},
    {"What should I pack for a weekend hiking trip?", "Pack layers, a rain jacket and"},
    {"Why is the sky blue?", "The sky looks blue because sunlight"},
    {"How can I improve my sleep?", "Keep a regular sleep schedule and"},
    {"What is the difference between a virus and a bacterium?", "A virus is much smaller than"},
    {"Give me some tips for learning a new language.", "Practice a little every day and"},
    {"How do solar panels generate electricity?", "Solar panels turn sunlight into electricity"},
    {"What are the benefits of regular exercise?", "Regular exercise strengthens your heart and"},
};
inline constexpr std::size_t kBenchPromptCount = sizeof kBenchPrompts / sizeof kBenchPrompts[0];

// p in [0, 1] of unsorted values (core/eval_metrics.h's percentile); 0 when there are none.
inline double bench_percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    return percentile(values, p * 100.0);
}

}  // namespace headstart
