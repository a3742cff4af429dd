#!/usr/bin/env bash
# training/session.sh — one session's segment of a μLM's training, continued from the committed resume point.
#
#   training/session.sh SIZE MINUTES [extra train.py flags]     SIZE: 8m | 16m | 28m
#
# Start it in the background at the start of a session; it checkpoints every ~200 steps into
# build/training/run-SIZE (in-session resume: rerun the same line) and rewrites training/runs/SIZE/
# (resume.pt: bf16 weights; segments.csv: one row per segment; log.csv; loss.png). Commit that folder
# once, at the end of the session (each commit of resume.pt stays in git's history). Then:
#   /usr/bin/python3 training/export.py --run build/training/run-SIZE --out assets/models --name mulm-SIZE --formats int8
#   scripts/eval --quality                     # eval figures + cards (assets/models/README.md)
# Restarting a segment from scratch: train.py's --save-every also rewrites training/runs/SIZE/ mid-segment,
# and a stale build/training/run-SIZE is resumed as is, so: kill it, rm -rf build/training/run-SIZE,
# git checkout training/runs/SIZE, start again. Never SIGSTOP it to free the CPU: --minutes is wall time
# (a 60-minute stop in 16m segment 2 spent an hour of its budget at 50 tokens/s on the decay's tail).
# A resumed segment re-warms to the peak lr: 1.5e-3 spiked the 8m's held-out loss (3.01 -> 3.36 at step
# 200); --sft-lr 6e-4 did not (2.99 -> 3.08), so pass it for continued segments.
# The tokenizer is the committed assets/models/tokenizer.json (trained once from train/chat + chat_extra:
# every size and session must share it); the shards are rebuilt from ../shared/data/train with the mix
# training/mix/chat-v2.json (chat-v1 for the first segments), the same bytes every time. Nothing under ../shared/data/eval is read.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
SIZE="${1:?usage: training/session.sh SIZE MINUTES [train.py flags]}"
MINUTES="${2:?usage: training/session.sh SIZE MINUTES [train.py flags]}"
shift 2
DATA="${DATA:-$ROOT/../shared/data/train}"
MIX="${MIX:-training/mix/chat-v2.json}"
WORK=build/training
mkdir -p "$WORK"
tok=assets/models/tokenizer.json
if [ ! -f "$tok" ]; then
  tok=$WORK/tokenizer-8192.json
  [ -f "$tok" ] || $PY training/train_tokenizer.py --data "$DATA/chat" "$DATA/chat_extra" --vocab-size 8192 --out "$tok"
fi
prep=$WORK/data-8192-$(basename "$MIX" .json)
[ -f "$prep/manifest.json" ] || $PY training/data.py --data "$DATA/chat" "$DATA/chat_extra" --tokenizer "$tok" \
                                  --mix "$MIX" --workers 2 --out "$prep"
case "$SIZE" in   # per size: batch and peak lr (4,096 tokens per step at seq 256)
  8m)  lr=1.5e-3 ;;
  16m) lr=1.0e-3 ;;
  28m) lr=8e-4 ;;
  *) echo "training/session.sh: unknown size $SIZE" >&2; exit 2 ;;
esac
# Measured on this 2-core VM, 8m, bf16 (2026-12-02, steps 10-30 of segment 4, nothing else running):
# 1,026 tokens/s as it was; 1,362 with glibc malloc kept from returning memory to the kernel (17 % of the time
# went to faulting in freshly cleared pages); 1,483 with OpenMP threads spinning ~30k rounds before they sleep
# instead of sleeping at once (train.py's PASSIVE default, kept for runs that share the CPU).
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-4294967296}" MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-68719476736}"
export MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_:-1073741824}" GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-30000}"
exec $PY training/train.py --config "$SIZE" --data "$prep" --out "$WORK/run-$SIZE" --resume "training/runs/$SIZE" \
  --minutes "$MINUTES" --opener-frac 0.6 --opener-tokens 24 --prompt-weight 0.25 --seq-len 256 --batch-size 16 \
  --sft-lr "$lr" --sft-warmup 100 --eval-every 200 --save-every 200 --eval-windows 200 "$@"
