#!/usr/bin/env bash
# Drives the desktop app with a --script under Xvfb against a real headstart-cloud (the tiny model
# the build trains, on a free 127.0.0.1 port), then checks what the app did and drew.
#   desktop_turn.sh MODE OUT_DIR APP CLOUD FIXTURE_DIR
#   MODE turn:  the question sits in the box (the μLM reads it ahead), is asked (screenshot
#               mid-turn and at the end; the turn reuses what was read), then races the same app
#               "cloud only" vs "μLM + cloud"; asserts the state JSON (opener tokens, handoff,
#               path, cloud text, WordShown events, shaded lanes, the race) and non-blank pictures
#   MODE study: one blind A/B pair, rated; the app is then killed with SIGKILL and the rating
#               must be in the SQLite database; the CSV export must hold it too
set -euo pipefail
mode="$1"; out="$2"; app="$3"; cloud="$4"; fixtures="$5"
PY=/usr/bin/python3  # Debian's python (json, sqlite3)
mkdir -p "$out"
work="$(mktemp -d /tmp/headstart-desktop-XXXXXX)"
cloud_pid=""
cleanup() { [ -n "$cloud_pid" ] && kill "$cloud_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$cloud" --model "$fixtures/tiny.onnx" --tokenizer "$fixtures/tokenizer.json" --profile lte --port "$port" \
  >"$out/cloud-$mode.log" 2>&1 &
cloud_pid=$!
for _ in $(seq 1 100); do
  $PY -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null && break
  kill -0 "$cloud_pid" 2>/dev/null || fail "headstart-cloud did not start: $(cat "$out/cloud-$mode.log")"
  sleep 0.1
done

# Non-blank: many distinct colours and a real spread of brightness, 1280x800.
check_png() {
  [ -s "$1" ] || fail "no screenshot $1"
  [ "$(identify -format '%wx%h' "$1")" = "1280x800" ] || fail "$1 is not 1280x800"
  local colors sd
  colors=$(identify -format '%k' "$1")
  sd=$(convert "$1" -colorspace Gray -format '%[fx:int(1000*standard_deviation)]' info:)
  echo "$(basename "$1"): $colors colours, brightness stddev ${sd}/1000"
  [ "$colors" -ge 200 ] || fail "$1 has only $colors colours (blank?)"
  [ "$sd" -ge 20 ] || fail "$1 is nearly uniform (stddev $sd/1000)"
}

case "$mode" in
turn)
  cat >"$work/turn.script" <<EOF
set endpoint http://127.0.0.1:$port
set profile lte
set max_tokens 40
set pace 220
set question How do I make a good cup of coffee?
wait 1500 ms
wait preread 30
wait 500 ms
state $out/typed.json
ask How do I make a good cup of coffee?
wait cloud_token 30
wait 200 ms
screenshot $out/turn-mid.png
state $out/turn-mid.json
wait done 60
state $out/turn.json
race Why is the sky blue?
wait race_done 60
wait 300 ms
state $out/race.json
screenshot $out/race.png
EOF
  rm -f "$out"/turn-mid.* "$out"/turn.json "$out"/race.*
  xvfb-run -a -s "-screen 0 1280x800x24" "$app" --size 1280x800 --fps 30 --script "$work/turn.script" \
    --study-db "$work/study.sqlite" --screenshot "$out/turn-end.png" 2>"$out/desktop-turn.log" \
    || { cat "$out/desktop-turn.log"; fail "the app's script failed"; }
  cat "$out/desktop-turn.log"
  check_png "$out/turn-mid.png"
  check_png "$out/race.png"
  $PY - "$out" <<'EOF' || fail "state assertions"
import json, sys
out = sys.argv[1]
def load(name):
    with open(f"{out}/{name}") as f:
        return json.load(f)
def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond: sys.exit(1)

end = load("turn.json"); t = end["turn"]
check(t is not None and t["question"] == "How do I make a good cup of coffee?", "the turn ran the question")
typed = load("typed.json")
check(typed["preread_tokens"] > 0, f"the question in the box was read ahead ({typed['preread_tokens']} tokens)")
# After the pause the whole prompt was read (ChatML tail included): Enter runs its last token only.
check(end["prompt_reused"] == typed["preread_tokens"] - 1 == end["prompt_tokens"] - 1,
      f"the turn took {end['prompt_reused']} of its {end['prompt_tokens']} prompt tokens from the cache")
check(not end["turn_error"] and not t["cloud_failed"], "the turn did not fail: " + (t["failure"] or end["turn_error"]))
check(len(t["opener_tokens"]) > 0 and all(x["alternatives"] for x in t["opener_tokens"]),
      f"{len(t['opener_tokens'])} opener tokens, each with alternatives")
