#!/usr/bin/env bash
# training/smoke.sh — CI smoke test of the training pipeline (see smoke.py). Ends with "N passed, M failed".
set -euo pipefail
exec /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/smoke.py" "$@"
