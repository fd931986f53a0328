/* docmeta.c - the document record's fields read from the text: type, title,
 * number, place, issuer, signer, signer_title, recipients (date is
 * vnx_resolve_doc_date's).
 *
 * The patterns follow the layout of Decree 30/2020/NĐ-CP (and the party's
 * Hướng dẫn 36-HD/VPTW, which is the same in these respects), not any one
 * file. In the normalised text, where the two header columns come one after
 * the other:
 *
 *   THÀNH ỦY HẢI PHÒNG           issuer: caps lines at the very top, before
 *   *                                    "Số", the type line or the date line
 *   Số 12-TB/TU                  number: "Số:" / "Số" + number and symbol
 *   ĐẢNG CỘNG SẢN VIỆT NAM       (motto lines are skipped)
 *   Hải Phòng, ngày 4 tháng 11 năm 2025      place: the name before ", ngày"
 *   THÔNG BÁO                    type: a type name in caps opening a line
 *   Ý KIẾN CỦA BAN THƯỜNG VỤ     title: the heading lines after it
 *   về tình hình ...             (continuation lines start in lower case)
 *   ...
 *   Nơi nhận:                    recipients: the "-" items of the list
 *   - Các ban của Thành ủy,
 *   T/L BAN THƯỜNG VỤ            signer_title: the caps lines of the block
 *   CHÁNH VĂN PHÒNG
 *   Bùi Hùng Thiện               signer: the name under them
 *
 * A letter (công văn) has no type line: its summary "V/v ..." under the
 * number is the title. Everything not found is null ([] for recipients).
 * Works on raw text too (markdown '#' and '*' at line ends are ignored). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include "internal.h"

enum {
  HEAD_LINES = 60,  /* the header and title are within this many lines */
  TAIL_SEARCH = 60, /* the signature block is this close to "Nơi nhận" */
  MAX_TITLE = 12,   /* title lines at most */
};

/* ---- lines ------------------------------------------------------------- */

typedef struct {
  const char *s; /* trimmed line (not NUL-terminated) */
  size_t n;
} line;

typedef struct {
  line *v;
  size_t n;
} lines;

static bool is_trim_byte(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '#' || c == '*'; }

static lines split_lines(const char *s, size_t len) {
  lines L = {0};
  size_t cap = 64;
  L.v = vnx_xmalloc(cap * sizeof *L.v);
  size_t i = 0;
  while (i <= len) {
    const char *nl = memchr(s + i, '\n', len - i);
    size_t e = nl ? (size_t)(nl - s) : len;
    size_t a = i, b = e;
    while (a < b && is_trim_byte(s[a])) a++;
    while (b > a && is_trim_byte(s[b - 1])) b--;
    /* U+00A0 (C2 A0) at the edges, from word processors */
    while (b - a >= 2 && (unsigned char)s[a] == 0xC2 && (unsigned char)s[a + 1] == 0xA0) a += 2;
    while (b - a >= 2 && (unsigned char)s[b - 2] == 0xC2 && (unsigned char)s[b - 1] == 0xA0) b -= 2;
    if (L.n == cap) {
      cap *= 2;
      L.v = vnx_xrealloc(L.v, cap * sizeof *L.v);
    }
    L.v[L.n++] = (line){s + a, b - a};
    if (e == len) break;
    i = e + 1;
  }
  return L;
}

static bool blank(const line *l) { return l->n == 0; }

static bool starts(const line *l, const char *p) {
  size_t n = strlen(p);
  return l->n >= n && memcmp(l->s, p, n) == 0;
}

/* Caps: no lower-case letter and at least two upper-case ones. Stops at
 * the first lower-case letter; ASCII without a call to utf8proc (whose
 * categories there are Lu for A-Z, Ll for a-z, no letter otherwise). */
static bool is_caps(const line *l) {
  int upper = 0;
  const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)l->s;
  utf8proc_ssize_t left = (utf8proc_ssize_t)l->n;
  while (left > 0) {
    if (*p < 0x80) {
      if (*p >= 'a' && *p <= 'z') return false;
      if (*p >= 'A' && *p <= 'Z') upper++;
      p++;
      left--;
      continue;
    }
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate(p, left, &c);
    if (k <= 0) { p++; left--; continue; }
    utf8proc_category_t cat = utf8proc_category(c);
    if (cat == UTF8PROC_CATEGORY_LU) upper++;
    else if (cat == UTF8PROC_CATEGORY_LL) return false;
    p += k;
    left -= k;
  }
  return upper >= 2;
}

/* The first letter of the line is lower case ("về tình hình ..."). */
static bool starts_lower(const line *l) {
  const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)l->s;
  utf8proc_ssize_t left = (utf8proc_ssize_t)l->n;
  while (left > 0) {
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate(p, left, &c);
    if (k <= 0) return false;
    utf8proc_category_t cat = utf8proc_category(c);
    if (cat == UTF8PROC_CATEGORY_LL) return true;
    if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_ND) return false;
    p += k;
    left -= k;
  }
  return false;
}

/* ---- patterns (compiled once, shared read-only by the threads) ---------- */

