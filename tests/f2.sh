#!/usr/bin/env bash
# f2.sh - review fixes: the built-in data set from a copied binary in another folder,
# $SIGNBENCH_DEVICE honoured (and named in errors) by devices, the --bind notice.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
require_device
unset SIGNBENCH_DEVICE

# Device selection from the environment: devices refuses a bad one like --device does,
# and every command's message names the variable, not --device.
check env-devices-bad 2 env SIGNBENCH_DEVICE=zzz "$bin" devices
error_line env-devices-line env SIGNBENCH_DEVICE=zzz "$bin" devices
first_err() { "$@" 2>&1 >/dev/null | head -1; }
holds env-devices-names-var grep -q "^signbench: SIGNBENCH_DEVICE=zzz: " \
    <<<"$(first_err env SIGNBENCH_DEVICE=zzz "$bin" devices)"
holds env-train-names-var grep -q "^signbench: SIGNBENCH_DEVICE=zzz: " \
    <<<"$(first_err env SIGNBENCH_DEVICE=zzz "$bin" train --problem quad --optimizer sgd --steps 2 --out "$tmp/t")"
holds opt-names-option grep -q "^signbench: --device zzz: " \
    <<<"$(first_err "$bin" --device zzz devices)"
check opt-devices-bad 2 "$bin" --device zzz devices
# A good selection from the environment lists just that device, marked default.
SIGNBENCH_DEVICE=0:0 "$bin" devices --json >"$tmp/dev.json" 2>/dev/null
holds env-devices-restricts json "$tmp/dev.json" 'len(j["devices"]) == 1 and j["devices"][0]["index"] == "0:0" and j["devices"][0]["default"]'
# --device beats the environment.
check opt-beats-env 0 env SIGNBENCH_DEVICE=zzz "$bin" devices --device 0:0

# devices --bind prints the same one stderr line as the other commands.
err=$("$bin" devices --bind 2>&1 >/dev/null)
holds bind-notice test "$(printf '%s\n' "$err" | grep -c '^signbench: --bind: host thread pinned to PU')" -eq 1
holds bind-notice-one-line test "$(printf '%s\n' "$err" | wc -l)" -eq 1
err=$("$bin" devices --bind --json 2>&1 >/dev/null)
holds bind-notice-json test "$(printf '%s\n' "$err" | grep -c '^signbench: --bind: ')" -eq 1

# The binary copied elsewhere and run from an empty folder reads the built-in data.
mkdir -p "$tmp/bin" "$tmp/away"
cp "$bin" "$tmp/bin/signbench"
(cd "$tmp/away" && "$tmp/bin/signbench" train --problem logreg --data breast-cancer \
    --optimizer sgd --steps 3 --out "$tmp/tr" >/dev/null 2>&1)
holds builtin-data-train test -s "$tmp/tr/train-sgd.json"
holds builtin-data-d30 json "$tmp/tr/train-sgd.json" 'j["d"] == 30'
# grid and suite default to it: both run from the copy in the empty folder.
(cd "$tmp/away" && "$tmp/bin/signbench" grid --optimizers sgd --lrs 1e-2 --wds 0 \
    --momenta 0 --steps 5 --out "$tmp/g" >/dev/null 2>&1)
holds grid-default-data json "$tmp/g/grid.json" 'j["data"] == "breast-cancer"'
(cd "$tmp/away" && "$tmp/bin/signbench" suite --quick --only train,grid --out "$tmp/s" \
    >"$tmp/suite.log" 2>&1)
holds suite-default-data grep -q "2 step(s), 0 failed" "$tmp/suite.log"
check missing-data 2 "$tmp/bin/signbench" train --problem logreg --data "$tmp/away/none.libsvm" --optimizer sgd --steps 3 --out "$tmp/tr2"

finish
