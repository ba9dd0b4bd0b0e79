#!/usr/bin/env bash
# train.sh - drives `signbench train` as a user would: exit codes of bad options, the
# summary JSON's documented fields, traces, divergence, targets, theorem lines.
. "$(dirname "$0")/lib.sh"

q=(--problem quad --d 20 --steps 50)
check help 0 "$bin" train --help
check no-problem 2 "$bin" train --optimizer sgd
check no-optimizer 2 "$bin" train --problem quad
check bad-optimizer 2 "$bin" train "${q[@]}" --optimizer sgd,frob
one_line bad-optimizer-line "$bin" train "${q[@]}" --optimizer frob
check bad-lr 2 "$bin" train "${q[@]}" --optimizer sgd --lr -1
check bad-lr-text 2 "$bin" train "${q[@]}" --optimizer sgd --lr fast
check bad-schedule 2 "$bin" train "${q[@]}" --optimizer sgd --schedule cosine
check bad-compress 2 "$bin" train "${q[@]}" --optimizer sgd --compress zip
check bad-wd-mode 2 "$bin" train "${q[@]}" --optimizer sgd --wd-mode both
check bad-b1 2 "$bin" train "${q[@]}" --optimizer adam --b1 1.5
check bad-steps 2 "$bin" train "${q[@]}" --optimizer sgd --steps 0
check theory-batch 2 "$bin" train "${q[@]}" --optimizer signsgd --schedule theory --batch 4
check twice 2 "$bin" train "${q[@]}" --optimizer sgd,gd
check bad-workers 2 "$bin" train "${q[@]}" --optimizer sgd --workers 0
check extra-arg 2 "$bin" train "${q[@]}" --optimizer sgd stray
check bad-problem 2 "$bin" train --problem banana --optimizer sgd --out "$tmp/x"
one_line bad-problem-line "$bin" train --problem banana --optimizer sgd --out "$tmp/x"

require_device

# Several optimisers side by side, summaries and traces on disk, JSON on stdout.
out=$tmp/run
check run 0 "$bin" train "${q[@]}" --optimizer signsgd,sgd,adam --lr 0.01 --sigma 0.1 --out "$out"
for o in signsgd sgd adam; do
    holds "summary-$o" test -s "$out/train-$o.json"
    holds "trace-$o" test -s "$out/train-$o.csv"
    holds "fields-$o" json "$out/train-$o.json" 'all(k in j for k in ["f_final","f_best","grad1_min","steps","evals","time_s","time_split","config","device","steps_to_target","evals_to_target","diverged"]) and j["steps"] == 50 and j["optimizer"] == "'$o'"'
done
holds trace-header test "$(head -1 "$out/train-sgd.csv")" = "step,evals,f,grad1,grad2,grad1_min,test_accuracy,elapsed"
holds trace-rows test "$(wc -l < "$out/train-sgd.csv")" -eq 52
"$bin" train "${q[@]}" --optimizer signsgd,ngd --lr 0.01 --out "$tmp/j" --json > "$tmp/j.json" 2>/dev/null
holds json-stdout json "$tmp/j.json" 'len(j["runs"]) == 2 and j["runs"][1]["optimizer"] == "ngd"'
# Same seed, same numbers (elapsed aside).
"$bin" train "${q[@]}" --optimizer adam --sigma 0.3 --seed 5 --out "$tmp/s1" >/dev/null 2>&1
"$bin" train "${q[@]}" --optimizer adam --sigma 0.3 --seed 5 --out "$tmp/s2" >/dev/null 2>&1
holds same-seed test "$(cut -d, -f1-6 "$tmp/s1/train-adam.csv")" = "$(cut -d, -f1-6 "$tmp/s2/train-adam.csv")"

# Simulated workers: majority vote of packed signs; every worker's calls are counted.
check workers 0 "$bin" train "${q[@]}" --optimizer sgd --compress pack --workers 3 --sigma 1 --out "$tmp/w"
holds workers-json json "$tmp/w/train-sgd.json" 'j["evals"] == 150 and j["config"]["workers"] == 3'

# MPI (when built with it and mpirun works): two ranks give exactly the trace of two
# simulated workers, for the vote (pack) and for the mean (none).
if "$bin" train --help | grep -q -- '--mpi' && command -v mpirun >/dev/null 2>&1; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
    if timeout 60 mpirun -np 2 true >/dev/null 2>&1; then
        for c in pack none; do
            check "mpi-$c" 0 timeout 300 mpirun -np 2 "$bin" train "${q[@]}" --optimizer sgd --compress $c --sigma 1 --lr 0.01 --mpi --out "$tmp/mpi-$c"
            "$bin" train "${q[@]}" --optimizer sgd --compress $c --sigma 1 --lr 0.01 --workers 2 --out "$tmp/sim-$c" >/dev/null 2>&1
            holds "mpi-equals-workers-$c" test "$(cut -d, -f1-6 "$tmp/mpi-$c/train-sgd.csv")" = "$(cut -d, -f1-6 "$tmp/sim-$c/train-sgd.csv")"
            holds "mpi-json-$c" json "$tmp/mpi-$c/train-sgd.json" 'j["workers"] == 2 and j["evals"] == 100'
        done
    else
        echo "mpirun does not start here: skipping the MPI checks"
    fi
fi

# Divergence: recorded and reported, exit 0.
check diverge 0 "$bin" train "${q[@]}" --optimizer sgd --lr 1e6 --out "$tmp/d"
holds diverge-json json "$tmp/d/train-sgd.json" 'j["diverged"] is True and j["diverged_step"] > 0'
holds diverge-msg bash -c "'$bin' train --problem quad --d 20 --steps 50 --optimizer sgd --lr 1e6 --out '$tmp/d' 2>&1 | grep -q diverged"

# Target: signsgd reaches a gradient target on a small quadratic.
check target 0 "$bin" train --problem quad --d 10 --optimizer signsgd --lr 0.01 --target-grad1 0.5 --out "$tmp/t"
holds target-json json "$tmp/t/train-signsgd.json" 'j["reached"] is True and j["steps_to_target"] == j["steps"] > 0'

# Theorem 1 beside the measurement (signsgd, theory schedule, quad: f*, L, sigma known).
holds theorem1 bash -c "'$bin' train --problem quad --d 20 --steps 30 --optimizer signsgd --schedule theory --lr 0.05 --sigma 0.1 --out '$tmp/th' | grep -q 'Theorem 1'"
holds theorem1-json json "$tmp/th/train-signsgd.json" 'j["theory"]["bound"] > 0 and j["evals"] == 465'

# logreg on the shipped breast cancer data with a held-out split: test accuracy.
check logreg 0 "$bin" train --problem logreg --data "$src/tests/data/breast_cancer.libsvm" --standardize --test-split 0.2 --optimizer adam --lr 0.05 --steps 100 --out "$tmp/l"
holds logreg-acc json "$tmp/l/train-adam.json" '0.8 < j["test_accuracy"] <= 1'

finish
