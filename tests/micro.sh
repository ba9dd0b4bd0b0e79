#!/usr/bin/env bash
# micro.sh - `signbench micro` as a user drives it: usage errors exit 2 with one line, a
# tiny run's JSON is checked against the Google Benchmark field names, CSV matches it.
. "$(dirname "$0")/lib.sh"
usage_error() { # usage_error NAME ARGS...: `micro ARGS` exits 2 with exactly one line on stderr
    local name=$1; shift
    check "$name" 2 "$bin" micro "$@"
    one_line "$name-line" "$bin" micro "$@"
}

"$bin" micro --help >"$tmp/help" 2>&1 && ok || bad "help exits non-zero"
for word in "default 10" "default 2" "default 8" "default: all" 64M; do
    grep -q -- "$word" "$tmp/help" && ok || bad "help does not document '$word'"
done
usage_error reps-zero --reps 0
usage_error reps-text --reps ten
usage_error warmup-negative --warmup -1
usage_error kernel-unknown --kernels sign,frobnicate
usage_error kernel-empty --kernels ,
usage_error sizes-backwards --sizes 1M..1K
# every size too large for the device: nothing measured is a failure, not exit 0
usage_error sizes-all-skipped --sizes 64G --kernels sign --reps 3
usage_error sizes-text --sizes lots
usage_error sizes-zero --sizes 0
usage_error local-zero --local-size 0
usage_error local-not-pow2 --local-size 48
usage_error local-with-binary --local-size 64 --kernel-binary /nonexistent.bin
usage_error vote-m-zero --vote-m 0
usage_error vote-m-huge --vote-m 5000
usage_error json-nowhere --sizes 33 --json /nonexistent-dir/x.json
usage_error stray-argument extra
usage_error two-stdout --json - --csv -
usage_error cv-limit-zero --cv-limit 0
usage_error filter-bad-regex --filter '(' --list
usage_error bad-option --frobnicate

require_device

usage_error unknown-device --device no-such-device --sizes 33
# A size far beyond device memory is skipped with a note, not an error, while another
# size is measured (every size skipped is an error: sizes-all-skipped above).
if "$bin" micro --sizes 4K,8G --kernels copy --no-host --no-clblast >"$tmp/big" 2>&1 &&
        grep -q "note: n = 8589934592 skipped" "$tmp/big"; then ok
else bad "8G not skipped with a note: $(tail -3 "$tmp/big")"; fi

# A tiny full run: every kernel, sizes not multiples of 32 or of a work-group.
if "$bin" micro --sizes 33,1000 --reps 3 --warmup 1 --vote-m 3 --targets \
        --json "$tmp/m.json" --csv "$tmp/m.csv" >"$tmp/out" 2>"$tmp/err"; then ok
else bad "tiny run failed: $(cat "$tmp/err")"; fi
for word in "GB/s" roofline "CLBlast" "empty kernel" "transfer h2d_write" "targets" signsgd pack norm2; do
    grep -q -- "$word" "$tmp/out" && ok || bad "table lacks '$word'"
