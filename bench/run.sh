#!/usr/bin/env bash
# logam vs Datasette 0.65 on the same SQLite file, same machine, same run.
#
#   bash bench/run.sh                          # 1,000,000 rows, wrk 10 s per scenario
#   ROWS=100000 WRK_DURATION=3s WRK_WARMUP=1s bash bench/run.sh   # quick run
#
# Settings (environment variables, defaults in brackets):
#   ROWS [1000000]            rows in the synthetic table (db reused when the count matches)
#   WRK_THREADS [1]           wrk threads
#   WRK_CONNECTIONS [16]      wrk connections
#   WRK_DURATION [10s]        measured duration of each wrk run
#   WRK_WARMUP [3s]           unmeasured wrk run just before each measured one
#   LATENCY_RUNS [50]         sequential curl requests for the default-page latency
#   EXPORT_TIMEOUT [1800]     seconds allowed for one full CSV export
#
# Output: the result table on stdout and in bench/out/results.md; raw wrk output in
# bench/out/wrk_*.txt; server logs in bench/out/*.log.
#
# Method decisions (also written into results.md):
# * Datasette runs with `-i FILE` (immutable mode). That is how Datasette recommends serving
#   published, read-only data and it is its fastest mode: connections are opened with
#   `?immutable=1` (no file locking, no change detection, table counts cached). logam serves
#   the same file read-write (WAL) as it does in production, so the comparison is
#   conservative for logam. The one non-default Datasette setting is `max_csv_mb 0`, which
#   lifts the 100 MB cap on CSV exports (a cap, not a speed knob) so both servers export all
#   rows.
# * The single-row scenario varies the id on every request (bench/report.lua: a fixed,
#   scattered sequence over 1..ROWS, identical for both servers), so it measures lookups
#   across the whole table rather than one hot cached row.
# * The database file is read once before the servers start, so both find it in the page
#   cache. Servers are loaded one at a time; the idle one uses no CPU.
# * Peak RSS during an export: VmHWM is reset right before the export (writing 5 to
#   /proc/PID/clear_refs) and read right after it, so it is the peak of that export alone;
#   a 20 Hz sampler also records the largest anonymous and file-backed parts (memory-mapped
#   database pages count as file-backed RSS).
# * The script never adjusts numbers: it prints MET / NOT MET per target from what was
#   measured. It exits non-zero only when something failed to run or a response was wrong
#   (including any non-2xx response or socket error during a wrk run); a missed target
#   alone does not make it fail.
# * `datasette serve` always runs uvicorn at log level info, so Datasette writes one access-log
#   line per request (to bench/out/datasette.log); it has no switch to turn that off, and we
#   run it stock. At Datasette's ~2 ms of CPU per request that line costs well under 2 %.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
OUT="$BENCH_DIR/out"
VENV="$BENCH_DIR/.venv"
LUA="$BENCH_DIR/report.lua"

ROWS="${ROWS:-1000000}"
WRK_THREADS="${WRK_THREADS:-1}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-16}"
SQL_CONNECTIONS="${SQL_CONNECTIONS:-2}"
WRK_DURATION="${WRK_DURATION:-10s}"
WRK_WARMUP="${WRK_WARMUP:-3s}"
LATENCY_RUNS="${LATENCY_RUNS:-50}"
EXPORT_TIMEOUT="${EXPORT_TIMEOUT:-1800}"
DATASETTE_PIN='0.65.*'
KECAMATAN=Bobotsari
DATASET=synthetic_enterprises

START_EPOCH=$(date +%s)
log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || die "ROWS must be a positive integer, got '$ROWS'"
(( ROWS >= 100 )) || die "ROWS must be at least 100 (scenario (a) needs 100 matching rows)"

# ---------------------------------------------------------------------------------------------
# 1. Tools
# ---------------------------------------------------------------------------------------------
for tool in curl cargo python3; do
    command -v "$tool" >/dev/null || die "$tool is not on PATH"
