#!/usr/bin/env bash
# Benchmark: vnextract beside the tools it is measured against, on one
# generated corpus, in one run. Repeated runs, medians; peak RSS from
# /usr/bin/time -v.
#   usage: tests/bench/run.sh [SIZE_MB] [BUILD_DIR]     (default 100 MB, build)
# Prints one row per command: seconds (median), MB/s, documents/s, peak RSS,
# then the ratios the targets are stated in.
set -eu
cd "$(dirname "$0")/../.."
SIZE=${1:-100}
BUILD=${2:-build}
REPEAT=${REPEAT:-3}
VNX="$BUILD/vnextract"
WORK=${BENCH_DIR:-/tmp/vnextract-bench}
CORPUS="$WORK/corpus-$SIZE"
mkdir -p "$WORK"
[ -d "$CORPUS" ] || python3 tests/bench/gen_corpus.py "$SIZE" "$CORPUS" >&2
find "$CORPUS" -name '*.txt' | sort > "$WORK/list"
NDOCS=$(wc -l < "$WORK/list")
BYTES=$(xargs cat < "$WORK/list" | wc -c)
[ -f "$WORK/all-$SIZE.txt" ] || xargs cat < "$WORK/list" > "$WORK/all-$SIZE.txt"
"$VNX" rules patterns --kind deadline > "$WORK/deadline.pat"
# pcre2grep refuses patterns over 8192 bytes (gazetteer alternations can
# be longer): those few are left out of its file, which only flatters it.
"$VNX" rules patterns --kind deadline,body,indicator | awk 'length($0) <= 8000' > "$WORK/all.pat"
NPAT=$(wc -l < "$WORK/all.pat")
"$VNX" rules patterns --kind deadline,body,indicator > "$WORK/full.pat"
NPAT_ALL=$(wc -l < "$WORK/full.pat")
GREP_LINES="$BUILD/tests/grep_lines"
# No -i: `rules patterns` writes (?i) at the start of a caseless rule's pattern,
# so pcre2grep matches each pattern as the pipeline does (-i would make it
# fold case in every pattern: more work than the pipeline's, which flattered
# vnextract by about 12 %).
# grep_lines does what pcre2grep -c -f does, without the length limit: on the
# patterns pcre2grep takes, both must count the same lines
want=$(xargs pcre2grep -c -u -f "$WORK/all.pat" < "$WORK/list" | awk -F: '{s += $NF} END {print s}')
got=$(xargs "$GREP_LINES" "$WORK/all.pat" < "$WORK/list" | awk '{s += $1} END {print s}')
if [ "$want" != "$got" ]; then
  echo "grep_lines counts $got lines where pcre2grep counts $want: not the same job" >&2
  exit 1
fi
head -1 "$WORK/deadline.pat" > "$WORK/one.pat"

# One run of a command: "name round seconds rss_kb" appended to the results.
run_one() { # NAME ROUND CMD
  local name=$1 round=$2
  shift 2
  /usr/bin/time -v -o "$WORK/time.txt" bash -c "$*" > /dev/null 2> "$WORK/err.txt" || {
    echo "$name failed:" >&2
    tail -5 "$WORK/err.txt" >&2
  }
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$WORK/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  echo "$name $round $secs $rss" >> "$WORK/runs.txt"
}

# The commands take turns, round after round, rather than each its REPEAT
# runs in a row: the machine's speed drifts (a shared VM: +-15 % within
# minutes), and a ratio is then taken within a round, between runs made a
# few seconds apart, before the median over the rounds.
: > "$WORK/runs.txt"
for round in $(seq "$REPEAT"); do
  run_one "cat" "$round" "xargs cat < '$WORK/list'"
  run_one "pcre2grep-1" "$round" "xargs pcre2grep -c -u -f '$WORK/one.pat' < '$WORK/list'"
  run_one "pcre2grep-f" "$round" "xargs pcre2grep -c -u -f '$WORK/all.pat' < '$WORK/list'"
  run_one "extract-j1" "$round" "'$VNX' extract -q --jobs 1 --from '$WORK/list'"
  run_one "grep_lines-all" "$round" "xargs '$GREP_LINES' '$WORK/full.pat' < '$WORK/list'"
  command -v uconv > /dev/null && run_one "uconv-nfc" "$round" "uconv -x any-nfc '$WORK/all-$SIZE.txt'"
  run_one "normalize" "$round" "'$VNX' normalize '$WORK/all-$SIZE.txt'"
  run_one "extract-j2" "$round" "'$VNX' extract -q --jobs 2 --from '$WORK/list'"
