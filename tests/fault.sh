#!/usr/bin/env bash
# fault.sh - fault injection (as SQLite tests its allocator): the signbench-fault build
# fails the N-th allocation or OpenCL call (SB_FAULT=N, tests/fault/fault.c); a short
# train, micro and tube must then end with one "signbench: " line and exit 1 (or absorb
# the failure and succeed), never crash, and, in the sanitizer build, never leak. Also a
# full disk (SB_FAULT_ENOSPC=N fails the N-th fsync): grid, sweep and suite leave nothing
# that looks complete; SIGINT, SIGTERM and SIGHUP leave no .tmp (gnuplot's included) and
# the run folder marked INCOMPLETE.
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

# ---- signals: SIGINT, SIGTERM and SIGHUP alike ------------------------------------------
# Each removes the .tmp being written, leaves the run folder marked INCOMPLETE, says so in
# one line and ends the process by the signal (exit status 128 + its number). The waits
# below poll for a state (a file present), never for a time, so a busy machine only
# makes them slower.
sigexit() { echo $((128 + $(kill -l "$1"))); }
wait_for() { # wait_for PID GLOB: until a file matches GLOB (0) or PID has exited (1)
    local pid=$1 glob=$2 f
    while kill -0 "$pid" 2>/dev/null; do
        for f in $glob; do [ -e "$f" ] && return 0; done
        sleep 0.1
    done
    return 1
}
for sig in INT TERM HUP; do
    # Stopped in the fsync of summary.json.tmp (SB_FAULT_STALL: that fsync never returns),
    # so the signal always lands while a .tmp is being written.
    d=$tmp/stall-$sig
    SB_FAULT_STALL=2 "$fb" suite --only devices --out "$d" >/dev/null 2>"$tmp/sig.err" &
    pid=$!
    if wait_for "$pid" "$d/*.tmp"; then
        kill -"$sig" "$pid"
        wait "$pid"; rc=$?
        [ "$rc" -eq "$(sigexit "$sig")" ] && ok || bad "sig$sig-stall: exit $rc, wanted $(sigexit "$sig")"
        [ -e "$d/INCOMPLETE" ] && ok || bad "sig$sig-stall: run folder not marked INCOMPLETE"
        [ -z "$(find "$d" -name '*.tmp')" ] && ok || bad "sig$sig-stall: .tmp left: $(find "$d" -name "*.tmp")"
        [ ! -e "$d/summary.json" ] && ok || bad "sig$sig-stall: summary.json written"
        [ "$(grep -c . "$tmp/sig.err")" -le 2 ] && grep -q '^signbench: interrupted; partial results removed' "$tmp/sig.err" &&
            ok || bad "sig$sig-stall: stderr: $(cat "$tmp/sig.err")"
        check "sig$sig-stall-report" 2 "$bin" suite --report-only "$d"
    else
        wait "$pid"; bad "sig$sig-stall: ended (exit $?) before writing a .tmp: $(cat "$tmp/sig.err")"
    fi

    # A real run, stopped wherever the signal lands: sent as soon as the first of the
    # four optimizers has its result (the kernels are built by then), so that on a fast
    # machine too it usually lands mid-run. Wherever it lands, the folder is either
    # marked INCOMPLETE or complete (summary and report written): never unmarked and
    # partial. A signal after the mark is removed (in the process's teardown) still ends
    # it by the signal.
    d=$tmp/run-$sig
    "$bin" suite --only train --out "$d" >/dev/null 2>"$tmp/sig.err" &
    pid=$!
    wait_for "$pid" "$d/train/train-sgd.json"
    kill -"$sig" "$pid" 2>/dev/null
    wait "$pid"; rc=$?
    [ -z "$(find "$d" -name '*.tmp')" ] && ok || bad "sig$sig: .tmp left: $(find "$d" -name "*.tmp")"
    if [ -e "$d/INCOMPLETE" ]; then
        [ "$rc" -eq "$(sigexit "$sig")" ] && ok || bad "sig$sig: exit $rc, wanted $(sigexit "$sig")"
        check "sig$sig-report" 2 "$bin" suite --report-only "$d"
    elif [ "$rc" -eq 0 ] || [ "$rc" -eq "$(sigexit "$sig")" ]; then
        echo "sig$sig: the signal landed after the run completed (exit $rc)"
        [ -s "$d/summary.json" ] && [ -s "$d/report.md" ] && [ -s "$d/report.html" ] &&
            ok || bad "sig$sig: not marked INCOMPLETE, yet summary or report missing: $(ls "$d")"
    else
        bad "sig$sig: exit $rc, wanted $(sigexit "$sig") or 0"
    fi
