#!/usr/bin/env bash
# ab.sh - micro's A/B mode (--baseline-kernels): both kernel sets in one run, the table
# and JSON (ratio inside its interval, verdict from the rule), usage errors exit 2.
# No timing assertion: the verdict itself depends on the machine's load.
. "$(dirname "$0")/lib.sh"
require_device
src=${SB_SOURCE_ROOT:?}
"$bin" micro --baseline-kernels "$src/kernels" --kernels copy,sgd,pack --sizes 4096,1000 \
    --pairs 8 --rounds 2 --json "$tmp/ab.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then ok; else bad "ab run: exit $rc: $(cat "$tmp/err")"; fi
holds ab-json json "$tmp/ab.json" 'len(j["ab"]) == 6 and all(r["ratio_lo"] <= r["ratio"] <= r["ratio_hi"] and r["pairs"] == 8 and r["verdict"] in ("REGRESSED", "slower", "same", "faster", "IMPROVED") and (r["verdict"] == "REGRESSED") == (r["ratio_hi"] < 0.9) for r in j["ab"]) and j["context"]["baseline_kernels"].endswith("kernels")'
holds ab-table grep -q "^sgd  *1000 .*\[" "$tmp/out"
check ab-missing-dir 2 "$bin" micro --baseline-kernels "$tmp/none" --kernels copy --pairs 6
one_line ab-missing-dir-line "$bin" micro --baseline-kernels "$tmp/none" --kernels copy --pairs 6
check ab-unknown-kernel 2 "$bin" micro --baseline-kernels "$src/kernels" --kernels nope
check ab-few-pairs 2 "$bin" micro --baseline-kernels "$src/kernels" --pairs 3
check ab-rounds 2 "$bin" micro --baseline-kernels "$src/kernels" --pairs 6 --rounds 7
check ab-binary 2 "$bin" micro --baseline-kernels "$src/kernels" --kernel-binary x.bin
check ab-bad-option 2 "$bin" micro --baseline-kernels "$src/kernels" --csv x.csv
check ab-help 0 "$bin" micro --baseline-kernels "$src/kernels" --help
"$bin" micro --help | grep -q -- "--baseline-kernels DIR" && ok || bad "micro --help lacks A/B mode"
finish
