#!/usr/bin/env bash
# compare.sh - `signbench compare` as CI uses it: exit 0 on identical files, 1 on a
# planted 20% roofline_fraction regression, 2 (one line) on malformed or mismatched input.
. "$(dirname "$0")/lib.sh"
micro() { # micro FILE PACK_FRACTION: a Google Benchmark JSON with three kernels
    cat >"$1" <<JSON
{"context": {"date": "2026-01-01T00:00:00+00:00", "host_name": "ci", "num_cpus": 2,
             "device": "pthread-test"},
 "benchmarks": [
  {"name": "update_signsgd/n:16777216/manual_time", "run_name": "update_signsgd/n:16777216/manual_time",
   "run_type": "iteration", "iterations": 10, "real_time": 2.0, "time_unit": "ms",
   "roofline_fraction": 0.97},
  {"name": "pack/n:16777216/manual_time", "run_name": "pack/n:16777216/manual_time",
   "run_type": "iteration", "iterations": 10, "real_time": 1.0, "time_unit": "ms",
   "roofline_fraction": $2},
  {"name": "vote/n:16777216/manual_time", "run_name": "vote/n:16777216/manual_time",
   "run_type": "iteration", "iterations": 10, "real_time": 1.5, "time_unit": "ms",
   "roofline_fraction": 0.5}
 ]}
JSON
}
micro "$tmp/base.json" 0.80
micro "$tmp/same.json" 0.80
micro "$tmp/slow.json" 0.64   # 20% lower roofline_fraction
micro "$tmp/fast.json" 0.96

check identical 0 "$bin" compare "$tmp/base.json" "$tmp/same.json"
check faster 0 "$bin" compare "$tmp/base.json" "$tmp/fast.json"
check planted-regression 1 "$bin" compare "$tmp/base.json" "$tmp/slow.json"
one_line planted-regression-line "$bin" compare "$tmp/base.json" "$tmp/slow.json"
check regression-under-threshold 0 "$bin" compare --threshold 25% "$tmp/base.json" "$tmp/slow.json"
check regression-json 1 "$bin" compare --json "$tmp/base.json" "$tmp/slow.json"
out=$("$bin" compare --json "$tmp/base.json" "$tmp/slow.json" 2>/dev/null)
if echo "$out" | grep -q '"verdict":[[:space:]]*"fail"' && echo "$out" | grep -q '"regressions":[[:space:]]*1'; then
    ok; else bad "json-verdict: $out"; fi
out=$("$bin" compare "$tmp/base.json" "$tmp/slow.json" 2>/dev/null)
if echo "$out" | grep 'pack/' | grep -q 'REGRESSION'; then ok;
else bad "table-names-the-kernel: $out"; fi

: >"$tmp/empty.json"
echo '{"benchmarks": [' >"$tmp/broken.json"
echo '{"hello": "world"}' >"$tmp/other.json"
echo '{"benchmarks": [{"name": "unrelated/manual_time", "roofline_fraction": 1}]}' >"$tmp/unrelated.json"
echo '{"schema": "signbench-summary", "version": 1, "benchmarks": [{"name": "x", "metrics": {"f_final": 1}}]}' >"$tmp/summary.json"
for bad in empty broken other; do
    check "malformed-$bad" 2 "$bin" compare "$tmp/base.json" "$tmp/$bad.json"
    one_line "malformed-$bad-line" "$bin" compare "$tmp/base.json" "$tmp/$bad.json"
done
check missing-file 2 "$bin" compare "$tmp/base.json" "$tmp/nonexistent.json"
check mismatched-names 2 "$bin" compare "$tmp/base.json" "$tmp/unrelated.json"
check mismatched-kinds 2 "$bin" compare "$tmp/base.json" "$tmp/summary.json"
one_line mismatched-kinds-line "$bin" compare "$tmp/base.json" "$tmp/summary.json"
check one-file 2 "$bin" compare "$tmp/base.json"
check bad-threshold 2 "$bin" compare --threshold lots "$tmp/base.json" "$tmp/same.json"
check unknown-metric 2 "$bin" compare --metric nothing "$tmp/base.json" "$tmp/same.json"
check metric-real-time 0 "$bin" compare --metric real_time "$tmp/base.json" "$tmp/same.json"

finish
