#!/usr/bin/env bash
# lint.sh VNEXTRACT RULES_DIR
#
# The rule files as a rule author breaks them: every check works on a fresh
# copy of RULES_DIR, injects one mistake and asserts that `rules lint`
# exits 2 with a compiler-style diagnostic (FILE:LINE:COL: error: + the
# source line + a caret line) pointing at the right place. Last, a
# catastrophic pattern must be stopped by the match limit in well under a
# second of CPU and named in a warning.
set -u

VNX=${1:?usage: lint.sh VNEXTRACT RULES_DIR}
RULES=${2:?usage: lint.sh VNEXTRACT RULES_DIR}
VNX=$(cd "$(dirname "$VNX")" && pwd)/$(basename "$VNX")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vnx-lint.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  echo "FAIL: $*"
}

# fresh copy of the rules in $TMP/copy
fresh() {
  rm -rf "$TMP/copy"
  cp -r "$RULES" "$TMP/copy"
}

# run_lint: lint the copy; status in $st, diagnostics in $TMP/err
run_lint() {
  "$VNX" rules lint --rules "$TMP/copy" >"$TMP/out" 2>"$TMP/err"
  st=$?
}

# expect_diag WHAT FILE LINE MESSAGE-REGEX: exit 2, a FILE:LINE:COL: error:
# line with the message, followed by the source line and a caret line.
expect_diag() {
  local what=$1 file=$2 line=$3 msg=$4
  if [ "$st" -ne 2 ]; then
    bad "$what: lint exited $st, want 2"
    return
  fi
  local n
  n=$(grep -n -E "^$(printf '%s' "$file" | sed 's/[.[\*^$/]/\\&/g'):$line:[0-9]+: error: .*$msg" "$TMP/err" | head -1 | cut -d: -f1)
  if [ -z "$n" ]; then
    bad "$what: no '$file:$line:COL: error: ...$msg' in:"
    sed 's/^/    /' "$TMP/err" | head -8
    return
  fi
  local caret
  caret=$(sed -n "$((n + 2))p" "$TMP/err")
  if ! printf '%s\n' "$caret" | grep -qE '^[[:space:]]*\^$'; then
    bad "$what: no caret line after the diagnostic"
    return
  fi
  # the caret stands under the column the diagnostic names (code points)
  local col src ccol
  col=$(sed -n "${n}p" "$TMP/err" | sed -E "s/^.*:$line:([0-9]+): error:.*/\1/")
  ccol=$(printf '%s' "$caret" | sed 's/\^$//' | wc -m)
  if [ "$((ccol + 1))" -ne "$col" ]; then
    bad "$what: caret at column $((ccol + 1)), diagnostic says $col"
    return
  fi
  ok
}

# ---- the project's rules lint clean -----------------------------------------
fresh
run_lint
if [ "$st" -eq 0 ]; then ok; else
  bad "lint of $RULES exited $st, want 0"
  sed 's/^/    /' "$TMP/err" | grep -v '^    \s*$' | head -20
fi