done

# On a terminal the handler's line does not share the progress bar's line: the bar is
# erased first ("\r" and erase-to-end, or a newline, right before "signbench: "). The
# signal is sent once the bar shows, after the kernel build: a signal while PoCL's LLVM
# compiles may meet LLVM's own handler, which chains to ours but not always in time.
if command -v script >/dev/null; then
    d=$tmp/tty
    SB_TTY_PID=$tmp/tty.pid script -qfec "sh -c 'echo \$\$ >\"\$SB_TTY_PID\"; exec \"\$0\" tube --d 10 --trials 2000 --steps 3000 --out \"\$1\"' '$bin' '$d'" "$tmp/tty.log" >/dev/null 2>&1 &
    spid=$!
    while kill -0 "$spid" 2>/dev/null && ! grep -q '% ' "$tmp/tty.log" 2>/dev/null; do sleep 0.1; done
    if [ -s "$tmp/tty.pid" ] && kill -TERM "$(cat "$tmp/tty.pid")" 2>/dev/null; then
        wait "$spid"
        python3 - "$tmp/tty.log" <<'PY' && ok || bad "tty: the interrupted line shares the bar's line: $(tail -c 300 "$tmp/tty.log" | od -c | tail -5)"
import sys
t = open(sys.argv[1], "rb").read()
i = t.find(b"signbench: interrupted")
assert i > 0 and (t[i - 1:i] == b"\n" or t[i - 4:i] == b"\r\x1b[K"), t[max(0, i - 80):i + 30]
PY
    else
        wait "$spid"; echo "tty: tube finished before the signal; not checked"
    fi
fi

# gnuplot writes BASE.png.tmp and BASE.svg.tmp itself: a signal while it runs kills it
# and removes them (a stand-in gnuplot writes its outputs, then waits to be killed).
cat >"$tmp/gnuplot" <<'SH'
#!/bin/sh
sed -n "s/^set output '\(.*\)'$/\1/p" | while read -r f; do echo partial >"$f"; done
echo $$ >"$SB_FAKE_READY"
exec sleep 3600
SH
chmod +x "$tmp/gnuplot"
for sig in INT TERM HUP; do
    d=$tmp/plot-$sig
    rm -f "$tmp/ready"
    SIGNBENCH_GNUPLOT=$tmp/gnuplot SB_FAKE_READY=$tmp/ready "$bin" tube --d 4 --trials 2 \
        --steps 20 --optimizers signgd --traces 1 --out "$d" >/dev/null 2>"$tmp/sig.err" &
    pid=$!
    if wait_for "$pid" "$tmp/ready"; then
        gp=$(cat "$tmp/ready")
        kill -"$sig" "$pid"
        wait "$pid"; rc=$?
        [ "$rc" -eq "$(sigexit "$sig")" ] && ok || bad "plot-sig$sig: exit $rc, wanted $(sigexit "$sig")"
        [ -z "$(find "$d" -name '*.tmp')" ] && ok || bad "plot-sig$sig: .tmp left: $(find "$d" -name "*.tmp")"
        if kill -0 "$gp" 2>/dev/null; then bad "plot-sig$sig: gnuplot still running"; kill "$gp"; else ok; fi
    else
        wait "$pid"; bad "plot-sig$sig: ended (exit $?) before gnuplot ran: $(cat "$tmp/sig.err")"
    fi
done
finish
