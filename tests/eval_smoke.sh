#!/usr/bin/env bash
# tests/eval_smoke.sh — `headstart eval` end to end on the smoke prompt set (ctest eval.smoke):
# a real headstart-cloud on a free 127.0.0.1 port (the tiny test model), the tiny μLM against the
# canned and cloud-only baselines under the wifi profile, held-out perplexity on the fixture
# corpus's held-out split, the judge path, and the study analysis of the judge's trials; then the
# summary's fields are checked to exist and be sane; then one `headstart ask --json` turn; then a
# second cloud, the reference continuator over Vicuna-bench's own answers, and two prompt sets (one with
# references, one without) with the oracle baseline: the per-set figures, the oracle and no-reference.
#   tests/eval_smoke.sh HEADSTART_CLOUD HEADSTART FIXTURE_DIR SOURCE_DIR OUT_DIR
set -euo pipefail
cloud_bin=$1; headstart=$2; fixtures=$3; src=$4; out=$5
rm -rf "$out"; mkdir -p "$out"

"$cloud_bin" --host 127.0.0.1 --port 0 --model "$fixtures/tiny.onnx" --tokenizer "$fixtures/tokenizer.json" \
  --concurrency 8 >"$out/cloud.log" 2>&1 &
cloud_pid=$!
ref_pid=""
trap 'kill "$cloud_pid" $ref_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
wait_port() {  # wait_port PID LOG -> the port the cloud printed
  for _ in $(seq 1 100); do
    p=$(sed -nE 's|^headstart-cloud: http://127\.0\.0\.1:([0-9]+)/.*|\1|p' "$2" | head -1)
    [ -n "$p" ] && { echo "$p"; return 0; }
    kill -0 "$1" 2>/dev/null || { cat "$2" >&2; echo "eval_smoke: headstart-cloud did not start" >&2; return 1; }
    sleep 0.1
  done
  echo "eval_smoke: no port in $2" >&2; return 1
}
port=$(wait_port "$cloud_pid" "$out/cloud.log")

/usr/bin/python3 "$src/scripts/eval_heldout.py" --heldout 0.05 --out "$out/heldout.jsonl" "$src/training/fixtures/tiny_corpus.jsonl"

"$headstart" eval --prompts "$src/assets/prompts/smoke.jsonl" --models "$fixtures/tiny.onnx" \
  --baselines canned,cloud-only --cloud "http://127.0.0.1:$port" --profiles wifi --jobs 4 \
  --heldout "$out/heldout.jsonl" --judge "http://127.0.0.1:$port" --judge-model headstart-cloud \
  --out "$out/run" --quiet

# The judge's trials, read back as a study: the desktop study's analysis on the same records.
touch "$out/run/judge_trials.jsonl"
"$headstart" eval --prompts "$src/assets/prompts/smoke.jsonl" --limit 1 --baselines cloud-only \
  --cloud "http://127.0.0.1:$port" --study "$out/run/judge_trials.jsonl" --out "$out/study" --quiet

# One turn as `headstart ask --json` prints it (core/turn_json.h, the app's state spelling).
"$headstart" ask "How do I make a good cup of coffee?" --model "$fixtures/tiny.onnx" --tokenizer "$fixtures/tokenizer.json" \
  --cloud "http://127.0.0.1:$port" --fast --json >"$out/ask.json"

# The benchmarks' shape: the reference continuator over Vicuna-bench's own answers; two sets, the oracle.
"$cloud_bin" --host 127.0.0.1 --port 0 --continuator reference --references "$src/assets/prompts/vicuna_bench.jsonl" \
  --tokenizer "$fixtures/tokenizer.json" --profile wifi --concurrency 32 >"$out/ref-cloud.log" 2>&1 &
ref_pid=$!
ref_port=$(wait_port "$ref_pid" "$out/ref-cloud.log")
"$headstart" eval --prompts "$src/assets/prompts/smoke.jsonl,$src/assets/prompts/vicuna_bench.jsonl" --limit 3 \
  --models "$fixtures/tiny.onnx" --baselines canned,cloud-only,oracle --cloud "http://127.0.0.1:$ref_port" \
  --profiles wifi,lte --jobs 16 --out "$out/sets" --quiet

