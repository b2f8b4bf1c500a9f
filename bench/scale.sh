#!/usr/bin/env bash
# logam at scale (issue 13): the same requests on `logam gen` databases of growing size, side
# by side, with the edge cache off so every answer is computed.
#
#   bash bench/scale.sh                                  # 1,000,000 and 10,000,000 rows
#   SCALE_ROWS="100000 1000000" bash bench/scale.sh      # a quicker run
#
# Settings: SCALE_ROWS ["1000000 10000000"], REQUESTS [20] per page.
#
# Method, for each size:
# * a fresh database (`logam token list` seeds it, `logam gen --rows N` adds the synthetic
#   table); the release build serves it with `--edge-cache-mib 0`, so nothing is answered
#   from the cache, and `--rate-limit-per-minute 0`.
# * pages: the first answer and then REQUESTS more, one curl at a time on loopback
#   (`time_total`), for the default API page, a filtered API page, and the dataset's HTML page
#   unfiltered and filtered. Reported: the first, the median and the slowest.
# * the full CSV export: one curl writing to /dev/null; rows/s from the lines it holds (counted
#   by a second download through `wc -l`, so the timed one does nothing but read), the
#   server's CPU over the timed download, and the server's peak resident size (VmHWM) after
#   it, beside its resident size before the first request.
# * linearity: each size's seconds per million exported rows against the first size's.
# Output: bench/out/scale.md, and the same on stdout.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
OUT="$BENCH_DIR/out"
SCALE_ROWS="${SCALE_ROWS:-1000000 10000000}"
REQUESTS="${REQUESTS:-20}"
log() { printf '[scale %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
mkdir -p "$OUT"

log "building logam (release)"
(cd "$REPO" && cargo build --release -p logam)
LOGAM="${CARGO_TARGET_DIR:-$REPO/target}/release/logam"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/logam-scale.XXXXXX")"
SERVER_PID=""
cleanup() {
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
    sleep 0.5
    rm -rf "$TMP"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kib() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status"; }

# name | path
PAGES=(
    "default API page|/api/datasets/synthetic_enterprises/rows"
    "filtered API page|/api/datasets/synthetic_enterprises/rows?kecamatan=Mrebet"
    "dataset page (HTML)|/datasets/synthetic_enterprises"
    "filtered dataset page (HTML)|/datasets/synthetic_enterprises?kecamatan=Mrebet"
)
EXPORT=/api/datasets/synthetic_enterprises/rows.csv

# time_ms PATH: one request's total time in milliseconds; fails unless it answers 200.
time_ms() {
    local line
    line=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' "$BASE$1") || die "curl $1 failed"
    [[ "${line%% *}" == 200 ]] || die "$1 answered HTTP ${line%% *}"
    python3 -c "import sys; print(f'{float(sys.argv[1]) * 1000:.2f}')" "${line#* }"
}

REPORT="$OUT/scale.md"
PAGE_ROWS=()
EXPORT_ROWS=()
FIRST_S_PER_M=""
for rows in $SCALE_ROWS; do
    db="$TMP/scale-$rows.db"
    log "seeding and generating $rows rows"
    gen_started=$(date +%s.%N)
    "$LOGAM" token list --db "$db" >/dev/null
    "$LOGAM" gen --rows "$rows" --db "$db" >&2
    gen_s=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.0f}')" "$gen_started")
    size=$(du -m "$db" | cut -f1)

    LOGAM_LOG=warn "$LOGAM" serve --db "$db" --addr "127.0.0.1:$PORT" --edge-cache-mib 0 \
        --rate-limit-per-minute 0 >"$OUT/scale.$rows.stdout.log" 2>"$OUT/scale.$rows.log" &
    SERVER_PID=$!
    for _ in $(seq 600); do
        curl -fsS -o /dev/null --max-time 2 "$BASE/healthz" 2>/dev/null && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "logam exited during startup (see $OUT/scale.$rows.log)"
        sleep 0.1
    done
    rss_start=$(status_kib "$SERVER_PID" VmRSS)

    for page in "${PAGES[@]}"; do
        IFS='|' read -r name path <<<"$page"
        log "$rows rows: $name"
        first=$(time_ms "$path")
        times=()
        for _ in $(seq "$REQUESTS"); do times+=("$(time_ms "$path")"); done
        read -r median slowest < <(python3 -c '
import statistics, sys
values = [float(v) for v in sys.argv[1:]]
print(f"{statistics.median(values):.2f} {max(values):.2f}")' "${times[@]}")
        PAGE_ROWS+=("| $rows | $name | \`$path\` | $first | $median | $slowest |")
    done

    log "$rows rows: full CSV export"
    cpu0=$(cpu_ticks "$SERVER_PID")
    export_s=$(curl -sS -o /dev/null -w '%{time_total}' "$BASE$EXPORT") || die "export failed"
    cpu1=$(cpu_ticks "$SERVER_PID")
    hwm=$(status_kib "$SERVER_PID" VmHWM)
    lines=$(curl -sS "$BASE$EXPORT" | wc -l)
    exported=$((lines - 1))
    [[ "$exported" == "$rows" ]] || die "the export held $exported rows, not $rows"
    read -r rate s_per_m cpu_s < <(python3 -c '
import sys
seconds, rows, ticks, hz = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"{rows / seconds:.0f} {seconds / (rows / 1e6):.3f} {ticks / hz:.2f}")' \
        "$export_s" "$exported" "$((cpu1 - cpu0))" "$CLK_TCK")
    [[ -z "$FIRST_S_PER_M" ]] && FIRST_S_PER_M=$s_per_m
    linear=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$s_per_m" "$FIRST_S_PER_M")
    EXPORT_ROWS+=("| $rows | $size | $gen_s | $export_s | $rate | $s_per_m | $linear | $cpu_s | $((rss_start / 1024)) | $((hwm / 1024)) |")

    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    rm -f "$db" "$db-wal" "$db-shm"
done

{
    echo "# logam at scale ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$REPO" rev-parse --short HEAD))"
    echo
    echo "Release build, edge cache off. Pages: the first answer, then the median and slowest of $REQUESTS more (ms, curl on loopback). Targets on 10,000,000 rows: the default and a filtered page under 10 ms; the full CSV export at ≥ 1,000,000 rows/s with peak RSS under 100 MiB."
    echo
    echo "| rows | request | path | first ms | median ms | slowest ms |"
    echo "|---:|---|---|---:|---:|---:|"
    printf '%s\n' "${PAGE_ROWS[@]}"
    echo
    echo "| rows | file MiB | gen s | CSV export s | rows/s | s per M rows | vs first size | server CPU s | RSS before MiB | peak RSS MiB |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${EXPORT_ROWS[@]}"
} | tee "$REPORT"
