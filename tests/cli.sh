#!/usr/bin/env bash
# cli.sh - drives the signbench binary as a user would: exit codes, one-line errors,
# --help on every command, devices (table and JSON), compile/--kernel-binary refusals.
# Exit 77 (skip) when no OpenCL device exists.
. "$(dirname "$0")/lib.sh"
refused() { # refused NAME STATUS CMD...: exit STATUS with exactly one "signbench: " line on stderr
    local name=$1 want=$2; shift 2
    check "$name" "$want" "$@"
    error_line "$name-line" "$@"
}
contains() { # contains NAME TEXT CMD...: stdout+stderr of CMD contains TEXT
    local name=$1 text=$2; shift 2
    local out; out=$("$@" 2>&1)
    case $out in *"$text"*) ok ;; *) bad "$name: no '$text' in: $out" ;; esac
}

check version 0 "$bin" --version
contains version-commit "(git " "$bin" --version
check help 0 "$bin" help
check no-command 2 "$bin"
refused version-extra 2 "$bin" --version extra
refused unknown-command 2 "$bin" frobnicate
refused unknown-global-option 2 "$bin" --frobnicate devices
for cmd in $("$bin" help | awk '/^Commands:/{on=1; next} on && NF==0{exit} on{print $1}'); do
    check "help-$cmd" 0 "$bin" "$cmd" --help
    if [ "$("$bin" "$cmd" -h 2>&1)" = "$("$bin" "$cmd" --help 2>&1)" ]; then ok
    else bad "$cmd -h is not --help"; fi
    # also after global options (they go ahead of the command's own)
    if [ "$("$bin" --verbose --device cpu "$cmd" -h 2>&1)" = "$("$bin" "$cmd" --help 2>&1)" ]; then ok
    else bad "--verbose --device cpu $cmd -h is not --help"; fi
    refused "bad-option-$cmd" 2 "$bin" "$cmd" --no-such-option
    # Plain wording: no tracker references ("issue", "targets (issue 3)"), no printf
    # doubling left in ("95 %%").
    if "$bin" "$cmd" --help 2>&1 | grep -qi 'issue\|%%'; then
        bad "help-wording-$cmd: $("$bin" "$cmd" --help 2>&1 | grep -i 'issue\|%%' | head -2)"
    else ok; fi
done
"$bin" help 2>&1 | grep -qi 'issue\|%%' && bad "help-wording: signbench help" || ok

if [ "$("$bin" devices --json 2>/dev/null |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))' 2>/dev/null)" \
     = 0 ]; then
    skip "no OpenCL device"
fi

# ---- devices -----------------------------------------------------------------------
check devices 0 "$bin" devices
for text in "Device 0:0" "compute units" "vector widths" "global memory" "max allocation" \
            "fp64" "unified memory" "host locality" "PCI bus" "Host " "caches" "[default]"; do
    contains "devices-table-$text" "$text" "$bin" devices
done
"$bin" devices --json >"$tmp/devices.json" 2>"$tmp/devices.err"
if python3 - "$tmp/devices.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "signbench-devices/1", d["schema"]
need = ["index", "platform_index", "device_index", "platform", "platform_version", "name",
        "vendor", "type", "opencl_version", "opencl_c_version", "driver_version", "available",
        "compute_units", "clock_mhz", "max_work_group_size", "max_work_item_sizes",
        "preferred_vector_width", "global_mem_bytes", "global_mem_cache_bytes",
        "local_mem_bytes", "local_mem_dedicated", "max_alloc_bytes", "max_constant_bytes",
        "fp64", "unified_memory", "default", "locality"]
for dev in d["devices"]:
    missing = [k for k in need if k not in dev]
    assert not missing, (dev.get("name"), missing)
    assert dev["type"] in ("cpu", "gpu", "accelerator", "custom"), dev["type"]
    assert set(dev["preferred_vector_width"]) == {"char", "short", "int", "long", "float",
                                                  "double", "half"}
    assert dev["compute_units"] >= 1 and dev["global_mem_bytes"] > 0
    assert dev["max_alloc_bytes"] <= dev["global_mem_bytes"]
    loc = dev["locality"]
    for k in ("pci_bus_id", "cpuset", "pus", "numa_nodes", "hwloc_osdev", "whole_machine",
              "source"):
        assert k in loc, (dev["name"], k)
    assert loc["pus"] >= 1 and loc["cpuset"], loc