enum {
  RE_NUMBER,    /* "Số: 12/QĐ-UBND", "Số      -TB/TU", "Số:173" */
  RE_SYMBOL,    /* "/KH-UBND" on a line of its own (split header columns) */
  RE_PLACE,     /* "Hải Phòng, ngày ..." */
  RE_AUTHORITY, /* "T/M BAN THƯỜNG VỤ", "KT. CHỦ TỊCH": signing on behalf */
  RE_NAME,      /* "Bùi Hùng Thiện" */
  RE_BODYLINE,  /* lines that open the text proper, never a title */
  RE_ISSUER,    /* a caps line naming an authority ("HỘI ĐỒNG NHÂN DÂN ...") */
  RE_MOTTO,     /* the national / party motto of the right header column */
  NRE
};

static const char *const PATTERNS[NRE] = {
  [RE_NUMBER] = "^Số\\s*(?::\\s*)?((?:[0-9]+(?:\\s*[-/]\\s*[\\p{Lu}0-9][\\p{L}0-9&.\\-/]*)?)"
                "|(?:[-/]\\s*\\p{Lu}[\\p{L}0-9&.\\-/]*))$",
  [RE_SYMBOL] = "^[-/]\\s*\\p{Lu}[\\p{L}0-9&.]*(?:[-/][\\p{L}0-9&.]+)*$",
  [RE_PLACE] = "^(\\p{Lu}[\\p{L}.]*(?:[ \\-]+\\p{Lu}[\\p{L}.]*){0,5})\\s*,\\s*ngày\\b",
  [RE_AUTHORITY] = "^(?:T/M|T/L|K/T|TM\\.|TL\\.|KT\\.|TUQ\\.|Q\\.|TM |TL |KT )\\s*\\p{Lu}",
  [RE_NAME] = "^\\p{Lu}\\p{Ll}*(?:\\s+\\p{Lu}\\p{Ll}*){1,5}$",
  [RE_BODYLINE] = "^(?:Căn cứ|Thực hiện|Kính gửi|Xét đề nghị|Theo đề nghị|Sau khi|Nơi nhận"
                  "|Ngày\\s*:?\\s*[0-9]|Điều\\s+[0-9]|(?:[IVXLC]+|[0-9]+)[.)]\\s|-{3,}|_{3,}|\\*{3,}"
                  "|\\(Kèm theo)",
  [RE_ISSUER] = "^(?:ỦY BAN|UỶ BAN|HỘI ĐỒNG|BAN |THÀNH ỦY|THÀNH UỶ|TỈNH ỦY|TỈNH UỶ|HUYỆN ỦY"
                "|HUYỆN UỶ|QUẬN ỦY|QUẬN UỶ|ĐẢNG ỦY|ĐẢNG UỶ|ĐẢNG BỘ|BỘ |SỞ |VĂN PHÒNG|CHÍNH PHỦ"
                "|QUỐC HỘI|THỦ TƯỚNG|CHỦ TỊCH|BỘ TRƯỞNG)",
  [RE_MOTTO] = "^(?:CỘNG H(?:OÀ|ÒA) XÃ HỘI CHỦ NGHĨA VIỆT NAM|ĐẢNG CỘNG SẢN VIỆT NAM|Độc lập)",
};

static pcre2_code *g_re[NRE];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void compile_all(void) {
  for (int i = 0; i < NRE; i++) {
    int ec;
    PCRE2_SIZE eo;
    g_re[i] = pcre2_compile((PCRE2_SPTR)PATTERNS[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                            &ec, &eo, NULL);
    if (!g_re[i]) {
      /* A pattern is part of the program: failing to compile is a bug. */
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(ec, msg, sizeof msg);
      fprintf(stderr, "docmeta: pattern %d: %s at %zu\n", i, (const char *)msg, (size_t)eo);
      abort();
    }
    pcre2_jit_compile(g_re[i], PCRE2_JIT_COMPLETE);
  }
}

/* Matches pattern i against the line; group 1 (if any) into *g. The lines
 * are whole characters of the normalised text, valid UTF-8: no need for
 * pcre2 to check each one again (it did, the whole line at every call:
 * half the instructions of vnx_document_fields). */
static bool match(int i, const line *l, pcre2_match_data *md, line *g) {
  if (pcre2_match(g_re[i], (PCRE2_SPTR)l->s, l->n, 0, PCRE2_NO_UTF_CHECK, md, NULL) < 0) return false;
  if (g) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (pcre2_get_ovector_count(md) > 1 && ov[2] != PCRE2_UNSET)
      *g = (line){l->s + ov[2], ov[3] - ov[2]};
    else
      *g = *l;
  }
  return true;
}

/* ---- growing string ---------------------------------------------------- */

typedef struct {
  char *s;
  size_t n, cap;
} sbuf;

/* noinline: inlined into read_signature at -O3, gcc reported a false
 * overflow of the buffer (-Wstringop-overflow, an error with -Werror). */