done
if ! command -v wrk >/dev/null; then
    log "installing wrk (Debian package)"
    SUDO=""
    [[ "$(id -u)" == 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
command -v wrk >/dev/null || die "wrk is still missing after apt-get install"

datasette_ok() {
    [[ -x "$VENV/bin/datasette" ]] && "$VENV/bin/datasette" --version 2>/dev/null | grep -q 'version 0\.65\.'
}
if ! datasette_ok; then
    log "installing datasette==$DATASETTE_PIN into $VENV"
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "datasette==$DATASETTE_PIN"
    datasette_ok || die "datasette 0.65 did not install into $VENV"
fi

# ---------------------------------------------------------------------------------------------
# 2. Build and data
# ---------------------------------------------------------------------------------------------
log "building logam (release)"
(cd "$REPO" && cargo build --release -p logam)
LOGAM="${CARGO_TARGET_DIR:-$REPO/target}/release/logam"
[[ -x "$LOGAM" ]] || die "no logam binary at $LOGAM"
LOGAM_SHA="$(sha256sum "$LOGAM" | head -c 12)"   # others may rebuild it while we run

mkdir -p "$OUT"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/logam-bench.XXXXXX")"
DB_NAME="synthetic_${ROWS}"
DB="$OUT/$DB_NAME.db"

# Prints the row count of the synthetic table, or nothing if the file is not usable.
count_rows() {
    python3 - "$1" <<'PY' 2>/dev/null || true
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(con.execute("select count(*) from synthetic_enterprises").fetchone()[0])
PY
}
# Moves everything in the WAL into the main file, so a reader in immutable mode (which
# ignores the WAL) sees all rows. Fails if that cannot be done.
checkpoint() {
    python3 - "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
busy, log_frames, done = con.execute("pragma wal_checkpoint(TRUNCATE)").fetchone()
con.close()
if busy:
    sys.exit(f"checkpoint of {sys.argv[1]} was blocked (busy={busy}, {log_frames} frames)")
PY
}

if [[ -f "$DB" && "$(count_rows "$DB")" == "$ROWS" ]]; then
    log "reusing $DB ($ROWS rows)"
else
    log "generating $ROWS rows into $DB"
    rm -f "$DB" "$DB-wal" "$DB-shm" "$OUT/$DB_NAME.tmp.db"{,-wal,-shm}
    "$LOGAM" gen --rows "$ROWS" --db "$OUT/$DB_NAME.tmp.db" >&2
    checkpoint "$OUT/$DB_NAME.tmp.db"
    rm -f "$OUT/$DB_NAME.tmp.db-wal" "$OUT/$DB_NAME.tmp.db-shm"
    mv "$OUT/$DB_NAME.tmp.db" "$DB"
    [[ "$(count_rows "$DB")" == "$ROWS" ]] || die "generated database does not hold $ROWS rows"
fi
DB_BYTES=$(stat -c %s "$DB")
cat "$DB" >/dev/null   # into the page cache for both servers

# ---------------------------------------------------------------------------------------------
# 3. Servers
# ---------------------------------------------------------------------------------------------
PIDS=()
cleanup() {
    local rc=$?
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
        wait "$pid" 2>/dev/null || true
    done
    [[ -n "${SAMPLER_PID:-}" ]] && kill "$SAMPLER_PID" 2>/dev/null || true
    rm -rf "$TMP"
    (( rc == 0 )) || log "failed (exit $rc); servers stopped"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r LOGAM_PORT DS_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

wait_http() { # URL PID NAME
    local i
    for i in $(seq 1200); do
        kill -0 "$2" 2>/dev/null || die "$3 exited during startup (see $OUT/$3.log)"
        curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    die "$3 did not answer $1 within 120 s"
}

LOGAM_BASE="http://127.0.0.1:$LOGAM_PORT"
DS_BASE="http://127.0.0.1:$DS_PORT"

log "starting logam on $LOGAM_BASE"
# The edge cache is off here: these scenarios compare computing an answer with Datasette's
# (the cold path). bench/edge.sh, run at the end, measures the hot path against nginx.
LOGAM_LOG=warn "$LOGAM" serve --db "$DB" --addr "127.0.0.1:$LOGAM_PORT" --edge-cache-mib 0 \
    >"$OUT/logam.stdout.log" 2>"$OUT/logam.log" &
LOGAM_PID=$!
PIDS+=("$LOGAM_PID")
wait_http "$LOGAM_BASE/healthz" "$LOGAM_PID" logam
grep -q "^logam: serving http://127.0.0.1:$LOGAM_PORT/" "$OUT/logam.stdout.log" \
    || die "logam's first stdout line is not the expected 'logam: serving' line"

# logam opened the file read-write; make sure nothing it did sits only in the WAL before an
# immutable reader opens the file.
checkpoint "$DB"
[[ ! -s "$DB-wal" ]] || die "$DB-wal is not empty after a checkpoint"

log "starting Datasette (immutable) on $DS_BASE"
"$VENV/bin/datasette" serve -i "$DB" -h 127.0.0.1 -p "$DS_PORT" --setting max_csv_mb 0 \
    >"$OUT/datasette.log" 2>&1 &
DS_PID=$!
PIDS+=("$DS_PID")
wait_http "$DS_BASE/-/versions.json" "$DS_PID" datasette
DS_EXE="$(readlink "/proc/$DS_PID/exe")"
[[ "$DS_EXE" == *python* ]] || die "Datasette PID $DS_PID is $DS_EXE, not the python process"
[[ -z "$(ps -o pid= --ppid "$DS_PID")" ]] || die "Datasette PID $DS_PID has child processes; RSS would be wrong"
log "logam PID $LOGAM_PID ($(readlink "/proc/$LOGAM_PID/exe")), Datasette PID $DS_PID ($DS_EXE)"

# ---------------------------------------------------------------------------------------------
# 4. Checks, then measurements
# ---------------------------------------------------------------------------------------------
RESULTS="$TMP/results.env"
: >"$RESULTS"
put() { printf '%s=%s\n' "$1" "$2" >>"$RESULTS"; }

FILTER_LOGAM="$LOGAM_BASE/api/datasets/$DATASET/rows?kecamatan=$KECAMATAN"
FILTER_DS="$DS_BASE/$DB_NAME/$DATASET.json?kecamatan=$KECAMATAN&_size=100&_nocount=1&_nofacet=1"
ROW_LOGAM_PREFIX="/api/datasets/$DATASET/rows/"
ROW_LOGAM_SUFFIX=""
ROW_DS_PREFIX="/$DB_NAME/$DATASET/"
ROW_DS_SUFFIX=".json"
DEFAULT_LOGAM="$LOGAM_BASE/api/datasets/$DATASET/rows"
CSV_LOGAM="$LOGAM_BASE/api/datasets/$DATASET/rows.csv"
CSV_DS="$DS_BASE/$DB_NAME/$DATASET.csv?_stream=on&_size=max"

fetch() { # URL FILE: fails unless HTTP 200
    local code
    code=$(curl -sS --max-time 60 -o "$2" -w '%{http_code}' "$1") || die "curl $1 failed"
    [[ "$code" == 200 ]] || die "$1 answered HTTP $code: $(head -c 300 "$2")"
}
check_json() { # KIND FILE [ARG]
    python3 - "$@" <<'PY' || die "unexpected response ($1, $2)"
import json, sys
kind, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))
def fail(msg):
    sys.exit(f"{kind}: {msg}")
if kind == "logam_page":          # ARG = kecamatan or "" for any
    rows = d["rows"]
    if len(rows) != 100: fail(f"{len(rows)} rows, not 100")
    if sys.argv[3] and any(r["kecamatan"] != sys.argv[3] for r in rows): fail("row from another kecamatan")
elif kind == "ds_page":
    rows, cols = d["rows"], d["columns"]
    if len(rows) != 100: fail(f"{len(rows)} rows, not 100")
    k = cols.index("kecamatan")
    if any(r[k] != sys.argv[3] for r in rows): fail("row from another kecamatan")
elif kind == "logam_row":         # ARG = id
    if d["row"]["id"] != int(sys.argv[3]): fail(f"got row {d['row'].get('id')}")
elif kind == "ds_row":
    rows, cols = d["rows"], d["columns"]
    if len(rows) != 1 or rows[0][cols.index("id")] != int(sys.argv[3]): fail("not exactly the asked row")
else:
    fail("unknown check")
PY
}

log "checking responses"
fetch "$FILTER_LOGAM" "$TMP/a_logam.json";   check_json logam_page "$TMP/a_logam.json" "$KECAMATAN"
fetch "$FILTER_DS" "$TMP/a_ds.json";         check_json ds_page "$TMP/a_ds.json" "$KECAMATAN"
fetch "$DEFAULT_LOGAM" "$TMP/d_logam.json";  check_json logam_page "$TMP/d_logam.json" ""
# First, last and a few ids of the sequence report.lua will ask for.
for id in 1 "$ROWS" $(( 7919 % ROWS + 1 )) $(( (2 * 7919) % ROWS + 1 )) $(( (500 * 7919) % ROWS + 1 )); do
    fetch "$LOGAM_BASE$ROW_LOGAM_PREFIX$id$ROW_LOGAM_SUFFIX" "$TMP/b_logam.json"
    check_json logam_row "$TMP/b_logam.json" "$id"
    fetch "$DS_BASE$ROW_DS_PREFIX$id$ROW_DS_SUFFIX" "$TMP/b_ds.json"
    check_json ds_row "$TMP/b_ds.json" "$id"
done
log "responses look right: 100 $KECAMATAN rows from both, row lookups return the asked row"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)
WRK_FAILED=0

