#!/usr/bin/env bash
# Take docs/report-example.png again from the current code: `qfund report` of the example
# batch, opened in headless Chromium filtered to its rejections (report.html#outcome=rejected),
# 1280x1600 pixels, as docs/auditors.md shows and describes it.
#
#   tools/report-example.sh              # writes docs/report-example.png
#   PYTHON=.venv/bin/python tools/report-example.sh
#
# Needs Debian's chromium (as tests/browser does). The picture is made smaller with
# pngquant (256 colours, quality 80-100: it looks the same) and optipng (lossless) where
# they are installed (apt-get install pngquant optipng); without them it is written as
# Chromium takes it, about 280 KB instead of about 100 KB.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "report-example: headless Chromium is needed (Debian: apt-get install chromium)" >&2
  exit 2
fi
OUT=docs/report-example.png
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The checkout's code and rule files, not an installed qfund's.
PYTHONPATH=src "$PY" -m qfund_rules report examples/claims-2027.yaml --rules rules \
  --out "$WORK/report.html"
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/profile" \
  --hide-scrollbars --window-size=1280,1600 --virtual-time-budget=5000 \
  --screenshot="$WORK/shot.png" "file://$WORK/report.html#outcome=rejected" 2>/dev/null

if command -v pngquant >/dev/null 2>&1; then
  pngquant --quality=80-100 --speed 1 --strip --force --output "$WORK/small.png" -- "$WORK/shot.png"
  mv "$WORK/small.png" "$WORK/shot.png"
else
  echo "report-example: pngquant not installed; the picture is not reduced to 256 colours" >&2
fi
if command -v optipng >/dev/null 2>&1; then
  optipng -quiet -o7 -strip all "$WORK/shot.png"
else
  echo "report-example: optipng not installed; the picture is not recompressed" >&2
fi
mv "$WORK/shot.png" "$OUT"
echo "wrote $OUT: $(wc -c <"$OUT") bytes"
