#!/usr/bin/env bash
# The bad-input matrix: every row is a document nobody checked. Each gives
# its documented exit status and message, alone and inside a batch (where
# the good documents are still processed and the summary counts failures).
# usage: run.sh VNEXTRACT SOURCE_ROOT
set -u
VNX=$1
ROOT=$2
RULES="$ROOT/rules"
T=$(mktemp -d)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/    # /' <<<"$2" | head -10; }

# row NAME FILE WANT_STATUS MESSAGE_REGEX: extract FILE alone.
row() {
  local name=$1 file=$2 want=$3 re=$4 out rc
  out=$(timeout 60 "$VNX" extract --rules "$RULES" -q "$file" 2>&1 >"$T/out.jsonl"); rc=$?
  if [ "$rc" != "$want" ]; then bad "$name: exit $rc, want $want" "$out"; return; fi
  if [ -n "$re" ] && ! grep -qE -- "$re" <<<"$out"; then bad "$name: message /$re/" "$out"; return; fi
  ok "$name (exit $rc)"
}

D="$T/docs"
mkdir -p "$D"
good='Giao Sở Tài chính chủ trì, hoàn thành trước ngày 15/6/2026.\n'
printf "dòng một\nhai \x9c ba\n" > "$D/stray-continuation.txt"
printf "dòng một\nhai \xc0\xaf ba\n" > "$D/overlong.txt"
printf "dòng một\nhai \xed\xa0\x80 ba\n" > "$D/surrogate.txt"
printf "dòng một\nhai ba \xe1\xbb" > "$D/truncated-at-eof.txt"
printf "dòng một\nhai\0ba\n" > "$D/nul-byte.txt"
: > "$D/empty.txt"
printf ' \n\t\n   \n' > "$D/whitespace.txt"
python3 -c "
import sys
line = ('Giao Sở Tài chính chủ trì, hoàn thành trước ngày 15/6/2026; ' * 200000)[:10_000_000]
open(sys.argv[1], 'w', encoding='utf-8').write(line + '\n')" "$D/ten-mb-line.txt"
iconv -f UTF-8 -t WINDOWS-1258 <<<"Hải Phòng, ngày 15 tháng 6 năm 2026. Ủy ban nhân dân thành phố giao Sở Tài chính chủ trì, phối hợp với các sở, ngành hoàn thành trước ngày 30/6/2026." > "$D/windows-1258.txt"
iconv -f UTF-8 -t TCVN5712-1 <<<"Hải Phòng, ngày 15 tháng 6 năm 2026. Ủy ban nhân dân thành phố giao Sở Tài chính chủ trì, phối hợp với các sở, ngành hoàn thành trước ngày 30/6/2026." > "$D/tcvn3.txt"
mkdir "$D/a-directory.txt"
mkfifo "$D/fifo.txt"

