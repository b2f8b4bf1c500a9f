#!/usr/bin/env bash
# The README's test command: installs what a bare machine lacks, then runs every test the
# project has (host unit and integration tests, the plugin workspace's own tests, the hostile
# zoo, browser and validator tests) and ends with one "N passed, N failed" line for them all.
#
# What it installs, each only when missing, so a second run changes nothing:
# - Debian packages (apt-get): chromium and a font for the browser tests and PNG charts.
# - npm (tests/browser/package-lock.json): playwright-core, which drives Debian's chromium.
# - PyPI (tests/requirements.txt, exact versions) into .tools/venv: the catalog standards'
#   validators and the OpenAPI contract tools.
# The wasm32-wasip2 Rust target is host/build.rs's to add when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '== %s\n' "$*"; }

as_root() {
    if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

debian_packages=(chromium fonts-dejavu-core)
missing=()
for package in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if ((${#missing[@]})); then
    say "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# npm's own hidden lockfile is not byte-equal to ours, so a stamp says which lock was installed.
npm_stamp=tests/browser/node_modules/.logam-installed-lock
if ! cmp -s tests/browser/package-lock.json "$npm_stamp"; then
    say "npm ci (tests/browser)"
    (cd tests/browser && npm ci --no-audit --no-fund --silent)
    cp tests/browser/package-lock.json "$npm_stamp"
fi

venv="$root/.tools/venv"
stamp="$venv/.requirements"
if [[ ! -x "$venv/bin/python3" ]]; then
    say "python3 -m venv .tools/venv"
    python3 -m venv "$venv"
fi
if ! cmp -s tests/requirements.txt "$stamp"; then
    say "pip install -r tests/requirements.txt"
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
    cp tests/requirements.txt "$stamp"
fi
# The tests find the tools (python3, schemathesis, frictionless, ...) on PATH.
export PATH="$venv/bin:$PATH"

say "cargo fmt --check"
cargo fmt --all --check
(cd plugins && cargo fmt --all --check)
say "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
say "cargo test --workspace (host, its integration tests, the zoo, browser and validators)"
cargo test --workspace --locked --no-fail-fast 2>&1 | tee -a "$log" || status=1
say "cargo test in plugins/ (the first-party plugins' own computations, natively)"
(cd plugins && cargo test --workspace --locked --no-fail-fast) 2>&1 | tee -a "$log" || status=1

# One closing line for the whole suite, summed over every test binary of both workspaces.
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "%d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