check(t["opener"].strip() != "", f"opener {t['opener']!r}")
h = t["handoff"]
check(h is not None and h["t_ms"] >= 0 and h["opener"] == t["opener"], f"handoff at {h and h['t_ms']:.1f} ms")
check(t["path"] in {"continue", "gate", "pivot", "rewrite", "gate+pivot", "gate+rewrite"}, f"path {t['path']}")
check(t["cloud_text"].strip() != "", f"cloud text {t['cloud_text'][:60]!r}")
check(t["event_counts"].get("word_shown", 0) > 0 and t["words_shown"] == t["event_counts"]["word_shown"],
      f"{t['words_shown']} WordShown events")
check(t["shown_text"].strip() != "" and t["finished"], "every word shown")
m = t["metrics"]
check(m["local_ttft_ms"] is not None and m["cloud_ttft_ms"] is not None and m["perceived_first_word_ms"] is not None,
      f"metrics: local TTFT {m['local_ttft_ms']:.1f} ms, cloud TTFT {m['cloud_ttft_ms']:.0f} ms")
check(end["font"] == "ttf" or end["font"] == "builtin", f"font {end['font']}")

mid = load("turn-mid.json")
check(mid["turn"] is not None and mid["turn"]["phase"] in ("cloud", "done"), f"mid-turn phase {mid['turn'] and mid['turn']['phase']}")
check(mid["lanes_shader_ok"] and mid["shader_ok"], "the backdrop and lane shaders built")
check(mid["turn"]["spans"]["masked"] is not None and mid["shaded_spans"] >= 1,
      f"masked latency shaded ({mid['shaded_spans']} spans) {mid['turn']['spans']['masked']}")

race = load("race.json")["race"]
check(race["done"], "the race finished")
hs, co = race["headstart"]["turn"], race["cloud_only"]["turn"]
check(hs["opener_source"] == "mulm" and co["opener_source"] == "none", "one μLM + cloud turn, one cloud only")
check(hs["question"] == co["question"] == "Why is the sky blue?", "the same question")
fh, fc = hs["metrics"]["perceived_first_word_ms"], co["metrics"]["perceived_first_word_ms"]
check(fh is not None and fc is not None and fh < fc, f"first word: μLM + cloud {fh:.0f} ms < cloud only {fc:.0f} ms")
check(co["handoff"]["tokens_in_opener"] == 0 and co["opener_tokens"] == [], "cloud only has no opener")
EOF
  ;;
study)
  db="$work/study.sqlite"
  cat >"$work/study.script" <<EOF
set endpoint http://127.0.0.1:$port
set profile wifi
set max_tokens 16
set pace 400
view study
study participant ctest
study next
wait study_rating 90
screenshot $out/study.png
study rate b
wait study_idle
study export
state $out/study.json
wait 600 s
EOF
  rm -f "$out"/study.png "$out"/study.json
  # The script ends in a long wait: the app is killed (SIGKILL, no clean-up) once it has rated.
  xvfb-run -a -s "-screen 0 1280x800x24" bash -c "
    '$app' --size 1280x800 --fps 30 --script '$work/study.script' --study-db '$db' 2>'$out/desktop-study.log' &
    pid=\$!
    for i in \$(seq 1 1500); do [ -s '$out/study.json' ] && break; kill -0 \$pid 2>/dev/null || break; sleep 0.1; done
    sleep 0.2
    kill -9 \$pid 2>/dev/null
    wait \$pid 2>/dev/null || true"
  cat "$out/desktop-study.log"
  [ -s "$out/study.json" ] || fail "the study script did not finish"
  check_png "$out/study.png"
  $PY - "$out" "$db" <<'EOF' || fail "study assertions"
import json, sqlite3, sys
out, db = sys.argv[1], sys.argv[2]
def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond: sys.exit(1)
s = json.load(open(f"{out}/study.json"))["study"]
check(s["trials"] == 1 and s["summary"]["n"] == 1 and s["durable"], f"one durable trial ({s['store']})")
check(s["last_pair"]["a"] != s["last_pair"]["b"], f"A = {s['last_pair']['a']}, B = {s['last_pair']['b']}")
check(s["last_pair"]["a_words"] > 0 and s["last_pair"]["b_words"] > 0, "both answers were recorded")
rows = sqlite3.connect(db).execute("SELECT participant, rating, preferred, a, b, record FROM trials").fetchall()
check(len(rows) == 1, f"{len(rows)} row in SQLite after SIGKILL")
participant, rating, preferred, a, b, record = rows[0]
rec = json.loads(record)
check(participant == "ctest" and rating == "b_better", f"{participant}: {rating} -> prefers {preferred}")
check(preferred == ("headstart" if b == "headstart" else "cloud_only"), "the preference follows the blind order")
check(all(w["t"] >= 0 for w in rec["a"]["words"] + rec["b"]["words"]) and rec["a"]["words"] and rec["b"]["words"],
      "the replays (word times) are stored")
csv = open(s["last_export"], encoding="utf-8").read().splitlines()
check(len(csv) == 2 and csv[0].startswith("created_at,participant,trial,question"), f"CSV {s['last_export']}")
EOF
  ;;
*)
  fail "unknown mode $mode (turn or study)"
  ;;
esac
echo "desktop $mode ok"
