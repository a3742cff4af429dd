#!/usr/bin/env bash
# tests/speech_wav.sh — a spoken turn end to end (ctest cli.speech_wav): the shipped default μLM, a real
# headstart-cloud on 127.0.0.1 (reference continuator, the lte latency profile), `headstart ask --speech
# --wav --json`; then sox reads the WAV: its length is the JSON's, each heard word's stretch has sound,
# and the longest quiet run at the handoff (sox decodes, the script counts) is the JSON's and <= 300 ms.
#   tests/speech_wav.sh HEADSTART_CLOUD HEADSTART SOURCE_DIR OUT_DIR
set -euo pipefail
cloud_bin=$1; headstart=$2; src=$3; out=$4
rm -rf "$out"; mkdir -p "$out"
cd "$src"
source "$(dirname "${BASH_SOURCE[0]}")/reference_cloud.sh"
cloud_pid=""
trap '[ -n "$cloud_pid" ] && kill "$cloud_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
start_reference_cloud "$cloud_bin" "$src" "$out/cloud.log" lte
port=$cloud_port

"$headstart" ask "How can I improve my time management skills?" --cloud "http://127.0.0.1:$port" --speech \
  --wav "$out/turn.wav" --fast --json >"$out/turn.json"
# a bad rate or --wav without --speech: a clear error, no file
if "$headstart" ask "Hi" --cloud "http://127.0.0.1:$port" --speech --wav "$out/bad.wav" --speech-wpm 9 2>"$out/bad.err"; then
  echo "speech_wav: --speech-wpm 9 was accepted" >&2; exit 1; fi
grep -q "80..450" "$out/bad.err"
if "$headstart" ask "Hi" --cloud "http://127.0.0.1:$port" --wav "$out/bad.wav" 2>"$out/bad2.err"; then
  echo "speech_wav: --wav without --speech was accepted" >&2; exit 1; fi
grep -q "needs --speech" "$out/bad2.err"
[ ! -e "$out/bad.wav" ]

soxi "$out/turn.wav" >"$out/soxi.txt"
grep -q "Channels       : 1" "$out/soxi.txt"
grep -q "Sample Rate    : 22050" "$out/soxi.txt"
sox "$out/turn.wav" -t s16 -r 22050 -c 1 "$out/turn.raw"
/usr/bin/python3 - "$out" "$(soxi -D "$out/turn.wav")" <<'PY'
import array, json, sys
out, sox_seconds = sys.argv[1], float(sys.argv[2])
turn = json.load(open(f"{out}/turn.json"))
s = turn["speech"]
pcm = array.array("h", open(f"{out}/turn.raw", "rb").read())
rate = 22050
assert abs(sox_seconds * 1000 - s["duration_ms"]) < 5, (sox_seconds, s["duration_ms"])
words = s["words"]
assert len(words) >= 8, len(words)
assert any(w["origin"] == "device" for w in words) and any(w["origin"] == "cloud" for w in words), "opener and cloud words"
def loud(a, b):
    seg = pcm[int(a * rate / 1000):int(b * rate / 1000)]
    return sum(1 for x in seg if abs(x) > 0.01 * 32768) / max(1, len(seg))
for w in words:  # every word that lasts has sound in its stretch
    if w["end_ms"] - w["start_ms"] >= 150:
        assert loud(w["start_ms"], w["end_ms"]) > 0.2, w
assert loud(0, words[0]["start_ms"] - 5) == 0, "silence before the first word"
last_dev = max(w["start_ms"] for w in words if w["origin"] != "cloud" and w["start_ms"] < next(x["start_ms"] for x in words if x["origin"] == "cloud"))
first_cloud = next(w for w in words if w["origin"] == "cloud")
a, b = int(last_dev * rate / 1000), int(first_cloud["end_ms"] * rate / 1000)
run = best = 0
for x in pcm[a:b]:
    run = run + 1 if abs(x) <= 0.01 * 32768 else 0
    best = max(best, run)
silence = 1000 * best / rate
assert abs(silence - s["handoff_silence_ms"]) < 5, (silence, s["handoff_silence_ms"])
assert silence <= 300, f"a {silence:.0f} ms silence at the handoff under lte"
heard_first = words[0]["start_ms"]
handoff = next(e["t_ms"] for e in turn["events"] if e["kind"] == "handoff")
assert abs(heard_first - handoff) < 60, (heard_first, handoff)  # the opener is spoken the moment it is fixed
print(f"speech_wav: {len(words)} words, {s['duration_ms'] / 1000:.1f} s, first word at {heard_first:.0f} ms "
      f"(handoff {handoff:.0f} ms), silence at the handoff {silence:.0f} ms, {s['utterances']} utterances")
PY
