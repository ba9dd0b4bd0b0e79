#!/usr/bin/env bash
# mpi.sh - `train --mpi` under mpirun with 2-4 ranks: every aggregate against the
# single-process --workers path, byte counts, adversaries, refusals and a dying rank.
. "$(dirname "$0")/lib.sh"

"$bin" train --help | grep -q -- '--mpi' || skip "built without MPI"
command -v mpirun >/dev/null 2>&1 || skip "no mpirun"
require_device
# root in CI containers; oversubscribe: more ranks than cores
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
timeout 60 mpirun -np 2 true >/dev/null 2>&1 || skip "mpirun does not start here"

q=(--problem quad --d 1000 --steps 20 --optimizer sgd --sigma 1 --lr 0.01)
mpi() { local np=$1; shift; timeout 120 mpirun -np "$np" "$bin" train "$@"; }
trace() { cut -d, -f1-6 "$1/train-sgd.csv"; }

# The votes: allgather-vote and scatter-vote give the trace of P simulated workers, bit
# for bit (3 ranks: slices of unequal use, padded).
for np in 2 3 4; do
    "$bin" train "${q[@]}" --compress pack --workers $np --out "$tmp/sim$np" >/dev/null 2>&1
    for a in allgather-vote scatter-vote; do
        [ $np = 3 ] && [ $a = allgather-vote ] && continue
        check "$a-$np" 0 mpi $np "${q[@]}" --compress pack --mpi --aggregate $a --out "$tmp/$a$np"
        holds "$a-$np-equals-workers" test "$(trace "$tmp/$a$np")" = "$(trace "$tmp/sim$np")"
    done
done
# signsgd: the votes use the fused vote-update kernel; still the --workers trace.
s=(--problem quad --d 1000 --steps 20 --optimizer signsgd --sigma 1 --lr 0.01 --compress pack)
for np in 3 4; do
    "$bin" train "${s[@]}" --workers $np --out "$tmp/ssim$np" >/dev/null 2>&1
    for a in allgather-vote scatter-vote; do
        check "fused-$a-$np" 0 mpi $np "${s[@]}" --mpi --aggregate $a --out "$tmp/f$a$np"
        holds "fused-$a-$np-equals-workers" test "$(cut -d, -f1-6 "$tmp/f$a$np/train-signsgd.csv")" = "$(cut -d, -f1-6 "$tmp/ssim$np/train-signsgd.csv")"
    done
done
holds scatter-json json "$tmp/scatter-vote4/train-sgd.json" 'j["workers"] == 4 and j["evals"] == 80 and j["config"]["aggregate"] == "scatter-vote" and len(j["comm"]["per_rank"]) == 4'

# The means: allreduce (2 ranks: one addition, the same as --workers), the rank-order
# allgather mean (any P), fp16 close to fp32.
"$bin" train "${q[@]}" --workers 2 --out "$tmp/simf" >/dev/null 2>&1
for a in allreduce allgather-vote allreduce-fp16; do
    check "$a-none" 0 mpi 2 "${q[@]}" --mpi --aggregate $a --out "$tmp/$a-none"
done
holds allreduce-equals-workers test "$(trace "$tmp/allreduce-none")" = "$(trace "$tmp/simf")"
holds allgather-mean-equals-workers test "$(trace "$tmp/allgather-vote-none")" = "$(trace "$tmp/simf")"
holds fp16-close python3 -c 'import sys
a = [float(l.split(",")[2]) for l in open(sys.argv[1]).readlines()[1:]]
b = [float(l.split(",")[2]) for l in open(sys.argv[2]).readlines()[1:]]
sys.exit(0 if len(a) == len(b) and all(abs(x - y) <= 1e-3 * abs(y) for x, y in zip(a, b)) else 1)' "$tmp/allreduce-fp16-none/train-sgd.csv" "$tmp/simf/train-sgd.csv"