static __attribute__((noinline)) void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->s = vnx_xrealloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_cp(sbuf *b, utf8proc_int32_t c) {
  utf8proc_uint8_t tmp[4];
  utf8proc_ssize_t k = utf8proc_encode_char(c, tmp);
  sb_put(b, (const char *)tmp, (size_t)k);
}

/* Joins with one space, without doubling one that is there. */
static void sb_join(sbuf *b, const char *sep, const line *l) {
  if (b->n && l->n) sb_str(b, sep);
  sb_put(b, l->s, l->n);
}

static json_t *sb_json(sbuf *b) {
  json_t *j = b->n ? json_stringn(b->s, b->n) : json_null();
  free(b->s);
  memset(b, 0, sizeof *b);
  return j ? j : json_null();
}

/* ---- casing of names written in capitals -------------------------------- */

/* Names in the header and the signature block are written in capitals;
 * the record gives them as they are written in running text (Decree 30,
 * appendix II): "THÀNH ỦY HẢI PHÒNG" -> "Thành ủy Hải Phòng",
 * "CHÁNH VĂN PHÒNG" -> "Chánh Văn phòng". Words are lower-cased, then
 * capitalised by these phrases (matched longest first, in classic tone
 * style as the normaliser writes them):
 *   NEXT  the word after the phrase starts the proper part of a name
 *         ("Sở Xây dựng", "Ban Thường vụ", "Phó Chủ tịch")
 *   PLACE the words after it are a place name ("thành phố Hà Nội")
 * Abbreviations (UBND, TP, HĐND) and roman numerals keep their capitals. */
enum { NEXT = 1, PLACE = 2 };
typedef struct {
  const char *form;
  int flags;
} phrase;

static const phrase PHRASES[] = {
  {"Ủy ban nhân dân", 0}, {"Hội đồng nhân dân", 0}, {"Mặt trận Tổ quốc", 0},
  {"Bộ Chính trị", 0}, {"Ban Bí thư", 0}, {"Chính phủ", 0}, {"Quốc hội", 0},
  {"Trung ương", 0}, {"Việt Nam", 0}, {"Đảng", 0}, {"Thường trực", 0}, {"thường vụ", 0},
  {"Thành ủy", PLACE}, {"Tỉnh ủy", PLACE}, {"Huyện ủy", PLACE}, {"Quận ủy", PLACE},
  {"Thị ủy", PLACE}, {"Đảng ủy", NEXT}, {"Đảng bộ", NEXT}, {"Đảng đoàn", NEXT},
  {"Ủy ban", NEXT}, {"Hội đồng", NEXT}, {"Văn phòng", NEXT}, {"Bộ", NEXT}, {"Sở", NEXT},
  {"Ban", NEXT}, {"Cục", NEXT}, {"Tổng cục", NEXT}, {"Viện", NEXT}, {"Học viện", NEXT},
  {"Trường", NEXT}, {"Công an", PLACE}, {"Chủ tịch", 0}, {"Bí thư", 0}, {"Chủ nhiệm", 0},
  {"Giám đốc", 0}, {"Bộ trưởng", 0}, {"Thủ tướng", 0}, {"Tổng Bí thư", 0},
  {"Phó", NEXT}, {"Chánh", NEXT}, {"Trưởng", NEXT},
  {"thành phố", PLACE}, {"tỉnh", PLACE}, {"huyện", PLACE}, {"quận", PLACE}, {"thị xã", PLACE},
  {"thị trấn", PLACE}, {"xã", PLACE}, {"phường", PLACE}, {"đặc khu", PLACE}, {"TP", PLACE},
};
enum { NPHRASES = sizeof PHRASES / sizeof PHRASES[0] };

/* Lower-case copy of s[0..n) (code point by code point). */
static char *lower_dup(const char *s, size_t n) {
  sbuf b = {0};
  sb_put(&b, "", 0);
  const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
  utf8proc_ssize_t left = (utf8proc_ssize_t)n;
  while (left > 0) {
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate(p, left, &c);
    if (k <= 0) { p++; left--; continue; }
    sb_cp(&b, utf8proc_tolower(c));
    p += k;
    left -= k;
  }
  return b.s;
}

/* the phrases' forms lower-cased, once (name_case compares every word with
 * every phrase) */
static pthread_once_t g_phrases_once = PTHREAD_ONCE_INIT;
static char *g_phrase_lower[NPHRASES];
static void lower_phrases(void) {
  for (size_t p = 0; p < NPHRASES; p++)
    g_phrase_lower[p] = lower_dup(PHRASES[p].form, strlen(PHRASES[p].form));
}

/* Appends s with its first letter upper-cased. */
static void put_capital(sbuf *b, const char *s) {
  const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
  utf8proc_int32_t c;
  utf8proc_ssize_t k = utf8proc_iterate(p, -1, &c);
  if (k <= 0) { sb_str(b, s); return; }
  sb_cp(b, utf8proc_toupper(c));
  sb_str(b, s + k);
}

/* A word that cannot be a Vietnamese syllable is an abbreviation (UBND,
 * HĐND, TP, TW) or a roman numeral, and keeps its capitals. */
