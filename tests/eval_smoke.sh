#!/usr/bin/env bash
# tests/eval_smoke.sh — `headstart eval` end to end on the smoke prompt set (ctest eval.smoke):
# a real headstart-cloud on a free 127.0.0.1 port (the tiny test model), the tiny μLM against the
# canned and cloud-only baselines under the wifi profile, held-out perplexity on the fixture
# corpus's held-out split, the judge path, and the study analysis of the judge's trials; then the
# summary's fields are checked to exist and be sane; then one `headstart ask --json` turn.
#   tests/eval_smoke.sh HEADSTART_CLOUD HEADSTART FIXTURE_DIR SOURCE_DIR OUT_DIR
set -euo pipefail
cloud_bin=$1; headstart=$2; fixtures=$3; src=$4; out=$5
rm -rf "$out"; mkdir -p "$out"

"$cloud_bin" --host 127.0.0.1 --port 0 --model "$fixtures/tiny.onnx" --tokenizer "$fixtures/tokenizer.json" \
  --concurrency 8 >"$out/cloud.log" 2>&1 &
cloud_pid=$!
trap 'kill "$cloud_pid" 2>/dev/null || true; wait "$cloud_pid" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 100); do
  port=$(sed -nE 's|^headstart-cloud: http://127\.0\.0\.1:([0-9]+)/.*|\1|p' "$out/cloud.log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$cloud_pid" 2>/dev/null || { cat "$out/cloud.log"; echo "eval_smoke: headstart-cloud did not start"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "eval_smoke: no port in the cloud's log"; exit 1; }

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
print(f"{len(fails)} failed")
sys.exit(1 if fails else 0)
PY