/usr/bin/python3 - "$out" <<'PY'
import json, math, sys
out = sys.argv[1]
s = json.load(open(f"{out}/run/summary.json"))
rows = [json.loads(l) for l in open(f"{out}/run/turns.jsonl")]
fails = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: fails.append(what)
check(s["prompts"] == 12 and s["errors"] == 0, "12 prompts, no errors")
check(len(rows) == 36, "36 per-prompt rows (3 systems x 12 prompts x 1 profile)")
check(set(s["systems"]) == {"tiny", "canned", "cloud-only"}, "systems: tiny, canned, cloud-only")
t = s["systems"]["tiny"]
ho = t["opener_latency_ms"]["handoff"]
check(ho["n"] == 12 and 0 <= ho["p50"] <= ho["p95"] <= ho["max"] < 5000, "opener latency percentiles ordered")
check(t["heldout"]["tokens"] > 100 and 1 < t["heldout"]["perplexity"] < 512, "held-out perplexity in (1, vocab)")
check(0 < t["distinct_1"] <= 1 and 0 <= t["distinct_2"] <= 1, "distinct-n in [0, 1]")
check(t["on_topic"]["n"] == 12 and 0 <= t["on_topic"]["p"] <= 1, "on-topic share over 12 openers")
check(sum(p["count"] for p in t["paths"]) == 12, "path counts add up to the turns")
check(all(k in t["join_defects"] for k in ("repeated_words", "doubled_spaces", "broken_words")), "join defect counts")
w = t["profiles"]["wifi"]
check(w["masked_ms"]["n"] == 12 and w["masked_ms"]["p50"] > 0, "masked latency under wifi > 0")
check(w["stall_ms"]["n"] == 12 and w["stall_ms"]["min"] >= 0, "stall under wifi")
c = s["systems"]["cloud-only"]["profiles"]["wifi"]
check(c["masked_ms"]["max"] == 0 and c["perceived_first_word_ms"]["p50"] > 200, "cloud only: nothing masked, first word after the cloud")
check(s["systems"]["canned"]["on_topic"]["p"] == 1.0, "the canned opener counts as a generic opener")
j = t["judge"]
check(j["n"] + j["unparsed"] == 12, "judge: every pair judged or reported unparsed")
st = json.load(open(f"{out}/study/summary.json"))["study"]
check(st["n"] == j["n"], "the judge's trials read back as a study, same count")
a = json.load(open(f"{out}/ask.json"))
check(a["question"] == "How do I make a good cup of coffee?" and a["phase"] == "done" and a["finished"], "ask --json: the whole turn")
check(len(a["opener_tokens"]) > 0 and all(0 <= t["prob"] <= 1 for t in a["opener_tokens"]), "ask --json: opener tokens with probabilities")
check(a["handoff"]["reason"] != "" and a["handoff"]["t_ms"] >= 0, f"ask --json: the handoff and why ({a['handoff']['reason']})")
check(a["prompt"]["tokens"] > 0 and a["prompt"]["reused"] == 0, "ask --json: the prompt, none of it read ahead (one-shot CLI)")
check(a["metrics"]["local_ttft_ms"] is not None and a["cloud_text"] != "" and not a["cloud_failed"], "ask --json: metrics and the cloud's text")
b = json.load(open(f"{out}/sets/summary.json"))
brows = [json.loads(l) for l in open(f"{out}/sets/turns.jsonl")]
check(set(b["sets"]) == {"smoke", "vicuna_bench"} and b["prompts"] == 6, "two prompt sets of 3, each in summary.json's sets")
check(b["sets"]["vicuna_bench"]["with_reference"] == 3 and b["sets"]["smoke"]["with_reference"] == 0, "references counted per set")
check(b["skipped"] == 6 and b["errors"] == 0 and b["turns"] == 42, "the oracle skips the 3 prompts without a reference (x 2 profiles)")
bo = b["sets"]["vicuna_bench"]["systems"]["oracle"]
check([(p["label"], p["count"]) for p in bo["paths"]] == [("continue", 6)], "oracle: the cloud continues the reference's own words")
check(bo["agreement_f1"]["n"] == 3 and bo["agreement_f1"]["mean"] > 0.3, "oracle: agrees with the reference's first 8 words")
check(b["sets"]["vicuna_bench"]["systems"]["canned"]["agreement_f1"]["mean"] == 0, "canned: no content word, agreement 0")
check(b["sets"]["smoke"]["systems"]["oracle"]["turns"] == 0, "no oracle turns where there is no reference")
sc = b["sets"]["smoke"]["systems"]["canned"]
check([p["label"] for p in sc["paths"]] == ["no-reference"] and sc["cloud_had_reference"]["p"] == 0,
      "a question the offline cloud has no reference for: no-reference, counted apart")
check(b["sets"]["vicuna_bench"]["systems"]["cloud-only"]["cloud_had_reference"]["p"] == 1, "the cloud knew every Vicuna question")
check(all(r["agreement"] is not None for r in brows if r["prompt_id"].startswith("vicuna") and r["kind"] != "cloud-only")
      and all(r["agreement"] is None for r in brows if not r["prompt_id"].startswith("vicuna")), "per-turn agreement where there is a reference")
md = open(f"{out}/sets/summary.md").read()
check("### vicuna_bench (3 prompts, 3 with a reference)" in md and "### smoke (3 prompts, 0 with a reference)" in md, "summary.md: one table per set")
print(f"{len(fails)} failed")
sys.exit(1 if fails else 0)
PY