static bool is_abbreviation(const char *w) {
  /* base letters, marks stripped: "ĐẢNG" -> "đang" */
  utf8proc_uint8_t *base = NULL;
  if (utf8proc_map((const utf8proc_uint8_t *)w, 0, &base,
                   UTF8PROC_NULLTERM | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD) < 0)
    return false;
  const char *s = (const char *)base;
  bool roman = *s != '\0';
  for (const char *q = s; *q; q++)
    if (!strchr("ivxlcdm", *q)) roman = false;
  static const char *const onsets[] = {"", "b", "c", "d", "\xc4\x91", "g", "h", "k", "l", "m", "n",
                                       "p", "q", "r", "s", "t", "v", "x", "ch", "gh", "gi", "kh",
                                       "ng", "ngh", "nh", "ph", "qu", "th", "tr"};
  static const char *const codas[] = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"};
  size_t i = 0, n = strlen(s);
  while (i < n && !strchr("aeiouy", s[i])) i++;
  size_t vs = i;
  while (i < n && strchr("aeiouy", s[i])) i++;
  size_t ve = i;
  bool ok_on = false, ok_co = false;
  for (size_t k = 0; k < sizeof onsets / sizeof *onsets; k++)
    if (strlen(onsets[k]) == vs && memcmp(onsets[k], s, vs) == 0) ok_on = true;
  for (size_t k = 0; k < sizeof codas / sizeof *codas; k++)
    if (strcmp(codas[k], s + ve) == 0) ok_co = true;
  bool abbr = roman || ve == vs || !ok_on || !ok_co || ve - vs > 3;
  free(base);
  return abbr;
}

/* Title-cases a caps line; a line in mixed case is returned as written. */
static void name_case(sbuf *out, const line *l) {
  if (!is_caps(l)) {
    sb_put(out, l->s, l->n);
    return;
  }
  /* words: [a, b) runs of non-spaces; a name is a few words, a longer
   * caps line is left as written */
  enum { MAXW = 64 };
  size_t count = 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->s[i] != ' ' && (i == 0 || l->s[i - 1] == ' ')) count++;
  if (count > MAXW) {
    sb_put(out, l->s, l->n);
    return;
  }
  const char *wa[MAXW];
  size_t wn[MAXW];
  char *lw[MAXW];
  size_t nw = 0;
  for (size_t i = 0; i < l->n && nw < MAXW;) {
    while (i < l->n && l->s[i] == ' ') i++;
    size_t a = i;
    while (i < l->n && l->s[i] != ' ') i++;
    if (i > a) {
      wa[nw] = l->s + a;
      wn[nw] = i - a;
      nw++;
    }
  }
  /* the lower-cased letters of each word, punctuation dropped, for matching */
  for (size_t w = 0; w < nw; w++) {
    size_t a = 0, b = wn[w];
    while (b > a && strchr(",.;:)", wa[w][b - 1])) b--;
    while (a < b && strchr("(\"", wa[w][a])) a++;
    lw[w] = lower_dup(wa[w] + a, b - a);
  }
  /* start: a name or title begins here (first word, after "T/M", "KT."
   * or a comma); cap_next: the word after a NEXT phrase */
  bool start = true, cap_next = true, place = false;
  for (size_t w = 0; w < nw;) {
    if (w) sb_str(out, " ");
    /* words with '/' or '.' inside (T/M, TM., TP.) are written as they are */
    bool keep = memchr(wa[w], '/', wn[w]) != NULL || lw[w][0] == '\0' || is_abbreviation(lw[w]);
    /* longest phrase starting here */
    const phrase *best = NULL;
    size_t best_len = 0;
    pthread_once(&g_phrases_once, lower_phrases);
    for (size_t p = 0; p < NPHRASES; p++) {
      const char *pl = g_phrase_lower[p];
      size_t k = 0;
      const char *q = pl;
      while (*q && w + k < nw) {
        size_t len = strcspn(q, " ");
        if (strlen(lw[w + k]) != len || memcmp(lw[w + k], q, len) != 0) break;
        k++;
        q += len;
        if (*q == ' ') q++;
        else if (*q == '\0') break;
      }
      if (*q == '\0' && k > best_len) {
        best = &PHRASES[p];
        best_len = k;
      }
    }
    if (best && !(keep && best_len == 1 && strcmp(best->form, "TP") != 0)) {
      /* the phrase's own casing, each word keeping its punctuation */
      const char *f = best->form;
      for (size_t k = 0; k < best_len; k++) {
        if (k) sb_str(out, " ");
        size_t len = strcspn(f, " ");
        const char *word = wa[w + k];
        size_t a = 0;
        while (a < wn[w + k] && strchr("(\"", word[a])) a++;
        sb_put(out, word, a);
        char *fw = vnx_xstrndup(f, len);
        /* "Đảng bộ tỉnh Bắc Ninh": a place unit is capitalised only where
         * a name begins */
        bool cap = (best->flags & PLACE) && best->form[0] >= 'a' && best->form[0] <= 'z'
                       ? start : cap_next;
        if (k == 0 && cap) put_capital(out, fw);
        else sb_str(out, fw);
        free(fw);
        size_t b = wn[w + k];
        while (b > a && strchr(",.;:)", word[b - 1])) b--;
        sb_put(out, word + b, wn[w + k] - b);
        f += len;
        if (*f == ' ') f++;
      }
      bool punct_end = strchr(",.;:", wa[w + best_len - 1][wn[w + best_len - 1] - 1]) != NULL;
      start = punct_end;
      cap_next = (best->flags & NEXT) || punct_end;
      place = (best->flags & PLACE) != 0;
      w += best_len;
      continue;
    }
    if (keep) {
      sb_put(out, wa[w], wn[w]);
    } else {
      size_t a = 0;
      while (a < wn[w] && strchr("(\"", wa[w][a])) a++;
      sb_put(out, wa[w], a);
      if (cap_next || place) put_capital(out, lw[w]);
      else sb_str(out, lw[w]);
      size_t b = wn[w];
      while (b > a && strchr(",.;:)", wa[w][b - 1])) b--;
      sb_put(out, wa[w] + b, wn[w] - b);
    }
    char last = wa[w][wn[w] - 1];
    /* after "T/M", "KT." or a comma a new name or title starts */
    start = cap_next = strchr(",.;:", last) != NULL || memchr(wa[w], '/', wn[w]) != NULL;
    w++;
  }
  for (size_t w = 0; w < nw; w++) free(lw[w]);
}