# ---- an unbalanced ( in the pattern of every rule ----------------------------
# For each rule, the last `pattern` line of its block gets a "(" appended:
# pcre2 reports "missing closing parenthesis" at the end of the pattern,
# which must map back to that line.
for f in "$RULES"/*.rules; do
  [ -e "$f" ] || continue
  base=$(basename "$f")
  awk '
    /^rule[ \t]/ { if (id != "" && last) print id, last; id = $2; last = 0; next }
    /^[^ \t#]/   { if (id != "" && last) print id, last; id = ""; last = 0; next }
    /^[ \t]+pattern[ \t]/ { if (id != "") last = NR }
    END { if (id != "" && last) print id, last }
  ' "$f" >"$TMP/targets"
  while read -r id ln; do
    fresh
    sed -i "${ln}s/[[:space:]]*\$/(/" "$TMP/copy/$base"
    run_lint
    expect_diag "unbalanced ( in $id" "$TMP/copy/$base" "$ln" "missing closing parenthesis"
  done <"$TMP/targets"
done

# ---- mistakes in a rule file of their own --------------------------------------
add_rule() { # add_rule FILE TEXT: a new file in the copy
  printf '%s\n' "$2" >"$TMP/copy/$1"
}

fresh
add_rule zz_lint.rules "rule lint.unknown_fragment
  kind      deadline
  needs     x
  pattern   x{NO_SUCH_FRAGMENT}y"
run_lint
expect_diag "unknown fragment" "$TMP/copy/zz_lint.rules" 4 "unknown fragment NO_SUCH_FRAGMENT"

# a prefix that turns an option on for the pattern lines: they are also
# searched alone, where it would be missing (the pattern would match "ZZ ban"
# written as one, and not with the prefix)
fresh
add_rule zz_lint.rules "rule lint.prefix_option
  kind      body
  prefix    (?i)zz\\s
  pattern   (?<span>Ban\\s\\w+)
  expect    \"ZZ Ban abc\" -> text=\"Ban abc\"
  reject    \"ban abc\""
run_lint
expect_diag "prefix sets an option" "$TMP/copy/zz_lint.rules" 3 "the prefix sets an option"
fresh
add_rule zz_lint.rules "rule lint.prefix_option_scoped
  kind      body
  prefix    (?i:zz)\\s
  pattern   (?<span>Ban\\s\\w+)
  expect    \"ZZ Ban abc\" -> text=\"Ban abc\"
  reject    \"ban abc\""
run_lint
if [ "$st" -eq 0 ]; then ok; else bad "(?i:...) in a prefix: lint exited $st, want 0"; head -5 "$TMP/err"; fi

# \C matches one byte and can cut a character: refused (record values are
# written as valid UTF-8 without checking them again)
fresh
add_rule zz_lint.rules "rule lint.backslash_c
  kind      deadline
  needs     x
  pattern   x(?<g>\\C)"
run_lint
expect_diag "\\C refused" "$TMP/copy/zz_lint.rules" 4 "C is not allowed|is disabled|not supported"

fresh
add_rule zz_lint.rules "rule lint.dup
  kind      deadline
  needs     x
  pattern   x
rule lint.dup
  kind      deadline
  needs     y
  pattern   y"
run_lint
expect_diag "duplicate id" "$TMP/copy/zz_lint.rules" 5 "duplicate rule id lint.dup"

fresh
add_rule zz_lint.rules "rule lint.conv
  kind      deadline
  needs     x
  pattern   (?<d>[0-9]+)x
  set       end = no_such_converter(d)"
run_lint
expect_diag "unknown converter" "$TMP/copy/zz_lint.rules" 5 "unknown converter 'no_such_converter'"

fresh
add_rule zz_lint.rules "rule lint.group
  kind      deadline
  needs     x
  pattern   (?<d>[0-9]+)/(?<m>[0-9]+)x
  set       end = date(d, m, yy)"
run_lint
expect_diag "absent group" "$TMP/copy/zz_lint.rules" 5 "no group named 'yy'"

fresh
add_rule zz_lint.rules "rule lint.args
  kind      deadline
  needs     x
  pattern   (?<d>[0-9]+)x
  set       end = date(d)"
run_lint
expect_diag "wrong argument count" "$TMP/copy/zz_lint.rules" 5 "date\\(\\) takes 2 to 3 arguments, 1 given"

fresh
add_rule zz_lint.rules "rule lint.property
  kind      deadline
  needs     x
  pattern   x
  colour    red"
run_lint
expect_diag "unknown property" "$TMP/copy/zz_lint.rules" 5 "unknown property 'colour'"

fresh
add_rule zz_lint.rules "rule lint.no_examples
  kind      deadline
  needs     x
  pattern   x"
run_lint
expect_diag "no examples" "$TMP/copy/zz_lint.rules" 1 "needs at least one expect and one reject"

# an error inside a fragment expansion points at the {NAME} reference... or,
# for a fragment that is broken itself, at the fragment's own line
fresh
add_rule zz_lint.rules "define LINT_BROKEN (?:a|b
rule lint.uses_broken
  kind      deadline
  needs     a
  pattern   x{LINT_BROKEN}"
run_lint
expect_diag "broken fragment" "$TMP/copy/zz_lint.rules" 1 "missing closing parenthesis \\(in fragment LINT_BROKEN\\)"

# the column counts code points: the caret under a Vietnamese line
fresh
add_rule zz_lint.rules "rule lint.column
  kind      deadline
  needs     trước
  pattern   (?<span>trước\\s+(?:ngày\\s+[0-9]+)[z-a]"
run_lint
expect_diag "column after Vietnamese text" "$TMP/copy/zz_lint.rules" 4 "range out of order"
if grep -q "zz_lint.rules:4:49: error" "$TMP/err"; then ok; else
  bad "range out of order: want column 49 (the "a" of [z-a], in code points)"
  head -3 "$TMP/err" | sed 's/^/    /'
fi

# ---- a catastrophic pattern is stopped by the match limit -----------------------
fresh
add_rule zz_catastrophic.rules "rule lint.catastrophic
  kind      deadline
  needs     a
  pattern   (a+)+\$"
awk 'BEGIN { s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; \
             for (i = 0; i < 14; i++) s = s s; printf "%s!\n", substr(s, 1, 1000000) }' >"$TMP/big.txt"
TIMEFORMAT=%U
cpu=$( { time "$VNX" extract --rules "$TMP/copy" -o "$TMP/big.jsonl" "$TMP/big.txt" 2>"$TMP/cat.err"; } 2>&1 )
st=$?
if [ "$st" -ne 0 ] && [ "$st" -ne 1 ]; then bad "catastrophic: extract exited $st"; cat "$TMP/cat.err"; fi
if awk -v c="$cpu" 'BEGIN { exit !(c < 1.0) }'; then ok; else bad "catastrophic: ${cpu}s CPU, want < 1s"; fi
if grep -q "warning: rule lint.catastrophic hit the match limit" "$TMP/cat.err"; then ok; else
  bad "catastrophic: no limit warning naming the rule in:"
  sed 's/^/    /' "$TMP/cat.err" | head -5
fi
echo "catastrophic pattern on 1 MB: ${cpu}s CPU"
# the warning is whole whatever the length of the path (it is kept, then
# printed with the line's records)
long="$TMP/$(printf 'd%.0s' $(seq 1 200))/$(printf 'e%.0s' $(seq 1 200))/$(printf 'f%.0s' $(seq 1 200))"
mkdir -p "$long"
head -c 20000 "$TMP/big.txt" > "$long/w.txt"
printf '!\n' >> "$long/w.txt"
"$VNX" extract --rules "$TMP/copy" -o "$TMP/long.jsonl" "$long/w.txt" 2>"$TMP/long.err"
if grep -qx "$long/w.txt:1: warning: rule lint.catastrophic hit the match limit (.*)" "$TMP/long.err"; then ok; else
  bad "catastrophic, long path: the warning is not whole:"
  cut -c1-200 "$TMP/long.err" | head -3 | sed 's/^/    /'
fi

# warnings of two rules on several lines come line by line, a line's in rule
# order (the rules run one by one over a block of lines; the warnings wait)
add_rule zz_catastrophic2.rules "rule lint.catastrophic2
  kind      deadline
  needs     a
  pattern   (?:a|a)+\$"
awk 'BEGIN { s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; \
             for (i = 0; i < 6; i++) s = s s; print s "!"; print "Giao Sở Tài chính chủ trì."; \
             print s "!"; print s "!" }' > "$TMP/two.txt"
"$VNX" extract --rules "$TMP/copy" -o "$TMP/two.jsonl" "$TMP/two.txt" 2>"$TMP/two.err"
got=$(grep -o ':[0-9]*: warning: rule lint.catastrophic[0-9]*' "$TMP/two.err" | tr '\n' ' ')
want=":1: warning: rule lint.catastrophic :1: warning: rule lint.catastrophic2 :3: warning: rule lint.catastrophic :3: warning: rule lint.catastrophic2 :4: warning: rule lint.catastrophic :4: warning: rule lint.catastrophic2 "
if [ "$got" = "$want" ]; then ok; else
  bad "limit warnings of two rules: want them by line, then rule; got: $got"
fi

# ---- degenerate rules are refused, with the reason ---------------------------
fresh
add_rule zz_lint.rules "rule lint.empty
  kind      deadline
  needs     x
  pattern   (?<span>x*)"
run_lint
expect_diag "a rule matching the empty string" "$TMP/copy/zz_lint.rules" 1 "can match the empty string"
fresh
add_rule zz_lint.rules "rule lint.every
  kind      indicator
  needs     a
  pattern   (?<span>.)"
run_lint
expect_diag "a rule matching every character" "$TMP/copy/zz_lint.rules" 1 "matches any single character"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