# Error feedback on each rank (scaled signs of g + e, e keeps the rest): one rank with
# lr 0.25 (a power of two, so the scalings are exact) is the ef-signsgd optimiser, up to
# the last digits of fused multiply-adds; refused without scaled signs.
e=(--problem quad --spectrum log --d 1000 --steps 30 --sigma 0.5 --lr 0.25)
check ef 0 mpi 1 "${e[@]}" --optimizer sgd --compress scaled-sign --mpi --aggregate allreduce --error-feedback --out "$tmp/efa"
"$bin" train "${e[@]}" --optimizer ef-signsgd --out "$tmp/efb" >/dev/null 2>&1
holds ef-is-ef-signsgd python3 -c 'import sys
a = [float(l.split(",")[2]) for l in open(sys.argv[1]).readlines()[1:]]
b = [float(l.split(",")[2]) for l in open(sys.argv[2]).readlines()[1:]]
sys.exit(0 if len(a) == len(b) == 31 and a[-1] < 0.5 * a[0] and all(abs(x - y) <= 1e-5 * abs(y) for x, y in zip(a, b)) else 1)' "$tmp/efa/train-sgd.csv" "$tmp/efb/train-ef-signsgd.csv"
check ef-needs-scaled 2 mpi 2 "${q[@]}" --compress pack --mpi --error-feedback --out "$tmp/efx"

# Bytes handed to MPI, per rank and step: d = 1024 on 4 ranks has no padding, so the
# count is the closed form plus the NaN flag's ring allreduce (2 (P-1)/P 4 bytes).
check bytes 0 mpi 4 --problem quad --d 1024 --steps 5 --optimizer signsgd --sigma 1 --compress pack --mpi --aggregate scatter-vote --out "$tmp/b"
holds bytes-counted python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["comm"]
b = c["bytes_per_step"]
ok = b["theory"] == 2 * 3 / 4 * 1024 / 8 and b["sent"] == b["theory"] + 6 and b["received"] == b["sent"]
ok = ok and c["bytes_total"]["sent"] == 5 * b["sent"] and len(c["per_rank"]) == 4
ok = ok and all(r["bytes_sent"] == c["bytes_total"]["sent"] and r["time_split"]["communicate"] > 0 for r in c["per_rank"])
sys.exit(0 if ok else 1)' "$tmp/b/train-signsgd.json"

# Adversaries: the last rank lies; the same trace as one process with 3 workers.
for at in flip random blind collude; do
    "$bin" train "${q[@]}" --compress pack --workers 3 --byzantine 1 --attack $at --out "$tmp/bz-sim-$at" >/dev/null 2>&1
    check "byz-$at" 0 mpi 3 "${q[@]}" --compress pack --mpi --byzantine 1 --attack $at --out "$tmp/bz-$at"
    holds "byz-$at-equals-workers" test "$(trace "$tmp/bz-$at")" = "$(trace "$tmp/bz-sim-$at")"
done
holds byz-changes-run test "$(trace "$tmp/bz-flip")" != "$(trace "$tmp/sim3")"
check byz-too-many 2 mpi 2 "${q[@]}" --compress pack --mpi --byzantine 2

# Refusals: settings that differ between ranks, scatter-vote without packed signs.
check mismatch 2 timeout 60 mpirun -np 1 "$bin" train "${q[@]}" --mpi --seed 2 --out "$tmp/mm" : -np 1 "$bin" train "${q[@]}" --mpi --seed 3 --out "$tmp/mm"
holds mismatch-says-why bash -c "timeout 60 mpirun -np 1 '$bin' train --problem quad --d 1000 --steps 5 --optimizer sgd --mpi --out '$tmp/mm' : -np 1 '$bin' train --problem quad --d 999 --steps 5 --optimizer sgd --mpi --out '$tmp/mm' 2>&1 | grep -q \"rank 1 has 'd=999', rank 0 'd=1000'\""
check scatter-needs-pack 2 mpi 2 "${q[@]}" --mpi --aggregate scatter-vote --out "$tmp/sp"

# Faults: a rank that exits, or stops answering, mid-run: the others stop with an error
# within the collective time limit (never a hang; `timeout` would give 124).
"$bin" train --help | grep -q -- '--inject-fault' || bad "no --inject-fault"
timeout 60 mpirun -np 3 "$bin" train "${q[@]}" --compress pack --mpi --inject-fault 1:5 --out "$tmp/f1" >"$tmp/f1.log" 2>&1
rc=$?
holds dead-rank-exit test "$rc" -ne 0 -a "$rc" -ne 124
holds dead-rank-says grep -q "rank 1: injected fault at step 5: exiting" "$tmp/f1.log"
timeout 60 mpirun -np 3 "$bin" train "${q[@]}" --compress pack --mpi --comm-timeout 2 --inject-fault 2:5:hang --out "$tmp/f2" >"$tmp/f2.log" 2>&1
rc=$?
holds hung-rank-exit test "$rc" -ne 0 -a "$rc" -ne 124
holds hung-rank-says grep -q "rank 0: MPI_Allreduce (NaN flag) at step 5 did not finish within 2 s" "$tmp/f2.log"
finish
