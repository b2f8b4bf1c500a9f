#!/usr/bin/env bash
# The soak (issue 11): 10 minutes of mixed hostile load on a 1,000,000-row `logam gen`
# database against a release build, with the office importing every 30 s and upgrading a
# plugin every 20 s. The driver is tests/soak.rs (the same test runs for 60 s on 100,000 rows
# in the suite); this script builds the release server, generates the database once, and runs
# the driver against it.
#
#   bash bench/soak.sh                                # 600 s, 1,000,000 rows
#   SOAK_SECONDS=120 ROWS=200000 bash bench/soak.sh   # a quicker run
#
# Output: bench/out/soak.md (requests by status and route, p50/p99 per route, resident memory
# every 10 s, anything unexpected), and the same on stdout. The run fails if any 5xx other
# than a capacity 503 with Retry-After appeared, a request did not finish, or the last
# minute's resident memory is not within 10 % of the second minute's.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
OUT="$BENCH_DIR/out"
ROWS="${ROWS:-1000000}"
SOAK_SECONDS="${SOAK_SECONDS:-600}"
log() { printf '[soak %s] %s\n' "$(date +%T)" "$*" >&2; }
mkdir -p "$OUT"

log "building logam (release) and the test driver"
(cd "$REPO" && cargo build --release --bin logam)
(cd "$REPO" && cargo build -p logam --test soak)
LOGAM="${CARGO_TARGET_DIR:-$REPO/target}/release/logam"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/logam-soak.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
log "seeding and generating $ROWS rows"
# `token list` creates and seeds the file (the bundled indicators and bench-trivial read the
# seed); `gen` adds the synthetic dataset beside it.
"$LOGAM" token list --db "$TMP/soak.db" >/dev/null
"$LOGAM" gen --rows "$ROWS" --db "$TMP/soak.db" >&2

log "running the soak for $SOAK_SECONDS s"
started=$(date -u +%Y-%m-%dT%H:%MZ)
set +e
(cd "$REPO" && LOGAM_BIN="$LOGAM" SOAK_DB="$TMP/soak.db" SOAK_ROWS="$ROWS" \
    SOAK_SECONDS="$SOAK_SECONDS" SOAK_REPORT="$TMP/report.md" \
    cargo test -p logam --test soak -- --nocapture >&2)
status=$?
set -e
{
    echo "# Soak ($started, $(nproc) cores, $ROWS rows, $SOAK_SECONDS s, release build $(git -C "$REPO" rev-parse --short HEAD))"
    echo
    cat "$TMP/report.md" 2>/dev/null || echo "(no report: the driver failed before writing it)"
} | tee "$OUT/soak.md"
exit "$status"
