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

measure() { # NAME CMD...  -> "name secs rss_kb"
  local name=$1
  shift
  local times=() rss=0
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -v -o "$WORK/time.txt" bash -c "$*" > /dev/null 2> "$WORK/err.txt" || {
      echo "$name failed:" >&2
      tail -5 "$WORK/err.txt" >&2
    }
    times+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$WORK/time.txt")")
    r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    [ "$r" -gt "$rss" ] && rss=$r
  done
  med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  echo "$name $med $rss"
}

{
  measure "cat" "xargs cat < '$WORK/list'"
  measure "pcre2grep-1" "xargs pcre2grep -c -u -f '$WORK/one.pat' < '$WORK/list'"
  measure "pcre2grep-f" "xargs pcre2grep -c -u -f '$WORK/all.pat' < '$WORK/list'"
  measure "grep_lines-all" "xargs '$GREP_LINES' '$WORK/full.pat' < '$WORK/list'"
  command -v uconv > /dev/null && measure "uconv-nfc" "uconv -x any-nfc '$WORK/all-$SIZE.txt'"
  measure "normalize" "'$VNX' normalize '$WORK/all-$SIZE.txt'"
  measure "extract-j1" "'$VNX' extract -q --jobs 1 --from '$WORK/list'"
  measure "extract-j2" "'$VNX' extract -q --jobs 2 --from '$WORK/list'"
} > "$WORK/results.txt"

echo "pcre2grep -f: $NPAT of the $NPAT_ALL deadline/body/indicator patterns (the rest exceed its 8192-byte limit);"
echo "grep_lines-all: the same loop as pcre2grep -c -f (same line count on those $NPAT: $got) with all $NPAT_ALL"
echo "corpus: $NDOCS documents, $(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b / 1e6}') MB; $REPEAT runs each, medians"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-14s %9s %9s %10s %10s\n' command seconds MB/s docs/s "peak RSS"
awk -v b="$BYTES" -v n="$NDOCS" '{
  printf "%-14s %9.3f %9.1f %10.0f %7.1f MB\n", $1, $2, ($2 > 0 ? b / 1e6 / $2 : 0), ($2 > 0 ? n / $2 : 0), $3 / 1024
}' "$WORK/results.txt"
awk '{t[$1] = $2; r[$1] = $3} END {
  printf "\nextract --jobs 1 vs pcre2grep -c -f: %.2fx faster (target >= 4; pcre2grep without the long patterns)\n", t["pcre2grep-f"] / t["extract-j1"]
  printf "extract --jobs 1 vs grep_lines, all:  %.2fx faster (target >= 4; every pattern)\n", t["grep_lines-all"] / t["extract-j1"]
  printf "extract --jobs 2 vs --jobs 1:        %.2fx (target >= 1.8)\n", t["extract-j1"] / t["extract-j2"]
  if (t["uconv-nfc"]) printf "normalize vs uconv -x any-nfc:       %.2fx\n", t["uconv-nfc"] / t["normalize"]
  printf "peak RSS extract --jobs 2:           %.1f MB\n", r["extract-j2"] / 1024
}' "$WORK/results.txt"
LARGEST=$(xargs ls -l < "$WORK/list" | awk '{if ($5 > m) m = $5} END {print m}')
echo "largest document: $((LARGEST / 1024)) KB; RSS budget 64 MB + 8 x largest = $((64 + 8 * LARGEST / 1048576)) MB"
