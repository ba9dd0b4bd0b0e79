#!/usr/bin/env bash
# tube.sh - `signbench tube` and `signbench figure1` as a user runs them: outputs exist and
# agree with each other, figure1.json has the schema, bad input exits 2 with one line.
. "$(dirname "$0")/lib.sh"

require_device

# ---- bad input: exit 2, one line, nothing run ----
check bad-opt 2 "$bin" tube --optimizers gd,adam
one_line bad-opt-line "$bin" tube --optimizers gd,adam
check bad-d 2 "$bin" tube --d 1
check bad-lr 2 "$bin" tube --lr 0.05,-1
check bad-sched 2 "$bin" tube --schedule cosine
check bad-domain 2 "$bin" tube --tube-domain loose
check bad-prec 2 "$bin" tube --precision f16
check bad-study 2 "$bin" tube --study saddles
check study-fixed 2 "$bin" tube --study orbits --optimizers gd
check study-mom 2 "$bin" tube --study orbits --momentum 0.5,0.9
check study-bench 2 "$bin" tube --study orbits --bench
printf '1,0\n0\n' > "$tmp/bad.csv"
check bad-rotfile 2 "$bin" tube --d 2 --rotations "$tmp/bad.csv"
one_line bad-rotfile-line "$bin" tube --d 2 --rotations "$tmp/bad.csv"
check missing-rotfile 2 "$bin" tube --d 2 --rotations "$tmp/none.csv"
check fig-bad-d 2 "$bin" figure1 --d 0
check fig-extra 2 "$bin" figure1 extra
check fig-bad-domain 2 "$bin" figure1 --tube-domain strict
one_line fig-bad-domain-line "$bin" figure1 --tube-domain strict

# ---- a small batch: files, rows, JSON ----
out="$tmp/t"
check tube-run 0 "$bin" tube --d 6 --trials 8 --steps 400 --optimizers gd,signgd,signum \
    --lr 0.05,0.1 --traces 2 --out "$out"
rows=$(($(wc -l < "$out/trajectories.csv") - 1))
[ "$rows" -eq $((8 * 3 * 2)) ] && ok || bad "trajectories.csv has $rows rows, wanted 48"
[ -s "$out/traces.csv" ] && ok || bad "no traces.csv"
ncols=$(head -1 "$out/traces.csv" | tr ',' '\n' | wc -l)
[ "$ncols" -eq $((1 + 3 * 2 * 2)) ] && ok || bad "traces.csv has $ncols columns, wanted 13"
nres=$(pj "$out/summary.json" 'len(j["results"])')
[ "$nres" -eq 6 ] && ok || bad "summary.json has $nres settings, wanted 6"
# The aggregate agrees with the per-trajectory CSV: reached counts of signgd lr 0.05.
csv_reached=$(awk -F, 'NR>1 && $2=="signgd" && $4=="0.05" {s+=$7} END {print s+0}' "$out/trajectories.csv")
json_reached=$(pj "$out/summary.json" '[int(r["reached_minimum"]["count"]) for r in j["results"] if r["optimizer"] == "signgd" and r["lr"] == 0.05][0]')
[ "$csv_reached" = "$json_reached" ] && ok || bad "reached: CSV $csv_reached, JSON $json_reached"
[ "$(pj "$out/summary.json" 'j["settings"]["tube_domain"]')" = continuation ] && ok || bad "domain not recorded"
# Only lattice methods get an orbit verdict.
[ "$(pj "$out/summary.json" 'all(r["saddle_orbit"] is None for r in j["results"] if r["optimizer"] == "gd")')" = true ] \
    && ok || bad "gd has an orbit verdict"

# Both spellings of the continuation rule (train/eval's older "continue" is an alias), and
# the summary's "written:" line names every file the run left, traces plots included.
check tube-continue 0 "$bin" tube --d 4 --trials 2 --steps 50 --optimizers gd --tube-domain continue --out "$tmp/cont"
[ "$(pj "$tmp/cont/summary.json" 'j["settings"]["tube_domain"]')" = continuation ] && ok || bad "continue not recorded as continuation"
"$bin" tube --d 4 --trials 2 --steps 50 --optimizers gd --out "$tmp/wr" >"$tmp/wr.out" 2>&1
written=$(sed -n 's/^written: [^{]*{\(.*\)}$/\1/p' "$tmp/wr.out")
[ -n "$written" ] && ok || bad "tube printed no written: line"
for f in $(printf '%s' "$written" | tr ',' ' '); do
    [ -s "$tmp/wr/$f" ] && ok || bad "written: names $f but it is not there"
