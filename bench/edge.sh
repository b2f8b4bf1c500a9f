#!/usr/bin/env bash
# The edge cache against the ceiling (issue 13): logam answering hot requests from its cache,
# beside nginx serving files that hold exactly the bytes logam answered, in the same run, on
# the same machine, with the same wrk settings. Also run at the end of bench/run.sh.
#
#   bash bench/edge.sh                               # 1,000,000 rows, wrk 10 s per scenario
#   ROWS=100000 WRK_DURATION=3s bash bench/edge.sh   # a quicker run
#
# Settings: ROWS [1000000], WRK_THREADS [1], WRK_CONNECTIONS [16], WRK_DURATION [10s],
# WRK_WARMUP [3s].
#
# Method:
# * logam runs the release build with its defaults (edge cache 64 MiB); every scenario is
#   asked once before its warm-up, so the measured run is hot. wrk sends no Accept-Encoding,
#   so both servers answer the identity bytes; the files nginx serves were fetched from
#   logam just before, and their sizes are checked against what wrk read.
# * nginx (Debian package) runs with `worker_processes auto` (one per core, as usual),
#   `access_log off`, sendfile and keep-alive on: a static file server at its practical best.
# * `/healthz` is live by design (never cached); its ceiling is nginx serving its bytes.
# * CPU seconds are read from /proc for the server (nginx: master and workers) and from
#   `time` for wrk, which shares the two cores with the server.
# Output: bench/out/edge.md, and the same on stdout.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
OUT="$BENCH_DIR/out"
LUA="$BENCH_DIR/report.lua"
ROWS="${ROWS:-1000000}"
WRK_THREADS="${WRK_THREADS:-1}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-16}"
WRK_DURATION="${WRK_DURATION:-10s}"
WRK_WARMUP="${WRK_WARMUP:-3s}"
log() { printf '[edge %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
mkdir -p "$OUT"

install_debian() { # COMMAND PACKAGE
    command -v "$1" >/dev/null && return 0
    log "installing $2 (Debian package)"
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >/dev/null
    command -v "$1" >/dev/null || die "$1 is still missing after installing $2"
}
install_debian wrk wrk
PATH="$PATH:/usr/sbin"
install_debian nginx nginx-light

log "building logam (release)"
(cd "$REPO" && cargo build --release -p logam)
LOGAM="${CARGO_TARGET_DIR:-$REPO/target}/release/logam"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/logam-edge.XXXXXX")"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [[ -f "$TMP/nginx.pid" ]] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null || true
    sleep 0.5
    rm -rf "$TMP"
}
trap cleanup EXIT

DB="$TMP/edge.db"
log "seeding and generating $ROWS rows"
"$LOGAM" token list --db "$DB" >/dev/null
"$LOGAM" gen --rows "$ROWS" --db "$DB" >&2

read -r LOGAM_PORT NGINX_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
LOGAM_BASE="http://127.0.0.1:$LOGAM_PORT"
NGINX_BASE="http://127.0.0.1:$NGINX_PORT"

# start_logam NAME PORT [SERVE FLAGS...]: serves the database, waits until it answers, and
# leaves its pid in STARTED_PID.
start_logam() {
    local name=$1 port=$2
    shift 2
    LOGAM_LOG=warn "$LOGAM" serve --db "$DB" --addr "127.0.0.1:$port" --rate-limit-per-minute 0 "$@" \
        >"$OUT/edge.$name.stdout.log" 2>"$OUT/edge.$name.log" &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    for _ in $(seq 600); do
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null && return 0
        kill -0 "$STARTED_PID" 2>/dev/null || die "$name exited during startup (see $OUT/edge.$name.log)"
        sleep 0.1
    done
    die "$name did not answer within 60 s"
}
start_logam logam "$LOGAM_PORT"
LOGAM_PID=$STARTED_PID

# name | path | target ratio to nginx
SCENARIOS=(
    "page|/api/datasets/synthetic_enterprises/rows?kecamatan=Mrebet|0.5"
    "row|/api/datasets/synthetic_enterprises/rows/4242|0.5"
    "png|/indicators/workers-per-unit.png|0.5"
    "svg|/indicators/workers-per-unit.svg|0.5"
    "openapi|/openapi.json|0.5"
    "catalog|/catalog.jsonld|0.5"
    "sources|/sources|0.5"
    "home|/|0.5"
    "healthz|/healthz|0.7"
)

STATIC="$TMP/static"
mkdir -p "$STATIC"
for scenario in "${SCENARIOS[@]}"; do
    IFS='|' read -r name path _ <<<"$scenario"
    code=$(curl -sS -o "$STATIC/$name" -w '%{http_code}' "$LOGAM_BASE$path") || die "curl $path failed"
    [[ "$code" == 200 ]] || die "$path answered HTTP $code"
