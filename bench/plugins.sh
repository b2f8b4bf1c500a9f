#!/usr/bin/env bash
# Plugin runtime benchmarks, each a ratio against a baseline measured in the same run.
#
#   bash bench/plugins.sh                 # 1,000,000 rows
#   ROWS=100000 bash bench/plugins.sh     # quick run
#
# 1. In process (cargo bench --bench plugins): instantiate + describe of a trivial indicator
#    (p50, p99), and a plugin summing one column of ROWS rows vs the same sum in the host.
# 2. Over HTTP, release build: GeoJSON export of ROWS rows through the geojson plugin vs the
#    native CSV export of the same rows (rows/s, median of 3 each, alternating), with the
#    server's peak RSS during each export (VmHWM reset before it).
# 3. Hot upgrade: wrk drives /api/indicators/bench-trivial for WRK_DURATION while versions
#    1.0.0 and 2.0.0 are posted alternately to /admin/plugins every UPGRADE_EVERY seconds;
#    counts failed requests (non-200 and socket errors) and which version answered.
#
# Output: bench/out/plugins.md, and the same on stdout.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
OUT="$BENCH_DIR/out"
ROWS="${ROWS:-1000000}"
WRK_DURATION="${WRK_DURATION:-10s}"
UPGRADE_EVERY="${UPGRADE_EVERY:-0.5}"
TOKEN="bench-admin-token-0123456789"
log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in curl cargo python3 wrk; do command -v "$tool" >/dev/null || die "$tool is not on PATH"; done
mkdir -p "$OUT"
RESULT="$OUT/plugins.md"
: > "$RESULT"
say() { echo "$*" | tee -a "$RESULT"; }

log "building logam (release) and the bench components"
(cd "$REPO" && cargo build --release -p logam)
(cd "$BENCH_DIR/plugins" && cargo build --release --target wasm32-wasip2 --quiet)
LOGAM="${CARGO_TARGET_DIR:-$REPO/target}/release/logam"
COMPONENTS="$BENCH_DIR/plugins/target/wasm32-wasip2/release"

say "# Plugin benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ROWS=$ROWS)"
say ""
say "## 1. In process"
(cd "$REPO" && BENCH_ROWS="$ROWS" cargo bench -p logam --bench plugins 2>/dev/null) | tee -a "$RESULT"
say ""

TMP="$(mktemp -d "${TMPDIR:-/tmp}/logam-bench-plugins.XXXXXX")"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

start() { # start DB [args...] -> sets URL and PID
    local db="$1"; shift
    "$LOGAM" serve --addr 127.0.0.1:0 --db "$db" "$@" >"$TMP/out.txt" 2>"$TMP/server.log" &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 1 300); do
        URL=$(grep -o 'http://[0-9.:]*' "$TMP/out.txt" 2>/dev/null | head -1 || true)
        [[ -n "$URL" ]] && return 0
        sleep 0.1
    done
    die "server did not start: $(cat "$TMP/server.log")"
}
peak_rss_kib() { grep VmHWM "/proc/$1/status" | awk '{print $2}'; }
reset_peak() { echo 5 > "/proc/$1/clear_refs"; }

# ---------------------------------------------------------------------------------------------
log "2. GeoJSON plugin vs native CSV export, $ROWS rows"
DB="$OUT/synthetic_${ROWS}.db"
if [[ ! -f "$DB" ]]; then
    "$LOGAM" gen --rows "$ROWS" --db "$DB" >&2
fi
cp "$DB" "$TMP/export.db"
start "$TMP/export.db"
curl -sf "$URL/api/datasets/synthetic_enterprises/rows.csv?_size=1" -o /dev/null || true
csv_times=(); geo_times=(); csv_rss=(); geo_rss=()
for run in 1 2 3; do
    reset_peak "$PID"
    t=$(curl -sf -o "$TMP/out.csv" -w '%{time_total}' "$URL/api/datasets/synthetic_enterprises/rows.csv")
    csv_times+=("$t"); csv_rss+=("$(peak_rss_kib "$PID")")
    reset_peak "$PID"
    t=$(curl -sf -o "$TMP/out.geojson" -w '%{time_total}' "$URL/api/datasets/synthetic_enterprises/rows.geojson")
    geo_times+=("$t"); geo_rss+=("$(peak_rss_kib "$PID")")
