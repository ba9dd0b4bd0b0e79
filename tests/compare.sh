#!/usr/bin/env bash
# compare.sh - `signbench compare` as CI uses it: exit 0 on identical files, 1 on a
# file whose roofline_fraction dropped by 20% (or one row, with --per-row), 1 on missing
# tracked rows and convergence regressions, 2 (one line) on malformed or mismatched
# input; the --paired mode's exit codes on synthetic pairs.
. "$(dirname "$0")/lib.sh"
micro() { # micro FILE PACK_FRACTION [SCALE]: a Google Benchmark JSON with three kernels,
          # the other two fractions times SCALE (default 1)
    local s=${3:-1}
    cat >"$1" <<JSON
{"context": {"date": "2026-01-01T00:00:00+00:00", "host_name": "ci", "num_cpus": 2,
             "device": "pthread-test"},
 "benchmarks": [
  {"name": "update_signsgd/n:16777216/manual_time", "run_name": "update_signsgd/n:16777216/manual_time",
   "run_type": "iteration", "iterations": 10, "real_time": 2.0, "time_unit": "ms",
   "roofline_fraction": $(awk "BEGIN{print 0.97*$s}")},
  {"name": "pack/n:16777216/manual_time", "run_name": "pack/n:16777216/manual_time",
   "run_type": "iteration", "iterations": 10, "real_time": 1.0, "time_unit": "ms",
   "roofline_fraction": $2},
  {"name": "vote/n:16777216/manual_time", "run_name": "vote/n:16777216/manual_time",
   "run_type": "iteration", "iterations": 10, "real_time": 1.5, "time_unit": "ms",
   "roofline_fraction": $(awk "BEGIN{print 0.5*$s}")}
 ]}
JSON
}
micro "$tmp/base.json" 0.80
micro "$tmp/same.json" 0.80
micro "$tmp/slow.json" 0.64   # 20% lower roofline_fraction
micro "$tmp/fast.json" 0.96
micro "$tmp/allslow.json" 0.64 0.8  # every fraction 20% lower
micro "$tmp/bit-slow.json" 0.72 0.9  # every fraction 10% lower

check identical 0 "$bin" compare "$tmp/base.json" "$tmp/same.json"
check faster 0 "$bin" compare "$tmp/base.json" "$tmp/fast.json"
# One row 20% down among steady ones: the level holds (runs at different times move
# single rows that much); it fails with --per-row.
check one-row-level-holds 0 "$bin" compare "$tmp/base.json" "$tmp/slow.json"
check planted-regression-per-row 1 "$bin" compare --per-row "$tmp/base.json" "$tmp/slow.json"
one_line planted-regression-line "$bin" compare --per-row "$tmp/base.json" "$tmp/slow.json"
check file-20pct-drop 1 "$bin" compare "$tmp/base.json" "$tmp/allslow.json"
one_line file-20pct-drop-line "$bin" compare "$tmp/base.json" "$tmp/allslow.json"
check file-10pct-drop-under-default 0 "$bin" compare "$tmp/base.json" "$tmp/bit-slow.json"
check regression-under-threshold 0 "$bin" compare --threshold 25% "$tmp/base.json" "$tmp/allslow.json"
check regression-json 1 "$bin" compare --json "$tmp/base.json" "$tmp/allslow.json"
out=$("$bin" compare --json "$tmp/base.json" "$tmp/allslow.json" 2>/dev/null)
if echo "$out" | grep -q '"verdict":[[:space:]]*"fail"' && echo "$out" | grep -q '"regressions":[[:space:]]*3'; then
    ok; else bad "json-verdict: $out"; fi
out=$("$bin" compare "$tmp/base.json" "$tmp/slow.json" 2>/dev/null)
if echo "$out" | grep 'pack/' | grep -q 'REGRESSION'; then ok;
else bad "table-names-the-kernel: $out"; fi

# Hardening: strings for numbers, non-finite numbers, no tracked metric on both sides,
# tracked rows missing in new.
sed 's/"roofline_fraction": 0.80}/"roofline_fraction": "0.80"}/' "$tmp/base.json" >"$tmp/string.json"
sed 's/"roofline_fraction": 0.80}/"roofline_fraction": 1e999}/' "$tmp/base.json" >"$tmp/inf.json"
check string-metric 2 "$bin" compare "$tmp/base.json" "$tmp/string.json"
one_line string-metric-line "$bin" compare "$tmp/base.json" "$tmp/string.json"
check nonfinite-metric 2 "$bin" compare "$tmp/inf.json" "$tmp/base.json"
one_line nonfinite-metric-line "$bin" compare "$tmp/inf.json" "$tmp/base.json"
echo '{"benchmarks": [{"name": "pack/n:16777216/manual_time", "real_time": 1}]}' >"$tmp/untracked.json"
check no-tracked-metric 2 "$bin" compare "$tmp/untracked.json" "$tmp/untracked.json"
python3 - "$tmp/base.json" "$tmp/novote.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); j["benchmarks"] = j["benchmarks"][:2]
json.dump(j, open(sys.argv[2], "w"))
PY
check missing-in-new 1 "$bin" compare "$tmp/base.json" "$tmp/novote.json"
check new-benchmark-passes 0 "$bin" compare "$tmp/novote.json" "$tmp/base.json"
summary() { # summary FILE TEST_ERROR MIN_NORM
    echo '{"schema": "signbench-summary", "version": 1, "benchmarks": [{"name": "grid/logreg", "metrics": {"test_error": '$2'}}, {"name": "sweep/tube", "metrics": {"min_norm": '$3'}}]}' >"$1"
}
summary "$tmp/s1.json" 0.05 0.10
summary "$tmp/s2.json" 0.05 0.10
summary "$tmp/s3.json" 0.08 0.10
summary "$tmp/s4.json" 0.05 0.13
check summary-same 0 "$bin" compare "$tmp/s1.json" "$tmp/s2.json"
check summary-test-error 1 "$bin" compare "$tmp/s1.json" "$tmp/s3.json"
check summary-min-norm 1 "$bin" compare "$tmp/s1.json" "$tmp/s4.json"

