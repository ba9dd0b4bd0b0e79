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

finish
