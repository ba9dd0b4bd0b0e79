#!/usr/bin/env bash
# inputs.sh - bad input refused with one line and exit 2, before anything large is
# allocated: problem sizes against host and device memory, reader limits (size, NUL
# bytes, BOM, folders, endless streams), LIBSVM indices, repeated and empty options.
. "$(dirname "$0")/lib.sh"

refused() { # refused NAME STATUS CMD...: exit STATUS with exactly one "signbench: " line
    local name=$1 want=$2; shift 2
    check "$name" "$want" "$@"
    error_line "$name-line" "$@"
}
contains() { # contains NAME TEXT CMD...: stdout+stderr of CMD contains TEXT
    local name=$1 text=$2; shift 2
    local out; out=$("$@" 2>&1)
    case $out in *"$text"*) ok ;; *) bad "$name: no '$text' in: $out" ;; esac
}
t=("$bin" train --optimizer sgd --lr 0.1 --steps 3)

# ---- options: empty values, empty list items, repeats ---------------------------------
refused empty-device 2 "${t[@]}" --problem quad --device ""
contains empty-device-msg "--device: empty value" "${t[@]}" --problem quad --device ""
refused empty-item 2 "$bin" micro --sizes 4K,,8K
contains empty-item-msg "empty item in the list" "$bin" micro --sizes 4K,,8K
refused trailing-comma 2 "$bin" train --problem quad --optimizer sgd, --steps 3
refused leading-comma 2 "$bin" grid --lrs ,0.1
refused repeated-lr 2 "${t[@]}" --problem quad --lr 0.2
contains repeated-lr-msg "--lr given twice with different values ('0.1' and '0.2')" "${t[@]}" --problem quad --lr 0.2
refused repeated-problem 2 "${t[@]}" --problem quad --problem tube
refused repeated-device 2 "${t[@]}" --problem quad --device cpu --device=gpu
refused repeated-short 2 "$bin" compile -o "$tmp/a.bin" -o "$tmp/b.bin"
refused repeated-sweep 2 "$bin" sweep -o "$tmp/a" --out "$tmp/b"

# ---- readers ---------------------------------------------------------------------------
printf '1 1:1\n-1 2:1\n1 3:1\n' >"$tmp/ok.libsvm"
printf '1 1:1\n-1 200000000:1\n' >"$tmp/far.libsvm"
contains libsvm-index-range "feature index 200000000 is out of range: indices run from 1 to 100000000" \
    "${t[@]}" --problem logreg --data "$tmp/far.libsvm"
refused libsvm-index-range-exit 2 "${t[@]}" --problem logreg --data "$tmp/far.libsvm"
printf '1 0:1\n-1 2:1\n' >"$tmp/zero.libsvm"
refused libsvm-index-zero 2 "${t[@]}" --problem logreg --data "$tmp/zero.libsvm"
printf '1 1:1\n\0-1 2:1\n1 3:1\n' >"$tmp/nul.libsvm"
refused nul-byte 2 "${t[@]}" --problem logreg --data "$tmp/nul.libsvm"
contains nul-byte-msg "nul.libsvm:2: NUL byte" "${t[@]}" --problem logreg --data "$tmp/nul.libsvm"
printf 'a,b\n1,2\n\0' >"$tmp/nul.csv"
refused nul-byte-csv 2 "${t[@]}" --problem logreg --data "$tmp/nul.csv"
refused dev-zero 2 "${t[@]}" --problem logreg --data /dev/zero
refused folder 2 "${t[@]}" --problem logreg --data "$tmp"
contains folder-msg "is a folder, not a file" "${t[@]}" --problem logreg --data "$tmp"
refused missing 2 "${t[@]}" --problem logreg --data "$tmp/none.libsvm"
contains missing-msg "No such file or directory" "${t[@]}" --problem logreg --data "$tmp/none.libsvm"
# An endless stream stops at the documented limit (lowered here to keep the test quick).
contains endless "larger than the 64 KiB limit on input files" \
    bash -c 'yes "1 1:1" | SIGNBENCH_MAX_INPUT=65536 "$@" --problem logreg --data /dev/stdin' _ "${t[@]}"
printf 'x\n' >"$tmp/small.libsvm"
refused over-limit 2 env SIGNBENCH_MAX_INPUT=1 "${t[@]}" --problem logreg --data "$tmp/small.libsvm"
# Deeply nested but valid JSON: the message says so, not "not valid JSON".
python3 -c 'print("[" * 5000 + "]" * 5000)' >"$tmp/deep.json"
contains deep-json "nested deeper than" "$bin" plot "$tmp/deep.json"
printf '{"a": [1, 2,\n x]}\n' >"$tmp/broken.json"
contains broken-json "broken.json:2: not valid JSON" "$bin" plot "$tmp/broken.json"