assert sum(dev["default"] for dev in d["devices"]) <= 1
h = d["host"]
assert h["packages"] >= 1 and h["cores"] >= h["packages"] and h["pus"] >= h["cores"], h
assert h["numa_nodes"] >= 1 and h["memory_bytes"] > 0, h
for c in h["caches"]:
    assert c["level"] >= 1 and c["kind"] in ("data", "instruction", "unified"), c
    assert c["size_bytes"] > 0 and c["count"] >= 1, c
# PoCL's CPU device, when installed, is listed with the whole machine as its locality.
pocl = [x for x in d["devices"] if x["type"] == "cpu" and "Portable" in x["platform"]]
if pocl:
    loc = pocl[0]["locality"]
    assert loc["whole_machine"] and loc["pus"] == h["pus"] and loc["numa_nodes"], loc
print(len(d["devices"]), "device(s),", len(pocl), "PoCL CPU")
PY
then ok; else bad "devices --json: fields (stderr: $(cat "$tmp/devices.err"))"; fi
if json "$tmp/devices.json" 'any(x["type"] == "cpu" for x in j["devices"])'; then
    n=$("$bin" devices --json --device cpu | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))')
    [ "$n" = 1 ] && ok || bad "devices --device cpu lists $n devices, wanted 1"
fi
refused devices-unknown-device 2 "$bin" devices --device no-such-device
refused devices-kernel-dir 2 "$bin" devices --kernel-dir "$src/kernels"
refused devices-extra-arg 2 "$bin" devices extra
contains devices-bind "pinned to PU" "$bin" devices --bind
"$bin" devices --bind --json >"$tmp/bind.json" 2>/dev/null
python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["bound"]; assert b["cpuset"] and b["index"]' \
    "$tmp/bind.json" && ok || bad "devices --bind --json: no 'bound' object"

# ---- device selection ----------------------------------------------------------------
refused unknown-device 2 "$bin" compile --device no-such-device -o "$tmp/x.bin"
refused unknown-index 2 "$bin" compile --device 9:9 -o "$tmp/x.bin"
refused env-unknown-device 2 env SIGNBENCH_DEVICE=no-such-device "$bin" compile -o "$tmp/x.bin"
contains unknown-device-lists "available: 0:0" "$bin" compile --device no-such-device -o "$tmp/x.bin"

# ---- compile and binaries ------------------------------------------------------------
refused compile-no-output 2 "$bin" compile
refused compile-both 2 "$bin" compile -o "$tmp/x.bin" --kernel-binary "$tmp/x.bin"
refused compile-unwritable 2 "$bin" compile -o /nonexistent-dir/x.bin
check compile 0 "$bin" compile -o "$tmp/prog.bin"
[ -f "$tmp/prog.bin" ] && [ ! -e "$tmp/prog.bin.tmp" ] && ok || bad "compile: no file (or .tmp left)"
check compile-verify 0 "$bin" compile --kernel-binary "$tmp/prog.bin"
contains compile-verify-exact "self-test exact" "$bin" compile --kernel-binary "$tmp/prog.bin"
contains compile-bind-note "signbench: --bind: host thread pinned" "$bin" --bind compile -o "$tmp/b.bin"
python3 - "$tmp" <<'PY'
import sys
t = sys.argv[1]
d = bytearray(open(t + "/prog.bin", "rb").read())
o = bytearray(d); o[8:13] = b"Other"; open(t + "/other.bin", "wb").write(o)
h = bytearray(d); h[8 + 256 + 128] ^= 0x5A; open(t + "/hash.bin", "wb").write(h)
open(t + "/short.bin", "wb").write(d[:len(d) - 7])
open(t + "/junk.bin", "wb").write(b"hello, not a binary\n")
# The FPGA flow: a vendor binary without our header (here PoCL's own payload), by name.
open(t + "/raw.xclbin", "wb").write(d[8 + 256 + 128 + 24:])
# 256 payload bytes flipped: the checksum in the header refuses it.
f = bytearray(d)
for i in range(256):
    f[8 + 256 + 128 + 24 + 64 + i] ^= 0xFF
