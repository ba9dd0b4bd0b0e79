#!/usr/bin/env bash
# multidev.sh - several devices in one run, on PoCL's "pthread basic" pair: device lists
# and their refusals, micro per device, per-device kernel binaries, a suite over both.
. "$(dirname "$0")/lib.sh"
export POCL_DEVICES="pthread basic"
unset SIGNBENCH_DEVICE
require_device
# The first two PoCL devices (a machine with other drivers lists those too).
read -r d0 d1 < <("$bin" devices --device all --json 2>/dev/null | python3 -c '
import json, sys
p = [d["index"] for d in json.load(sys.stdin)["devices"] if "Portable" in d["platform"]]
print(*p[:2])')
[ -n "${d1:-}" ] || skip "PoCL gives no second device here"
s0=${d0/:/-} s1=${d1/:/-} both="$d0,$d1"

usage2() { # usage2 NAME CMD...: exit 2, one 'signbench: ' line
    local name=$1; shift
    check "$name" 2 "$@"
    error_line "$name-line" "$@"
}
"$bin" devices --device $both >"$tmp/dl" 2>&1 && ok || bad "devices $both fails"
holds devices-both [ "$(grep -c '^Device ' "$tmp/dl")" -eq 2 ]
usage2 twice "$bin" devices --device $d0,$d0
usage2 twice-by-name "$bin" devices --device $d1,pthread,basic
usage2 unknown-in-list "$bin" devices --device $d0,9:9
usage2 all-in-list "$bin" devices --device "all,$d0"
usage2 empty-entry "$bin" devices --device $d0,,$d1
usage2 env-twice env SIGNBENCH_DEVICE=$d1,$d1 "$bin" devices
usage2 one-device-command "$bin" eval --device "$both"

# micro per device: one file per device, each naming its device.
check micro-all 0 "$bin" micro --device "$both" --kernels sign --sizes 4K --reps 3 --json "$tmp/m.json"
for d in $s0 $s1; do
    holds "micro-file-$d" json "$tmp/m-$d.json" 'len(j["benchmarks"]) > 0'
done
holds micro-devices-differ [ "$(pj "$tmp/m-$s0.json" 'j["context"]["device"]')" != \
    "$(pj "$tmp/m-$s1.json" 'j["context"]["device"]')" ]

# --kernel-binary D=FILE: one binary per device; a device without one is refused.
check compile-0 0 "$bin" compile --device "$d0" -o "$tmp/k0.bin"
check compile-1 0 "$bin" compile --device "$d1" -o "$tmp/k1.bin"
check kbin-both 0 "$bin" micro --device "$both" --kernel-binary "$d0=$tmp/k0.bin,$d1=$tmp/k1.bin" \
    --kernels sign --sizes 4K --reps 3
usage2 kbin-missing "$bin" micro --device "$both" --kernel-binary "$d0=$tmp/k0.bin" --kernels sign \
    --sizes 4K --reps 3
usage2 kbin-crossed "$bin" micro --device "$d1" --kernel-binary "$d1=$tmp/k0.bin" --kernels sign \
    --sizes 4K --reps 3
usage2 kbin-twice "$bin" micro --device "$d0" --kernel-binary "$d0=$tmp/k0.bin,$d0=$tmp/k0.bin" \
    --kernels sign --sizes 4K --reps 3

# train --worker-devices: the same trajectory as --workers M on the first device.
tr() { "$bin" train --problem logreg --data breast-cancer --batch 16 --optimizer signsgd,sgd \
    --steps 30 --seed 3 "$@"; }
check wd-pack 0 tr --compress pack --worker-devices $both --out "$tmp/wd"
check w2-pack 0 tr --compress pack --workers 2 --device "$d0" --out "$tmp/w2"
for o in signsgd sgd; do
    holds "wd-trace-$o" cmp -s <(cut -d, -f1-7 "$tmp/wd/train-$o.csv") <(cut -d, -f1-7 "$tmp/w2/train-$o.csv")
done
holds wd-summary json "$tmp/wd/train-sgd.json" \
    'len(j["worker_devices"]["workers"]) == 2 and j["worker_devices"]["x_max_diff"] == 0 and all(w["compute_s"] > 0 for w in j["worker_devices"]["workers"])'
check wd-mean 0 "$bin" train --problem quad --optimizer sgd --steps 30 --worker-devices "$d1,$d0,$d1" --out "$tmp/wq"
check w3-mean 0 "$bin" train --problem quad --optimizer sgd --steps 30 --workers 3 --device "$d1" --out "$tmp/w3"
holds wd-mean-trace cmp -s <(cut -d, -f1-7 "$tmp/wq/train-sgd.csv") <(cut -d, -f1-7 "$tmp/w3/train-sgd.csv")
usage2 wd-with-workers "$bin" train --problem quad --optimizer sgd --steps 3 --workers 2 --worker-devices $both
usage2 wd-unknown "$bin" train --problem quad --optimizer sgd --steps 3 --worker-devices $d0,9:7
usage2 wd-empty "$bin" train --problem quad --optimizer sgd --steps 3 --worker-devices "$d0,"

# micro --split: the split result equals the one-device result bit for bit.
for s in static dynamic; do
    check "split-$s" 0 "$bin" micro --split "$both" --schedule "$s" --size 300007 --reps 3 --chunks 5 \
        --json "$tmp/split-$s.json"
    holds "split-$s-exact" json "$tmp/split-$s.json" \
        'len(j["results"]) == 3 and all(r["exact"] and abs(sum(d["share"] for d in r["devices"]) - 1) < 1e-9 and r["efficiency"] > 0 for r in j["results"])'
done
usage2 split-one "$bin" micro --split "$d1" --size 4096 --reps 3
usage2 split-twice "$bin" micro --split $d1,$d1 --size 4096 --reps 3
usage2 split-schedule "$bin" micro --split "$both" --schedule round-robin
usage2 split-kernel "$bin" micro --split "$both" --kernels sign

# One device of the run cannot load its program: one line, and no result file written.
head -c 4096 /dev/urandom >"$tmp/bad.aocx"
kb="$d0=$tmp/k0.bin,$d1=$tmp/bad.aocx"
usage2 wd-bad-device "$bin" train --problem quad --optimizer sgd --steps 5 --worker-devices "$both" \
    --kernel-binary "$kb" --out "$tmp/wf"
holds wd-bad-nothing-written [ -z "$(ls -A "$tmp/wf" 2>/dev/null)" ]
usage2 split-bad-device "$bin" micro --split "$both" --kernel-binary "$kb" --size 4096 --reps 3 \
    --json "$tmp/sf.json"
holds split-bad-nothing-written [ ! -e "$tmp/sf.json" ]

# suite over both devices: one report, devices side by side, consistency compared. Its
# micro step (--quick: every ceiling variant at a size beyond the last-level cache) takes
# minutes on the slow device, so micro runs small here, into the files the suite writes,
# and the report is made again from them.
check suite-all 0 "$bin" suite --quick --only devices,train,tube --device "$both" --out "$tmp/s"
mkdir -p "$tmp/s/devices/$s1"
check suite-micro-files 0 "$bin" micro --device "$both" --kernels sign,pack,signsgd --sizes 64K \
    --reps 3 --json "$tmp/s/m.json"
cp "$tmp/s/m-$s0.json" "$tmp/s/micro.json" && cp "$tmp/s/m-$s1.json" "$tmp/s/devices/$s1/micro.json"
check suite-report-again 0 "$bin" suite --report-only "$tmp/s"
holds suite-devices json "$tmp/s/summary.json" 'len(j["devices"]) == 2'
holds suite-steps-resolved json "$tmp/s/summary.json" \
    'all("--device " in s["command"] for s in j["steps"] if s["name"] != "devices")'
holds suite-cross json "$tmp/s/cross_device.json" \
    'len(j["comparisons"]) == 6 and all(c["cells"] > 0 for c in j["comparisons"])'
holds suite-tube-exact json "$tmp/s/cross_device.json" \
    'all(c["exact"] for c in j["comparisons"] if c["file"].startswith("tube/"))'
holds suite-second-micro json "$tmp/s/devices/$s1/micro.json" 'len(j["benchmarks"]) > 0'
holds report-side-by-side grep -q "Devices side by side" "$tmp/s/report.md"
if command -v gnuplot >/dev/null; then
    holds report-bars [ -s "$tmp/s/cross_device_gbs.png" ]
fi
finish