# ---- sizes before allocation --------------------------------------------------------
# d = 2e9 would need ~90 GB of host arrays: refused at once, nothing allocated.
refused huge-d 2 timeout 120 "${t[@]}" --problem quad --d 2000000000
contains huge-d-msg "quad with d = 2000000000: needs" timeout 120 "${t[@]}" --problem quad --d 2000000000
refused huge-d-tube 2 timeout 120 "${t[@]}" --problem tube --d 2000000000
refused huge-d-rotated 2 timeout 120 "${t[@]}" --problem quad-rotated --d 50000
refused huge-synthetic 2 timeout 120 "${t[@]}" --problem logreg --n 100000000 --d 100000

require_device

# Synthetic logreg data whose matrix fits the host (under half its memory) but not one
# device buffer: refused before the data are made, naming the device's largest buffer.
read -r dev alloc < <("$bin" devices --json 2>/dev/null | python3 -c '
import json, os, sys
d = json.load(sys.stdin)["devices"][0]
host = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGESIZE")
ok = d["max_alloc_bytes"] * 1.01 + 4e6 < host / 2
print("%d:%d" % (d["platform_index"], d["device_index"]), d["max_alloc_bytes"] if ok else 0)')
if [ "${alloc:-0}" -gt 0 ]; then
    dd=$(( alloc / 4000 + 1000 ))  # n = 1000 rows of dd floats: just over one buffer
    refused synthetic-max-alloc 2 timeout 120 "${t[@]}" --device "$dev" --problem logreg --n 1000 --d "$dd"
    contains synthetic-max-alloc-msg "CL_DEVICE_MAX_MEM_ALLOC_SIZE" timeout 120 "${t[@]}" --device "$dev" --problem logreg --n 1000 --d "$dd"
else
    echo "synthetic-max-alloc: the device's largest buffer is over half the host memory; not checked"
fi
# A BOM at the start of a data file is dropped (the file reads as without it).
printf '\xef\xbb\xbf1 1:1\n-1 2:1\n1 3:1\n' >"$tmp/bom.libsvm"
check bom 0 "${t[@]}" --problem logreg --data "$tmp/bom.libsvm"
printf '\xef\xbb\xbflabel,x\n1,2\n0,3\n1,4\n' >"$tmp/bom.csv"
check bom-csv 0 "${t[@]}" --problem logreg --data "$tmp/bom.csv"
# A 3-row file whose largest index is 1e8: the dense matrix it makes is refused before
# it is allocated, saying how much it would take.
printf '1 1:1\n-1 2:1\n1 100000000:1\n' >"$tmp/wide.libsvm"
refused wide-libsvm 2 timeout 120 "${t[@]}" --problem logreg --data "$tmp/wide.libsvm"
contains wide-libsvm-msg "3 rows x 100000000 features as a dense matrix need 1.1 GiB" \
    timeout 120 "${t[@]}" --problem logreg --data "$tmp/wide.libsvm"
# The points of eval and the rotation of tube go through the same reader: a NUL byte,
# the size limit and a folder are refused in one line.
printf '0.1,0.2\n\0' >"$tmp/nul-points.csv"
printf '0.1,0.2\n0.3,0.4\n' >"$tmp/points.csv"
refused points-nul 2 "$bin" eval --problem quad --d 2 --points "$tmp/nul-points.csv"
contains points-nul-msg "nul-points.csv:2: NUL byte" "$bin" eval --problem quad --d 2 --points "$tmp/nul-points.csv"
refused points-over-limit 2 env SIGNBENCH_MAX_INPUT=8 "$bin" eval --problem quad --d 2 --points "$tmp/points.csv"
contains points-over-limit-msg "larger than the 8 bytes limit" env SIGNBENCH_MAX_INPUT=8 "$bin" eval --problem quad --d 2 --points "$tmp/points.csv"
refused points-folder 2 "$bin" eval --problem quad --d 2 --points "$tmp"
refused rotation-nul 2 "$bin" tube --d 2 --trials 1 --steps 5 --rotations "$tmp/nul-points.csv" --out "$tmp/rot"
contains rotation-nul-msg "nul-points.csv:2: NUL byte" "$bin" tube --d 2 --trials 1 --steps 5 --rotations "$tmp/nul-points.csv" --out "$tmp/rot"
refused rotation-over-limit 2 env SIGNBENCH_MAX_INPUT=8 "$bin" tube --d 2 --trials 1 --steps 5 --rotations "$tmp/points.csv" --out "$tmp/rot"
# A batch larger than the data set.
refused big-batch 2 "${t[@]}" --problem logreg --data "$tmp/ok.libsvm" --batch 4
contains big-batch-msg "batch 4 is larger than the 3 training rows" "${t[@]}" --problem logreg --data "$tmp/ok.libsvm" --batch 4
check batch-equal 0 "${t[@]}" --problem logreg --data "$tmp/ok.libsvm" --batch 3
# Repeating an option with the same value is harmless.
check repeated-same 0 "${t[@]}" --problem quad --d 5 --d 5

finish
