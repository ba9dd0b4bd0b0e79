#!/usr/bin/env bash
# history.sh - `signbench history` on a temporary database: add a run folder and files,
# show, plot (figures and one self-contained page), refused databases (exit 2, one line).
. "$(dirname "$0")/lib.sh"
mk() { # mk FILE FRACTION COMMIT
    cat >"$1" <<JSON
{"context": {"device": "dev-t", "git_commit": "$3", "host_name": "ci", "date": "2026-01-01T00:00:00+00:00"},
 "benchmarks": [{"name": "sgd/ocl/1000003/manual_time", "run_type": "iteration", "roofline_fraction": $2}]}
JSON
}
mkdir -p "$tmp/run"
for i in 1 2 3 4 5 6; do mk "$tmp/run/m$i.json" 0.9$i "c$i"; done
for i in 7 8 9 10 11 12; do mk "$tmp/m$i.json" 0.6$((i % 10)) "c$i"; done
echo "not json" >"$tmp/run/notes.json"
db=$tmp/h.sqlite
check add-dir 0 "$bin" history --db "$db" add "$tmp/run"
check add-files 0 "$bin" history --db "$db" add "$tmp"/m7.json "$tmp"/m8.json "$tmp"/m9.json "$tmp"/m1[0-2].json
out=$("$bin" history --db "$db" add "$tmp/run" 2>/dev/null)
[[ $out == *"added 0 files, 6 already stored"* ]] && ok || bad "re-add: $out"
out=$("$bin" history --db "$db" show sgd/ocl 2>&1)
[ "$(printf '%s\n' "$out" | grep -c 'dev-t\|^  [0-9]')" -ge 12 ] && ok || bad "show rows: $out"
printf '%s\n' "$out" | grep -q "CUSUM change point .* from result 7 on (commit c7)" && ok || bad "change point: $out"
check show-unknown 2 "$bin" history --db "$db" show nothing-like-this
check show-no-db 2 "$bin" history --db "$tmp/none.sqlite" show sgd
one_line show-no-db-line "$bin" history --db "$tmp/none.sqlite" show sgd
check add-malformed 2 "$bin" history --db "$db" add "$tmp/run/notes.json"
# The shared bounded reader: a NUL byte, deep nesting, the size limit; one line each.
printf '{"benchmarks": [\0]}' >"$tmp/nul.json"
python3 -c 'print("[" * 2000 + "]" * 2000)' >"$tmp/deep.json"
for f in nul deep; do
    check "add-$f" 2 "$bin" history --db "$db" add "$tmp/$f.json"
    error_line "add-$f-line" "$bin" history --db "$db" add "$tmp/$f.json"
done
out=$("$bin" history --db "$db" add "$tmp/nul.json" 2>&1)
[[ $out == *"nul.json:1: NUL byte"* ]] && ok || bad "add-nul-msg: $out"
out=$("$bin" history --db "$db" add "$tmp/deep.json" 2>&1)
[[ $out == *"nested deeper than"* ]] && ok || bad "add-deep-msg: $out"
check add-over-limit 2 env SIGNBENCH_MAX_INPUT=100 "$bin" history --db "$db" add "$tmp/m7.json"
check no-subcommand 2 "$bin" history --db "$db"
check bad-subcommand 2 "$bin" history --db "$db" frobnicate
check help 0 "$bin" history --help
python3 -c "import sqlite3; c = sqlite3.connect('$tmp/v7.sqlite'); c.execute('create table runs(x)'); c.execute('pragma application_id = 1396852809'); c.execute('pragma user_version = 7'); c.commit()"
check unknown-schema 2 "$bin" history --db "$tmp/v7.sqlite" show sgd
one_line unknown-schema-line "$bin" history --db "$tmp/v7.sqlite" add "$tmp/m7.json"
head -c 4096 /dev/urandom >"$tmp/junk.sqlite"
check corrupt 2 "$bin" history --db "$tmp/junk.sqlite" show sgd
one_line corrupt-line "$bin" history --db "$tmp/junk.sqlite" show sgd
if command -v gnuplot >/dev/null; then
    check plot 0 "$bin" history --db "$db" plot --out "$tmp/plot"
    ls "$tmp/plot"/*.png "$tmp/plot"/*.svg >/dev/null 2>&1 && ok || bad "plot: no figures"
    grep -q "<svg" "$tmp/plot/index.html" && ! grep -q '<img\|src="http' "$tmp/plot/index.html" && ok || bad "page not self-contained"
    grep -q "commit <code>c7</code>" "$tmp/plot/index.html" && ok || bad "page lacks the change point"
fi
finish