done
for f in "$tmp"/wr/*; do
    case ",$written," in *",${f##*/},"*) ok ;; *) bad "written: omits ${f##*/}" ;; esac
done

# A step far too large for the tube (lr 5) cycles exactly, but far from any saddle: those
# orbits are "not at a saddle", never saddle orbits; a real one (lr 0.1, d 10) is within
# tau of its saddle.
check tube-bounce 0 "$bin" tube --d 10 --trials 20 --optimizers signgd --lr 5 --steps 300 --traces 0 --out "$tmp/b5"
holds bounce-not-saddle json "$tmp/b5/summary.json" 'j["results"][0]["saddle_orbit"]["count"] == 0 and j["results"][0]["orbit_not_at_saddle"]["count"] == 20 and all(e["max_distance_from_saddle"] > 2.72 for e in j["results"][0]["orbits_not_at_saddle"])'
holds bounce-csv-class test "$(awk -F, 'NR==1 {for (i=1;i<=NF;i++) if ($i=="orbit_class") c=i} NR>1 && $c=="not_at_saddle" {n++} END {print n+0}' "$tmp/b5/trajectories.csv")" -eq 20
check tube-real-orbit 0 "$bin" tube --d 10 --trials 100 --optimizers signgd --lr 0.1 --steps 3000 --traces 0 --out "$tmp/o1"
holds real-orbit-near json "$tmp/o1/summary.json" 'j["results"][0]["saddle_orbit"]["count"] > 0 and all(e["max_distance"] <= 2.72 for e in j["results"][0]["saddle_orbits"])'

# Tube's L (34.66) bounds the curvature inside the tube set only: stated in the output
# and summary.json under the continuation rule, and in figure1.json.
grep -q '^note: L = 34.66 .*inside the tube set only.*not guaranteed' "$tmp/wr.out" && ok || bad "tube prints no smoothness note"
holds smooth-json json "$tmp/wr/summary.json" 'abs(j["settings"]["smoothness"]["L_tube_set"] - 34.66) < 0.01 and j["settings"]["smoothness"]["global"] is False and "tube set only" in j["settings"]["smoothness"]["note"]'

# strict domain: a start outside the tube set stops at once and is marked.
out2="$tmp/s"
check tube-strict 0 "$bin" tube --d 4 --trials 20 --steps 200 --optimizers gd --rotations none \
    --tube-domain strict --out "$out2" --json
left=$(pj "$out2/summary.json" 'int(j["results"][0]["left_domain"]["count"])')
outside=$(pj "$out2/summary.json" 'int(j["results"][0]["outside_tube_set"]["count"])')
[ "$left" -eq "$outside" ] && ok || bad "strict: left $left but outside $outside"
[ "$(pj "$out2/summary.json" 'j["settings"]["tube_domain"]')" = strict ] && ok || bad "strict not recorded"

# Too large a step: GD diverges; a diverged run never counts as having reached the minimum.
check tube-diverge 0 "$bin" tube --d 5 --trials 4 --steps 300 --optimizers gd --lr 1 --out "$tmp/dv"
[ "$(pj "$tmp/dv/summary.json" 'int(j["results"][0]["diverged"]["count"])')" -eq 4 ] && ok || bad "GD at lr 1 did not diverge"
[ "$(pj "$tmp/dv/summary.json" 'int(j["results"][0]["reached_minimum"]["count"])')" -eq 0 ] && ok || bad "diverged runs counted as reaching the minimum"

# A rotation file: the identity gives the axis-aligned run exactly.
printf '1,0,0\n0,1,0\n0,0,1\n' > "$tmp/id.csv"
"$bin" tube --d 3 --trials 4 --steps 300 --optimizers signgd --rotations "$tmp/id.csv" --out "$tmp/r1" >/dev/null 2>&1
"$bin" tube --d 3 --trials 4 --steps 300 --optimizers signgd --rotations none --out "$tmp/r2" >/dev/null 2>&1
if cmp -s <(cut -d, -f1-5,7- "$tmp/r1/trajectories.csv") <(cut -d, -f1-5,7- "$tmp/r2/trajectories.csv"); then ok
else bad "identity rotation file differs from --rotations none"; fi

# ---- the study and the bench, tiny ----
check study 0 "$bin" tube --study orbits --trials 20 --study-d 2,4 --lr 0.05 --steps 300 --out "$tmp/o"
nrow=$(($(wc -l < "$tmp/o/orbits.csv") - 1))
[ "$nrow" -eq 6 ] && ok || bad "orbits.csv has $nrow rows, wanted 6"
check bench 0 "$bin" tube --bench --trials 16 --steps 50 --json
# The bench's JSON names its schema, as every command's JSON does.
"$bin" tube --bench --trials 16 --steps 50 --json --out "$tmp/bj" > "$tmp/bench.json" 2>/dev/null
holds bench-schema json "$tmp/bench.json" 'j["schema"] == "signbench-tube-bench-1" and j["batch"] == 16'
holds bench-schema-file json "$tmp/bj/bench.json" 'j["schema"] == "signbench-tube-bench-1"'

# ---- default run folders: results/runs/<UTC>-<device slug> for tube, figure1, train, suite ----
mkdir -p "$tmp/cwd"
# Runs that start in the same second get their own folders (-2, -3, ... appended).
(cd "$tmp/cwd" && "$bin" suite --only devices >/dev/null 2>&1) && ok || bad "suite without --out failed"
(cd "$tmp/cwd" && "$bin" tube --d 2 --trials 1 --steps 10 --optimizers gd --traces 0 >/dev/null 2>&1) \
    && ok || bad "tube without --out failed"
(cd "$tmp/cwd" && "$bin" figure1 --d 2 --steps 20 >/dev/null 2>&1) && ok || bad "figure1 without --out failed"
(cd "$tmp/cwd" && "$bin" train --problem quad --d 4 --optimizer sgd --steps 3 >/dev/null 2>&1) && ok || bad "train without --out failed"
(cd "$tmp/cwd" && "$bin" train --problem quad --d 4 --optimizer sgd --steps 3 >/dev/null 2>&1) && ok || bad "second train without --out failed"
slug=$(pj "$out/summary.json" '__import__("re").sub("-+$", "", __import__("re").sub("[^a-z0-9]+", "-", j["settings"]["device"].lower()).lstrip("-")[:40]).rstrip("-") or "device"')
n_tube=$(ls -d "$tmp"/cwd/results/runs/*/ 2>/dev/null | grep -cE "/[0-9]{8}T[0-9]{6}Z-$slug(-[0-9]+)?/$")
n_all=$(ls -d "$tmp"/cwd/results/runs/*/ 2>/dev/null | wc -l)
[ "$n_all" -eq 5 ] && [ "$n_tube" -eq "$n_all" ] && ok || bad "default run folders are not 5 x <UTC>-$slug[-N]: $(ls "$tmp/cwd/results/runs" 2>&1)"

# ---- help and output: plain wording ----
"$bin" tube --help > "$tmp/tube-help.txt" 2>&1
"$bin" figure1 --help > "$tmp/fig-help.txt" 2>&1
holds help-no-double-percent test -z "$(grep -l '%%' "$tmp/tube-help.txt" "$tmp/fig-help.txt")"
holds help-95-percent grep -q '95 % Wilson' "$tmp/tube-help.txt"
holds help-run-folder grep -q 'results/runs/<UTC time>-<device slug>' "$tmp/tube-help.txt" "$tmp/fig-help.txt"
holds no-issue-wording test -z "$(grep -il 'issue' "$tmp/tube-help.txt" "$tmp/fig-help.txt" "$tmp/wr.out")"

# ---- figure1: schema and verdicts computed ----
f1="$tmp/f1"
"$bin" figure1 --out "$f1" --steps 1500 --tube-domain continue > "$tmp/f1.out" 2>&1 \
    && ok || bad "figure1: exit $?: $(tail -5 "$tmp/f1.out")"
j="$f1/figure1.json"
holds fig-smooth-json json "$j" 'j["settings"]["smoothness"]["global"] is False and "Theorem 1/2" in j["settings"]["smoothness"]["note"]'
# figure1 with a step too large: its cycles are not at a saddle, so claim 3 does not hold.
"$bin" figure1 --lr 5 --steps 200 --out "$tmp/f5" --json >/dev/null 2>&1
holds fig-bounce-no-claim json "$tmp/f5/figure1.json" '[c for c in j["claims"] if c["id"] == "orbits_exist"][0]["held"] is False and [c for c in j["claims"] if c["id"] == "orbits_exist"][0]["numbers"]["rotations_with_saddle_orbit"] == 0'
[ -s "$j" ] && ok || bad "no figure1.json"
schema=$(pj "$j" 'isinstance(j["claims"], list) and len(j["claims"]) >= 4 and all(isinstance(c["id"], str) and isinstance(c["claim"], str) and isinstance(c["held"], bool) and isinstance(c["numbers"], dict) for c in j["claims"])')
[ "$schema" = true ] && ok || bad "figure1.json does not have the claims schema"
for id in axis_aligned_signgd_unhindered rotation_changes_signgd orbits_exist momentum_breaks_orbits; do
    [ "$(pj "$j" "sum(c['id'] == '$id' for c in j['claims'])")" -eq 1 ] && ok || bad "claim $id missing"
done
# The verdict follows from the numbers (not asserted): recheck claim 1 from its numbers.
v=$(pj "$j" '[(n["panel_signgd_steps_to_minimum"] >= 0 and (n["panel_gd_steps_to_minimum"] < 0 or n["panel_signgd_steps_to_minimum"] < n["panel_gd_steps_to_minimum"]) and n["starts_where_signgd_first"] == n["starts"]) == c["held"] for c in j["claims"] if c["id"] == "axis_aligned_signgd_unhindered" for n in [c["numbers"]]][0]')
[ "$v" = true ] && ok || bad "claim 1 verdict does not follow from its numbers"
cols=$(head -1 "$f1/figure1.csv" | tr ',' '\n' | wc -l)
[ "$cols" -eq 14 ] && ok || bad "figure1.csv has $cols columns, wanted 14"
holds fig-no-issue-wording test -z "$(grep -i 'issue' "$tmp/f1.out")"

# ---- plots: a pen (colour and dash) of its own per series, the legend outside the data,
# and figure1's panels show f* (a series at f* = -d nu, so the y range includes it) ----
# pens DAT: the pen numbers of DAT's series, one a line ("series: STYLE@PEN label").
pens() { sed -n 's/^# series: [a-z]*@\([0-9]*\) .*/\1/p' "$1"; }
for d in "$f1/figure1_left.dat" "$f1/figure1_middle.dat" "$f1/figure1_right.dat" "$tmp/wr/traces.dat" "$out/traces.dat" "$tmp/o/orbits.dat"; do
    [ -s "$d" ] || continue # no gnuplot: no .dat either
    ns=$(grep -c '^# series: ' "$d")
    np=$(pens "$d" | sort -u | wc -l)
    [ "$ns" -ge 1 ] && [ "$np" -eq "$ns" ] && ok || bad "${d##*/}: $ns series but $np distinct pens"
    grep -q '^# key: outside$' "$d" && ok || bad "${d##*/}: legend not outside the data"
done
if command -v gnuplot >/dev/null; then
    for p in left middle right; do
        [ -s "$f1/figure1_$p.png" ] && [ -s "$f1/figure1_$p.svg" ] && ok || bad "no figure1_$p plot"
        holds "fig-fstar-$p" python3 - "$f1/figure1_$p.dat" "$j" "$out/summary.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
j = json.load(open(sys.argv[2]))
blocks = text.split("\n\n\n")
fs = [b for b in blocks if re.search(r"^# series: \w+@\d+ f\* = ", b, re.M)]
pts = [list(map(float, l.split()[:2])) for l in fs[0].splitlines() if l and l[0] != "#"] if fs else []
d = j["settings"]["d"]
# f* = -d nu (the tube command's summary gives f* = -6 nu for d = 6): a line at f*
# across the whole run, and no curve below it.
nu = -json.load(open(sys.argv[3]))["settings"]["fstar"] / 6
ok = len(fs) == 1 and len(pts) == 2 and pts[0][1] == pts[1][1] and pts[0][0] == 0 \
    and pts[1][0] == j["settings"]["steps"]
ys = [float(l.split()[1]) for b in blocks if b not in fs for l in b.splitlines()
      if l and l[0] != "#" and l.split()[1] not in ("nan", "NaN")]
ok = ok and min(ys) >= pts[0][1] - 1e-3 * abs(pts[0][1]) and abs(pts[0][1] + d * nu) < 1e-6 * d * nu
sys.exit(0 if ok else 1)
PY
    done
    # Every series of traces.svg is drawn in a colour of its own (12 traces, 12 colours).
    nc=$(grep -o "stroke='rgb([^']*)'" "$out/traces.svg" | sort -u | wc -l)
    [ "$nc" -ge 12 ] && ok || bad "traces.svg: $nc distinct line colours for 12 series"
fi

finish