/* ---- the fields ---------------------------------------------------------- */

typedef struct {
  const char *caps, *title, *symbol; /* symbol: abbreviation in "số 12-TB/TU" */
} doc_type;

/* Longest first where one is a prefix of another. */
static const doc_type TYPES[] = {
  {"CHƯƠNG TRÌNH HÀNH ĐỘNG", "Chương trình hành động", NULL},
  {"NGHỊ QUYẾT", "Nghị quyết", "NQ"}, {"QUYẾT ĐỊNH", "Quyết định", "QĐ"},
  {"CHỈ THỊ", "Chỉ thị", "CT"}, {"KẾT LUẬN", "Kết luận", "KL"}, {"QUY CHẾ", "Quy chế", "QC"},
  {"QUY ĐỊNH", "Quy định", "QĐi"}, {"THÔNG TRI", "Thông tri", NULL},
  {"THÔNG TƯ", "Thông tư", "TT"}, {"THÔNG CÁO", "Thông cáo", "TC"},
  {"THÔNG BÁO", "Thông báo", "TB"}, {"HƯỚNG DẪN", "Hướng dẫn", "HD"},
  {"CHƯƠNG TRÌNH", "Chương trình", "CTr"}, {"KẾ HOẠCH", "Kế hoạch", "KH"},
  {"PHƯƠNG ÁN", "Phương án", "PA"}, {"ĐỀ ÁN", "Đề án", "ĐA"}, {"DỰ ÁN", "Dự án", "DA"},
  {"BÁO CÁO", "Báo cáo", "BC"}, {"BIÊN BẢN", "Biên bản", "BB"}, {"TỜ TRÌNH", "Tờ trình", "TTr"},
  {"CÔNG ĐIỆN", "Công điện", "CĐ"}, {"CÔNG VĂN", "Công văn", "CV"},
  {"GIẤY MỜI", "Giấy mời", "GM"}, {"NGHỊ ĐỊNH", "Nghị định", "NĐ"},
};
enum { NTYPES = sizeof TYPES / sizeof TYPES[0] };

/* The type name opening line l, and how many bytes it takes. An enacting
 * "QUYẾT ĐỊNH:" is not a type line. */
static const doc_type *type_of(const line *l, size_t *len) {
  for (int t = 0; t < NTYPES; t++) {
    size_t n = strlen(TYPES[t].caps);
    if (l->n < n || memcmp(l->s, TYPES[t].caps, n) != 0) continue;
    if (l->n == n) { *len = n; return &TYPES[t]; }
    unsigned char c = (unsigned char)l->s[n];
    if (c == ':') return NULL;
    if (c == ' ' || c == '\t' || c == '*') { *len = n; return &TYPES[t]; }
  }
  return NULL;
}

/* Title lines end with a word that needs what follows ("KẾT LUẬN CỦA"). */
static bool ends_open(const line *l) {
  static const char *const open[] = {",", ";", "-", "CỦA", "của", "VỀ", "về", "VÀ", "và",
                                     "TẠI", "tại", "ĐỐI VỚI", "đối với", "CHO", "cho"};
  for (size_t i = 0; i < sizeof open / sizeof *open; i++) {
    size_t n = strlen(open[i]);
    if (l->n >= n && memcmp(l->s + l->n - n, open[i], n) == 0 &&
        (n == 1 || l->n == n || l->s[l->n - n - 1] == ' '))
      return true;
  }
  return false;
}

/* Reads the title from line i on; returns the index after it and sets
 * *authority to the caps authority line right under it, if any. */
