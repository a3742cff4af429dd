// wasm/web_bench.h — `headstart bench --teacher-forced` in the browser: the same prompts, openers
// and figures (TTFT, time to 4 words, decode ms per token; p50 / p95) as cli/bench.cpp, with
// onnxruntime-web (wasm/web_bridge.h) instead of native ONNX Runtime. The page runs it with
// index.html?bench=MODEL_URL,...&tokenizer=URL[&runs=N][&threads=N]; web/bench.mjs drives that
// in headless Chromium beside the native bench and prints both with the ratio.
#pragma once

#include <string>

namespace headstart {

// Starts the benchmark described by the page's config JSON ({"bench": {"models": [...],
// "tokenizer": ..., "runs": N, "threads": N}}); returns at once. When it ends, the report (the
// native bench's JSON layout) goes to the page's Module.onBenchReport.
void start_web_bench(const std::string& page_config_json);

}  // namespace headstart
