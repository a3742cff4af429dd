#!/usr/bin/env bash
# Runs the desktop app in a real window under Xvfb for FRAMES frames, then checks what it drew:
# the app's own PNG of the framebuffer, an X-side grab of the screen, and the app's state JSON.
#   desktop_screenshot.sh OUT_DIR FRAMES APP [EMULATOR...]   (the arm64 build runs it under qemu)
set -euo pipefail
out="$1"; frames="$2"; app="$3"; shift 3
run="${*:+$* }$app"
mkdir -p "$out"
png="$out/desktop.png"; grab="$out/desktop-xgrab.png"; state="$out/desktop-state.json"
rm -f "$png" "$grab" "$state"

# The app renders FRAMES frames and writes its framebuffer; meanwhile `import` grabs the X screen
# until the window shows something (the first grabs may come before its first frame).
xvfb-run -a -s "-screen 0 1280x800x24" bash -c "
  $run --size 1280x800 --frames $frames --screenshot '$png' --state '$state' &
  pid=\$!
  for i in \$(seq 1 600); do
    if xwininfo -root -tree 2>/dev/null | grep -q '\"Headstart\"'; then
      import -window root '$grab'
      [ \$(identify -format '%k' '$grab') -ge 50 ] && break
    fi
    kill -0 \$pid 2>/dev/null || break
    sleep 0.05
  done
  wait \$pid"

fail() { echo "FAIL: $*"; exit 1; }
[ -s "$png" ] || fail "the app wrote no screenshot"
[ "$(identify -format '%wx%h' "$png")" = "1280x800" ] || fail "screenshot is not 1280x800"
# Non-blank: many distinct colours and a real spread of brightness, in both captures.
for f in "$png" "$grab"; do
  colors=$(identify -format '%k' "$f")
  sd=$(convert "$f" -colorspace Gray -format '%[fx:int(1000*standard_deviation)]' info:)
  echo "$(basename "$f"): $colors colours, brightness stddev ${sd}/1000"
  [ "$colors" -ge 50 ] || fail "$f has only $colors colours (blank?)"
  [ "$sd" -ge 20 ] || fail "$f is nearly uniform (stddev $sd/1000)"
done
cat "$state"
grep -q '"shader_ok":true' "$state" || fail "the backdrop shader did not build"
grep -q "\"frames\":$frames" "$state" || fail "the app did not render $frames frames"
echo "desktop screenshot ok: $png"
