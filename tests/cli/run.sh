#!/usr/bin/env bash
# Behaviour a user sees from the command line: exit codes, messages,
# byte-identical reruns, and the check / check --update round trip.
# usage: run.sh VNEXTRACT SOURCE_ROOT
set -u
VNX=$1
ROOT=$2
RULES="$ROOT/rules"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/    # /' <<<"$2" | head -20; }
expect_status() { # NAME WANT GOT OUTPUT
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (exit $3, want $2)" "${4:-}"; fi
}
expect_grep() { # NAME PATTERN TEXT
  if grep -qE -- "$2" <<<"$3"; then ok "$1"; else bad "$1 (no /$2/)" "$3"; fi
}

# --help names every subcommand and the exit codes.
out=$("$VNX" --help); rc=$?
expect_status "--help exits 0" 0 $rc
for word in extract check normalize "rules test" "exit status"; do
  expect_grep "--help mentions $word" "$word" "$out"
done
out=$("$VNX" frobnicate 2>&1); expect_status "unknown command exits 2" 2 $? "$out"
out=$("$VNX" extract --no-such-option x 2>&1); expect_status "unknown option exits 2" 2 $? "$out"
out=$("$VNX" extract 2>&1); expect_status "extract without input exits 2" 2 $? "$out"

# extract: every corpus document, twice, byte-identical.
"$VNX" extract --rules "$RULES" -q -o "$T/a.jsonl" "$ROOT/corpus"; rc=$?
expect_status "extract corpus exits 0" 0 $rc
"$VNX" extract --rules "$RULES" -q "$ROOT/corpus" > "$T/b.jsonl"
if cmp -s "$T/a.jsonl" "$T/b.jsonl"; then ok "extract twice is byte-identical (-o and stdout)"; else bad "extract twice differs"; fi
ndocs=$(ls "$ROOT"/corpus/*.txt | wc -l)
nrec=$(grep -c '"kind":"document"' "$T/a.jsonl")
if [ "$ndocs" = "$nrec" ]; then ok "one document record per corpus file ($ndocs)"; else bad "document records $nrec, files $ndocs"; fi
if python3 - "$T/a.jsonl" <<'PY'
import json, sys
need = {"id", "doc", "kind", "line", "span", "text", "rule"}
ids = set()
for ln in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(ln)
    assert need <= r.keys(), r
    assert r["id"] not in ids, r["id"]
    ids.add(r["id"])
    assert isinstance(r["line"], int) and r["line"] >= 1
    assert r["span"][0] <= r["span"][1]
PY
then ok "every record has id, doc, kind, line, span, text, rule; ids unique"; else bad "record fields"; fi

# A summary on stderr: documents, records per kind, seconds.
err=$("$VNX" extract --rules "$RULES" -o "$T/c.jsonl" "$ROOT/corpus" 2>&1 >/dev/null)
expect_grep "summary names documents, kinds and seconds" "$ndocs documents .*document $ndocs.* s" "$err"

# check: clean, then one edited golden field, then --update restores it.
cp -r "$ROOT/corpus" "$T/corpus"; cp -r "$ROOT/golden" "$T/golden"
out=$("$VNX" check --rules "$RULES" "$T/corpus" "$T/golden" 2>&1); rc=$?
expect_status "check on the clean tree exits 0" 0 $rc "$out"
g=$(ls "$T"/golden/*.jsonl | head -1)
victim=$(sed -n 1p "$g" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["id"])')
python3 - "$g" <<'PY'
import json, sys
p = sys.argv[1]
lines = open(p, encoding="utf-8").read().splitlines()
r = json.loads(lines[0]); r["line"] = r["line"] + 1000
lines[0] = json.dumps(r, ensure_ascii=False, separators=(",", ":"))
open(p, "w", encoding="utf-8").write("\n".join(lines) + "\n")
PY
out=$("$VNX" check --rules "$RULES" "$T/corpus" "$T/golden" 2>&1); rc=$?
expect_status "check after a hand edit exits 1" 1 $rc "$out"
expect_grep "check names the edited record's id" "$victim" "$out"
expect_grep "check names the edited field" "field line: [0-9]+ -> [0-9]+" "$out"
expect_grep "check prints a per-rule summary" "by rule:" "$out"
out=$("$VNX" check --update --rules "$RULES" "$T/corpus" "$T/golden" 2>&1); rc=$?
expect_status "check --update exits 0" 0 $rc "$out"
expect_grep "check --update says how many records changed" "1 changed" "$out"
if diff -r "$ROOT/golden" "$T/golden" >/dev/null; then ok "check --update restores the golden files"; else bad "golden differs after --update"; fi
ls "$T"/golden/*.tmp* >/dev/null 2>&1 && bad "temporary files left in golden/" || ok "no temporary files left behind"
out=$("$VNX" check --rules "$RULES" "$T/no-such-dir" "$T/golden" 2>&1); expect_status "check on a missing corpus exits 2" 2 $? "$out"

# A document added to the corpus without golden shows up as added records.
printf 'Các nhiệm vụ trên hoàn thành trước ngày 30/6/2026.\n' > "$T/corpus/zz-new.txt"
out=$("$VNX" check --rules "$RULES" "$T/corpus" "$T/golden" 2>&1); rc=$?
expect_status "check with a new document exits 1" 1 $rc "$out"
expect_grep "new document's records are listed as added" "^  \+ doc-" "$out"
rm "$T/corpus/zz-new.txt"

# Bad input: invalid UTF-8 in the middle names file, line and byte offset
# (0xff is byte 22: "dòng một\n" is 12 bytes, "dòng hai " 10 more).
printf 'dòng một\ndòng hai \xff\xfe ở đây\ndòng ba\n' > "$T/bad.txt"
out=$("$VNX" extract --rules "$RULES" -q "$T/bad.txt" 2>&1 >/dev/null); rc=$?
expect_status "invalid UTF-8 exits 1" 1 $rc "$out"
expect_grep "invalid UTF-8 message names file:line:byte" "bad.txt:2:22: error: .*UTF-8" "$out"
out=$("$VNX" normalize --lossy "$T/bad.txt" 2>&1); rc=$?
expect_status "normalize --lossy exits 0" 0 $rc "$out"
expect_grep "--lossy keeps the rest of the document" "dòng ba" "$out"
expect_grep "--lossy warns" "warning: .*replaced" "$out"

# A batch goes on past a bad file and a missing one, and says which failed.
out=$("$VNX" extract --rules "$RULES" -o "$T/batch.jsonl" "$T/bad.txt" "$T/missing.txt" "$ROOT/corpus" 2>&1); rc=$?
expect_status "batch with failures exits 1" 1 $rc "$out"
expect_grep "missing file is named" "missing.txt: error: cannot open" "$out"
n=$(grep -c '"kind":"document"' "$T/batch.jsonl")
if [ "$n" = "$ndocs" ]; then ok "the rest of the batch was written ($n documents)"; else bad "batch wrote $n documents, want $ndocs"; fi
mkfifo "$T/fifo.txt"
out=$("$VNX" extract --rules "$RULES" -q "$T/fifo.txt" 2>&1 >/dev/null); rc=$?
expect_status "a FIFO is refused, not read" 1 $rc "$out"
expect_grep "FIFO message" "fifo.txt: error: not a regular file" "$out"

# Standard input.
out=$(printf 'Hoàn thành trước ngày 13/5/2026.\n' | "$VNX" extract --rules "$RULES" -q -); rc=$?
expect_status "extract - reads stdin" 0 $rc "$out"
expect_grep "stdin document is named stdin" '"doc":"stdin"' "$out"

# --doc-date is validated.
out=$("$VNX" extract --rules "$RULES" -q --doc-date 2026-13-01 "$ROOT/corpus" 2>&1 >/dev/null); rc=$?
expect_status "bad --doc-date fails the documents" 1 $rc "$out"
expect_grep "bad --doc-date is named" "doc-date" "$out"

# -o into a directory that does not exist: usage-level failure, nothing written.
out=$("$VNX" extract --rules "$RULES" -q -o "$T/nodir/x.jsonl" "$ROOT/corpus" 2>&1); rc=$?
expect_status "-o into a missing directory exits 2" 2 $rc "$out"

# Batches: any --jobs gives the same bytes; --from and -0 read lists; the
# shards of --shard I/N together are the whole record set, with no overlap.
"$VNX" extract --rules "$RULES" -q --jobs 1 "$ROOT/corpus" > "$T/j1.jsonl"
"$VNX" extract --rules "$RULES" -q --jobs 3 "$ROOT/corpus" > "$T/j3.jsonl"
cmp -s "$T/j1.jsonl" "$T/j3.jsonl" && ok "--jobs 1 and --jobs 3 give the same bytes" || bad "--jobs changes the output"
find "$ROOT/corpus" -name '*.txt' -print0 | sort -z | "$VNX" extract --rules "$RULES" -q --jobs 2 --from - -0 > "$T/from0.jsonl"
cmp -s "$T/j1.jsonl" "$T/from0.jsonl" && ok "--from - -0 reads a NUL-separated list" || bad "--from - -0 differs"
find "$ROOT/corpus" -name '*.txt' | sort > "$T/list.txt"
"$VNX" extract --rules "$RULES" -q --from "$T/list.txt" > "$T/from.jsonl"
cmp -s "$T/j1.jsonl" "$T/from.jsonl" && ok "--from LIST reads one path a line" || bad "--from LIST differs"
for i in 1 2 3; do "$VNX" extract --rules "$RULES" -q --shard $i/3 --from "$T/list.txt" > "$T/shard$i.jsonl"; done
if [ "$(cat "$T"/shard?.jsonl | sort | md5sum)" = "$(sort "$T/j1.jsonl" | md5sum)" ]; then ok "the three shards together are the whole record set"; else bad "shards differ from the whole"; fi
n=0; for i in 1 2 3; do [ -s "$T/shard$i.jsonl" ] && n=$((n + 1)); done
[ $n -ge 2 ] && ok "the shards split the documents ($n non-empty)" || bad "shards: only $n non-empty"
out=$("$VNX" extract --shard 4/3 x 2>&1); expect_status "--shard 4/3 is a usage error" 2 $? "$out"
out=$("$VNX" extract --rules "$RULES" --progress -o "$T/p.jsonl" "$ROOT/corpus" 2>&1)
expect_grep "--progress draws the progress line" "\\[#+\\] $ndocs/$ndocs docs .* ETA" "$out"
out=$("$VNX" extract --rules "$RULES" -o "$T/p.jsonl" "$ROOT/corpus" 2>&1)
if grep -q "ETA" <<<"$out"; then bad "no progress line when stderr is not a terminal" "$out"; else ok "no progress line when stderr is not a terminal"; fi

# -o onto a device writes to it: renaming a temporary file over /dev/null
# would replace the device with a regular file.
"$VNX" extract --rules "$RULES" -q -o /dev/null "$ROOT/corpus"; rc=$?
if [ $rc = 0 ] && [ -c /dev/null ] && ! ls /dev/null.tmp* >/dev/null 2>&1; then ok "-o /dev/null leaves the device alone"; else bad "-o /dev/null (exit $rc)"; fi

# -o - is standard output (as for render), not a file named "-"
VNX_ABS=$(cd "$(dirname "$VNX")" && pwd)/$(basename "$VNX")
(cd "$T" && "$VNX_ABS" extract --rules "$RULES" -q -o - "$ROOT/corpus" > "$T/dash.jsonl"); rc=$?
if [ $rc = 0 ] && [ ! -e "$T/-" ] && cmp -s "$T/j1.jsonl" "$T/dash.jsonl"; then ok "-o - writes to stdout"; else bad "-o - (exit $rc)"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
