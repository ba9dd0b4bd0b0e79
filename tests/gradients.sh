#!/usr/bin/env bash
# gradients.sh - the streaming quad and logreg gradient kernels against the double
# reference at the sizes their code paths split on, and the eval --repeat roofline JSON.
. "$(dirname "$0")/lib.sh"
# close A B TOL: every field of two CSV files agrees to TOL * (1 + max |b| of its kind:
# the value column, or the gradient columns of that row)
close() {
    awk -F, -v tol="$3" 'NR==FNR { for (i = 1; i <= NF; i++) a[FNR, i] = $i; n = FNR; next }
        FNR > 1 { m = 0; for (i = 2; i <= NF; i++) { v = $i < 0 ? -$i : $i; if (v > m) m = v }
                  for (i = 1; i <= NF; i++) { d = a[FNR, i] - $i; if (d < 0) d = -d;
                  s = i == 1 ? ($1 < 0 ? -$1 : $1) : m;
                  if (d > tol * (1 + s)) { print "row " FNR " col " i ": " a[FNR, i] " vs " $i; bad = 1; exit 1 } } }
        END { if (!bad && FNR != n) { print "row counts differ"; bad = 1 } exit bad }' "$1" "$2"
}
# pts D FILE: 2 seeded random points in [-1, 1]^D
pts() { awk -v d="$1" 'BEGIN { srand(11); for (r = 0; r < 2; r++) { for (j = 0; j < d; j++)
    printf "%s%.6f", j ? "," : "", 2 * rand() - 1; printf "\n" } }' > "$2"; }

require_device

# quad: every spectrum (equal: no lambda array; linear/log: lambda read), d with a tail
# after the float8 vectors, one work-group and many.
for d in 13 1003 100003; do
    pts $d "$tmp/p$d.csv"
    for s in equal linear log; do
        "$bin" eval --problem quad --spectrum $s --d $d --points "$tmp/p$d.csv" --out "$tmp/d.csv" &&
        "$bin" eval --problem quad --spectrum $s --d $d --points "$tmp/p$d.csv" --host --out "$tmp/h.csv" &&
        close "$tmp/d.csv" "$tmp/h.csv" 2e-5 && ok || bad "quad $s d=$d: device vs host"
    done
done

# logreg: both fused kernels; rows per work-item not a multiple of 4 (n = 1003 over
# 4 * compute units work-items), a d that is not a multiple of 8, and fewer rows than 4.
for nd in "1003 1027" "7 13" "64 16"; do
    set -- $nd
    pts "$2" "$tmp/l.csv"
    "$bin" eval --problem logreg --n "$1" --d "$2" --points "$tmp/l.csv" --host --out "$tmp/h.csv" || bad "logreg host"
    for k in cpu wg; do
        SB_LOGREG_KERNEL=$k "$bin" eval --problem logreg --n "$1" --d "$2" --points "$tmp/l.csv" \
            --out "$tmp/d.csv" && close "$tmp/d.csv" "$tmp/h.csv" 2e-5 && ok ||
            bad "logreg $k n=$1 d=$2: device vs host"
    done
    # minibatches go through the row index: both kernels draw the same rows
    for k in cpu wg; do
        SB_LOGREG_KERNEL=$k "$bin" eval --problem logreg --n "$1" --d "$2" --points "$tmp/l.csv" \
            --batch 5 --step 2 --out "$tmp/$k.csv" || bad "logreg $k minibatch"
    done
    close "$tmp/cpu.csv" "$tmp/wg.csv" 2e-5 && ok || bad "logreg minibatch n=$1 d=$2: cpu vs wg"
done

# eval --repeat for quad: GB/s beside the roofline reference with the same traffic.
"$bin" eval --problem quad --d 1000 --repeat 3 --json > "$tmp/q.json" 2>/dev/null || bad "quad --repeat"
holds quad-copy json "$tmp/q.json" '[r["path"] for r in j["results"]] == ["device", "host", "copy"] and j["bytes_per_gradient"] == 8000 and j["results"][2]["roofline_fraction"] == 1.0 and all(r["gbps"] > 0 for r in j["results"])'
"$bin" eval --problem quad --spectrum log --d 1000 --repeat 3 --json > "$tmp/q.json" 2>/dev/null || bad "quad log --repeat"
holds quad-rmw json "$tmp/q.json" '[r["path"] for r in j["results"]] == ["device", "host", "rmw"] and j["bytes_per_gradient"] == 12000'
"$bin" eval --problem tube --d 10 --repeat 2 --json > "$tmp/t.json" 2>/dev/null || bad "tube --repeat"
holds tube-no-roofline json "$tmp/t.json" '[r["path"] for r in j["results"]] == ["device", "host"] and "gbps" not in j["results"][0]'

finish