open(t + "/flipped.bin", "wb").write(f)
old = bytearray(d); old[0:8] = b"SBKBIN01"; open(t + "/old.bin", "wb").write(old)
open(t + "/junk.aocx", "wb").write(b"not a bitstream\n" * 4)
PY
refused binary-other-device 2 "$bin" compile --kernel-binary "$tmp/other.bin"
contains binary-other-device-msg "was built for 'Other" "$bin" compile --kernel-binary "$tmp/other.bin"
refused binary-other-sources 2 "$bin" compile --kernel-binary "$tmp/hash.bin"
refused binary-truncated 2 "$bin" compile --kernel-binary "$tmp/short.bin"
refused binary-garbage 2 "$bin" compile --kernel-binary "$tmp/junk.bin"
refused binary-flipped 2 "$bin" compile --kernel-binary "$tmp/flipped.bin"
contains binary-flipped-msg "damaged file (the checksum" "$bin" compile --kernel-binary "$tmp/flipped.bin"
refused binary-old 2 "$bin" compile --kernel-binary "$tmp/old.bin"
contains binary-old-msg "made by an older signbench" "$bin" compile --kernel-binary "$tmp/old.bin"
refused binary-missing 2 "$bin" compile --kernel-binary "$tmp/none.bin"
refused binary-folder 2 "$bin" compile --kernel-binary "$tmp"
check vendor-binary 0 "$bin" compile --kernel-binary "$tmp/raw.xclbin"
contains vendor-binary-note "vendor binary without a signbench header" "$bin" compile --kernel-binary "$tmp/raw.xclbin"
refused vendor-binary-junk 2 "$bin" compile --kernel-binary "$tmp/junk.aocx"