done
# per command: the median seconds and the largest peak RSS
awk '{t[$1] = t[$1] " " $3; if ($4 > r[$1]) r[$1] = $4; if (!($1 in seen)) {seen[$1] = 1; order[++n] = $1}}
END {
  for (i = 1; i <= n; i++) {
    k = split(substr(t[order[i]], 2), v, " ")
    for (a = 1; a <= k; a++) for (b = a + 1; b <= k; b++) if (v[b] < v[a]) {x = v[a]; v[a] = v[b]; v[b] = x}
    print order[i], v[int((k + 1) / 2)], r[order[i]]
  }
}' "$WORK/runs.txt" > "$WORK/results.txt"

echo "pcre2grep -f: $NPAT of the $NPAT_ALL deadline/body/indicator patterns (the rest exceed its 8192-byte limit);"
echo "grep_lines-all: the same loop as pcre2grep -c -f (same line count on those $NPAT: $got) with all $NPAT_ALL"
echo "corpus: $NDOCS documents, $(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b / 1e6}') MB; $REPEAT rounds, each command once a round, medians"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-14s %9s %9s %10s %10s\n' command seconds MB/s docs/s "peak RSS"
awk -v b="$BYTES" -v n="$NDOCS" '{
  printf "%-14s %9.3f %9.1f %10.0f %7.1f MB\n", $1, $2, ($2 > 0 ? b / 1e6 / $2 : 0), ($2 > 0 ? n / $2 : 0), $3 / 1024
}' "$WORK/results.txt"
# ratios: the median over the rounds of the ratio within a round (and, in
# brackets, the ratio of the medians)
awk 'FNR == NR {t[$1] = $2; r[$1] = $3; next}
{x[$1, $2] = $3; if ($2 > nr) nr = $2}
function paired(a, b,   k, v, i, j, y) {
  k = 0
  for (i = 1; i <= nr; i++) if (x[b, i] > 0) v[++k] = x[a, i] / x[b, i]
  for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) {y = v[i]; v[i] = v[j]; v[j] = y}
  return k ? v[int((k + 1) / 2)] : 0
}
END {
  printf "\nextract --jobs 1 vs pcre2grep -c -f: %.2fx faster [%.2fx] (target >= 4; pcre2grep without the long patterns)\n", paired("pcre2grep-f", "extract-j1"), t["pcre2grep-f"] / t["extract-j1"]
  printf "extract --jobs 1 vs grep_lines, all:  %.2fx faster [%.2fx] (target >= 4; every pattern)\n", paired("grep_lines-all", "extract-j1"), t["grep_lines-all"] / t["extract-j1"]
  printf "extract --jobs 2 vs --jobs 1:        %.2fx [%.2fx] (target >= 1.8)\n", paired("extract-j1", "extract-j2"), t["extract-j1"] / t["extract-j2"]
  if (t["uconv-nfc"]) printf "normalize vs uconv -x any-nfc:       %.2fx [%.2fx]\n", paired("uconv-nfc", "normalize"), t["uconv-nfc"] / t["normalize"]
  printf "peak RSS extract --jobs 2:           %.1f MB\n", r["extract-j2"] / 1024
}' "$WORK/results.txt" "$WORK/runs.txt"
LARGEST=$(xargs ls -l < "$WORK/list" | awk '{if ($5 > m) m = $5} END {print m}')
echo "largest document: $((LARGEST / 1024)) KB; RSS budget 64 MB + 8 x largest = $((64 + 8 * LARGEST / 1048576)) MB"
