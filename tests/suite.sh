#!/usr/bin/env bash
# suite.sh - the suite and its report on a tiny run: a real `suite` (devices + train),
# then tiny sweep and grid runs folded into a report with --report-only; plots redrawn
# from their .dat and JSON; compare on the summary. Exit 77 (skip) without a device.
. "$(dirname "$0")/lib.sh"
has() { # has NAME FILE PATTERN: the file exists and holds the (grep -E) pattern
    if [ -f "$2" ] && grep -Eq -- "$3" "$2"; then ok; else bad "$1: $2 lacks '$3'"; fi
}
lacks() { # lacks NAME FILE PATTERN
    if [ -f "$2" ] && ! grep -Eq -- "$3" "$2"; then ok; else bad "$1: $2 holds '$3' (or is missing)"; fi
}

check bad-step 2 "$bin" suite --only nonsense
one_line bad-step-line "$bin" suite --only nonsense
check report-only-missing 2 "$bin" suite --report-only "$tmp/nonexistent"
# A folder that is not a run folder is refused and nothing is written into it.
mkdir -p "$tmp/notrun" && echo x >"$tmp/notrun/notes.txt"
check report-only-not-run 2 "$bin" suite --report-only "$tmp/notrun"
error_line report-only-not-run-line "$bin" suite --report-only "$tmp/notrun"
[ ! -e "$tmp/notrun/report.md" ] && [ ! -e "$tmp/notrun/report.html" ] && ok || bad "report written into a non-run folder"
check quick-full 2 "$bin" suite --quick --full
error_line quick-full-line "$bin" suite --full --quick
# A non-empty --out is refused before anything runs (a run folder holds one run).
check out-not-empty 2 "$bin" suite --out "$tmp/notrun" --only devices
error_line out-not-empty-line "$bin" suite --out "$tmp/notrun" --only devices
[ "$(ls "$tmp/notrun")" = notes.txt ] && ok || bad "suite wrote into a non-empty --out"
check plot-nothing 2 "$bin" plot
check plot-missing-file 2 "$bin" plot "$tmp/nonexistent.dat"
echo '{"schema": "signbench-summary", "benchmarks": []}' >"$tmp/summary-only.json"
check plot-unrecognised 2 "$bin" plot "$tmp/summary-only.json"

# The report's convergence tables: each kind of benchmark (train, grid, sweep) with the
# metrics it has; a missing metric is "-", never "nan".
mkdir -p "$tmp/conv"
cat >"$tmp/conv/summary.json" <<'EOF'
{"schema": "signbench-summary", "version": 1, "created": "x", "mode": "quick", "device": "d",
 "signbench_version": "v", "steps": [], "figures": [], "benchmarks": [
 {"name": "train/quad/sgd/seed1", "metrics": {"f_final": 0.5, "grad1_min": 0.25}},
 {"name": "grid/signum/best", "metrics": {"test_error": 0.0351, "robustness": 0.2}},
 {"name": "sweep/quad/sgd-theory/d=10", "metrics": {"min_norm": [0.3, 0.1, 0.2]}}]}
EOF
# micro rows in the report: the paired reference's GB/s beside each roofline fraction,
# and a zero-copy map as a latency, not a rate.
cat >"$tmp/conv/micro.json" <<'EOF'
{"context": {"device": "d", "platform": "p", "driver": "v"}, "benchmarks": [
 {"name": "pack/ocl/1048576/repeats:3/manual_time_median", "run_type": "aggregate",
  "aggregate_name": "median", "kernel": "pack", "impl": "ocl", "n": 1048576,
  "real_time": 100, "time_unit": "us", "bytes": 4325376, "bytes_per_second": 43253760000,
  "roofline_fraction": 0.5, "roofline_ref": "read", "roofline_ref_bytes_per_second": 86507520000},
 {"name": "map_read/ocl/1048576/repeats:3/manual_time_median", "run_type": "aggregate",
  "aggregate_name": "median", "kernel": "map_read", "impl": "ocl", "n": 1048576,
  "real_time": 806, "time_unit": "ns", "bytes": 0, "zero_copy": true, "mapped_bytes": 4194304}]}
