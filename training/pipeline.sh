#!/usr/bin/env bash
# training/pipeline.sh — the whole pipeline for one config, each step skipped when its output exists:
#   train_tokenizer.py -> data.py -> train.py (resumes) -> export.py (fp32 + int8 + cards) -> parity.py
#
#   training/pipeline.sh CONFIG [extra train.py flags...]       CONFIG: 8m | 16m | 28m | tiny
# Environment (defaults in brackets):
#   DATA   data folder [../shared/data/train]          WORK  build folder [build/training]
#   VOCAB  tokenizer vocabulary [8192]           NAME  model name [headstart-CONFIG]
#   OUT    export folder [$WORK/export]          DEVICE auto | cpu | cuda [auto]
#   INT8_STYLE  dq (DequantizeLinear) | cast (Cast+Mul) [dq]
# Example: DATA=../shared/data/train training/pipeline.sh 28m --pretrain-steps 20000 --sft-steps 2000 --batch-size 64
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3   # e.g. a CUDA machine with its own Python
CONFIG="${1:?usage: training/pipeline.sh CONFIG [train.py flags...]}"; shift
DATA="${DATA:-$ROOT/../shared/data/train}"
WORK="${WORK:-build/training}"
VOCAB="${VOCAB:-8192}"
NAME="${NAME:-headstart-$CONFIG}"
OUT="${OUT:-$WORK/export}"
DEVICE="${DEVICE:-auto}"
INT8_STYLE="${INT8_STYLE:-dq}"

if [ ! -d "$DATA" ]; then
  echo "pipeline: data folder $DATA does not exist (set DATA=...; see training/README.md)" >&2
  exit 2
fi
mkdir -p "$WORK"
tok="$WORK/tokenizer-$VOCAB.json"
prep="$WORK/data-$VOCAB"
run="$WORK/run-$CONFIG"

[ -f "$tok" ] || $PY training/train_tokenizer.py --data "$DATA" --vocab-size "$VOCAB" --out "$tok" \
                   --fixture "$WORK/tokenizer_fixture-$VOCAB.json"
[ -f "$prep/manifest.json" ] || $PY training/data.py --data "$DATA" --tokenizer "$tok" --out "$prep"
$PY training/train.py --config "$CONFIG" --data "$prep" --out "$run" --device "$DEVICE" "$@"
$PY training/export.py --run "$run" --out "$OUT" --name "$NAME" --int8-style "$INT8_STYLE"
$PY training/parity.py --run "$run" --onnx "$OUT/$NAME.onnx" "$OUT/$NAME-int8.onnx"