done
csv_lines=$(($(wc -l < "$TMP/out.csv") - 1))
features=$(python3 - "$TMP/out.geojson" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    doc = json.load(f)
assert doc["type"] == "FeatureCollection"
located = sum(1 for x in doc["features"] if x["geometry"] and x["geometry"]["type"] == "Point")
print(len(doc["features"]), located)
PY
)
read -r feature_count located_count <<<"$features"
[[ "$csv_lines" == "$ROWS" ]] || die "CSV had $csv_lines rows, expected $ROWS"
[[ "$feature_count" == "$ROWS" ]] || die "GeoJSON had $feature_count features, expected $ROWS"
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
csv_t=$(median "${csv_times[@]}"); geo_t=$(median "${geo_times[@]}")
csv_m=$(median "${csv_rss[@]}"); geo_m=$(median "${geo_rss[@]}")
python3 - "$ROWS" "$csv_t" "$geo_t" "$csv_m" "$geo_m" "$located_count" "$(stat -c %s "$TMP/out.csv")" "$(stat -c %s "$TMP/out.geojson")" <<'PY' | tee -a "$RESULT"
import sys
rows, csv_t, geo_t, csv_m, geo_m, located, csv_b, geo_b = sys.argv[1:]
rows = int(rows); csv_t = float(csv_t); geo_t = float(geo_t)
ratio = (rows / geo_t) / (rows / csv_t)
print("## 2. GeoJSON export through the plugin vs native CSV")
print(f"- native CSV: {csv_t:.2f} s, {rows/csv_t:,.0f} rows/s, {int(csv_b)/1e6:.0f} MB, server peak RSS {int(csv_m)/1024:.1f} MiB")
print(f"- GeoJSON plugin: {geo_t:.2f} s, {rows/geo_t:,.0f} rows/s, {int(geo_b)/1e6:.0f} MB ({located} located features), server peak RSS {int(geo_m)/1024:.1f} MiB")
print(f"- GeoJSON/CSV rows per second: {ratio:.2f} (target >= 0.30: {'met' if ratio >= 0.30 else 'NOT met'})")
PY
kill "$PID"; wait "$PID" 2>/dev/null || true
say ""

# ---------------------------------------------------------------------------------------------
log "3. hot upgrade under wrk"
start "$TMP/seeded.db" --admin-token "$TOKEN"
post() {
    curl -sf -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
        --data-binary @"$1" "$URL/admin/plugins"
}
[[ "$(post "$COMPONENTS/bench_trivial.wasm")" == 201 ]] || die "install of bench-trivial failed"
curl -sf "$URL/api/indicators/bench-trivial" -o /dev/null
(
    upgrades=0; failed=0
    end=$((SECONDS + ${WRK_DURATION%s}))
    while (( SECONDS < end )); do
        sleep "$UPGRADE_EVERY"
        # Versions only go up: 2.0.0 again after each rollback to 1.0.0.
        if (( upgrades % 2 == 0 )); then
            code=$(post "$COMPONENTS/bench_trivial_v2.wasm" || true); want=20[01]
        else
            code=$(curl -sf -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
                "$URL/admin/plugins/bench-trivial/rollback" || true); want=200
        fi
        [[ "$code" == $want ]] || failed=$((failed + 1))
        upgrades=$((upgrades + 1))
    done
    echo "$upgrades $failed" > "$TMP/upgrades.txt"
) &
UPGRADER=$!
wrk -t1 -c16 -d"$WRK_DURATION" -s "$BENCH_DIR/upgrade.lua" "$URL/api/indicators/bench-trivial" > "$TMP/wrk.txt"
wait "$UPGRADER"
read -r upgrades failed_upgrades < "$TMP/upgrades.txt"
tally=$(grep TALLY "$TMP/wrk.txt")
requests=$(grep -E 'requests in' "$TMP/wrk.txt" | awk '{print $1}')
rps=$(grep 'Requests/sec' "$TMP/wrk.txt" | awk '{print $2}')
say "## 3. Hot upgrade under load"
say "- $upgrades upgrades and rollbacks (1.0.0 → 2.0.0 → rollback) every ${UPGRADE_EVERY} s during $WRK_DURATION of wrk -c16; failed installs: $failed_upgrades"
say "- wrk: $requests requests, $rps req/s; $tally"
bad=$(sed -E 's/.*bad=([0-9]+).*/\1/' <<<"$tally"); errors=$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$tally")
if [[ "$bad" == 0 && "$errors" == 0 && "$failed_upgrades" == 0 ]]; then
    say "- failed requests: 0 (target: zero: met)"
else
    say "- failed requests: $bad non-200, $errors socket errors (target: zero: NOT met)"
fi
log "results in $RESULT"
