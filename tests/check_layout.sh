#!/usr/bin/env bash
# tests/check_layout.sh SOURCE_DIR — the include graph points down only (docs/architecture.md):
#   core <- native <- {desktop, cli, cloud};  core <- ui <- {desktop, wasm};  no front end includes
#   another (desktop, cli, cloud, wasm), and core/ includes no platform or GUI header.
# Prints every offending #include and fails if there is one.
set -uo pipefail
cd "${1:?usage: check_layout.sh SOURCE_DIR}"
allowed() {  # folder -> the folders its files may include from
  case "$1" in
    core)    echo "core" ;;
    native)  echo "core native" ;;
    ui)      echo "core ui" ;;
    cloud)   echo "core native cloud" ;;
    cli)     echo "core native cli" ;;
    desktop) echo "core native ui desktop" ;;
    wasm)    echo "core ui wasm" ;;
  esac
}
bad=0
for dir in core native ui cloud cli desktop wasm; do
  ok=$(allowed "$dir")
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
    top=${inc%%/*}
    [ "$top" = "$inc" ] && continue  # a generated or system header in quotes (shaders_embedded.h, imgui.h)
    case " $ok " in *" $top "*) ;; *) echo "$file includes $inc ($dir/ may include from: $ok)"; bad=1 ;; esac
  done < <(grep -Hn '^#include "' "$dir"/*.h "$dir"/*.cpp 2>/dev/null)
done
# core/ stays pure: no GUI, sockets, threads of a platform, files of a platform.
if grep -Hn -E '^#include <(imgui|SDL|GL/|httplib|onnxruntime|sqlite3|emscripten|unistd|sys/)' core/*.h core/*.cpp; then
  echo "core/ includes a platform header"; bad=1
fi
# Python: training/tokenizer.py and training/data.py must not import each other both ways.
if grep -q -E '^ *(from|import) +(training\.)?data\b' training/tokenizer.py &&
   grep -q -E '^ *(from|import) +(training\.)?tokenizer\b' training/data.py; then
  echo "training/data.py and training/tokenizer.py import each other"; bad=1
fi
[ "$bad" = 0 ] && echo "layout: every include points down"
exit "$bad"
