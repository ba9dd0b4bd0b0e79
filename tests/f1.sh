#!/usr/bin/env bash
# f1.sh - review fixes in train, problems, compare and plot: exact steps to target, the
# tube domain rule, its spelling, a complete train config, compare on train/micro files.
. "$(dirname "$0")/lib.sh"

# Fix 3: "continuation" (DESIGN.md's and the tube command's name) and the alias "continue".
check domain-continuation 0 "$bin" train --problem tube --d 3 --optimizer sgd --steps 2 \
    --tube-domain continuation --out "$tmp/dc"
check domain-continue-alias 0 "$bin" train --problem tube --d 3 --optimizer sgd --steps 2 \
    --tube-domain continue --out "$tmp/da"
check domain-bad 2 "$bin" train --problem tube --d 3 --optimizer sgd --steps 2 \
    --tube-domain loose

# Fix 1: with a target the metric is taken every step: the default log interval (100
# here) gives the same exact step as --log-every 1 (21), and the trace ends at it.
require_device
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

# Fix 7: a malformed .dat is reported as a bad .dat, not as "not valid JSON".
printf 'hello\n1 2\n' >"$tmp/b.dat"
check plot-bad-dat 2 "$bin" plot "$tmp/b.dat"
error_line plot-bad-dat-line "$bin" plot "$tmp/b.dat"
msg=$("$bin" plot "$tmp/b.dat" 2>&1)
holds "plot-bad-dat-message: $msg" test -n "$(printf '%s' "$msg" | grep 'not a signbench .dat file' | grep -v 'not valid JSON')"

finish