static size_t read_title(const lines *L, size_t i, size_t limit, sbuf *title,
                         pcre2_match_data *md, size_t *authority) {
  *authority = SIZE_MAX;
  size_t taken = 0;
  bool all_caps = true;
  const line *prev = NULL;
  while (i < limit && taken < MAX_TITLE) {
    const line *l = &L->v[i];
    if (blank(l)) {
      /* a blank line ends the title unless a continuation in lower case
       * follows it ("Ý KIẾN CỦA ...\n\nvề tình hình ...") or nothing has
       * been read yet */
      size_t j = i;
      while (j < limit && blank(&L->v[j]) && j - i < 3) j++;
      if (j >= limit || blank(&L->v[j])) break;
      if (taken && !starts_lower(&L->v[j])) break;
      i = j;
      continue;
    }
    if (match(RE_BODYLINE, l, md, NULL) || l->n > 400 || match(RE_PLACE, l, md, NULL) ||
        match(RE_NUMBER, l, md, NULL))
      break;
    if (taken) {
      bool open = ends_open(prev);
      if (!open && match(RE_ISSUER, l, md, NULL) && is_caps(l)) {
        *authority = i;
        break;
      }
      /* a new sentence in mixed case is the text, not the title */
      if (!open && !starts_lower(l) && !(all_caps && is_caps(l))) break;
    }
    sb_join(title, " ", l);
    all_caps = all_caps && is_caps(l);
    prev = l;
    taken++;
    i++;
  }
  return i;
}

/* "Số:173" + "/KH-UBND" a few lines on (pdftotext splits the columns). */
static void read_number(const lines *L, size_t head, pcre2_match_data *md, sbuf *number,
                        size_t *at) {
  for (size_t i = 0; i < head; i++) {
    line g;
    if (!match(RE_NUMBER, &L->v[i], md, &g)) continue;
    sb_put(number, g.s, g.n);
    *at = i;
    bool digits_only = strspn(g.s, "0123456789") == g.n;
    for (size_t j = i + 1; digits_only && j < head && j <= i + 6; j++)
      if (match(RE_SYMBOL, &L->v[j], md, NULL)) {
        sb_put(number, L->v[j].s, L->v[j].n);
        break;
      }
    return;
  }
}

/* The caps lines at the top, before number/type/date: the issuing body,
 * under its parent body if there are two ("UBND TỈNH X" / "SỞ Y" -> the
 * second); a line naming a place continues the one above it ("ỦY BAN NHÂN
 * DÂN" / "THÀNH PHỐ HÀ NỘI"). */
static void read_issuer(const lines *L, size_t stop, pcre2_match_data *md, sbuf *issuer) {
  static const char *const place_words[] = {"THÀNH PHỐ ", "TỈNH ", "HUYỆN ", "QUẬN ", "XÃ ",
                                            "PHƯỜNG ", "THỊ XÃ ", "THỊ TRẤN ", "ĐẶC KHU "};
  enum { NPLACE = sizeof place_words / sizeof *place_words };
  sbuf cur = {0};
  bool cur_has_place = false;
  for (size_t i = 0; i < stop; i++) {
    const line *l = &L->v[i];
    if (blank(l) || !is_caps(l) || match(RE_MOTTO, l, md, NULL)) continue;
    /* a line opening with a place continues a name that has no place yet
     * ("ỦY BAN NHÂN DÂN" / "THÀNH PHỐ HÀ NỘI"); "HUYỆN ỦY GIA BÌNH" under
     * "ĐẢNG BỘ TỈNH BẮC NINH" is a body of its own */
    bool opens_place = false, has_place = false;
    for (size_t k = 0; k < NPLACE; k++) {
      if (starts(l, place_words[k])) opens_place = true;
      size_t n = strlen(place_words[k]);
      for (size_t j = 0; j + n <= l->n; j++)
        if ((j == 0 || l->s[j - 1] == ' ') && memcmp(l->s + j, place_words[k], n) == 0) has_place = true;
    }
    if (!(opens_place && cur.n && !cur_has_place)) {
      cur.n = 0;
      cur_has_place = false;
    }
    sb_join(&cur, " ", l);
    cur_has_place = cur_has_place || has_place;
  }
  /* cased as one name: "thành phố" inside it stays lower case */
  if (cur.n) name_case(issuer, &(line){cur.s, cur.n});
  free(cur.s);
}

static bool is_item(const line *l) {
  return starts(l, "-") || starts(l, "+") || starts(l, "\xe2\x80\xa2") /* • */ ||
         starts(l, "\xe2\x80\x93") /* – */;
}

/* Strips the item marker and the trailing ",;." of an item. */
static line item_text(line l) {
  while (l.n && (strchr("-+ \t", l.s[0]) || (unsigned char)l.s[0] >= 0x80)) {
    if ((unsigned char)l.s[0] >= 0x80) {
      if (l.n >= 3 && (!memcmp(l.s, "\xe2\x80\xa2", 3) || !memcmp(l.s, "\xe2\x80\x93", 3))) {
        l.s += 3;
        l.n -= 3;
        continue;
      }
      break;
    }
    l.s++;
    l.n--;
  }
  return l;
}