# run_wrk LABEL PID URL [VAR=VALUE ...]: warm-up run, then the measured run.
run_wrk() {
    local label=$1 pid=$2 url=$3
    shift 3
    local raw="$OUT/wrk_$label.txt" line kv t0 t1
    log "wrk $label: warm-up $WRK_WARMUP, then $WRK_DURATION (-t$WRK_THREADS -c$WRK_CONNECTIONS)"
    env "$@" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_WARMUP" --timeout 10s -s "$LUA" "$url" \
        >"$OUT/wrk_${label}_warmup.txt" 2>&1 || die "wrk warm-up for $label failed"
    # Let requests the warm-up left in flight finish (a closed connection ends them early).
    sleep 1
    t0=$(cpu_ticks "$pid")
    local TIMEFORMAT='%U %S'   # wrk's own CPU time: shows whether the load generator was the limit
    { time env "$@" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --timeout 10s --latency -s "$LUA" "$url" \
        >"$raw" 2>&1 ; } 2>"$TMP/$label.wrktime" || die "wrk for $label failed: $(cat "$raw")"
    t1=$(cpu_ticks "$pid")
    put "$label.wrk_cpu_s" "$(awk '{ printf "%.2f", $1 + $2 }' "$TMP/$label.wrktime")"
    line=$(grep '^BENCH ' "$raw") || die "wrk for $label printed no BENCH line: $(cat "$raw")"
    for kv in ${line#BENCH }; do put "$label.${kv%%=*}" "${kv#*=}"; done
    put "$label.cpu_s" "$(awk -v t="$((t1 - t0))" -v h="$CLK_TCK" 'BEGIN { printf "%.2f", t / h }')"
    if grep -qE 'Non-2xx|Socket errors' "$raw"; then
        log "WARNING: wrk $label saw errors: $(grep -E 'Non-2xx|Socket errors' "$raw" | tr '\n' ' ')"
        WRK_FAILED=1
    fi
    grep -E 'Requests/sec|Latency  ' "$raw" | sed "s/^/    $label: /" >&2
}

run_wrk a_logam "$LOGAM_PID" "$FILTER_LOGAM"
run_wrk a_ds "$DS_PID" "$FILTER_DS"
run_wrk b_logam "$LOGAM_PID" "$LOGAM_BASE/" \
    BENCH_ID_MAX="$ROWS" BENCH_PATH_PREFIX="$ROW_LOGAM_PREFIX" BENCH_PATH_SUFFIX="$ROW_LOGAM_SUFFIX"
run_wrk b_ds "$DS_PID" "$DS_BASE/" \
    BENCH_ID_MAX="$ROWS" BENCH_PATH_PREFIX="$ROW_DS_PREFIX" BENCH_PATH_SUFFIX="$ROW_DS_SUFFIX"
run_wrk d_logam "$LOGAM_PID" "$DEFAULT_LOGAM"

# Read-only SQL (issue 6): the same statement through logam's /api/sql and Datasette's ?sql=.
# logam admits 2 statements in flight per client (a fairness limit), so both servers get 2
# connections here, not $WRK_CONNECTIONS.
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
SQL_E="SELECT count(*) AS n, avg(workers) AS w, sum(monthly_value_idr) AS v FROM $DATASET WHERE kecamatan = '$KECAMATAN'"
SQL_F="SELECT count(*) AS n, avg(workers) AS w, sum(monthly_value_idr) AS v FROM $DATASET"
SQL_E_LOGAM="$LOGAM_BASE/api/sql?sql=$(urlencode "$SQL_E")"
SQL_E_DS="$DS_BASE/$DB_NAME.json?sql=$(urlencode "$SQL_E")"
SQL_F_LOGAM="$LOGAM_BASE/api/sql?sql=$(urlencode "$SQL_F")"
SQL_F_DS="$DS_BASE/$DB_NAME.json?sql=$(urlencode "$SQL_F")"
for pair in "$SQL_E_LOGAM e_logam" "$SQL_E_DS e_ds" "$SQL_F_LOGAM f_logam" "$SQL_F_DS f_ds"; do
    fetch "${pair% *}" "$TMP/${pair#* }.json"
done
python3 - "$TMP" <<'PY' || die "the SQL answers of logam and Datasette differ"
import json, sys
d = sys.argv[1]
for key in ("e", "f"):
    lg = json.load(open(f"{d}/{key}_logam.json"))
    ds = json.load(open(f"{d}/{key}_ds.json"))
    lg_rows = [tuple(r[c["name"]] for c in lg["columns"]) for r in lg["rows"]]
    ds_rows = [tuple(r) if isinstance(r, list) else tuple(r.values()) for r in ds["rows"]]
    norm = lambda rows: sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows)
    if norm(lg_rows) != norm(ds_rows):
        sys.exit(f"{key}: logam {lg_rows[:3]} vs Datasette {ds_rows[:3]}")
