# lib.sh - helpers shared by the CLI test scripts (sourced, not run): pass/fail counters,
# exit-status and one-line-stderr checks, JSON checks, the device skip and the final tally.
# shellcheck shell=bash
set -u
bin=${SB_BIN:?}
# shellcheck disable=SC2034 # used by the scripts that source this file
src=${SB_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
tmp=$(mktemp -d /tmp/sbtest-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0

ok() { passes=$((passes+1)); }
bad() { fails=$((fails+1)); echo "FAIL $*"; }

check() { # check NAME EXPECTED_STATUS CMD...: CMD exits with EXPECTED_STATUS
    local name=$1 want=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    # the tail only: a failed long run (suite, sweep) would otherwise flood the log
    if [ "$rc" -eq "$want" ]; then ok; else bad "$name: exit $rc, wanted $want: $(printf '%s\n' "$out" | tail -20)"; fi
}

# one_line NAME CMD...: stderr of CMD is exactly one line (what the CLI prints on errors)
one_line() {
    local name=$1; shift
    local err; err=$("$@" 2>&1 >/dev/null)
    if [ -n "$err" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]; then ok
    else bad "$name: stderr is not one line: $err"; fi
}

# error_line NAME CMD...: as one_line, and that line starts with "signbench: "
error_line() {
    local name=$1; shift
    local err; err=$("$@" 2>&1 >/dev/null)
    if [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [ "${err#signbench: }" != "$err" ]; then ok
    else bad "$name: stderr is not one 'signbench: ' line: $err"; fi
}

holds() { # holds NAME CMD...: CMD succeeds (a test, a grep, a json check)
    local name=$1; shift
    if "$@"; then ok; else bad "$name"; fi
}

# json FILE PYTHON-EXPR: exit 0 iff EXPR is true, with j = the parsed file
json() { python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"; }

# pj FILE PYTHON-EXPR: prints EXPR (booleans as true/false), with j = the parsed file
pj() {
    python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); r = eval(sys.argv[2]); print(str(r).lower() if isinstance(r, bool) else r)' "$1" "$2"
}

finish() { # the final tally; exit 1 on any failure
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ] && exit 0 || exit 1
}

skip() { # skip WHY: stop here; exit 77 (skipped) unless an earlier check failed
    echo "$1: skipping the rest"
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ] && exit 77 || exit 1
}

has_device() { "$bin" devices >/dev/null 2>&1 && [ -n "$("$bin" devices 2>/dev/null)" ]; }
require_device() { has_device || skip "no OpenCL device"; }
