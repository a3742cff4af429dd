# scripts/lib/cloud.sh — sourced by scripts/eval and scripts/quant_candidates: one headstart-cloud on a
# free 127.0.0.1 port, stopped when the sourcing script exits.
#   start_cloud BIN LOG ARGS...     sets $cloud (http://127.0.0.1:PORT) and $cloud_pid; exits on failure
cloud_pid=""
stop_cloud() { [ -n "$cloud_pid" ] && kill "$cloud_pid" 2>/dev/null && wait "$cloud_pid" 2>/dev/null; return 0; }
trap stop_cloud EXIT
start_cloud() {
  local bin=$1 log=$2 port=""
  shift 2
  "$bin" --host 127.0.0.1 --port 0 "$@" >"$log" 2>&1 &
  cloud_pid=$!
  for _ in $(seq 1 600); do
    port=$(sed -nE 's|^headstart-cloud: http://127\.0\.0\.1:([0-9]+)/.*|\1|p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$cloud_pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "$(basename "$0"): headstart-cloud did not report its port" >&2; exit 1; }
  cloud=http://127.0.0.1:$port
}