EOF
# The Byzantine study's verdict: blind adversaries leave f below f0 at every K/P < 1/2.
cat >"$tmp/conv/byzantine.json" <<'EOF'
{"schema": "signbench-byzantine/1", "workers": 5, "steps": 10, "problems": [
 {"problem": "quad", "f0": 10, "attacks": [{"attack": "blind", "points": [
  {"k": 0, "fraction": 0, "f_final": 2}, {"k": 2, "fraction": 0.4, "f_final": 6}]}]}]}
EOF
check report-conv 0 "$bin" suite --report-only "$tmp/conv"
has report-byzantine "$tmp/conv/report.md" 'blind adversaries are tolerated.*quad: f 6 at K/P = 0\.40 \(honest 2, start 10\) \| holds'
has report-ref-rate "$tmp/conv/report.md" '^\| pack \| ocl \| 1048576 \| 43.3 \| 0.500 \| 86.5 \|$'
has report-map-latency "$tmp/conv/report.md" '^\| map_read \| ocl \| 1048576 \| no copy: latency 806 ns \| - \| - \|$'
lacks report-no-nan "$tmp/conv/report.md" '[Nn]a[Nn]'
has report-train-row "$tmp/conv/report.md" '^\| train/quad/sgd/seed1 \| 0.5 \| 0.25 \| - \| - \|$'
has report-grid-row "$tmp/conv/report.md" '^\| grid/signum/best \| 0.0351 \| 0.2 \|$'
has report-sweep-row "$tmp/conv/report.md" '^\| sweep/quad/sgd-theory/d=10 \| 0.2 \| 0.1..0.3 \| 3 \|$'
lacks report-html-no-nan "$tmp/conv/report.html" '>nan<'

# Fix 7: a malformed .dat is reported as a bad .dat, not as "not valid JSON".
printf 'hello\n1 2\n' >"$tmp/b.dat"
check plot-bad-dat 2 "$bin" plot "$tmp/b.dat"
error_line plot-bad-dat-line "$bin" plot "$tmp/b.dat"
msg=$("$bin" plot "$tmp/b.dat" 2>&1)
holds "plot-bad-dat-message: $msg" test -n "$(printf '%s' "$msg" | grep 'not a signbench .dat file' | grep -v 'not valid JSON')"

require_device
command -v gnuplot >/dev/null || skip "gnuplot missing"
cd "$src" || exit 1   # the default data file is tests/data/breast_cancer.libsvm

run=$tmp/run
check suite-tiny 0 "$bin" suite --quick --only devices,train --out "$run"
has summary-schema "$run/summary.json" '"schema":[[:space:]]*"signbench-summary"'
has summary-steps "$run/summary.json" '"status":[[:space:]]*"ok"'
has summary-train "$run/summary.json" 'train/logreg/signum/seed1'
has devices-json "$run/devices.json" '"devices"|"platforms"|"name"'
has report-md "$run/report.md" '^# signbench report'
has report-md-conv "$run/report.md" 'train/logreg/adam/seed1'
has report-html "$run/report.html" '<table>'
check compare-summary-self 0 "$bin" compare "$run/summary.json" "$run/summary.json"
# Re-running into the same folder would mix the earlier run's results in: refused, and
# the earlier summary is left as it was.
cp "$run/summary.json" "$tmp/summary-before.json"
check rerun-same-out 2 "$bin" suite --quick --only devices --out "$run"
cmp -s "$run/summary.json" "$tmp/summary-before.json" && ok || bad "rerun changed summary.json"

