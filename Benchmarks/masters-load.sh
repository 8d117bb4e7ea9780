#!/usr/bin/env bash
# Times `puente masters load` on the benchmark masters: 50,000 products and 1,000,000 prices,
# first into an empty store, then the same dumps again (which must change nothing).
#   Benchmarks/masters-load.sh [WORK_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$root/Benchmarks/work}
mkdir -p "$work"
[ -f "$work/masters/prices.csv" ] || python3 "$root/Benchmarks/generate.py" "$work"
swift build -c release --package-path "$root" >/dev/null
puente="$root/.build/release/puente"
load="$work/products-and-prices"
mkdir -p "$load"
cp "$work/masters/price_lists.csv" "$work/masters/products.csv" "$work/masters/prices.csv" "$load/"
cd "$work"
for run in 1 2 3; do
    rm -f puente.sqlite puente.sqlite-wal puente.sqlite-shm puente.sqlite.key
    first=$( { /usr/bin/time -f "%e s, %M KB" "$puente" --quiet masters load "$load"; } 2>&1 )
    again=$( { /usr/bin/time -f "%e s, %M KB" "$puente" --quiet masters load "$load"; } 2>&1 )
    echo "run $run: first load $first; same dumps again $again"
done