PY
log "SQL answers agree"
SAVED_CONNECTIONS=$WRK_CONNECTIONS
WRK_CONNECTIONS=$SQL_CONNECTIONS
run_wrk e_logam "$LOGAM_PID" "$SQL_E_LOGAM"
run_wrk e_ds "$DS_PID" "$SQL_E_DS"
run_wrk f_logam "$LOGAM_PID" "$SQL_F_LOGAM"
run_wrk f_ds "$DS_PID" "$SQL_F_DS"
WRK_CONNECTIONS=$SAVED_CONNECTIONS
put sql.connections "$SQL_CONNECTIONS"
put sql.e "$SQL_E"
put sql.f "$SQL_F"

log "default page: $LATENCY_RUNS sequential curl requests"
: >"$TMP/latency.txt"
for _ in $(seq "$LATENCY_RUNS"); do
    read -r code t < <(curl -sS --max-time 30 -o /dev/null -w '%{http_code} %{time_total}\n' "$DEFAULT_LOGAM") \
        || die "curl $DEFAULT_LOGAM failed"
    [[ "$code" == 200 ]] || die "$DEFAULT_LOGAM answered HTTP $code"
    echo "$t" >>"$TMP/latency.txt"
done
python3 - "$TMP/latency.txt" >>"$RESULTS" <<'PY'
import statistics, sys
xs = sorted(float(l) * 1000 for l in open(sys.argv[1]) if l.strip())
q = lambda p: xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]
print(f"seq.n={len(xs)}\nseq.median_ms={statistics.median(xs):.3f}\nseq.p90_ms={q(0.9):.3f}\nseq.p99_ms={q(0.99):.3f}\nseq.max_ms={xs[-1]:.3f}")
PY

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# export_csv LABEL PID URL
export_csv() {
    local label=$1 pid=$2 url=$3 metrics lines code secs bytes reset=no
    log "export $label: $url"
    put "$label.rss_before_kb" "$(status_kb "$pid" VmRSS)"
    if echo 5 >"/proc/$pid/clear_refs" 2>/dev/null; then reset=yes; fi
    put "$label.hwm_reset" "$reset"
    python3 - "$pid" "$TMP/$label.stop" >"$TMP/$label.sampled" <<'PY' &
import os, sys, time
pid, stop = sys.argv[1], sys.argv[2]
peak = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
while not os.path.exists(stop):
    try:
        for line in open(f"/proc/{pid}/status"):
            k, _, v = line.partition(":")
            if k in peak:
                peak[k] = max(peak[k], int(v.split()[0]))
    except OSError:
        break
    time.sleep(0.05)
print(f"sample_rss_kb={peak['VmRSS']}\nsample_anon_kb={peak['RssAnon']}\nsample_file_kb={peak['RssFile']}")
PY
    SAMPLER_PID=$!
    if ! curl -sS --max-time "$EXPORT_TIMEOUT" -o - \
        -w '%{stderr}METRICS %{http_code} %{time_total} %{size_download}\n' "$url" \
        2>"$TMP/$label.curl" | wc -l >"$TMP/$label.lines"; then
        die "export $label failed: $(cat "$TMP/$label.curl")"
    fi
    put "$label.hwm_kb" "$(status_kb "$pid" VmHWM)"
    put "$label.rss_after_kb" "$(status_kb "$pid" VmRSS)"
    touch "$TMP/$label.stop"
    wait "$SAMPLER_PID"
    SAMPLER_PID=""
    while IFS= read -r l; do put "$label.${l%%=*}" "${l#*=}"; done <"$TMP/$label.sampled"
    metrics=$(grep '^METRICS ' "$TMP/$label.curl" | tail -1) || die "no curl metrics for $label"
    read -r _ code secs bytes <<<"$metrics"
    lines=$(tr -d ' ' <"$TMP/$label.lines")
    [[ "$code" == 200 ]] || die "export $label answered HTTP $code"
    [[ "$lines" == "$((ROWS + 1))" ]] || die "export $label has $lines lines, expected $((ROWS + 1)) (header + $ROWS rows)"
    put "$label.seconds" "$secs"
    put "$label.bytes" "$bytes"
    put "$label.lines" "$lines"
    log "    $label: ${secs}s, $bytes bytes, $lines lines"
}
export_csv c_logam "$LOGAM_PID" "$CSV_LOGAM"
export_csv c_ds "$DS_PID" "$CSV_DS"

