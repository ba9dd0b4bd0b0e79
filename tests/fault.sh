#!/usr/bin/env bash
# fault.sh - fault injection (as SQLite tests its allocator): the signbench-fault build
# fails the N-th allocation or OpenCL call (SB_FAULT=N, tests/fault/fault.c); a short
# train, micro and tube must then end with one "signbench: " line and exit 1 (or absorb
# the failure and succeed), never crash, and, in the sanitizer build, never leak. Also a
# full disk (SB_FAULT_ENOSPC=N fails the N-th fsync): grid, sweep and suite leave nothing
# that looks complete, and SIGINT leaves no .tmp and the run folder marked INCOMPLETE.
# Every N up to FIRST (15) is tried, then SAMPLE (10) more spread evenly up to the number
# of calls a clean run makes: a sample, to keep CI quick (5 and 5 in the release build;
# SB_FAULT_ALL=1: every N).
. "$(dirname "$0")/lib.sh"
fb=${SB_FAULT_BIN:?}
FIRST=${SB_FAULT_FIRST:-15} SAMPLE=${SB_FAULT_SAMPLE:-10}
require_device
export TMPDIR=$tmp
if [ "${SB_SANITIZED:-none}" = none ]; then
    # The release build: a smaller sample (the sanitizer build runs the full one).
    FIRST=${SB_FAULT_FIRST:-5} SAMPLE=${SB_FAULT_SAMPLE:-5}
else
    # Leaks of our own code fail; the OpenCL driver's and libraries' own are not ours.
    printf 'leak:libpocl\nleak:libOpenCL\nleak:libclblast\nleak:libhwloc\nleak:libLLVM\nleak:libclang\nleak:libgomp\nleak:libomp\nleak:libcjson\nleak:libmpi\nleak:libopen-pal\nleak:libopen-rte\n' >"$tmp/lsan.supp"
    export ASAN_OPTIONS=detect_leaks=1:exitcode=99 LSAN_OPTIONS=suppressions=$tmp/lsan.supp:exitcode=98
fi

# one_fault NAME N CMD...: run CMD with the N-th call failing; check how it ended.
tolerated=0
one_fault() {
    local name=$1 n=$2; shift 2
    local rc
    rm -f "$tmp/fault.log"
    SB_FAULT=$n SB_FAULT_LOG=$tmp/fault.log "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    local what; what=$(sed -n 's/^failed //p' "$tmp/fault.log" 2>/dev/null)
    local lines; lines=$(grep -c '^signbench: ' "$tmp/err")
    if grep -q 'Sanitizer\|runtime error:' "$tmp/err"; then
        bad "$name N=$n ($what): sanitizer report: $(grep -m3 'Sanitizer\|runtime error\|#[0-9] ' "$tmp/err" | tr '\n' ' ')"
    elif [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ]; then ok
    elif [ "$rc" -eq 0 ] && [ "$lines" -eq 0 ]; then ok; tolerated=$((tolerated+1))
    else bad "$name N=$n ($what): exit $rc, $lines error lines: $(tail -3 "$tmp/err" | tr '\n' ' ')"
    fi
}

