#!/usr/bin/env bash
# web/bench.sh — the μLM benchmark in the browser beside the native one (README "Measured figures"):
# the untrained 8m / 16m / 28m int8 exports that scripts/bench times (teacher-forced openers), native
# ONNX Runtime (`headstart bench`) and onnxruntime-web in headless Chromium, 1 and 2 threads, with
# the web / native ratio of TTFT, time to 4 words and decode ms per token — cold (the whole prompt
# prefilled at Enter), typed ahead and after a pause (core/prompt_cache.h) — then the 28M model's
# MatMuls alone (web/bench_matmul.mjs). Target: web within 2.5x of native on the 28M model. Builds
# the native and wasm presets first.
#   web/bench.sh [--trained] [--runs N] [--threads 1,2] [--wasm-build DIR]     (writes build/bench/web.json)
# --wasm-build DIR uses an existing wasm build (DIR/web) instead of building the wasm preset.
# --trained times the shipped μLMs instead (assets/models/mulm-*-int8.onnx, the trained tokenizer): native
# both as shipped (kernels.json: fused 8-bit MatMulNBits) and folded to fp32 (what the page runs), so the
# page is compared with the native path users get and with the same arithmetic (build/bench/web-trained.json).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
runs=3; threads=1,2; wasm=build/wasm; build_wasm=1; trained=0
while [ $# -gt 0 ]; do
  case "$1" in
    --trained) trained=1; shift ;;
    --runs) runs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --wasm-build) wasm="$2"; build_wasm=0; shift 2 ;;
    *) echo "usage: web/bench.sh [--trained] [--runs N] [--threads 1,2] [--wasm-build DIR]" >&2; exit 2 ;;
  esac
done
[ -d .deps/web/node_modules/puppeteer-core ] || { echo "web/bench.sh: run scripts/setup first" >&2; exit 2; }
export NODE_PATH=/usr/share/nodejs
cmake --preset native >/dev/null && cmake --build --preset native >/dev/null
if [ "$build_wasm" = 1 ]; then
  cmake --preset wasm >/dev/null && cmake --build --preset wasm >/dev/null
fi

if [ "$trained" = 1 ]; then
  models=(assets/models/mulm-8m-int8.onnx assets/models/mulm-16m-int8.onnx assets/models/mulm-28m-int8.onnx)
  NODE_PATH="$ROOT/.deps/web/node_modules" node web/bench.mjs --dist "$wasm/web" --native build/native/cli/headstart \
    --models "$(IFS=,; echo "${models[*]}")" --tokenizer assets/models/tokenizer.json --threads "$threads" --runs "$runs" \
    --kernels auto,fp32 --json build/bench/web-trained.json
  exit 0
fi

# Untrained int8 exports with the fixture's bench tokenizer (made when missing).
tokenizer=build/bench-models/bench-tokenizer.json
mkdir -p build/bench-models
[ -f "$tokenizer" ] || /usr/bin/python3 training/train_tokenizer.py --data training/fixtures/tiny_corpus.jsonl \
  --vocab-size 8192 --min-frequency 2 --out "$tokenizer" >/dev/null
vocab=$(/usr/bin/python3 -c "import json,sys; t=json.load(open(sys.argv[1])); print(max(t['model']['vocab'].values())+1+len(t.get('added_tokens',[])))" "$tokenizer")
models=()
for c in 8m 16m 28m; do
  f=build/bench-models/untrained-$c-int8.onnx
  [ -f "$f" ] && [ "$f" -nt "$tokenizer" ] || /usr/bin/python3 training/export_untrained.py --config $c --tokenizer-vocab "$vocab" --out build/bench-models >/dev/null
  models+=("$f")
done

NODE_PATH="$ROOT/.deps/web/node_modules" node web/bench.mjs --dist "$wasm/web" --native build/native/cli/headstart \
  --models "$(IFS=,; echo "${models[*]}")" --tokenizer "$tokenizer" --threads "$threads" --runs "$runs" \
  --json build/bench/web.json

# Where the cold prefill's time goes: the 28M model's MatMuls alone, native vs onnxruntime-web.
matmul=build/bench-models/matmul-28m.onnx
[ -f "$matmul" ] && [ "$matmul" -nt training/configs/28m.json ] || \
  /usr/bin/python3 web/matmul_only.py --config training/configs/28m.json --out "$matmul" >/dev/null
echo
NODE_PATH="$ROOT/.deps/web/node_modules" node web/bench_matmul.mjs "$matmul"
