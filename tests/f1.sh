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

finish
