#!/usr/bin/env bash
# ci-bench.sh - bench/ci-bench's exit codes without a measurement: 2 on bad usage (an
# argument, a bad threshold or pair count, an unknown SB_CI_BASE, no binary), and a
# clear SKIPPED line with exit 0 in a clone that lacks the base commit.
. "$(dirname "$0")/lib.sh"
gate=$src/bench/ci-bench
check help 0 "$gate" --help
check extra-argument 2 "$gate" results/baselines/pocl-cpu.json
one_line extra-argument-line "$gate" results/baselines/pocl-cpu.json
check bad-threshold 2 env SB_BIN="$bin" SB_CI_THRESHOLD=lots "$gate"
check bad-pairs 2 env SB_BIN="$bin" SB_CI_PAIRS=3 "$gate"
check no-binary 2 env SB_BIN="$tmp/none" "$gate"
# A repository of one commit holding the gate: no HEAD~1.
repo=$tmp/repo
mkdir -p "$repo/bench"
cp "$gate" "$repo/bench/"
git -C "$repo" init -q
git -C "$repo" add bench
git -C "$repo" -c user.name=t -c user.email=t@t commit -qm one
out=$(env SB_BIN="$bin" "$repo/bench/ci-bench" 2>&1); rc=$?
[ $rc -eq 0 ] && [[ $out == *"SKIPPED: HEAD~1 is not in this clone"* ]] && ok || bad "no-base: exit $rc: $out"
check unknown-base 2 env SB_BIN="$bin" SB_CI_BASE=no-such-rev "$repo/bench/ci-bench"
one_line unknown-base-line env SB_BIN="$bin" SB_CI_BASE=no-such-rev "$repo/bench/ci-bench"
rm -rf "$repo/.git"
check not-a-checkout 2 env SB_BIN="$bin" "$repo/bench/ci-bench"
finish