# ---- --kernel-dir ----------------------------------------------------------------------
mkdir -p "$tmp/empty" "$tmp/good" "$tmp/broken"
refused kernel-dir-missing-file 2 "$bin" compile --kernel-dir "$tmp/empty" -o "$tmp/k.bin"
refused kernel-dir-nonexistent 2 "$bin" compile --kernel-dir "$tmp/nonexistent" -o "$tmp/k.bin"
cp "$src"/kernels/*.cl "$tmp/good/"
check kernel-dir-good 0 "$bin" compile --kernel-dir "$tmp/good" -o "$tmp/k.bin"
check kernel-dir-binary 0 "$bin" compile --kernel-dir "$tmp/good" --kernel-binary "$tmp/k.bin"
cp "$src"/kernels/*.cl "$tmp/broken/"
printf '\n__kernel void sb_broken(void) { int x = ; }\n' >>"$tmp/broken/common.cl"
check kernel-dir-broken 1 "$bin" compile --kernel-dir "$tmp/broken" -o "$tmp/k2.bin"
"$bin" compile --kernel-dir "$tmp/broken" -o "$tmp/k2.bin" >/dev/null 2>"$tmp/broken.err"
# The first errors with file and line on stderr, the whole log in a file the message names.
grep -q "^  $tmp/broken/common.cl:[0-9]*:[0-9]*: error" "$tmp/broken.err" && ok ||
    bad "kernel-dir-broken: no first error with file and line: $(cat "$tmp/broken.err")"
log=$(sed -n 's/.*full build log in \([^ ]*\.log\)$/\1/p' "$tmp/broken.err")
[ -n "$log" ] && grep -q "error" "$log" && ok || bad "kernel-dir-broken: no log file named: $(cat "$tmp/broken.err")"
[ -n "$log" ] && rm -f "$log"
[ "$(wc -l <"$tmp/broken.err")" -le 8 ] && ok || bad "kernel-dir-broken: more than 8 lines on stderr"
# The compiler's own output (warnings) shows only with --verbose. A cold `compile -o`
# builds every kernel's code for the binary (half a minute on PoCL), so the checks of
# what the front end says use a cold `train`, which builds the program and only the
# kernels it runs: a kernel that makes the compiler warn is quiet without --verbose,
# shown with it (file and line), and the build succeeds either way.
mkdir -p "$tmp/warn"; cp "$src"/kernels/*.cl "$tmp/warn/"
printf '\n__kernel void sb_warn(__global int *p) { p[0] = 1.5; }\n' >>"$tmp/warn/sign.cl"
warn_train() { # warn_train [--verbose]: a cold 2-step train on the kernels in $tmp/warn
    POCL_CACHE_DIR=$(mktemp -d "$tmp/cache-XXXXXX") "$bin" "$@" train --kernel-dir "$tmp/warn" \
        --problem quad --optimizer sgd --steps 2 --out "$(mktemp -d "$tmp/wt-XXXXXX")" \
        >/dev/null 2>"$tmp/warn.err"
}
warn_train; rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$tmp/warn.err" ] && ok || bad "warn-quiet: exit $rc, stderr: $(head -3 "$tmp/warn.err")"
warn_train --verbose; rc=$?
[ "$rc" -eq 0 ] && grep -q "sign.cl:[0-9]*:[0-9]*: implicit conversion" "$tmp/warn.err" && ok ||
    bad "warn-verbose: exit $rc, the warning not shown: $(head -3 "$tmp/warn.err")"
# The kernels themselves build without a warning, even shown in full, in a cold build of
# every kernel's code: no 16-wide builtin calls (their ABI warns on AVX2 without
# AVX-512), and nothing else. Only in the release build: what it checks is the kernels'
# code, which the sanitizer build compiles alike, in another minute.
if [ "${SB_SANITIZED:-none}" = none ]; then
    POCL_CACHE_DIR=$(mktemp -d "$tmp/cache-XXXXXX") "$bin" --verbose compile -o "$tmp/k0.bin" >/dev/null 2>"$tmp/k0.err"; rc=$?
    [ "$rc" -eq 0 ] && ! grep -qi "warning" "$tmp/k0.err" && ok ||
        bad "kernels-no-warnings: exit $rc: $(grep -i -m3 warning "$tmp/k0.err")"
fi
# A UTF-8 BOM at the start of a kernel file is dropped; a file that includes itself fails
# with its first error (file and line) and the log named, in at most 8 lines.
mkdir -p "$tmp/bomk" "$tmp/selfk"; cp "$src"/kernels/*.cl "$tmp/bomk/"; cp "$src"/kernels/*.cl "$tmp/selfk/"
printf '\xef\xbb\xbf' | cat - "$src/kernels/sign.cl" >"$tmp/bomk/sign.cl"
check kernel-dir-bom 0 "$bin" train --kernel-dir "$tmp/bomk" --problem quad --optimizer sgd \
    --steps 2 --out "$tmp/bom-train"
printf '#include "sign.cl"\n' >>"$tmp/selfk/sign.cl"
check kernel-dir-self-include 1 "$bin" compile --kernel-dir "$tmp/selfk" -o "$tmp/ks.bin"
"$bin" compile --kernel-dir "$tmp/selfk" -o "$tmp/ks.bin" >/dev/null 2>"$tmp/self.err"
[ "$(wc -l <"$tmp/self.err")" -le 8 ] && [ "$(grep -c '^signbench: ' "$tmp/self.err")" -eq 1 ] &&
    grep -q "^  $tmp/selfk/sign.cl:[0-9]*:[0-9]*: error" "$tmp/self.err" && ok ||
    bad "kernel-dir-self-include: not one line with the first error: $(cat "$tmp/self.err")"
log=$(sed -n 's/.*full build log in \([^ ;]*\.log\).*/\1/p' "$tmp/self.err"); [ -n "$log" ] && rm -f "$log"
[ ! -e "$tmp/ks.bin" ] && ok || bad "kernel-dir-self-include: left an output file"
# A folder given for --kernel-dir that does not exist, and a BOM / NUL in a kernel file.
contains kernel-dir-nonexistent-msg "nonexistent: No such file or directory" "$bin" compile --kernel-dir "$tmp/nonexistent" -o "$tmp/k.bin"
mkdir -p "$tmp/nul"; cp "$src"/kernels/*.cl "$tmp/nul/"; printf 'x\0y' >>"$tmp/nul/sign.cl"
refused kernel-dir-nul 2 "$bin" compile --kernel-dir "$tmp/nul" -o "$tmp/k.bin"
contains kernel-dir-nul-msg "NUL byte" "$bin" compile --kernel-dir "$tmp/nul" -o "$tmp/k.bin"
[ "$(grep -c '^signbench: ' "$tmp/broken.err")" -eq 1 ] && ok || bad "kernel-dir-broken: not one error line"
grep -q "^signbench: kernel build failed .* in $tmp/broken/common.cl" "$tmp/broken.err" && ok ||
    bad "kernel-dir-broken: error does not name the file: $(grep '^signbench' "$tmp/broken.err")"
[ ! -e "$tmp/k2.bin" ] && ok || bad "kernel-dir-broken: left an output file"

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

finish