done
ls "$tmp"/*.tmp >/dev/null 2>&1 && bad "temporary file left behind" || ok

python3 - "$tmp/m.json" "$tmp/m.csv" <<'PY' && ok || bad "JSON/CSV validation"
import csv, json, sys
doc = json.load(open(sys.argv[1]))
ctx, rows = doc["context"], doc["benchmarks"]
for f in ["date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "caches",
          "library_build_type", "device", "driver", "signbench_version", "git_commit"]:
    assert f in ctx, "context lacks " + f
assert isinstance(ctx["num_cpus"], int) and ctx["num_cpus"] >= 1
for c in ctx["caches"]:
    assert set(c) >= {"type", "level", "size", "num_sharing"}, c
need = ["name", "run_name", "run_type", "repetitions", "threads", "iterations",
        "real_time", "cpu_time", "time_unit", "kernel", "impl", "n", "device"]
kernels = ["sign", "pack", "unpack", "vote", "vote_update", "scaled_sign", "sgd",
           "momentum", "signsgd", "signum", "ef-signsgd", "lion", "adam", "rmsprop",
           "norm1", "norm2", "norminf", "dot", "copy", "read", "rmw"]
patterns = ["read", "write", "copy", "scale", "rmw", "rmw2", "rmw3", "inplace2", "read2"]
seen, variants = {}, {}
for r in rows:
    for f in need:
        assert f in r, "%s lacks %s" % (r.get("name"), f)
    assert r["run_type"] in ("iteration", "aggregate"), r["run_type"]
    # one unit per kind of benchmark, never chosen from the measured time; names hold
    # only what the user chose (no repetition count)
    assert r["time_unit"] == ("ns" if r["kernel"] == "empty" else "us"), r["name"]
    assert "repeats" not in r["name"], r["name"]
    assert r["kernel"] in r["name"], r["name"]
    assert r["impl"] in ("ocl", "clblast", "c1", "omp"), r["impl"]
    assert r["real_time"] >= 0 and r["cpu_time"] >= 0
    if r["run_type"] == "iteration":
        assert r["name"] == r["run_name"] and 0 <= r["repetition_index"] < r["repetitions"]
        assert r["iterations"] == 1
        assert r["repetitions"] == (2 if r.get("pruned") else 3) or r["kernel"] == "empty", r["name"]
    else:
        assert r["name"] == r["run_name"] + "_" + r["aggregate_name"], r["name"]
        assert r["aggregate_unit"] == ("percentage" if r["aggregate_name"] == "cv" else "time")
    if r["impl"] in ("ocl", "clblast") and r["kernel"] not in ("empty",):
        assert r["name"].endswith("manual_time") or "manual_time_" in r["name"], r["name"]
    if r["impl"] == "ocl" and r["kernel"] in kernels:
        assert r["bytes_per_second"] > 0, r["name"]
        assert r["roofline_fraction"] > 0, r["name"]
        assert all(p in patterns for p in r["roofline_ref"].split("+")), r["roofline_ref"]
    if "roofline_fraction" in r:
        # a fraction above 1.05 is flagged, never a pass
        over = r["ceiling_exceeded"]
        if r.get("aggregate_name") == "median":
            assert over == (r["roofline_fraction"] > 1.05), r["name"]
        assert ("flag" in r) == over and (not over or "reference variant set incomplete" in r["flag"])
    if r["kernel"].startswith("ceiling_"):
        assert r["pattern"] == r["kernel"][len("ceiling_"):] and r["pattern"] in patterns
        assert "/variant:" + r["variant"] + "/" in r["name"] or r["name"].endswith("/variant:" + r["variant"]) or ("/variant:" + r["variant"] + "_") in r["name"], r["name"]
        vs = variants.setdefault((r["pattern"], r["n"]), {})
        if r.get("aggregate_name") == "median" or r["impl"] + "/" + r["variant"] not in vs:
            vs[r["impl"] + "/" + r["variant"]] = r
    seen.setdefault(r["kernel"], set()).add((r["impl"], r["n"]))
for k in kernels:
    for impl in ("ocl", "c1", "omp"):
        for n in (33, 1000):
            assert (impl, n) in seen.get(k, ()), "missing %s %s n=%d" % (k, impl, n)
for k in ("snrm2", "sdot", "isamax"):
    assert ("clblast", 1000) in seen.get(k, ()), "missing CLBlast " + k
for p, k in (("rmw", "saxpy"), ("read", "sasum"), ("copy", "scopy")):
    assert "clblast/" + k in variants[(p, 1000)], "CLBlast %s not a %s ceiling variant" % (k, p)
# Every pattern a kernel needs has several variants: widths 1/4/8/16, chunked and grid,
# two work-group sizes, and on a CPU device the OpenMP loop.
# Patterns with a write-only output also have streaming-store variants (_nt_) where
# the device's compiler has them: all 16 or none; the read also reads four streams.
for (p, n), vs in variants.items():
    plain = sum(1 for v in vs if v.startswith("ocl/w") and "_nt_" not in v and "_s4_" not in v)
    nt = sum(1 for v in vs if v.startswith("ocl/w") and "_nt_" in v)
    s4 = sum(1 for v in vs if v.startswith("ocl/w") and "_chunked_s4_" in v)
    assert plain == 16 and nt in ((0, 16) if p in ("write", "copy") else (0,)), (p, n, sorted(vs))
    assert s4 == (6 if p == "read" else 0), (p, n, sorted(vs))  # widths 4/8/16, two groups
    for w in ("w1_", "w4_", "w8_", "w16_"):
        assert any(v.startswith("ocl/" + w) for v in vs), (p, w)
# A pruned variant (too slow to set the ceiling) keeps its row, marked, with the two
# samples of the rounds that decided (--reps 3 --warmup 1: rounds 2 and 3); the others
# have every repetition.
for r in rows:
    if r["kernel"].startswith("ceiling_") and r.get("run_type") == "aggregate":
        assert isinstance(r["pruned"], bool), r["name"]
        assert r["repetitions"] == (2 if r["pruned"] else 3), (r["name"], r["repetitions"])
assert "copy" in {p for p, n in variants} and "rmw3" in {p for p, n in variants}
# The ceiling is the best variant of the same rounds: no variant of a kernel's pattern
# is faster than the ceiling the kernel names, and the variant it names exists.
for r in rows:
    if r.get("aggregate_name") != "median" or "roofline_ref_variant" not in r:
        continue
    pats = r["roofline_ref"].split("+")
    named = r["roofline_ref_variant"].split("+")
    assert len(named) == len(pats), r["name"]
    # The vote is measured against a read of as many bytes as it moves: read@N, N =
    # (m + 1) ceil(n / 32) elements when that is fewer than n.
    cn = r["n"]
    if r["kernel"] == "vote":
        cn = min(r["n"], 4 * ((r["n"] + 31) // 32))
        assert named[0].startswith("read@%d:" % cn if cn < r["n"] else "read:"), (r["name"], named)
    # The reference kernel with the pattern's traffic (copy/read/rmw) is one more way.
    refs = {"copy": "copy", "read": "read", "rmw": "rmw"}
    for p, v in zip(pats, named):
        vp, vname = v.split(":", 1)
        vp = vp.split("@")[0]
        assert vp == p and (vname in variants[(p, cn)] or vname == "ocl/" + refs.get(p, "-")), \
            (r["name"], v)
    # No unpruned variant is faster than the ceiling; a ceiling set by a variant is its
    # rate (a pruned variant's two samples make a median row that can read differently).
    if len(pats) == 1:
        best = max(v["bytes_per_second"] for v in variants[(pats[0], cn)].values()
                   if v.get("aggregate_name") == "median" and not v["pruned"])
        assert r["roofline_ref_bytes_per_second"] >= best * (1 - 1e-9), (r["name"], best)
        by = named[0].split(":", 1)[1]
        if by in variants[(pats[0], cn)] and not variants[(pats[0], cn)][by]["pruned"]:
            assert abs(r["roofline_ref_bytes_per_second"] - best) <= 1e-9 * best, (r["name"], best)
for k in ("empty", "h2d_write", "d2h_read", "map_read"):
    assert k in seen, "missing " + k
# One family_index per kernel + impl, as compare.py expects.
fam = {}
for r in rows:
    fam.setdefault((r["kernel"], r["impl"]), set()).add(r["family_index"])
assert all(len(v) == 1 for v in fam.values()), fam
assert len({min(v) for v in fam.values()}) == len(fam)
# Each run has its 6 aggregates: mean, median, stddev, cv, min, p90.
aggs = {}
for r in rows:
    if r["run_type"] == "aggregate":
        aggs.setdefault(r["run_name"], set()).add(r["aggregate_name"])
assert all(a == {"mean", "median", "stddev", "cv", "min", "p90"} for a in aggs.values())
lines = list(csv.DictReader(open(sys.argv[2])))
assert len(lines) == len(rows), (len(lines), len(rows))
# cJSON prints 15 significant digits when they read back within its tolerance.
for line, r in zip(lines, rows):
    assert line["name"] == r["name"] and line["run_type"] == r["run_type"]
    assert abs(float(line["real_time"]) - r["real_time"]) <= 1e-12 * abs(r["real_time"])
PY

# Noise marks are reproducible from the file: noisy = the cv aggregate above cv_limit,
# launch_bound = a device-timed row whose median host time is under 3x the empty
# kernel's; the context warns about load and CPU scaling as a list, and --quick's
# bandwidth size has a vector at least twice the last-level cache.
python3 - "$tmp/m.json" <<'PY' && ok || bad "noise marks"
import json, sys
doc = json.load(open(sys.argv[1]))
ctx, rows = doc["context"], doc["benchmarks"]
unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
assert isinstance(ctx["warnings"], list) and ctx["launch_latency_s"] > 0
cv = {r["run_name"]: r["real_time"] for r in rows if r.get("aggregate_name") == "cv"}
marked = 0
for r in rows:
    if r.get("aggregate_name") != "median" or r["kernel"] in ("empty",):
        continue
    assert r["noisy"] == (cv[r["run_name"]] > ctx["cv_limit"]), r["name"]
    manual = r["run_name"].endswith("/manual_time")
    lb = manual and r["cpu_time"] * unit[r["time_unit"]] < 3 * ctx["launch_latency_s"]
    assert r["launch_bound"] == lb, r["name"]
    marked += 1
assert marked > 50, marked
llc = max((c["size"] * ctx["num_cpus"] // max(c["num_sharing"], 1), c["level"]) for c in ctx["caches"] if c["type"] != "Instruction")[0]
n = ctx["bandwidth_n"]
assert 4 * n >= 2 * llc and n & (n - 1) == 0 and (n == 1 << 20 or 2 * n < 2 * llc), (n, llc)
PY

# Cold caches: at --quick's bandwidth size (a vector at least twice the last-level
# cache) every call is preceded by a flush, and the notes say so; at 4K none is.
bw=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["context"]["bandwidth_n"])' "$tmp/m.json")
if "$bin" micro --kernels read --sizes "4K,$bw" --reps 3 --warmup 1 --no-host --no-clblast \
    --json "$tmp/flush.json" >/dev/null 2>&1 &&
    python3 - "$tmp/flush.json" "$bw" <<'PY'
import json, sys
notes = json.load(open(sys.argv[1]))["context"]["notes"]
flushed = [x for x in notes if "caches flushed before every call" in x]
assert flushed == ["n = %s: caches flushed before every call" % sys.argv[2] + flushed[0].split("call", 1)[1]], notes
assert "twice the cache" in flushed[0], flushed
PY
then ok; else bad "cold caches at the bandwidth size, and only there"; fi

# roofline_fraction is reproducible from the file: every row that has one carries its
# ceiling's rate, and on the median row fraction = bytes / real_time / that rate;
# the CSV has the same column; the table shows it ("ref GB/s").
python3 - "$tmp/m.json" "$tmp/m.csv" <<'PY' && ok || bad "roofline reference rate"
import csv, json, sys
rows = json.load(open(sys.argv[1]))["benchmarks"]
unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
checked = 0
for r in rows:
    if "roofline_fraction" not in r:
        assert "roofline_ref_bytes_per_second" not in r, r["name"]
        continue
    ref = r["roofline_ref_bytes_per_second"]
    assert ref > 0, r["name"]
    if r.get("aggregate_name") == "median":
        again = r["bytes"] / (r["real_time"] * unit[r["time_unit"]]) / ref
        assert abs(again - r["roofline_fraction"]) <= 1e-9 * r["roofline_fraction"], (r["name"], again)
        checked += 1
    if r["run_type"] == "iteration":
        assert abs(r["bytes_per_second"] / ref - r["roofline_fraction"]) <= 1e-9 * r["roofline_fraction"]
assert checked >= 20, checked
lines = list(csv.DictReader(open(sys.argv[2])))
for line, r in zip(lines, rows):
    if "roofline_ref_bytes_per_second" in r:
        assert abs(float(line["roofline_ref_bytes_per_second"]) - r["roofline_ref_bytes_per_second"]) <= 1e-9 * r["roofline_ref_bytes_per_second"]
    else:
        assert line["roofline_ref_bytes_per_second"] == ""
PY
grep -q "ceil GB/s" "$tmp/out" && grep -q "ceilings at n = 1000:" "$tmp/out" && ok || bad "table lacks the ceiling columns"

# Output others ingest. Two small runs in a row: the second writes its JSON to stdout
# (the table to stderr), aggregates only, and github-action-benchmark's input.
small=(--sizes 1000 --kernels sign,adam,vote --reps 3 --warmup 1 --no-host)
if "$bin" micro "${small[@]}" --json "$tmp/c1.json" >/dev/null 2>"$tmp/errc" &&
        "$bin" micro "${small[@]}" --json - --aggregates-only --github-benchmark "$tmp/gab.json" \
            >"$tmp/c2.json" 2>"$tmp/c2.err"; then ok
else bad "small runs failed: $(cat "$tmp/errc" "$tmp/c2.err")"; fi
grep -q "ceilings at n = 1000" "$tmp/c2.err" && ok || bad "--json -: the table is not on stderr"
python3 - "$tmp/c1.json" "$tmp/c2.json" "$tmp/gab.json" <<'PY' && ok || bad "compare.py / aggregates-only / github-action-benchmark"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert all(r["run_type"] == "aggregate" for r in b["benchmarks"])
assert any(r["run_type"] == "iteration" for r in a["benchmarks"])
# compare.py pairs benchmarks by name and time_unit (partition_benchmarks): every
# benchmark of one run has its partner in the other, with one unit per name.
def units(doc):
    u = {}
    for r in doc["benchmarks"]:
        u.setdefault(r["name"], set()).add(r["time_unit"])
    assert all(len(v) == 1 for v in u.values())
    return u
ua, ub = units(a), units(b)
agg_a = {n: v for n, v in ua.items() if n in ub}
assert set(ub) <= set(ua) and len(ub) == len({r["run_name"] for r in a["benchmarks"]}) * 6
assert all(ua[n] == ub[n] for n in ub)
# github-action-benchmark customBiggerIsBetter: an array of {name, unit, value[, range,
# extra]}, names unique; one roofline_fraction and one GB/s entry per benchmark.
g = json.load(open(sys.argv[3]))
assert isinstance(g, list) and g
for e in g:
    assert isinstance(e["name"], str) and isinstance(e["unit"], str), e
    assert isinstance(e["value"], (int, float)) and not isinstance(e["value"], bool), e
    assert set(e) <= {"name", "unit", "value", "range", "extra"}, e
    assert all(isinstance(e.get(k, ""), str) for k in ("range", "extra"))
names = [e["name"] for e in g]
assert len(names) == len(set(names))
med = {r["run_name"]: r for r in b["benchmarks"] if r["aggregate_name"] == "median"}
frac = {n for n, r in med.items() if "roofline_fraction" in r}
rate = {n for n, r in med.items() if r.get("bytes_per_second", 0) > 0}
assert {n[:-len(" roofline_fraction")] for n in names if n.endswith(" roofline_fraction")} == frac
assert {n[:-len(" GB/s")] for n in names if n.endswith(" GB/s")} == rate
for e in g:
    if e["name"].endswith(" roofline_fraction"):
        assert e["value"] > 0 and "set by" in e["extra"]
PY

# --list names exactly the benchmarks a run reports; --filter keeps the matching ones
# (POSIX extended regex on names), still timing the ceilings a kept kernel needs.
"$bin" micro "${small[@]}" --list >"$tmp/list" 2>"$tmp/list.err" && ok || bad "--list failed: $(cat "$tmp/list.err")"
"$bin" micro "${small[@]}" --filter '^(sign|vote)/' --list >"$tmp/flist" && ok || bad "--filter --list failed"
"$bin" micro "${small[@]}" --filter '^sign/ocl' --json "$tmp/f.json" >"$tmp/fout" 2>&1 && ok || bad "--filter run failed: $(tail -3 "$tmp/fout")"
python3 - "$tmp/c1.json" "$tmp/list" "$tmp/flist" "$tmp/f.json" <<'PY' && ok || bad "--list / --filter"
import json, re, sys
runs = {r["run_name"] for r in json.load(open(sys.argv[1]))["benchmarks"]}
listed = open(sys.argv[2]).read().split()
assert len(listed) == len(set(listed)) and set(listed) == runs, set(listed) ^ runs
fl = open(sys.argv[3]).read().split()
assert fl and set(fl) == {n for n in listed if re.search("^(sign|vote)/", n)}, fl
rows = json.load(open(sys.argv[4]))["benchmarks"]
assert {r["run_name"] for r in rows} == {"sign/ocl/1000/manual_time"}
assert all(r["roofline_ref_bytes_per_second"] > 0 and r["roofline_ref_variant"].startswith("copy:") for r in rows)
PY

# A map on a device that shares host memory moves nothing: a latency, "no copy", no rate.
unified=$(python3 - "$tmp/m.json" <<'PY'
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["benchmarks"] if r["kernel"] == "map_read"]
zc = {r.get("zero_copy", False) for r in rows}
assert len(zc) == 1, zc
if True in zc:
    assert all("bytes_per_second" not in r and r["bytes"] == 0 and r["mapped_bytes"] > 0 for r in rows)
else:
    assert all(r["bytes_per_second"] > 0 for r in rows)
print("yes" if True in zc else "no")
PY
) && ok || bad "map_read rows inconsistent"
if [ "$unified" = yes ]; then
    grep -q "^transfer map_read .*no copy (the device shares host memory): map + unmap latency median" "$tmp/out" && ok || bad "map_read not reported as a latency"
    grep -q "^transfer map_read .*GB/s" "$tmp/out" && bad "map_read still reports GB/s" || ok
fi

# A work-group sweep with one kernel, no baselines: names carry the local size.
if "$bin" micro --sizes 1000 --reps 3 --warmup 0 --kernels signsgd --local-size 32,64 \
        --no-host --no-clblast --json "$tmp/l.json" >"$tmp/out2" 2>"$tmp/err2"; then ok
else bad "local-size sweep failed: $(cat "$tmp/err2")"; fi
python3 - "$tmp/l.json" <<'PY' && ok || bad "local-size sweep JSON"
import json, sys
rows = json.load(open(sys.argv[1]))["benchmarks"]
names = {r["run_name"] for r in rows if r["kernel"] == "signsgd"}
assert any("/local:32/" in n for n in names) and any("/local:64/" in n for n in names), names
# no baselines; the ceiling variants stay (the OpenMP loop among them), CLBlast's not
assert not any(r["impl"] in ("c1", "omp", "clblast") for r in rows if not r["kernel"].startswith("ceiling_"))
assert not any(r["impl"] == "clblast" for r in rows)
assert any("/local:64/variant:" in r["name"] for r in rows if r["kernel"] == "ceiling_rmw")
PY

finish
