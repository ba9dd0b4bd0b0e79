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
# A truncated summary.json is named as what it is (the reader's words), not as missing.
mkdir -p "$tmp/trunc" && printf '{"schema": "signbench-summary", "steps": [' >"$tmp/trunc/summary.json"
check report-only-truncated 2 "$bin" suite --report-only "$tmp/trunc"
"$bin" suite --report-only "$tmp/trunc" 2>&1 | grep -q 'summary.json.*JSON' && ok ||
    bad "report-only-truncated-msg: $("$bin" suite --report-only "$tmp/trunc" 2>&1 | tail -1)"
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
# micro rows in the report: one row per kernel and size, ours beside the C loops and
# CLBlast, the ceiling's rate and the variant that set it; a flagged row stands out; a
# zero-copy map as a latency, not a rate.
cat >"$tmp/conv/micro.json" <<'EOF'
{"context": {"device": "d", "platform": "p", "driver": "v", "warnings": ["load average 9.00 exceeds the 2 CPUs: timings will be noisy"]}, "benchmarks": [
 {"name": "pack/ocl/1048576/manual_time_median", "run_type": "aggregate",
  "aggregate_name": "median", "kernel": "pack", "impl": "ocl", "n": 1048576,
  "real_time": 100, "time_unit": "us", "bytes": 4325376, "bytes_per_second": 43253760000,
  "roofline_fraction": 0.5, "roofline_ref": "read", "roofline_ref_bytes_per_second": 86507520000,
  "roofline_ref_variant": "read:ocl/w16_chunked_wg64", "ceiling_exceeded": false,
  "clblast_routine": "sasum", "noisy": false, "launch_bound": false},
 {"name": "pack/omp/1048576_median", "run_type": "aggregate", "aggregate_name": "median",
  "kernel": "pack", "impl": "omp", "n": 1048576, "bytes_per_second": 20000000000},
 {"name": "ceiling_read/clblast/1048576/variant:sasum/manual_time_median", "run_type": "aggregate",
  "aggregate_name": "median", "kernel": "ceiling_read", "impl": "clblast", "variant": "sasum",
  "n": 1048576, "bytes_per_second": 30000000000},
 {"name": "sign/ocl/1048576/manual_time_median", "run_type": "aggregate",
  "aggregate_name": "median", "kernel": "sign", "impl": "ocl", "n": 1048576,
  "real_time": 100, "time_unit": "us", "bytes": 8388608, "bytes_per_second": 83886080000,
  "roofline_fraction": 1.2, "roofline_ref": "copy", "roofline_ref_bytes_per_second": 69905066667,
  "roofline_ref_variant": "copy:ocl/w4_grid_wg256", "ceiling_exceeded": true,
  "flag": "ceiling exceeded: reference variant set incomplete", "noisy": true, "launch_bound": false},
 {"name": "map_read/ocl/1048576/manual_time_median", "run_type": "aggregate",
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
has report-micro-row "$tmp/conv/report.md" '^\| pack \| 1048576 \| 43.25 \| 20.00 \| - \| 30.00 \(sasum\) \| 0.500 \| 86.51 read:ocl/w16_chunked_wg64 \| - \|$'
has report-micro-flagged "$tmp/conv/report.md" '^\| !! sign \| 1048576 \| 83.89 \| - \| - \| - \| !! 1.200 !! \| 69.91 copy:ocl/w4_grid_wg256 \| CEILING EXCEEDED: reference variant set incomplete noisy  \|$'
has report-micro-warning "$tmp/conv/report.md" '^WARNING: load average 9.00 exceeds the 2 CPUs'
has report-map-latency "$tmp/conv/report.md" '^map_read at n = 1048576: no copy \(the device shares host memory\): latency 806 ns.$'
has report-byzantine "$tmp/conv/report.md" 'blind adversaries are tolerated.*quad: f 6 at K/P = 0\.40 \(honest 2, start 10\) \| holds'
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

# An empty item in a list option is refused in one line (not skipped).
for args in "sweep --dims 8,,16" "sweep --dims 8,16," "grid --optimizers sgd,,adam"; do
    # shellcheck disable=SC2086 # the words are the arguments
    check "empty-item: $args" 2 "$bin" $args
    # shellcheck disable=SC2086
    error_line "empty-item-line: $args" "$bin" $args
done

# A CSV with text cells: a plotted column holding text is refused in one line naming the
# cell (not gnuplot's echoed command) and leaves no .dat; a column of labels only is left
# out of the default columns, and with nothing numeric left the file is refused.
printf 'step,f,g\n1,0.5,2\n2,oops,3\n' >"$tmp/mixed.csv"
check plot-csv-text 2 "$bin" plot "$tmp/mixed.csv"
error_line plot-csv-text-line "$bin" plot "$tmp/mixed.csv"
holds plot-csv-text-names-cell test -n "$("$bin" plot "$tmp/mixed.csv" 2>&1 | grep "mixed.csv:3: column 'f' holds 'oops'")"
printf 'x,name\n1,a\n2,b\n' >"$tmp/labels.csv"
check plot-csv-labels-only 2 "$bin" plot "$tmp/labels.csv"
error_line plot-csv-labels-only-line "$bin" plot "$tmp/labels.csv"
check plot-csv-text-x 2 "$bin" plot --x name "$tmp/labels.csv"
check plot-csv-text-y 2 "$bin" plot --y name "$tmp/labels.csv"
[ ! -e "$tmp/mixed.dat" ] && [ ! -e "$tmp/labels.dat" ] && ok || bad "a refused CSV left a .dat"
# plot's CSV reader is the shared bounded one: a NUL byte (rows after it were dropped
# silently) and a file over the size limit are refused in one line, leaving no .dat.
printf 'step,f\n1,0.5\n\0002,0.25\n3,0.1\n' >"$tmp/nul.csv"
check plot-csv-nul 2 "$bin" plot "$tmp/nul.csv"
error_line plot-csv-nul-line "$bin" plot "$tmp/nul.csv"
holds plot-csv-nul-msg test -n "$("$bin" plot "$tmp/nul.csv" 2>&1 | grep 'nul.csv:3: NUL byte')"
printf 'step,f\n1,0.5\n2,0.25\n' >"$tmp/ok.csv"
check plot-csv-over-limit 2 env SIGNBENCH_MAX_INPUT=8 "$bin" plot "$tmp/ok.csv"
holds plot-csv-over-limit-msg test -n "$(SIGNBENCH_MAX_INPUT=8 "$bin" plot "$tmp/ok.csv" 2>&1 | grep 'larger than the 8 bytes limit')"
[ ! -e "$tmp/nul.dat" ] && [ ! -e "$tmp/ok.dat" ] && ok || bad "a refused CSV left a .dat"
# A grid file without a test error to draw is refused, and no heatmap is drawn.
echo '{"schema": "signbench-grid", "lrs": [0.1], "wds": [0], "optimizers": [{"name": "sgd", "test_error": [[[null]]]}]}' >"$tmp/g-diverged.json"
echo '{"schema": "signbench-grid", "lrs": [0.1], "wds": [0], "optimizers": []}' >"$tmp/g-none.json"
for g in g-diverged g-none; do
    check "plot-$g" 2 "$bin" plot "$tmp/$g.json"
    error_line "plot-$g-line" "$bin" plot "$tmp/$g.json"
    ls "$tmp/$g"_* >/dev/null 2>&1 && bad "plot $g.json drew a heatmap" || ok
done

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
# Slopes: N-to-target is fitted only on the d values where every seed reached the target
# (here d = 64 misses it), and the table, JSON and report state the d range and runs each
# fit used; against an upper bound, a steeper slope is "consistent" only with every value
# under the bound, and then in the measured range only.
"$bin" sweep --dims 8,16,64 --seeds 2 --evals 300 --tune-lrs 0.01,0.1 --out "$tmp/swc" >"$tmp/swc.out" 2>&1
cat >"$tmp/fits.py" <<'PY'
import json, sys
def steeper(f):  # the slope's interval (the slope itself with two points) above the bound's
    lo = f["ci_lo"] if f["ci_lo"] is not None else f["slope"]
    return f["slope"] is not None and lo > f["predicted"]
for path in sys.argv[1:]:
    j = json.load(open(path))
    for v in j["variants"]:
        full = [p["d"] for p in v["points"] if p["reached"] == j["seeds"]]
        f = v["fit_evals_to_target"]
        assert f["censored_dims"] == len(v["points"]) - len(full), (path, v["name"])
        if len(full) >= 2:
            assert (f["d_min"], f["d_max"], f["points"]) == (min(full), max(full), j["seeds"] * len(full)), (path, v["name"], f)
        else:
            assert f["slope"] is None and f["vs_bound"]["verdict"] == "not fitted"
        if steeper(f):
            assert f["vs_bound"]["verdict"] != "consistent"
        m = v["fit_min_norm"]
        pts = [p for p in v["points"] if p["min_norm"] is not None and p["bound"] is not None]
        above = [p for p in pts if p["min_norm"] > p["bound"]]
        b = m["vs_bound"]
        assert (b["compared"], b["below"]) == (len(pts), len(pts) - len(above)), (path, v["name"])
        if above:
            assert b["verdict"] == "not consistent"
        elif pts and steeper(m):
            assert b["verdict"] == "consistent in the measured range only" and "in this range only" in b["text"]
        elif pts:
            assert b["verdict"] == "consistent"
PY
holds sweep-fit-rules python3 "$tmp/fits.py" "$tmp/swc/sweep.json" "$run/sweep.json" "$tmp/sw3/sweep.json"
holds sweep-censored json "$tmp/swc/sweep.json" 'j["variants"][0]["fit_evals_to_target"]["d_max"] == 16 and j["variants"][0]["fit_evals_to_target"]["censored_dims"] == 1 and j["variants"][0]["fit_min_norm"]["d_max"] == 64'
has sweep-table-range "$tmp/swc.out" '^signsgd-theory +norm1\^2 +[-0-9.]+ \[[-0-9., ]+\] +8\.\.64 \(6\) +2 +[-0-9.]+ \[[-0-9., ]+\] +8\.\.16 \(4\) +4$'
has sweep-table-censored "$tmp/swc.out" 'signsgd-theory, N-to-target: .*1 d value\(s\) left out'
has sweep-steeper-wording "$tmp/swc.out" 'sgd-theory, min norm: consistent in the measured range only: slope steeper than the bound.s \(1\), but under the bound at all 3 d values'
has report-sweep-range "$run/report.md" '\| quad \| signsgd-theory \| 8\.\.32 \| [-0-9.]+ \[[-0-9., ]+\], d 8\.\.32, 6 runs \|'
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
# Figures: no colour used twice in one plot, every series its own dash pattern, the
# legend outside the data (seen in the scripts gnuplot is given); the grid's heatmaps
# share one colour scale, and a best cell at the grid's edge is noted.
printf '#!/bin/sh\ntee -a "%s" | gnuplot\n' "$tmp/gp.log" >"$tmp/gp" && chmod +x "$tmp/gp"
SIGNBENCH_GNUPLOT=$tmp/gp "$bin" plot "$run/sweep_norms.dat" "$run/train/train-adam.csv" >/dev/null 2>&1
python3 - "$tmp/gp.log" <<'PY' && ok || bad "plot styles: a colour or dash reused, or the legend inside"
import re, sys
plots = re.findall(r"^plot (.*?)(?=^unset output)", open(sys.argv[1]).read(), re.S | re.M)
assert len(plots) == 4, len(plots)
for p in plots:
    series = re.findall(r"with (lines|linespoints|yerrorlines)(?: dt (\S+))?[^\n]*? lc rgb '(#[0-9a-f]{6})' title", p)
    assert len(series) >= 3, p
    colours = [c for _, _, c in series]
    dashes = [d for _, d, _ in series]
    assert len(set(colours)) == len(colours), colours
    assert len(set(dashes)) == len(dashes), dashes
assert open(sys.argv[1]).read().count("set key outside") == 4
PY
holds grid-one-scale test "$(grep -h '^# zrange:' "$run"/grid_*.dat | sort -u | wc -l)" -eq 1 -a "$(grep -l '^# zrange:' "$run"/grid_*.dat | wc -l)" -eq 3
holds grid-edge-json json "$run/grid.json" 'all("largest lr" in o["best"]["at_edge"] for o in j["optimizers"] if o["best"]["lr"] == 0.1) and all(o["best"]["at_edge"] is None or "edge" not in o["best"]["at_edge"] for o in j["optimizers"])'
holds grid-edge-note grep -q "^# note: best (outlined) at the grid's edge: largest lr" "$run/grid_sgd.dat"
# A grid where every run diverges: the table says so, no heatmap is drawn or claimed.
"$bin" grid --optimizers sgd --lrs 1e6 --wds 1e6 --momenta 0 --steps 20 --out "$tmp/gdv" >"$tmp/gdv.out" 2>&1
has grid-diverged-table "$tmp/gdv.out" '^sgd +all diverged$'
has grid-diverged-wrote "$tmp/gdv.out" 'no heatmap \(every run diverged\)$'
ls "$tmp/gdv"/grid_* >/dev/null 2>&1 && bad "a heatmap of a grid where every run diverged" || ok
# A figure gnuplot cannot draw: the error is gnuplot's message in one line, not the
# command it echoes nor a warning before it; the .dat given to redraw is left as it was.
printf '# signbench-plot 1 lines\n# title: t\n# series: lines s\nNaN NaN NaN NaN\n1 NaN NaN NaN\n' >"$tmp/nan.dat"
check gnuplot-fails 1 "$bin" plot "$tmp/nan.dat"
error_line gnuplot-fails-line "$bin" plot "$tmp/nan.dat"
holds gnuplot-fails-message test -z "$("$bin" plot "$tmp/nan.dat" 2>&1 | grep -i 'gnuplot>\|warning')"
holds gnuplot-fails-keeps-dat test -s "$tmp/nan.dat"
# plot --out DIR: the figures (and a redrawn .dat's copy) go into DIR, created if missing.
check plot-out 0 "$bin" plot --out "$tmp/figs/new" "$run/sweep.json" "$run/grid.json" "$run/sweep_evals.dat" "$run/train/train-adam.csv"
for f in sweep_norms.png sweep_evals.svg sweep_evals.dat grid_adam.png grid_signum.svg train-adam.png; do
    if [ -s "$tmp/figs/new/$f" ]; then ok; else bad "plot --out: no $f"; fi
done
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
