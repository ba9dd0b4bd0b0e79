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
# values that the kernels' float would turn into 0, 1 or inf are refused
check lr-float-zero 2 "$bin" train "${q[@]}" --optimizer sgd --lr 1e-50
one_line lr-float-zero-line "$bin" train "${q[@]}" --optimizer sgd --lr 1e-50
check b1-float-one 2 "$bin" train "${q[@]}" --optimizer signum --b1 0.99999999
check wd-float-inf 2 "$bin" train "${q[@]}" --optimizer sgd --wd 1e300
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
# Adversaries among the simulated workers: every attack runs; bad settings refused.
for at in flip random blind collude; do
    check "byzantine-$at" 0 "$bin" train "${q[@]}" --optimizer sgd --compress pack --workers 5 --byzantine 2 --attack $at --sigma 1 --out "$tmp/bz-$at"
done
holds byzantine-json json "$tmp/bz-blind/train-sgd.json" 'j["config"]["byzantine"] == 2 and j["config"]["attack"] == "blind"'
"$bin" train "${q[@]}" --optimizer sgd --compress pack --workers 5 --sigma 1 --out "$tmp/w5" >/dev/null 2>&1
holds byzantine-differs test "$(cut -d, -f3 "$tmp/bz-flip/train-sgd.csv")" != "$(cut -d, -f3 "$tmp/w5/train-sgd.csv")"
check byzantine-needs-pack 2 "$bin" train "${q[@]}" --optimizer sgd --workers 5 --byzantine 2 --out "$tmp/x"
check byzantine-too-many 2 "$bin" train "${q[@]}" --optimizer sgd --compress pack --workers 3 --byzantine 3 --out "$tmp/x"
# The Byzantine study: every attack and K below P/2, f and accuracy, the theory beside.
check byz-study 0 "$bin" byzantine --workers 3 --steps 30 --out "$tmp/bs"
holds byz-study-json json "$tmp/bs/byzantine.json" '[len(a["points"]) for p in j["problems"] for a in p["attacks"]] == [2] * 8 and j["theory"]["tolerance"] == 0.5 and j["problems"][1]["attacks"][0]["points"][1]["test_accuracy"] > 0 and j["problems"][0]["attacks"][0]["points"][1]["f_final"] > j["problems"][0]["attacks"][0]["points"][0]["f_final"]'
check byz-study-bad-workers 2 "$bin" byzantine --workers 2
check bad-attack 2 "$bin" train "${q[@]}" --optimizer sgd --compress pack --workers 3 --byzantine 1 --attack loud

# MPI runs: tests/mpi.sh.

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

# Fix 3: "continuation" (the name in DESIGN.md 5.1 and the tube command's) and the alias "continue".
check domain-continuation 0 "$bin" train --problem tube --d 3 --optimizer sgd --steps 2 \
    --tube-domain continuation --out "$tmp/dc"
check domain-continue-alias 0 "$bin" train --problem tube --d 3 --optimizer sgd --steps 2 \
    --tube-domain continue --out "$tmp/da"
check domain-bad 2 "$bin" train --problem tube --d 3 --optimizer sgd --steps 2 \
    --tube-domain loose

# Fix 1: with a target the metric is taken every step: the default log interval (100
# here) gives the same exact step as --log-every 1 (21), and the trace ends at it.
q=(train --problem quad --d 10 --optimizer sgd --lr 0.1 --target-grad1 0.5 --json)
"$bin" "${q[@]}" --out "$tmp/t1" >"$tmp/t1.json" 2>/dev/null
"$bin" "${q[@]}" --log-every 1 --out "$tmp/t2" >"$tmp/t2.json" 2>/dev/null
s1=$(pj "$tmp/t1.json" 'j["runs"][0]["steps_to_target"]')
s2=$(pj "$tmp/t2.json" 'j["runs"][0]["steps_to_target"]')
e1=$(pj "$tmp/t1.json" 'j["runs"][0]["evals_to_target"]')
holds "target-exact-step ($s1 vs $s2)" test "$s1" = 21 -a "$s2" = 21
holds "target-exact-evals ($e1)" test "$e1" = 21
holds target-trace-ends-there test "$(tail -1 "$tmp/t1/train-sgd.csv" | cut -d, -f1)" = 21
holds target-trace-thinned test "$(wc -l <"$tmp/t1/train-sgd.csv")" -lt 5

