#!/usr/bin/env bash
# eval.sh - `signbench eval` as a user drives it: tube facts through the CLI, device vs
# host reference, rotation files, logreg on the shipped data, timing JSON, bad input.
. "$(dirname "$0")/lib.sh"
# close A B TOL: every field of two CSV files agrees to TOL (relative to 1 + |b|)
close() {
    awk -F, -v tol="$3" 'NR==FNR { for (i = 1; i <= NF; i++) a[FNR, i] = $i; n = FNR; next }
        FNR > 1 { for (i = 1; i <= NF; i++) { d = a[FNR, i] - $i; if (d < 0) d = -d;
                  m = $i < 0 ? -$i : $i; if (d > tol * (1 + m)) { print "row " FNR " col " i ": " a[FNR, i] " vs " $i; bad = 1 } } }
        END { if (FNR != n) { print "row counts differ"; bad = 1 } exit bad }' "$1" "$2"
}

require_device

# Saddles (+-4tau, ..., 0, ...) and the minimum: f = -k nu, gradient 0 (d = 4).
t=2.718281828459045
cat > "$tmp/saddles.csv" <<CSV
0,0,0,0
$(awk -v t=$t 'BEGIN { printf "%.17g,0,0,0\n", -4*t; printf "%.17g,%.17g,0,0\n", 4*t, -4*t; printf "%.17g,%.17g,%.17g,%.17g\n", 4*t, 4*t, -4*t, 4*t }')
CSV
"$bin" eval --problem tube --d 4 --points "$tmp/saddles.csv" --host > "$tmp/host.csv"
if awk -F, 'NR > 1 { want = -(NR - 2) * 139.8704334; if (NR == 5) want = -4 * 139.8704334;
        d = $1 - want; if (d < 0) d = -d; if (d > 1e-4) exit 1;
        for (i = 2; i <= NF; i++) if ($i > 1e-9 || $i < -1e-9) exit 1 } END { if (NR != 5) exit 1 }' "$tmp/host.csv"
then ok; else bad "tube saddle values / zero gradients (host): $(cat "$tmp/host.csv")"; fi
"$bin" eval --problem tube --d 4 --points "$tmp/saddles.csv" > "$tmp/dev.csv"
if close "$tmp/dev.csv" "$tmp/host.csv" 1e-5; then ok; else bad "tube saddles: device vs host"; fi

# Random points in every region, device (fp32) vs the double reference.
awk 'BEGIN { srand(3); for (r = 0; r < 40; r++) { for (j = 0; j < 6; j++)
    printf "%s%.6f", j ? "," : "", (rand() - 0.5) * 30; printf "\n" } }' > "$tmp/pts6.csv"
for p in tube tube-rotated quad quad-rotated; do
    "$bin" eval --problem $p --d 6 --seed 4 --points "$tmp/pts6.csv" --out "$tmp/d.csv" &&
    "$bin" eval --problem $p --d 6 --seed 4 --points "$tmp/pts6.csv" --host --out "$tmp/h.csv" &&
    close "$tmp/d.csv" "$tmp/h.csv" 3e-5 && ok || bad "$p: device vs host"
done
[ ! -e "$tmp/d.csv.tmp" ] && ok || bad "temporary file left behind"

# A rotation file equal to the identity turns tube-rotated into tube.
printf '1,0,0,0,0,0\n0,1,0,0,0,0\n0,0,1,0,0,0\n0,0,0,1,0,0\n0,0,0,0,1,0\n0,0,0,0,0,1\n' > "$tmp/id.csv"
"$bin" eval --problem tube-rotated --d 6 --rotation "$tmp/id.csv" --points "$tmp/pts6.csv" --host > "$tmp/r.csv"
"$bin" eval --problem tube --d 6 --points "$tmp/pts6.csv" --host > "$tmp/u.csv"
cmp -s "$tmp/r.csv" "$tmp/u.csv" && ok || bad "identity rotation differs from tube"
printf '1,1,0,0,0,0\n0,1,0,0,0,0\n0,0,1,0,0,0\n0,0,0,1,0,0\n0,0,0,0,1,0\n0,0,0,0,0,1\n' > "$tmp/skew.csv"
check non-orthogonal 2 "$bin" eval --problem tube-rotated --d 6 --rotation "$tmp/skew.csv" --points "$tmp/pts6.csv" --host
one_line non-orthogonal-line "$bin" eval --problem tube-rotated --d 6 --rotation "$tmp/skew.csv" --points "$tmp/pts6.csv" --host

# logreg on the shipped breast cancer data: f(0) = ln 2; device and host agree.
bc="$src/tests/data/breast_cancer.libsvm"
awk 'BEGIN { for (j = 0; j < 30; j++) printf "%s0", j ? "," : ""; printf "\n";
    srand(5); for (j = 0; j < 30; j++) printf "%s%.5f", j ? "," : "", rand() - 0.5; printf "\n" }' > "$tmp/w.csv"