# sweep_faults NAME CMD...: count a clean run's calls, then fail them one at a time.
sweep_faults() {
    local name=$1; shift
    rm -f "$tmp/fault.log"
    if ! SB_FAULT=0 SB_FAULT_LOG=$tmp/fault.log "$@" >/dev/null 2>"$tmp/err"; then
        bad "$name: the clean run failed: $(tail -3 "$tmp/err")"; return
    fi
    local total; total=$(sed -n 's/^calls //p' "$tmp/fault.log")
    local ns; ns=$(python3 - "$total" "$FIRST" "$SAMPLE" "${SB_FAULT_ALL:-0}" <<'PY'
import sys
total, first, sample, every = map(int, sys.argv[1:])
if every or total <= first + sample:
    ns = range(1, total + 1)
else:
    rest = total - first
    ns = list(range(1, first + 1)) + sorted({first + 1 + (rest - 1) * k // max(sample - 1, 1) for k in range(sample)})
print(" ".join(map(str, ns)))
PY
)
    echo "$name: $total calls in a clean run; failing $(wc -w <<<"$ns") of them"
    for n in $ns; do one_fault "$name" "$n" "$@"; done
}

sweep_faults train "$fb" train --problem quad --d 64 --optimizer signsgd,adam --lr 0.01 \
    --steps 5 --out "$tmp/train"
sweep_faults micro "$fb" micro --kernels sign,pack --sizes 4K --reps 3 --warmup 0 \
    --no-clblast --no-host --json "$tmp/micro.json"
sweep_faults tube "$fb" tube --d 4 --trials 2 --steps 20 --optimizers signgd,gd --traces 1 \
    --out "$tmp/tube"
echo "faults absorbed without an error (run completed): $tolerated"

# ---- a full disk: the N-th fsync fails with ENOSPC ------------------------------------
grid=(grid --lrs 0.1 --wds 0 --momenta 0 --optimizers sgd --steps 5)
for n in 1 2 3; do
    rm -rf "$tmp/g$n"
    SB_FAULT_ENOSPC=$n "$fb" "${grid[@]}" --out "$tmp/g$n" >/dev/null 2>"$tmp/err"; rc=$?
    if [ "$rc" -eq 0 ]; then continue; fi # fewer files than n: nothing failed
    [ "$rc" -eq 1 ] && grep -q "No space left on device" "$tmp/err" && ok ||
        bad "enospc-grid-$n: exit $rc: $(cat "$tmp/err")"
    [ ! -e "$tmp/g$n/grid.json" ] && [ ! -e "$tmp/g$n/grid.csv" ] && ok ||
        bad "enospc-grid-$n: a complete-looking grid.json/grid.csv was left"
    [ -z "$(find "$tmp/g$n" -name '*.tmp')" ] && ok || bad "enospc-grid-$n: .tmp left"
done
sweep=(sweep --problem quad --dims 10,20 --seeds 1 --evals 200)
SB_FAULT_ENOSPC=1 "$fb" "${sweep[@]}" --out "$tmp/s1" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 1 ] && [ ! -e "$tmp/s1/sweep.json" ] && ok ||
    bad "enospc-sweep: exit $rc, sweep.json left: $(ls "$tmp/s1" 2>&1 | tr '\n' ' ')"
# A suite that cannot mark its folder stops before anything; one whose summary.json cannot
# be written (the second fsync) stays INCOMPLETE, and its report is refused.
SB_FAULT_ENOSPC=1 "$fb" suite --only devices --out "$tmp/su1" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 1 ] && grep -q "INCOMPLETE: No space left" "$tmp/err" && [ ! -e "$tmp/su1/summary.json" ] && ok ||
    bad "enospc-suite-mark: exit $rc: $(cat "$tmp/err")"
SB_FAULT_ENOSPC=2 "$fb" suite --only devices --out "$tmp/su" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 1 ] && [ -e "$tmp/su/INCOMPLETE" ] && [ ! -e "$tmp/su/summary.json" ] && ok ||
    bad "enospc-suite: exit $rc: $(ls "$tmp/su" | tr '\n' ' ') $(cat "$tmp/err")"
check report-incomplete 2 "$bin" suite --report-only "$tmp/su"
echo '{"schema": "signbench-summary", "version": 1, "benchmarks": []}' >"$tmp/su/summary.json"
check report-incomplete-summary 2 "$bin" suite --report-only "$tmp/su"
check compare-incomplete 2 "$bin" compare "$tmp/su/summary.json" "$tmp/su/summary.json"
# A complete suite leaves no mark.
check suite-clean 0 "$bin" suite --only devices --out "$tmp/su2"
[ ! -e "$tmp/su2/INCOMPLETE" ] && ok || bad "suite-clean: INCOMPLETE left"

# ---- SIGINT during a run: no .tmp, the folder marked ------------------------------------
"$bin" suite --only train --out "$tmp/int" >/dev/null 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 50); do [ -e "$tmp/int/INCOMPLETE" ] && break; sleep 0.1; done
sleep 1
kill -INT "$pid" 2>/dev/null
wait "$pid"; rc=$?
if [ "$rc" -eq 0 ]; then
    echo "sigint: the suite finished before the signal; not checked"
else
    [ "$rc" -eq 130 ] && ok || bad "sigint: exit $rc, wanted 130 (killed by SIGINT)"
    [ -e "$tmp/int/INCOMPLETE" ] && ok || bad "sigint: run folder not marked INCOMPLETE"
    [ -z "$(find "$tmp/int" -name '*.tmp')" ] && ok || bad "sigint: .tmp left"
    check sigint-report 2 "$bin" suite --report-only "$tmp/int"
fi
finish