row "stray continuation byte" "$D/stray-continuation.txt" 1 "stray-continuation.txt:2:[0-9]+: error: .*UTF-8"
row "overlong encoding" "$D/overlong.txt" 1 "overlong.txt:2:[0-9]+: error: .*UTF-8"
row "UTF-16 surrogate" "$D/surrogate.txt" 1 "surrogate.txt:2:[0-9]+: error: .*UTF-8"
row "truncated at end of file" "$D/truncated-at-eof.txt" 1 "truncated-at-eof.txt:2:[0-9]+: error: .*UTF-8"
row "NUL byte" "$D/nul-byte.txt" 1 "nul-byte.txt:2:[0-9]+: error: .*NUL"
row "empty file" "$D/empty.txt" 0 ""
row "whitespace only" "$D/whitespace.txt" 0 ""
row "10 MB line" "$D/ten-mb-line.txt" 0 ""
row "Windows-1258 file" "$D/windows-1258.txt" 1 "not UTF-8, it looks like Windows-1258"
row "TCVN3 file" "$D/tcvn3.txt" 1 "not UTF-8, it looks like TCVN3"
# extract walks a directory (it is a batch); one with no documents is said.
out=$("$VNX" extract --rules "$RULES" -q "$D/a-directory.txt" 2>&1 >/dev/null); rc=$?
[ $rc = 0 ] && grep -q "a-directory.txt: warning: no documents" <<<"$out" && ok "empty directory: warning, exit 0" || bad "empty directory: exit $rc" "$out"
# A command that takes one document refuses a directory.
out=$("$VNX" normalize "$D/a-directory.txt" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && grep -q "a-directory.txt: error: is a directory" <<<"$out" && ok "directory given as a document (exit 1)" || bad "directory as a document: exit $rc" "$out"
row "FIFO given as a document" "$D/fifo.txt" 1 "fifo.txt: error: not a regular file"
row "missing path" "$D/no-such-file.txt" 1 "no-such-file.txt: error: cannot open"
# Unreadable: root reads any file whatever its mode, so as root use a file
# whose read fails in the kernel (/proc/self/mem reads at offset 0 fail).
if [ "$(id -u)" = 0 ]; then
  row "unreadable file" /proc/self/mem 1 "mem: error: cannot read"
else
  printf "$good" > "$D/unreadable.txt"; chmod 000 "$D/unreadable.txt"
  row "unreadable file" "$D/unreadable.txt" 1 "unreadable.txt: error: cannot open"
fi
# 1 GB: refused before reading, with the limit in the message (sparse file).
truncate -s 1G "$T/one-gb.txt"
row "1 GB file refused" "$T/one-gb.txt" 1 "one-gb.txt: error: document is 1024 MB, above the 256 MB limit"

# The empty and whitespace-only files still give their document record.
"$VNX" extract --rules "$RULES" -q "$D/empty.txt" "$D/whitespace.txt" > "$T/ew.jsonl" 2>/dev/null
n=$(grep -c '"kind":"document"' "$T/ew.jsonl")
[ "$n" = 2 ] && ok "empty and whitespace files give a document record each" || bad "empty/whitespace gave $n document records"

# --lossy takes the invalid ones and warns.
out=$("$VNX" extract --rules "$RULES" -q --lossy "$D/stray-continuation.txt" 2>&1 >/dev/null); rc=$?
[ $rc = 0 ] && grep -q "warning: 1 invalid UTF-8" <<<"$out" && ok "--lossy processes and warns" || bad "--lossy: exit $rc" "$out"

# In a batch: the good documents are processed, the bad ones named and counted.
for i in 1 2 3; do printf "$good" > "$D/good-$i.txt"; done
out=$("$VNX" extract --rules "$RULES" -o "$T/batch.jsonl" "$D" "$D/no-such-file.txt" 2>&1); rc=$?
[ $rc = 1 ] && ok "batch exits 1" || bad "batch exit $rc" "$out"
n=$(grep -c '"kind":"document"' "$T/batch.jsonl")
# good-1..3, empty, whitespace, ten-mb-line: 6 documents processed.
[ "$n" = 6 ] && ok "batch wrote the 6 good documents" || bad "batch wrote $n documents" "$out"
nbad=$(grep -c ": error: " <<<"$out")
# 8 bad in the directory (5 UTF-8/NUL, 2 legacy encodings, the FIFO) + the missing path;
# the empty subdirectory is walked, not a failure.
[ "$nbad" = 9 ] && ok "batch names the 9 bad inputs" || bad "batch named $nbad bad inputs" "$out"
grep -qE "15 documents \(6 ok, 9 failed\)" <<<"$out" && ok "summary counts 6 ok, 9 failed" || bad "summary" "$out"
out=$("$VNX" extract --rules "$RULES" -q --fail-fast --jobs 1 "$D/overlong.txt" "$D/good-1.txt" 2>&1 >"$T/ff.jsonl"); rc=$?
[ $rc = 1 ] && [ ! -s "$T/ff.jsonl" ] && ok "--fail-fast stops at the first failure" || bad "--fail-fast: exit $rc, $(wc -l < "$T/ff.jsonl") lines" "$out"

# Two documents with one file stem would mix their records (ids, golden
# files and the database name documents by stem): the later one is refused.
mkdir -p "$T/dup/a" "$T/dup/b"
printf "$good" > "$T/dup/a/x.txt"; printf "$good" > "$T/dup/b/x.txt"
out=$("$VNX" extract --rules "$RULES" -q "$T/dup" 2>&1 >"$T/dup.jsonl"); rc=$?
[ $rc = 1 ] && grep -q "b/x.txt: error: another document of this batch is also named 'x'" <<<"$out" \
  && [ "$(grep -c '"kind":"document"' "$T/dup.jsonl")" = 1 ] \
  && ok "duplicate file stems: the later document refused by name" || bad "duplicate stems: exit $rc" "$out"

# --fail-fast and a failed write leave an existing -o file as it was.
printf 'old\n' > "$T/keep.jsonl"
out=$("$VNX" extract --rules "$RULES" -q --fail-fast -o "$T/keep.jsonl" "$D/overlong.txt" "$D/good-1.txt" 2>&1); rc=$?
[ $rc = 1 ] && [ "$(cat "$T/keep.jsonl")" = old ] && ok "--fail-fast leaves the old -o file" || bad "--fail-fast replaced -o (exit $rc)" "$out"
mkdir -p "$T/csvout"; printf 'old\n' > "$T/csvout/deadline.csv"
out=$( (ulimit -f 8; "$VNX" extract --rules "$RULES" -q --format csv -o "$T/csvout" "$ROOT/corpus") 2>&1); rc=$?
[ $rc = 2 ] && [ "$(cat "$T/csvout/deadline.csv")" = old ] && ! ls "$T"/csvout/*.tmp* >/dev/null 2>&1 \
  && ok "a CSV write error leaves the old files and no temporary ones" || bad "CSV write error (exit $rc)" "$out"

# 1 000 documents, 10 of them broken (invalid UTF-8, unreadable): the
# records of the 990, the 10 named, exit 1.
B="$T/thousand"
mkdir -p "$B"
for i in $(seq -w 1 990); do printf "Giao Sở Tài chính chủ trì, hoàn thành trước ngày %d/6/2026.\n" $((10#$i % 28 + 1)) > "$B/good-$i.txt"; done
for i in $(seq 1 4); do printf "hai \xff ba $i\n" > "$B/bad-utf8-$i.txt"; done
find "$B" -name '*.txt' | sort > "$T/thousand.list"
for i in $(seq 1 3); do echo "$T/missing-$i.txt" >> "$T/thousand.list"; done
for i in $(seq 1 3); do
  if [ "$(id -u)" = 0 ]; then echo /proc/self/mem; else printf x > "$B/unreadable-$i.md"; chmod 000 "$B/unreadable-$i.md"; echo "$B/unreadable-$i.md"; fi
done >> "$T/thousand.list"
[ "$(wc -l < "$T/thousand.list")" = 1000 ] || bad "the batch list should have 1000 paths"
out=$("$VNX" extract --rules "$RULES" -q --from "$T/thousand.list" -o "$T/thousand.jsonl" 2>&1); rc=$?
n=$(grep -c '"kind":"document"' "$T/thousand.jsonl")
nerr=$(grep -c ": error: " <<<"$out")
[ $rc = 1 ] && [ "$n" = 990 ] && [ "$nerr" = 10 ] \
  && ok "1000-document batch: 990 written, $nerr named, exit 1" \
  || bad "1000-document batch: exit $rc, $n written, $nerr named" "$out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