for g in native clblast; do
    "$bin" eval --problem logreg --data "$bc" --standardize --gemv $g --points "$tmp/w.csv" > "$tmp/ld.csv" &&
    "$bin" eval --problem logreg --data "$bc" --standardize --points "$tmp/w.csv" --host > "$tmp/lh.csv" &&
    close "$tmp/ld.csv" "$tmp/lh.csv" 2e-5 && ok || bad "logreg --gemv $g: device vs host"
done
awk -F, 'NR == 2 { d = $1 - log(2); exit !(d < 1e-12 && d > -1e-12) }' "$tmp/lh.csv" && ok || bad "logreg f(0) != ln 2"

# Timing: JSON with every path.
"$bin" eval --problem logreg --n 300 --d 20 --repeat 3 --json > "$tmp/t.json" 2>/dev/null
python3 - "$tmp/t.json" <<'PY' && ok || bad "eval --repeat --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["schema"] == "signbench-eval" and j["version"] == 1, j.get("schema")
paths = [r["path"] for r in j["results"]]
assert paths == ["native", "clblast", "host", "read"], paths
assert j["n"] == 300 and j["d"] == 20 and all(r["gbps"] > 0 and r["time_median_s"] > 0 for r in j["results"])
assert j["results"][3]["roofline_fraction"] == 1.0
PY

# The stochastic oracle through eval: keyed by seed and step (same output twice, other
# steps differ), theory schedule at step 3 = n_k 4 = half the noise of one draw.
printf '0,0,0,0,0\n' > "$tmp/z5.csv"
o() { "$bin" eval --problem quad --d 5 --points "$tmp/z5.csv" --seed 7 --sigma 1 "$@"; }
o --step 3 > "$tmp/n1.csv"; o --step 3 > "$tmp/n2.csv"; o --step 4 > "$tmp/n3.csv"
o --step 3 --batch theory > "$tmp/n4.csv"
cmp -s "$tmp/n1.csv" "$tmp/n2.csv" && ok || bad "oracle: same seed and step differ"
cmp -s "$tmp/n1.csv" "$tmp/n3.csv" && bad "oracle: steps 3 and 4 are equal" || ok
paste -d, "$tmp/n1.csv" "$tmp/n4.csv" | awk -F, 'NR == 2 { for (i = 2; i <= 6; i++) {
    d = $i / 2 - $(i + 6); if (d < 0) d = -d; if (d > 1e-7 || $i == 0) exit 1 } }' && ok ||
    bad "oracle: theory batch at step 3 is not half the noise"
check oracle-host 2 "$bin" eval --problem quad --d 5 --points "$tmp/z5.csv" --sigma 1 --host
check bad-batch 2 "$bin" eval --problem quad --d 5 --points "$tmp/z5.csv" --batch 0

# Bad input: one line, exit 2.
printf 'x1,x2,x3\n1,2,3\n\n1,2\n' > "$tmp/short.csv"
check short-row 2 "$bin" eval --problem tube --d 3 --points "$tmp/short.csv"
out=$("$bin" eval --problem tube --d 3 --points "$tmp/short.csv" 2>&1)
case $out in *short.csv:4:*) ok ;; *) bad "no (or a wrong) file:line in '$out'" ;; esac
printf 'x1,x2,x3\n0,0,0\n' > "$tmp/head.csv"
[ "$("$bin" eval --problem tube --d 3 --points "$tmp/head.csv" --host | wc -l)" -eq 2 ] && ok ||
    bad "a header line in --points is not skipped"
check no-problem 2 "$bin" eval --points "$tmp/short.csv"
check unknown-problem 2 "$bin" eval --problem nope --points "$tmp/short.csv"
check no-points 2 "$bin" eval --problem tube
check missing-points-file 2 "$bin" eval --problem tube --points "$tmp/none.csv"
check bad-d 2 "$bin" eval --problem tube --d 1 --repeat 1
check bad-lambda 2 "$bin" eval --problem logreg --lambda -1 --repeat 1
check lambda-not-logreg 2 "$bin" eval --problem quad --lambda 1 --repeat 1
check bad-data 2 "$bin" eval --problem logreg --data "$tmp/short.csv" --repeat 1
printf '1 1:2\n-1 1:x\n' > "$tmp/bad.libsvm"
out=$("$bin" eval --problem logreg --data "$tmp/bad.libsvm" --repeat 1 2>&1); rc=$?
[ $rc -eq 2 ] && case $out in *bad.libsvm:2:*) true ;; *) false ;; esac && ok || bad "bad libsvm: $rc $out"
one_line bad-libsvm-line "$bin" eval --problem logreg --data "$tmp/bad.libsvm" --repeat 1

finish