# --paired: 6 alternating pairs of synthetic files; pack 25% slower in every B.
pairs=() pairs_same=()
for i in 1 2 3 4 5 6; do
    n=$(awk "BEGIN{print 0.80 + 0.01*$i}")
    micro "$tmp/pa$i.json" "$n"
    micro "$tmp/pb$i.json" "$(awk "BEGIN{print $n*0.75}")"
    micro "$tmp/pc$i.json" "$(awk "BEGIN{print $n*(1 + 0.01*(($i%2)*2-1))}")"
    pairs+=("$tmp/pa$i.json" "$tmp/pb$i.json")
    pairs_same+=("$tmp/pa$i.json" "$tmp/pc$i.json")
done
check paired-regressed 1 "$bin" compare --paired "${pairs[@]}"
one_line paired-regressed-line "$bin" compare --paired "${pairs[@]}"
check paired-same 0 "$bin" compare --paired "${pairs_same[@]}"
check paired-too-few 2 "$bin" compare --paired "${pairs[@]:0:10}"
check paired-odd 2 "$bin" compare --paired "${pairs[@]:0:11}"

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
# compare reads through the shared bounded reader (sb_read_text, sb_json_parse), with the
# messages every reader gives: a NUL byte, nesting deeper than the JSON reader takes,
# a file over the size limit, a folder. Each one "signbench: " line, exit 2.
reader() { # reader NAME TEXT FILE [ENV...]: exit 2, one "signbench: " line holding TEXT
    local name=$1 text=$2 file=$3; shift 3
    check "reader-$name" 2 env "$@" "$bin" compare "$tmp/base.json" "$file"
    local err; err=$(env "$@" "$bin" compare "$tmp/base.json" "$file" 2>&1 >/dev/null)
    if [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [ "${err#signbench: compare: }" != "$err" ] &&
        [ "${err#*"$text"}" != "$err" ]; then ok
    else bad "reader-$name-line: wanted one 'signbench: compare: ' line with '$text': $err"; fi
}
head -c 200 "$tmp/base.json" >"$tmp/nul.json"; printf '\0' >>"$tmp/nul.json"
tail -c +201 "$tmp/base.json" >>"$tmp/nul.json"
reader nul "nul.json:4: NUL byte (at byte 200)" "$tmp/nul.json"
python3 -c 'print("{\"benchmarks\": " + "[" * 2000 + "]" * 2000 + "}")' >"$tmp/deep.json"
reader deep "deep.json: arrays and objects nested deeper than 1000 levels" "$tmp/deep.json"
reader over-limit "base.json is larger than the 100 bytes limit on input files" "$tmp/base.json" SIGNBENCH_MAX_INPUT=100
reader dev-zero "/dev/zero:1: NUL byte" /dev/zero
reader folder "is a folder, not a file" "$tmp"
reader missing "nonexistent.json: No such file or directory" "$tmp/nonexistent.json"
reader broken "broken.json:1: not valid JSON (near byte 16)" "$tmp/broken.json"
# A file of a run marked INCOMPLETE is refused, in its run folder or a step's subfolder
# (train/, devices/P-D/), in both modes.
mkdir -p "$tmp/part/train"
cp "$tmp/base.json" "$tmp/part/micro.json"; cp "$tmp/base.json" "$tmp/part/train/t.json"
: >"$tmp/part/INCOMPLETE"
check incomplete 2 "$bin" compare "$tmp/base.json" "$tmp/part/micro.json"
error_line incomplete-line "$bin" compare "$tmp/base.json" "$tmp/part/micro.json"
check incomplete-subfolder 2 "$bin" compare "$tmp/part/train/t.json" "$tmp/base.json"
check incomplete-paired 2 "$bin" compare --paired "${pairs[@]:0:11}" "$tmp/part/train/t.json"
rm "$tmp/part/INCOMPLETE"
check complete-subfolder 0 "$bin" compare "$tmp/part/train/t.json" "$tmp/base.json"
# A BOM (some editors write one) is dropped, as by every text reader.
printf '\xef\xbb\xbf' | cat - "$tmp/base.json" >"$tmp/bom.json"
check reader-bom 0 "$bin" compare "$tmp/base.json" "$tmp/bom.json"
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