done

# nginx's workers run as an unprivileged user: they must be able to read the files.
chmod 755 "$TMP" "$STATIC"
chmod 644 "$STATIC"/*
cat >"$TMP/nginx.conf" <<EOF
worker_processes auto;
pid $TMP/nginx.pid;
error_log $TMP/nginx.error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path $TMP/nginx-body;
    proxy_temp_path $TMP/nginx-proxy;
    fastcgi_temp_path $TMP/nginx-fastcgi;
    uwsgi_temp_path $TMP/nginx-uwsgi;
    scgi_temp_path $TMP/nginx-scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $STATIC;
    }
}
EOF
nginx -c "$TMP/nginx.conf" -p "$TMP" || die "nginx did not start"
for _ in $(seq 50); do [[ -s "$TMP/nginx.pid" ]] && break; sleep 0.1; done
for scenario in "${SCENARIOS[@]}"; do
    IFS='|' read -r name _ _ <<<"$scenario"
    cmp -s "$STATIC/$name" <(curl -sS "$NGINX_BASE/$name") \
        || die "nginx does not serve the bytes of $name (see $TMP/nginx.error.log)"
done

cpu_of() { # PID...: user+system seconds of these processes, in ticks
    local total=0 pid
    for pid in "$@"; do
        total=$(( total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
    done
    echo "$total"
}
nginx_pids() { local master; master=$(cat "$TMP/nginx.pid"); echo "$master $(pgrep -P "$master" | tr '\n' ' ')"; }
CLK_TCK=$(getconf CLK_TCK)

# measure LABEL URL PIDS: prints "rps p99_us bytes_per_request server_cpu_s wrk_cpu_s"
measure() {
    local label=$1 url=$2 pids=$3 raw="$OUT/edge_wrk_$1.txt" t0 t1 line
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_WARMUP" --timeout 10s -s "$LUA" "$url" >/dev/null 2>&1 \
        || die "wrk warm-up for $label failed"
    sleep 1
    # shellcheck disable=SC2086
    t0=$(cpu_of $pids)
    local TIMEFORMAT='%U %S'
    { time wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --timeout 10s --latency -s "$LUA" "$url" \
        >"$raw" 2>&1 ; } 2>"$TMP/$label.time" || die "wrk for $label failed"
    # shellcheck disable=SC2086
    t1=$(cpu_of $pids)
    grep -qE 'Non-2xx|Socket errors' "$raw" && die "wrk $label saw errors: $(grep -E 'Non-2xx|Socket errors' "$raw")"
    line=$(grep '^BENCH ' "$raw") || die "no BENCH line for $label"
    python3 - "$line" "$((t1 - t0))" "$CLK_TCK" "$(cat "$TMP/$label.time")" <<'PY'
import sys
kv = dict(p.split("=", 1) for p in sys.argv[1].split()[1:])
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
user, system = (float(x) for x in sys.argv[4].split())
requests = int(kv["requests"])
print(f'{float(kv["rps"]):.0f} {kv["p99_us"]} {int(kv["bytes"]) / max(requests, 1):.0f} {ticks / hz:.2f} {user + system:.2f}')
PY
}

REPORT="$OUT/edge.md"
{
    echo "# Edge cache vs the ceiling ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $ROWS rows, commit $(git -C "$REPO" rev-parse --short HEAD))"
    echo
    echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION after a $WRK_WARMUP warm-up; nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') serving the same bytes. CPU in seconds over the measured run."
    echo
    echo "| request | bytes | logam req/s | nginx req/s | logam / nginx | target | | logam p99 µs | nginx p99 µs | logam CPU | wrk CPU (logam) | nginx CPU | wrk CPU (nginx) |"
    echo "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"
} >"$REPORT"
for scenario in "${SCENARIOS[@]}"; do
    IFS='|' read -r name path target <<<"$scenario"
    log "$name: logam $path, then nginx /$name"
    read -r l_rps l_p99 l_bytes l_cpu l_wrk < <(measure "logam_$name" "$LOGAM_BASE$path" "$LOGAM_PID")
    read -r n_rps n_p99 n_bytes n_cpu n_wrk < <(measure "nginx_$name" "$NGINX_BASE/$name" "$(nginx_pids)")
    size=$(stat -c %s "$STATIC/$name")
    python3 - "$name" "$size" "$l_rps" "$n_rps" "$target" "$l_p99" "$n_p99" "$l_cpu" "$l_wrk" "$n_cpu" "$n_wrk" >>"$REPORT" <<'PY'
import sys
name, size, l, n, target, lp, np, lc, lw, nc, nw = sys.argv[1:]
ratio = float(l) / max(float(n), 1.0)
met = "MET" if ratio >= float(target) else "NOT MET"
print(f"| {name} | {int(size):,} | {float(l):,.0f} | {float(n):,.0f} | {ratio:.2f} | ≥ {target} | {met} | {lp} | {np} | {lc} | {lw} | {nc} | {nw} |")
PY
done
# Memory over many distinct answers: 60 s of single rows, each id once in a scattered order
# over 100,000 ids (bench/report.lua). The baseline is what serving them costs without the
# cache (SQLite's page caches fill, connections and buffers grow): the same run against a
# second server with `--edge-cache-mib 0`, then against the cached one. The cached server's
# peak may exceed the baseline's peak by the cache's bound, no more.
DISTINCT_SECONDS="${DISTINCT_SECONDS:-60}"
BOUND_MIB=64
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
# distinct PID BASE TAG: runs the distinct load, prints "peak_kb after_kb requests rps"
distinct() {
    local pid=$1 base=$2 tag=$3 sampler
    rm -f "$TMP/distinct.stop"
    python3 - "$pid" "$TMP/distinct.stop" >"$TMP/distinct.$tag.peak" <<'PY' &
import os, sys, time
pid, stop, peak = sys.argv[1], sys.argv[2], 0
while not os.path.exists(stop):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            peak = max(peak, int(line.split()[1]))
    time.sleep(0.2)
print(peak)
PY
    sampler=$!
    BENCH_ID_MAX=100000 BENCH_PATH_PREFIX=/api/datasets/synthetic_enterprises/rows/ BENCH_PATH_SUFFIX= \
        wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${DISTINCT_SECONDS}s" --timeout 10s -s "$LUA" "$base/" \
        >"$OUT/edge_wrk_distinct_$tag.txt" 2>&1 || die "wrk for the distinct run ($tag) failed"
    touch "$TMP/distinct.stop"
    wait "$sampler"
    grep -qE 'Non-2xx|Socket errors' "$OUT/edge_wrk_distinct_$tag.txt" \
        && die "the distinct run ($tag) saw errors"
    python3 - "$(cat "$TMP/distinct.$tag.peak")" "$(rss_kb "$pid")" "$(grep '^BENCH ' "$OUT/edge_wrk_distinct_$tag.txt")" <<'PY'
import sys
kv = dict(p.split("=", 1) for p in sys.argv[3].split()[1:])
print(sys.argv[1], sys.argv[2], kv["requests"], f'{float(kv["rps"]):.0f}')
PY
}
read -r BASE_PORT < <(python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_logam baseline "$BASE_PORT" --edge-cache-mib 0
BASE_PID=$STARTED_PID
log "distinct: $DISTINCT_SECONDS s over 100,000 row URLs, cache off (the baseline)"
BASE_BEFORE_KB=$(rss_kb "$BASE_PID")
read -r BASE_PEAK_KB BASE_AFTER_KB BASE_REQUESTS BASE_RPS < <(distinct "$BASE_PID" "http://127.0.0.1:$BASE_PORT" baseline)
kill "$BASE_PID"
log "distinct: $DISTINCT_SECONDS s over 100,000 row URLs, cache on"
BEFORE_KB=$(rss_kb "$LOGAM_PID")
read -r PEAK_KB AFTER_KB REQUESTS RPS < <(distinct "$LOGAM_PID" "$LOGAM_BASE" cached)
python3 - "$BASE_BEFORE_KB" "$BASE_PEAK_KB" "$BASE_REQUESTS" "$BASE_RPS" \
    "$BEFORE_KB" "$PEAK_KB" "$AFTER_KB" "$REQUESTS" "$RPS" "$BOUND_MIB" >>"$REPORT" <<'PY'
import sys
b_before, b_peak, b_requests, b_rps, before, peak, after, requests, rps, bound = (int(x) for x in sys.argv[1:])
mib = lambda kb: f"{kb / 1024:.0f} MiB"
limit = b_peak + bound * 1024
met = "MET" if peak <= limit else "NOT MET"
print()
print(f"Memory over distinct answers ({requests:,} requests for single rows over 100,000 ids, {rps:,} req/s, "
      f"mostly misses): without the cache the server went {mib(b_before)} → peak {mib(b_peak)} "
      f"({b_requests:,} requests, {b_rps:,} req/s); with it {mib(before)} → peak {mib(peak)}, {mib(after)} after. "
      f"Baseline peak plus the {bound} MiB bound is {mib(limit)}: {met}.")
PY

echo >>"$REPORT"
echo "logam's edge cache after the run: $(curl -sS "$LOGAM_BASE/metrics" | grep -E '^logam_edge_cache_(hits_total|misses_total|entries|bytes) ' | tr '\n' ' ')" >>"$REPORT"
cat "$REPORT"
