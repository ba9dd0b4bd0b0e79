#!/usr/bin/env bash
# cli.sh - drives the signbench binary as a user would: exit codes, one-line errors,
# --help on every command. Exit 77 (skip) when no OpenCL device exists.
set -u
bin=${SB_BIN:?}
fails=0 passes=0
check() { # check NAME EXPECTED_STATUS CMD...
    local name=$1 want=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" -eq "$want" ]; then passes=$((passes+1));
    else fails=$((fails+1)); echo "FAIL $name: exit $rc, wanted $want: $out"; fi
}
one_line() { # one_line NAME CMD...: fails unless stderr is exactly one line
    local name=$1; shift
    local n; n=$("$@" 2>&1 >/dev/null | wc -l)
    if [ "$n" -eq 1 ]; then passes=$((passes+1)); else fails=$((fails+1)); echo "FAIL $name: $n lines on stderr"; fi
}

check version 0 "$bin" --version
check help 0 "$bin" help
check no-command 2 "$bin"
check unknown-command 2 "$bin" frobnicate
one_line unknown-command-line "$bin" frobnicate
for cmd in $("$bin" help | awk '/^Commands:/{on=1; next} on && NF==0{exit} on{print $1}'); do
    check "help-$cmd" 0 "$bin" "$cmd" --help
    check "bad-option-$cmd" 2 "$bin" "$cmd" --no-such-option
    one_line "bad-option-line-$cmd" "$bin" "$cmd" --no-such-option
done

if ! "$bin" devices >/dev/null 2>&1 || [ -z "$("$bin" devices 2>/dev/null)" ]; then
    echo "no OpenCL device: skipping device tests"; echo "$passes passed, $fails failed"
    [ $fails -eq 0 ] && exit 77 || exit 1
fi
check unknown-device 2 "$bin" compile --device no-such-device -o /tmp/x
one_line unknown-device-line "$bin" compile --device no-such-device -o /tmp/x
check missing-binary 2 "$bin" compile --device cpu -o /dev/null --kernel-binary /nonexistent

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