static void trim_tail(sbuf *b) {
  while (b->n && strchr(",;./ \t", b->s[b->n - 1])) b->s[--b->n] = '\0';
}

/* The "Nơi nhận:" list from line i (the heading) on. Returns the index of
 * the first line after it. */
static size_t read_recipients(const lines *L, size_t i, pcre2_match_data *md, json_t *arr) {
  sbuf item = {0};
  const line *h = &L->v[i];
  /* "Nơi nhận: - A; - B" on one line is rare; the rest of the line is an item */
  const char *colon = memchr(h->s, ':', h->n);
  if (colon && (size_t)(colon + 1 - h->s) < h->n) {
    line rest = {colon + 1, h->n - (size_t)(colon + 1 - h->s)};
    rest = item_text(rest);
    if (rest.n) sb_put(&item, rest.s, rest.n);
  }
  i++;
  for (; i < L->n; i++) {
    const line *l = &L->v[i];
    if (blank(l)) {
      size_t j = i;
      while (j < L->n && blank(&L->v[j])) j++;
      if (j < L->n && (is_item(&L->v[j]) || starts(&L->v[j], "(")) && !item.n) continue;
      if (j < L->n && is_item(&L->v[j])) continue;
      break;
    }
    /* the signature block; a caps line right after an item that goes on
     * (",", ";", ":") is the item wrapped ("phòng: KGVX,\nNC, HC-QT") */
    const line *pl = &L->v[i - 1];
    bool goes_on = !blank(pl) && strchr(",;:", pl->s[pl->n - 1]) != NULL;
    if (match(RE_AUTHORITY, l, md, NULL) || (is_caps(l) && !is_item(l) && !goes_on)) break;
    if (starts(l, "+") && item.n && (trim_tail(&item), item.n)) {
      /* a sub-item ("- VPTU: + lãnh đạo, + Lưu") belongs to its item */
      line t = item_text(*l);
      sb_str(&item, item.s[item.n - 1] == ':' ? " " : ", ");
      sb_put(&item, t.s, t.n);
    } else if (is_item(l)) {
      trim_tail(&item);
      if (item.n) json_array_append_new(arr, json_stringn(item.s, item.n));
      item.n = 0;
      line t = item_text(*l);
      sb_put(&item, t.s, t.n);
    } else {
      /* a wrapped item, or a note for it: "(để b/c)" */
      if (starts(l, "(")) trim_tail(&item);
      sb_join(&item, " ", l);
    }
  }
  trim_tail(&item);
  if (item.n) json_array_append_new(arr, json_stringn(item.s, item.n));
  free(item.s);
  /* "VPTU: + Các đ/c lãnh đạo" -> "VPTU: Các đ/c lãnh đạo" */
  size_t k;
  json_t *v;
  json_array_foreach(arr, k, v) {
    const char *s = json_string_value(v);
    const char *p = strstr(s, ": + ");
    if (!p) continue;
    sbuf b = {0};
    sb_put(&b, s, (size_t)(p - s) + 2);
    sb_str(&b, p + 4);
    json_array_set_new(arr, k, json_stringn(b.s, b.n));
    free(b.s);
  }
  return i;
}

/* The signature block: the caps lines from an authority line ("T/L BAN
 * THƯỜNG VỤ") down, then the name. */
static void read_signature(const lines *L, size_t from, pcre2_match_data *md, sbuf *title,
                           sbuf *signer) {
  size_t i = from, taken = 0;
  for (; i < L->n && taken < 5; i++) {
    const line *l = &L->v[i];
    if (blank(l) || !is_caps(l)) break;
    sbuf c = {0};
    name_case(&c, l);
    if (c.s) sb_join(title, ", ", &(line){c.s, c.n});
    free(c.s);
    taken++;
  }
  /* the name: within a few lines, past "(Đã ký)" and seal marks */
  for (size_t k = 0; i < L->n && k < 6; i++, k++) {
    const line *l = &L->v[i];
    if (blank(l) || starts(l, "(") || starts(l, "[")) continue;
    if (match(RE_NAME, l, md, NULL)) sb_put(signer, l->s, l->n);
    break;
  }
}

static bool is_recipients_heading(const line *l) {
  return starts(l, "Nơi nhận") || starts(l, "NƠI NHẬN");
}