[[ ! -s "$DB-wal" ]] || log "WARNING: $DB-wal grew during the run (something wrote to the database)"

# ---------------------------------------------------------------------------------------------
# 5. Report
# ---------------------------------------------------------------------------------------------
{
    echo "rows=$ROWS"
    echo "db_bytes=$DB_BYTES"
    echo "wrk=-t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION (after a $WRK_WARMUP warm-up)"
    echo "date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "nproc=$(nproc)"
    echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo 'none (no commits yet)')$(
        [[ -n "$(git -C "$REPO" status --porcelain 2>/dev/null | head -1)" ]] && echo ' (work tree has uncommitted changes)')"
    echo "logam_version=$("$LOGAM" --version), binary sha256 $LOGAM_SHA"
    echo "rustc=$(cd "$REPO" && rustc --version)"
    echo "datasette_version=$("$VENV/bin/datasette" --version)"
    echo "python=$("$VENV/bin/python" -c 'import sys, sqlite3; print(sys.version.split()[0], "/ SQLite", sqlite3.sqlite_version)')"
    echo "wrk_version=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
    echo "urls.a_logam=${FILTER_LOGAM#$LOGAM_BASE}"
    echo "urls.a_ds=${FILTER_DS#$DS_BASE}"
    echo "urls.b_logam=$ROW_LOGAM_PREFIX{id}$ROW_LOGAM_SUFFIX"
    echo "urls.b_ds=$ROW_DS_PREFIX{id}$ROW_DS_SUFFIX"
    echo "urls.c_logam=${CSV_LOGAM#$LOGAM_BASE}"
    echo "urls.c_ds=${CSV_DS#$DS_BASE}"
    echo "urls.d_logam=${DEFAULT_LOGAM#$LOGAM_BASE}"
} >>"$RESULTS"
put elapsed_s "$(( $(date +%s) - START_EPOCH ))"

python3 "$BENCH_DIR/summarize.py" "$RESULTS" >"$OUT/results.md"
cat "$OUT/results.md"
log "wrote $OUT/results.md (run took $(( $(date +%s) - START_EPOCH )) s)"

if (( WRK_FAILED )); then
    die "some wrk runs saw non-2xx responses or socket errors (see the Errors section); the numbers are not valid"
fi

# The hot path against the ceiling (nginx serving the same bytes); EDGE=0 skips it.
if [[ "${EDGE:-1}" != 0 ]]; then
    trap - EXIT
    (cleanup)   # stops logam and Datasette, removes the scratch folder (in a subshell: it exits)
    ROWS="$ROWS" WRK_THREADS="$WRK_THREADS" WRK_CONNECTIONS="$WRK_CONNECTIONS" \
        WRK_DURATION="$WRK_DURATION" WRK_WARMUP="$WRK_WARMUP" bash "$BENCH_DIR/edge.sh"
fi
