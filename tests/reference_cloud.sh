#!/usr/bin/env bash
# tests/reference_cloud.sh — sourced by the spoken-turn tests (speech_wav.sh, desktop_speech.sh): starts a
# real headstart-cloud on 127.0.0.1 with the reference continuator (the shipped corpus and tokenizer, run
# from the source tree) under a latency profile, and waits for the port it prints.
#   start_reference_cloud CLOUD_BIN SOURCE_DIR LOG PROFILE   -> sets cloud_pid and cloud_port
# The caller's EXIT trap should kill "$cloud_pid".
start_reference_cloud() {
  local bin=$1 src=$2 log=$3 profile=$4
  (cd "$src" && exec "$bin" --host 127.0.0.1 --port 0 --continuator reference \
     --references assets/reference/answers.jsonl.gz --tokenizer assets/models/tokenizer.json \
     --profile "$profile") >"$log" 2>&1 &
  cloud_pid=$!
  cloud_port=""  # the reference corpus loads in ~1 s, several under the sanitizers and a loaded machine: up to 60 s
  for _ in $(seq 1 600); do
    cloud_port=$(sed -nE 's|^headstart-cloud: http://127\.0\.0\.1:([0-9]+)/.*|\1|p' "$log" | head -1)
    [ -n "$cloud_port" ] && return 0
    kill -0 "$cloud_pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "headstart-cloud printed no port (see $log)" >&2
  return 1
}