void vnx_document_fields(const vnx_doc *d, vnx_fields *f) {
  pthread_once(&g_once, compile_all);
  const char *s = d->text.s ? d->text.s : "";
  lines L = split_lines(s, d->text.s ? d->text.len : 0);
  pcre2_match_data *md = pcre2_match_data_create(8, NULL);
  size_t head = L.n < HEAD_LINES ? L.n : HEAD_LINES;

  /* where the list and the signature start: the first "Nơi nhận" */
  size_t recip = SIZE_MAX;
  for (size_t i = 0; i < L.n; i++)
    if (is_recipients_heading(&L.v[i])) {
      recip = i;
      break;
    }
  if (recip < head) head = recip;

  /* type and title */
  sbuf type = {0}, title = {0}, number = {0}, place = {0}, issuer = {0};
  size_t type_line = SIZE_MAX, number_line = SIZE_MAX, place_line = SIZE_MAX, authority = SIZE_MAX;
  for (size_t i = 0; i < head; i++) {
    size_t n;
    const doc_type *t = type_of(&L.v[i], &n);
    if (!t) continue;
    sb_str(&type, t->title);
    type_line = i;
    /* "THÔNG BÁO Ý KIẾN CỦA ..." on one line: the rest opens the title */
    line rest = {L.v[i].s + n, L.v[i].n - n};
    while (rest.n && strchr(" \t*", rest.s[0])) { rest.s++; rest.n--; }
    size_t from = i + 1;
    if (rest.n) {
      L.v[i] = rest;
      from = i;
    }
    read_title(&L, from, head, &title, md, &authority);
    break;
  }
  read_number(&L, head, md, &number, &number_line);
  for (size_t i = 0; i < head; i++) {
    line g;
    if (match(RE_PLACE, &L.v[i], md, &g)) {
      sb_put(&place, g.s, g.n);
      place_line = i;
      break;
    }
  }
  /* a letter: "V/v <summary>" under the number, no type line */
  if (type_line == SIZE_MAX) {
    for (size_t i = 0; i < head; i++) {
      if (!starts(&L.v[i], "V/v") && !starts(&L.v[i], "V/V")) continue;
      sb_str(&type, "Công văn");
      line first = {L.v[i].s + 3, L.v[i].n - 3};
      while (first.n && first.s[0] == ' ') { first.s++; first.n--; }
      sb_put(&title, first.s, first.n);
      for (size_t j = i + 1; j < head; j++) {
        const line *l = &L.v[j];
        if (blank(l) || match(RE_PLACE, l, md, NULL) || match(RE_BODYLINE, l, md, NULL) ||
            is_caps(l) || match(RE_NUMBER, l, md, NULL))
          break;
        sb_join(&title, " ", l);
      }
      type_line = i;
      break;
    }
  }
  /* no type line: the symbol of the number says it ("-TB/TU": Thông báo) */
  if (type_line == SIZE_MAX && number.n) {
    const char *p = number.s;
    while (*p && !strchr("-/", *p)) p++;
    while (*p && strchr("-/ ", *p)) p++;
    size_t n = strcspn(p, "-/");
    for (int t = 0; t < NTYPES && n; t++)
      if (TYPES[t].symbol && strlen(TYPES[t].symbol) == n && !memcmp(p, TYPES[t].symbol, n)) {
        sb_str(&type, TYPES[t].title);
        break;
      }
  }
  /* issuer: the header above the first of number / date / type lines;
   * a resolution names its authority under the title instead */
  size_t stop = head;
  if (number_line < stop) stop = number_line;
  if (place_line < stop) stop = place_line;
  if (type_line < stop) stop = type_line;
  read_issuer(&L, stop, md, &issuer);
  if (!issuer.n && authority != SIZE_MAX) name_case(&issuer, &L.v[authority]);

  vnx_fields_set(f, "type", sb_json(&type));
  vnx_fields_set(f, "title", sb_json(&title));
  vnx_fields_set(f, "number", sb_json(&number));
  /* the date is vnx_resolve_doc_date's (the deadlines read it): kept */
  if (!vnx_fields_get(f, "date")) vnx_fields_set(f, "date", json_null());
  vnx_fields_set(f, "place", sb_json(&place));
  vnx_fields_set(f, "issuer", sb_json(&issuer));

  /* recipients and signature */
  json_t *recipients = json_array();
  size_t after = SIZE_MAX;
  if (recip != SIZE_MAX) after = read_recipients(&L, recip, md, recipients);
  size_t sig = SIZE_MAX;
  /* the block follows the list (or precedes it, when the columns were
   * flattened the other way); without a list, the last authority line */
  if (after != SIZE_MAX)
    for (size_t i = after; i < L.n && i < after + TAIL_SEARCH; i++)
      if (match(RE_AUTHORITY, &L.v[i], md, NULL) || (is_caps(&L.v[i]) && i < after + 3)) {
        sig = i;
        break;
      }
  if (sig == SIZE_MAX && recip != SIZE_MAX)
    for (size_t i = recip; i > 0 && i + 20 > recip; i--)
      if (match(RE_AUTHORITY, &L.v[i - 1], md, NULL)) {
        sig = i - 1;
        break;
      }
  size_t body_from = type_line != SIZE_MAX ? type_line + 1 : 0;
  if (sig == SIZE_MAX)
    for (size_t i = L.n; i > body_from; i--)
      if (match(RE_AUTHORITY, &L.v[i - 1], md, NULL) && is_caps(&L.v[i - 1])) {
        sig = i - 1;
        break;
      }
  sbuf signer = {0}, signer_title = {0};
  if (sig != SIZE_MAX) read_signature(&L, sig, md, &signer_title, &signer);
  vnx_fields_set(f, "signer", sb_json(&signer));
  vnx_fields_set(f, "signer_title", sb_json(&signer_title));
  vnx_fields_set(f, "recipients", recipients);

  pcre2_match_data_free(md);
  free(L.v);
}
