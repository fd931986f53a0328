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

# A report: bodies in its narration, its header, footnotes, a paragraph
# continued across a footnote and a page number, and the Nơi nhận list,
# which the body rules skip (link.c drops every body there, match.c does not
# look for them: vnx_link_scope), beside its task part, where they run.
cat > "$TMP/scope.txt" <<'DOC'
UBND TỈNH HÀ GIANG
SỞ TÀI CHÍNH
Số: 45/BC-STC
BÁO CÁO
Kết quả thực hiện nhiệm vụ quý I và nhiệm vụ quý II năm 2026
I. KẾT QUẢ THỰC HIỆN
1. Sở Tài chính phối hợp với Sở Nội vụ hoàn thành rà soát; Ủy ban nhân dân tỉnh chỉ đạo các sở, ban, ngành triển khai theo
[1] Công văn số 12/STC của Sở Tài chính gửi Bộ Tài chính.
15
kế hoạch, Công an tỉnh, Sở Y tế chỉ đạo thực hiện.
II. NHIỆM VỤ QUÝ II
1. Giao Sở Tài chính chủ trì, phối hợp với Sở Nội vụ, Công an tỉnh báo cáo Ủy ban nhân dân tỉnh trước ngày 30/6/2026; Sở Y tế và
[2] Theo Kế hoạch số 5/KH-UBND của Ủy ban nhân dân tỉnh.
các đơn vị liên quan chịu trách nhiệm tổng hợp.
2. Văn phòng UBND tỉnh, Sở Xây dựng chỉ đạo thực hiện.
Nơi nhận:
- Ủy ban nhân dân tỉnh;
- Sở Tài chính;
GIÁM ĐỐC
Nguyễn Văn A
DOC

files=("$ROOT"/corpus/*.txt "$TMP/edges.txt" "$TMP/scope.txt")
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

# The body rules run only where link.c can keep a body (match.c,
# vnx_link_scope): the same with VNX_ALL_BODIES=1, which runs them on every
# line. The report above must give bodies in its task part and none in its
# narration, and its narration must have body matches to skip.
VNX_ALL_BODIES=1 "$VNX" extract -q --jobs 1 "${files[@]}" > "$TMP/c.jsonl" 2> "$TMP/c.err"
if ! cmp -s "$TMP/a.jsonl" "$TMP/c.jsonl" || ! cmp -s "$TMP/a.err" "$TMP/c.err"; then
  echo "FAIL: extract differs with VNX_ALL_BODIES=1"
  diff "$TMP/a.jsonl" "$TMP/c.jsonl" | head -20
  exit 1
fi
"$VNX" extract -q --jobs 1 "$TMP/scope.txt" > "$TMP/s.jsonl"
if ! grep -q '"kind":"body","line":12,' "$TMP/s.jsonl" || grep -q '"kind":"body","line":7,' "$TMP/s.jsonl"; then
  echo "FAIL: the report's bodies are not where they should be"
  grep '"kind":"body"' "$TMP/s.jsonl" | head -20
  exit 1
fi
# its header and narration alone (lines 1-10; rules coverage runs every
# rule on every line): the body rules match there, so the scope has
# something to skip
head -10 "$TMP/scope.txt" > "$TMP/narration.txt"
"$VNX" rules coverage "$TMP/narration.txt" > "$TMP/cov.txt" 2>&1
if ! grep -qE '^ +[1-9][0-9]* .* body\.name ' "$TMP/cov.txt"; then
  echo "FAIL: no body.name match in the report's header and narration"
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
echo "ok: same output with and without start strings, stop bytes, lazy skip rules and the body scope ($(wc -l < "$TMP/a.jsonl") lines)"
