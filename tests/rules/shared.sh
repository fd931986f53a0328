#!/usr/bin/env bash
# shared.sh VNEXTRACT ROOT
#
# A `shared` fragment is read once per place of a line for every rule that
# holds it (extract/match.c): a rule is its head, a callout that takes the
# fragment's ends there in pcre2's order, and its tail tried at each. It
# must change no match. Checked on rules made for the edges (a tail that
# needs an end the fragment gives only when it backtracks, which pcre2's
# auto-possessification would take away; a head with several ends; a
# lookbehind of the fragment into the head; parts that cannot be split: an
# alternative around the fragment, a set line reading a group inside it)
# against the same rules compiled whole (VNX_NO_SHARED=1), and on the
# project's rules over the corpus.
set -u

VNX=${1:?usage: shared.sh VNEXTRACT ROOT}
ROOT=${2:?usage: shared.sh VNEXTRACT ROOT}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vnx-shared.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}

mkdir "$TMP/rules"
cat > "$TMP/rules/t.rules" <<'RULES'
shared FR
shared FL
shared FG

# maybe a number, then letters: [a-z]+ at its end gives back letters when
# what follows needs them
define FR   (?:[0-9]+\s)?[a-z]+
# a word after a colon (its lookbehind reads the head's colon)
define FL   (?<=:)[a-z]+
# a word with a group of its own
define FG   (?<word>[a-z]+)

# the tail needs the fragment to end before its last letter
rule t.giveback
  kind      thing
  pattern   <(?<span>{FR})c>
  set       name = span
  expect    "x <abc> y" -> text="ab"
  expect    "<12 abc>" -> text="12 ab"
  reject    "<c>"

# no tail: the fragment's first end
rule t.first
  kind      item
  pattern   =>\s*(?<span>{FR})
  set       name = span
  expect    "=> 12 ab cd" -> text="12 ab"
  expect    "=>abc" -> text="abc"

# several places where the head ends: \s* gives back, the fragment is read
# at each
rule t.heads
  kind      heads
  pattern   \[\s*(?<span>{FR})\s*\]
  set       name = span
  expect    "[  7 ab ]" -> text="7 ab"
  reject    "[ AB ]"

# two rules with tails at the same place: the first stops the listing of
# the ends at the second end ("ab", where a letter follows); the second
# needs the third ("a"): the listing goes on from where it stopped
rule t.cut_short
  kind      cut
  pattern   <(?<span>{FR})(?=[a-z])
  set       name = span
  expect    "<abc>" -> text="ab"

rule t.goes_on
  kind      on
  pattern   <(?<span>{FR})bc>
  set       name = span
  expect    "<abc>" -> text="a"

rule t.lookbehind
  kind      look
  pattern   key:(?<span>{FL})
  set       name = span
  expect    "a key:value" -> text="value"

# an alternative at the top level: compiled whole
rule t.alternative
  kind      alt
  pattern   zz|%(?<span>{FR})%
  set       name = span
  expect    "%ab%" -> text="ab"

# a set line that reads a group of the fragment: compiled whole
rule t.group
  kind      group
  pattern   @(?<span>{FG})
  set       name = word
  expect    "@abc" -> text="abc" name="abc"
RULES

"$VNX" rules test --rules "$TMP/rules" > "$TMP/a.txt" 2>&1 || { cat "$TMP/a.txt"; fail "rules test with shared fragments"; }
VNX_NO_SHARED=1 "$VNX" rules test --rules "$TMP/rules" > "$TMP/b.txt" 2>&1 || { cat "$TMP/b.txt"; fail "rules test without"; }
cmp -s "$TMP/a.txt" "$TMP/b.txt" || { diff "$TMP/a.txt" "$TMP/b.txt"; fail "rules test differs with VNX_NO_SHARED=1"; }

# which rules were split: six read FR or FL through the shared copy; the
# alternative and the group are compiled whole
"$VNX" rules lint --rules "$TMP/rules" > "$TMP/lint.txt" 2>&1
grep -qx 'shared FR: read by 5 rules' "$TMP/lint.txt" || { cat "$TMP/lint.txt"; fail "FR should be read by 5 rules"; }
grep -qx 'shared FL: read by 1 rule' "$TMP/lint.txt" || { cat "$TMP/lint.txt"; fail "FL should be read by 1 rule"; }
grep -q '^shared FG' "$TMP/lint.txt" && { cat "$TMP/lint.txt"; fail "FG is read by no rule alone"; }
VNX_NO_SHARED=1 "$VNX" rules lint --rules "$TMP/rules" 2>&1 | grep -q '^shared' && fail "VNX_NO_SHARED=1 still shares"

# an unknown shared fragment is an error at its line
printf 'shared NOPE\n' > "$TMP/rules/u.rules"
"$VNX" rules lint --rules "$TMP/rules" > "$TMP/u.txt" 2>&1
[ $? = 2 ] && grep -q 'u.rules:1:8: error: shared: unknown fragment NOPE' "$TMP/u.txt" || { cat "$TMP/u.txt"; fail "unknown shared fragment"; }
rm "$TMP/rules/u.rules"

# the project's rules: BD_BODY shared by every body rule, the same bytes
# and warnings as compiled whole
"$VNX" rules lint --rules "$ROOT/rules" 2>&1 | grep -q '^shared BD_BODY: read by [1-9]' || fail "BD_BODY is not shared"
# a body that goes on and on, and the cue after it: the whole pattern tries
# the tail at the body's first end and is done; so must the split rule
# (listing every end first ran into the cap on ends at one place)
python3 -c "
print('KẾ HOẠCH')
print('1. Giao ' + 'Thành ủy ' * 3000 + 'chỉ đạo thực hiện.')
print('2. ' + 'Sở Tài chính và ' * 2000 + 'Sở Y tế chủ trì, phối hợp.')
" > "$TMP/long.txt"
files=("$ROOT"/corpus/*.txt "$TMP/long.txt")
"$VNX" extract -q --jobs 1 "${files[@]}" > "$TMP/a.jsonl" 2> "$TMP/a.err"
VNX_NO_SHARED=1 "$VNX" extract -q --jobs 1 "${files[@]}" > "$TMP/b.jsonl" 2> "$TMP/b.err"
[ -s "$TMP/a.jsonl" ] || fail "no output"
cmp -s "$TMP/a.jsonl" "$TMP/b.jsonl" || { diff "$TMP/a.jsonl" "$TMP/b.jsonl" | head -20; fail "extract differs with VNX_NO_SHARED=1"; }
cmp -s "$TMP/a.err" "$TMP/b.err" || { diff "$TMP/a.err" "$TMP/b.err" | head -20; fail "warnings differ with VNX_NO_SHARED=1"; }
echo "ok: shared fragments change no match ($(tail -1 "$TMP/a.txt"); $(wc -l < "$TMP/a.jsonl") records of the corpus)"
