#!/usr/bin/env bash
# Renders the admin's HTML pages as a person sees them: the demo in a scratch copy of the
# repository, `report rejects --format html` and `report orders --format html`, each
# screenshotted by headless Chromium (Debian `chromium`) into OUT_DIR (default: /tmp).
#   Tests/Chromium/screenshot-reports.sh [OUT_DIR] [PUENTE_BINARY]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-/tmp}
puente=${2:-$root/.build/debug/puente}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$root/Samples" "$scratch/"
[ -f "$root/puente.toml" ] && cp "$root/puente.toml" "$scratch/"
(cd "$scratch" && "$puente" demo >/dev/null)
for report in rejects orders; do
    (cd "$scratch" && "$puente" report "$report" --format html --output "$report.html")
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1100 \
        --screenshot="$out/puente-$report.png" "file://$scratch/$report.html" 2>/dev/null
    echo "$out/puente-$report.png"
done
