#!/usr/bin/env bash
# run.sh - builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang and runs each for
# a bounded time ($SB_FUZZ_SECONDS, default 20) from its seed corpus tests/fuzz/NAME/,
# after replaying every regression input in tests/fuzz/regress/NAME/ (each a crash once
# found). Runs in the sanitizer build only (exit 77 elsewhere, and without clang or its
# fuzzer runtime: apt-get install clang libclang-rt-14-dev).
set -u
src=${SB_SOURCE_ROOT:?} build=${SB_BUILD_ROOT:?}
secs=${SB_FUZZ_SECONDS:-20}
if [ "${SB_SANITIZED:-none}" = none ] && [ -z "${SB_FUZZ_ANYWHERE:-}" ]; then
    echo "fuzz: runs in the sanitizer build (build-san); skipped"; exit 77
fi
cc=$(command -v clang || command -v clang-14 || true)
[ -n "$cc" ] || { echo "fuzz: no clang; skipped"; exit 77; }
out=$build/fuzz
mkdir -p "$out"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$out/probe.c"
"$cc" -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" 2>/dev/null ||
    { echo "fuzz: clang has no libFuzzer runtime (libclang-rt-14-dev); skipped"; exit 77; }

flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -D_GNU_SOURCE -DCL_TARGET_OPENCL_VERSION=120 '-DSB_RANDOM123_INCLUDE="/usr/include"'
    -I"$src/host/util" -I"$src/host/ocl" -I"$src/host/problems" -I"$src/host/study"
    -I/usr/include/cjson)
u=$src/host/util
declare -A files=(
    [libsvm]="$src/host/problems/dataset.c $src/host/problems/oracle.c $u/util.c $u/progress.c"
    [csv]="$src/host/problems/dataset.c $src/host/problems/oracle.c $u/util.c $u/progress.c"
    [json]="$u/json.c $u/util.c $u/progress.c"
    [compare]="$src/host/study/compare.c $u/stats.c $u/shift.c $u/json.c $u/util.c $u/progress.c"
    [binary]="$src/host/ocl/binary.c $u/util.c $u/progress.c"
)
libs=(-lcjson -lm -lOpenCL $(pkg-config --libs gsl 2>/dev/null))
fails=0 targets=()
for t in libsvm csv json compare binary; do
    # shellcheck disable=SC2086 # the file lists split on blanks
    if ! "$cc" "${flags[@]}" "$src/tests/fuzz/fuzz_$t.c" ${files[$t]} "${libs[@]}" \
        -o "$out/fuzz_$t" 2>"$out/$t.build.log"; then
        echo "FAIL fuzz_$t: does not build:"; tail -20 "$out/$t.build.log"; fails=$((fails+1)); continue
    fi
    reg=$src/tests/fuzz/regress/$t
    if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
        if ! "$out/fuzz_$t" "$reg"/* >"$out/$t.regress.log" 2>&1; then
            echo "FAIL fuzz_$t: a regression input fails again:"; tail -30 "$out/$t.regress.log"
            fails=$((fails+1)); continue
        fi
    fi
    targets+=("$t")
done
# Each fuzzer uses one core for $secs seconds: as many run at once as there are cores
# (the time each gets, and so what it explores, is the same as one after another).
fuzz() { # fuzz T: run target T from its seeds; its exit status lands in $out/T.rc
    local t=$1
    rm -rf "$out/corpus-$t"; mkdir -p "$out/corpus-$t"
    "$out/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
        -artifact_prefix="$out/crash-$t-" "$out/corpus-$t" "$src/tests/fuzz/$t" \
        >"$out/$t.log" 2>&1
    echo $? >"$out/$t.rc"
}
jobs_max=$(nproc 2>/dev/null || echo 1)
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
    fuzz "$t" &
done
wait
for t in "${targets[@]}"; do
    if [ "$(cat "$out/$t.rc" 2>/dev/null)" = 0 ]; then
        echo "fuzz_$t: $(grep -o 'Done [0-9]* runs.*' "$out/$t.log" | tail -1)"
    else
        echo "FAIL fuzz_$t: crash found; the input is in $(ls "$out"/crash-$t-* 2>/dev/null | head -1)"
        echo "  (add it to tests/fuzz/regress/$t/ once fixed)"; tail -40 "$out/$t.log"
        fails=$((fails+1))
    fi
done
echo "fuzz: $fails target(s) failed"
[ "$fails" -eq 0 ]