check sweep-tiny 0 "$bin" sweep --dims 8,16,32 --seeds 2 --evals 400 --tune-lrs 0.01,0.1 --out "$run"
check grid-tiny 0 "$bin" grid --lrs 1e-3,1e-1 --wds 0,1e-2 --momenta 0,0.9 --steps 20 --out "$run"
check report-only 0 "$bin" suite --report-only "$run"
# Past Theorem 2's condition (delta L < 2) the sgd-theory bound is marked not applicable,
# with delta L, in the table and the JSON (quad: L = 1, so delta L = 3); Theorem 1's stays.
"$bin" sweep --dims 8,16 --seeds 1 --evals 200 --tune-lrs 0.1 --lr-sgd 3 --out "$tmp/sw3" >"$tmp/sw3.out" 2>&1
has sweep-na-table "$tmp/sw3.out" '^sgd-theory +8 .*n/a dL=3 *$'
has sweep-na-legend "$tmp/sw3.out" 'Theorem 2 needs delta\*L < 2'
holds sweep-na-json json "$tmp/sw3/sweep.json" 'all(p["bound"] is None and p["bound_applicable"] is False and p["delta_L"] == 3 and "not applicable" in p["bound_note"] for p in j["variants"][2]["points"]) and all(isinstance(p["bound"], float) for p in j["variants"][0]["points"])'
holds sweep-ok-json json "$run/sweep.json" 'all(p["bound_applicable"] is True and p["delta_L"] < 2 and "bound_note" not in p for p in j["variants"][2]["points"])'
has report-verdict-thm1 "$run/report.md" 'Theorem 1 \(signsgd-theory\)'
has report-verdict-thm2 "$run/report.md" 'Theorem 2 \(sgd-theory\)'
has report-verdict-grid "$run/report.md" 'Figure 2: Signum'
has report-embedded "$run/report.html" 'src="data:image/png;base64,iVBORw0KGgo'
lacks report-self-contained "$run/report.html" 'src="[^d]'
has sweep-json "$run/sweep.json" '"schema":[[:space:]]*"signbench-sweep"'
has sweep-fit "$run/sweep.json" '"fit_min_norm"'
has sweep-csv "$run/sweep.csv" '^variant,d,seed,lr,min_norm'
has grid-json "$run/grid.json" '"robustness"'

# Plots come back from their data files, their JSON and a trace CSV.
rm -f "$run"/sweep_norms.png "$run"/grid_adam.png
check redraw-dat 0 "$bin" plot "$run/sweep_norms.dat"
check redraw-grid-json 0 "$bin" plot "$run/grid.json"
check redraw-csv 0 "$bin" plot "$run/train/train-adam.csv"
for f in sweep_norms.png grid_adam.png train/train-adam.png train/train-adam.svg; do
    if [ -s "$run/$f" ]; then ok; else bad "redraw: no $f"; fi
done
ls "$run"/*.tmp >/dev/null 2>&1 && bad "temporary files left"
check gnuplot-missing 1 env SIGNBENCH_GNUPLOT=/nonexistent/gnuplot "$bin" plot "$run/sweep_norms.dat"
one_line gnuplot-missing-line env SIGNBENCH_GNUPLOT=/nonexistent/gnuplot "$bin" plot "$run/sweep_norms.dat"

# The binary copied elsewhere and run from an empty folder reads the built-in data.
mkdir -p "$tmp/bin" "$tmp/away"
cp "$bin" "$tmp/bin/signbench"
(cd "$tmp/away" && "$tmp/bin/signbench" train --problem logreg --data breast-cancer \
    --optimizer sgd --steps 3 --out "$tmp/tr" >/dev/null 2>&1)
holds builtin-data-train test -s "$tmp/tr/train-sgd.json"
holds builtin-data-d30 json "$tmp/tr/train-sgd.json" 'j["d"] == 30'
# grid and suite default to it: both run from the copy in the empty folder.
(cd "$tmp/away" && "$tmp/bin/signbench" grid --optimizers sgd --lrs 1e-2 --wds 0 \
    --momenta 0 --steps 5 --out "$tmp/g" >/dev/null 2>&1)
holds grid-default-data json "$tmp/g/grid.json" 'j["data"] == "breast-cancer"'
(cd "$tmp/away" && "$tmp/bin/signbench" suite --quick --only train,grid --out "$tmp/s" \
    >"$tmp/suite.log" 2>&1)
holds suite-default-data grep -q "2 step(s), 0 failed" "$tmp/suite.log"
check missing-data 2 "$tmp/bin/signbench" train --problem logreg --data "$tmp/away/none.libsvm" --optimizer sgd --steps 3 --out "$tmp/tr2"

finish
