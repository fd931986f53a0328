#!/usr/bin/env bash
# starts.sh VNEXTRACT ROOT
#
# The start strings and the needs literals found by the start automaton
# (extract/rules_start.c) only decide where a rule is tried: extract must
# give the same bytes as with VNX_NO_STARTS=1, which searches every rule
# the plain way. On the corpus and on a few lines made for the edges (case,
# all capitals, tabs, digits, characters where lower-casing changes the
# length or pcre2's caseless matching differs, a line start marker).
set -u

VNX=${1:?usage: starts.sh VNEXTRACT ROOT}
ROOT=${2:?usage: starts.sh VNEXTRACT ROOT}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vnx-starts.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

cat > "$TMP/edges.txt" <<'DOC'
UBND TỈNH HÀ GIANG
Số: 12/KH-UBND
KẾ HOẠCH
1. Giao Sở Tài chính chủ trì, phối hợp với BỘ TÀI CHÍNH và toàn bộ các đơn vị báo cáo trước ngày 15/6/2026.
2. SỞ NỘI VỤ, Sở Y tế	Thường xuyên	Quý III/2026
3. Ủy ban nhân dân các xã, phường thực hiện trong tháng 7/2026; tỷ lệ đạt 95,5% và 1.200 hộ.
4. İstanbul ſở ẞ µ ban Bộ Công an chỉ đạo, lãnh đạo; UBND tỉnh Đăk Lăk tham mưu.
5. Sở Tài chính chỉ đạo và Văn phòng UBND tỉnh chịu trách nhiệm hoàn thành trong năm 2026.
6. giao ban tuyên giáo và BAN TUYÊN GIÁO, sở tài chính, SỞ Tài Chính chủ trì; phòng, Phòng Nội vụ, ủy ban nhân dân tỉnh báo cáo Ban Chỉ đạo.
7. Đề nghị các sở, ngành và Các Sở, Ngành; đồng chí Chủ tịch UBND tỉnh, Đ/C Giám đốc Sở Y tế chỉ đạo.
8. Sở Y tế (cơ quan thường trực); Sở Tài chính chủ trì; Ban Tuyên giáo Tỉnh ủy "phối hợp" với Sở Nội vụ tham mưu; UBND TP. Hà Nội chỉ đạo.
9. Văn phòng Tỉnh ủy; lãnh đạo, chỉ đạo; Đảng ủy UBND tỉnh tập trung chỉ đạo (kèm danh sách) Công an tỉnh có trách nhiệm.
DOC

files=("$ROOT"/corpus/*.txt "$TMP/edges.txt")
"$VNX" extract -q --jobs 1 "${files[@]}" > "$TMP/a.jsonl" 2> "$TMP/a.err"
VNX_NO_STARTS=1 "$VNX" extract -q --jobs 1 "${files[@]}" > "$TMP/b.jsonl" 2> "$TMP/b.err"
if ! cmp -s "$TMP/a.jsonl" "$TMP/b.jsonl"; then
  echo "FAIL: extract differs with VNX_NO_STARTS=1"
  diff "$TMP/a.jsonl" "$TMP/b.jsonl" | head -20
  exit 1
fi
if ! cmp -s "$TMP/a.err" "$TMP/b.err"; then
  echo "FAIL: warnings differ with VNX_NO_STARTS=1"
  diff "$TMP/a.err" "$TMP/b.err" | head -20
  exit 1
fi
if [ ! -s "$TMP/a.jsonl" ]; then
  echo "FAIL: no output"
  exit 1
fi

# A skip rule runs only on lines where a rule of its kind found something
# (match.c): the same bytes and warnings with VNX_ALL_SKIPS=1, which runs
# every skip rule on every line.
VNX_ALL_SKIPS=1 "$VNX" extract -q --jobs 1 "${files[@]}" > "$TMP/c.jsonl" 2> "$TMP/c.err"
if ! cmp -s "$TMP/a.jsonl" "$TMP/c.jsonl" || ! cmp -s "$TMP/a.err" "$TMP/c.err"; then
  echo "FAIL: extract differs with VNX_ALL_SKIPS=1"
  diff "$TMP/a.jsonl" "$TMP/c.jsonl" | head -20
  exit 1
fi

# The bytes a rule with a prefix never consumes (vnx_pattern_stops) only
# rule out starts where it cannot match: the same bytes with VNX_NO_STOPS=1,
# with and without start strings.
for env in "VNX_NO_STOPS=1" "VNX_NO_STOPS=1 VNX_NO_STARTS=1" "VNX_NO_STARTS=1"; do
  env $env "$VNX" extract -q --jobs 1 "${files[@]}" > "$TMP/c.jsonl" 2> "$TMP/c.err"
  if ! cmp -s "$TMP/a.jsonl" "$TMP/c.jsonl" || ! cmp -s "$TMP/a.err" "$TMP/c.err"; then
    echo "FAIL: extract differs with $env"
    diff "$TMP/a.jsonl" "$TMP/c.jsonl" | head -20
    exit 1
  fi
done
echo "ok: same output with and without start strings, stop bytes and lazy skip rules ($(wc -l < "$TMP/a.jsonl") lines)"
