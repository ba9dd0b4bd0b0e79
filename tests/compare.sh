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

# Fix 6: names match with /repeats:N ignored on both sides; the full names are reported.
gb() { # gb FILE REPEATS FRACTION
    cat >"$1" <<JSON
{"context": {"device": "t"}, "benchmarks": [
 {"name": "copy/ocl/1000003/repeats:$2/manual_time", "run_type": "iteration", "roofline_fraction": 1.0},
 {"name": "sign/ocl/1000003/repeats:$2/manual_time", "run_type": "iteration", "roofline_fraction": $3}]}
JSON
}
gb "$tmp/r10.json" 10 0.5
gb "$tmp/r12.json" 12 0.5
gb "$tmp/r12slow.json" 12 0.3
check repeats-ignored 0 "$bin" compare "$tmp/r10.json" "$tmp/r12.json"
check repeats-ignored-regression 1 "$bin" compare "$tmp/r10.json" "$tmp/r12slow.json"
"$bin" compare "$tmp/r10.json" "$tmp/r12.json" --json >"$tmp/rj.json" 2>/dev/null
holds repeats-full-names json "$tmp/rj.json" '"sign/ocl/1000003/repeats:10/manual_time" in {r["benchmark"] for r in j["rows"]} and j["matched"] == 2'
sed 's#sign/ocl/1000003/repeats:12#sign/ocl/1000003/repeatsx:12#' "$tmp/r12.json" >"$tmp/rx.json"
"$bin" compare "$tmp/r10.json" "$tmp/rx.json" --json >"$tmp/rxj.json" 2>/dev/null
holds repeats-only-that-part json "$tmp/rxj.json" 'j["matched"] == 1'

finish