# Fix 2: --tube-domain strict stops the trajectory when it leaves the tube set (sgd with
# lr 0.5 from seed 1 leaves at step 4); continuation goes on and counts the iterates
# outside; the rule is in the summary and its config.
tb=(train --problem tube --d 3 --optimizer sgd --lr 0.5 --steps 50 --json)
"$bin" "${tb[@]}" --tube-domain strict --out "$tmp/ts" >"$tmp/ts.json" 2>"$tmp/ts.err"
"$bin" "${tb[@]}" --out "$tmp/tc" >"$tmp/tc.json" 2>/dev/null
holds strict-stops json "$tmp/ts.json" 'j["runs"][0]["left_domain"] and j["runs"][0]["left_domain_step"] == 4 and j["runs"][0]["steps"] == 4'
holds strict-rule-recorded json "$tmp/ts.json" 'j["runs"][0]["tube_domain"] == "strict" and j["runs"][0]["config"]["tube_domain"] == "strict"'
holds strict-trace-last-row test "$(tail -1 "$tmp/ts/train-sgd.csv" | cut -d, -f1)" = 4
holds strict-stderr grep -q "left the tube set at step 4" "$tmp/ts.err"
holds continuation-counts json "$tmp/tc.json" 'j["runs"][0]["steps"] == 50 and j["runs"][0]["left_domain_step"] == 4 and j["runs"][0]["steps_outside_tube"] > 1 and j["runs"][0]["config"]["tube_domain"] == "continuation"'
"$bin" train --problem tube-rotated --d 4 --optimizer sgd --lr 0.5 --steps 50 --json \
    --tube-domain strict --out "$tmp/tr" >"$tmp/tr.json" 2>/dev/null
holds strict-rotated json "$tmp/tr.json" 'j["runs"][0]["left_domain"] and j["runs"][0]["steps"] == j["runs"][0]["left_domain_step"] < 50'
"$bin" train --problem tube --d 3 --optimizer sgd --lr 0.01 --steps 20 --json \
    --tube-domain strict --out "$tmp/ti" >"$tmp/ti.json" 2>/dev/null
holds strict-stays-inside json "$tmp/ti.json" 'not j["runs"][0]["left_domain"] and j["runs"][0]["steps"] == 20 and j["runs"][0]["steps_outside_tube"] == 0'

# Fix 4: the summary's config holds every setting with its default resolved.
"$bin" train --problem quad --optimizer sgd --steps 3000 --json --out "$tmp/c1" >"$tmp/c1.json" 2>/dev/null
holds config-resolved-quad json "$tmp/c1.json" '(c := j["runs"][0]["config"]) and c["d"] == 10 and c["log_every"] == 3 and c["batch"] == 1 and c["batch_mode"] == "full" and c["spectrum"] == "equal" and c["steps"] == 3000 and c["evals"] is None'
"$bin" train --problem logreg --optimizer adam --steps 2 --test-split 0.2 --json --out "$tmp/c2" >"$tmp/c2.json" 2>/dev/null
holds config-resolved-logreg json "$tmp/c2.json" '(c := j["runs"][0]["config"]) and c["d"] == 20 and c["n"] == 1000 and c["n_train"] == 800 and c["batch"] == 800 and c["lambda"] == 1e-4 and c["test_split"] == 0.2 and c["bias"] is False and c["standardize"] is False and c["label_noise"] == 0 and c["gemv"] == "native" and c["data"] is None and c["b2"] == 0.999 and c["wd_mode"] == "coupled"'
"$bin" train --problem tube --optimizer sgd --target-grad1 1e-9 --evals 5 --json --out "$tmp/c3" >"$tmp/c3.json" 2>/dev/null
holds config-resolved-tube json "$tmp/c3.json" '(c := j["runs"][0]["config"]) and abs(c["tube_L"] - 2.718281828) < 1e-6 and c["tube_gamma"] == 1 and abs(c["tube_tau"] - 2.718281828) < 1e-6 and c["tube_domain"] == "continuation" and c["steps"] is None and c["evals"] == 5 and c["seed"] == 1 and c["target_grad1"] == 1e-9'

# Fix 5: compare reads train --json output (a list of runs, schema signbench-train-runs/1).
tj=(train --problem quad --d 10 --optimizer sgd,signsgd --lr 0.1 --steps 20 --json)
"$bin" "${tj[@]}" --out "$tmp/j1" >"$tmp/j1.json" 2>/dev/null
"$bin" "${tj[@]}" --out "$tmp/j2" >"$tmp/j2.json" 2>/dev/null
holds train-json-schema json "$tmp/j1.json" 'j["schema"] == "signbench-train-runs/1" and j["runs"][0]["schema"] == "signbench-train/1"'
check compare-train-json 0 "$bin" compare "$tmp/j1.json" "$tmp/j2.json"
"$bin" compare "$tmp/j1.json" "$tmp/j2.json" --json >"$tmp/cj.json" 2>/dev/null
holds compare-train-json-rows json "$tmp/cj.json" 'sorted({r["benchmark"] for r in j["rows"]}) == ["train/quad/sgd", "train/quad/signsgd"]'
"$bin" train --problem quad --d 10 --optimizer sgd,signsgd --lr 0.2 --steps 20 --json \
    --out "$tmp/j3" >"$tmp/j3.json" 2>/dev/null
check compare-train-json-regression 1 "$bin" compare "$tmp/j1.json" "$tmp/j3.json" --metric f_final
echo '{"schema": "signbench-train-runs/1", "runs": [1]}' >"$tmp/badruns.json"
check compare-bad-runs 2 "$bin" compare "$tmp/badruns.json" "$tmp/j2.json"
error_line compare-bad-runs-line "$bin" compare "$tmp/badruns.json" "$tmp/j2.json"

finish
