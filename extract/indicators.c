/* indicators.c - the indicator post-pass (issue 7): indicator tables, and
 * the metric and status of prose indicators. See indicators.h. */
#define _GNU_SOURCE /* memrchr */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "indicators.h"
#include "internal.h"

/* The fields' keys are literals (vnx_fields borrows them). */

static const char K_INDICATOR[] = "indicator";
static const char R_TABLE[] = "indicator.table";

/* ---- small helpers -------------------------------------------------------- */

static bool is_kind(const vnx_record *r, const char *k) {
  return r->kind && strcmp(r->kind, k) == 0;
}

/* needle (k bytes) at s + i, as whole words of s[0..n) */
static bool word_at(const char *s, size_t n, size_t i, const char *needle, size_t k) {
  /* (the second byte first: the first is often a shared UTF-8 lead byte) */
  if (k > 1 && s[i + 1] != needle[1]) return false;
  if (memcmp(s + i, needle, k) != 0) return false;
  unsigned char b = i ? (unsigned char)s[i - 1] : ' ';
  unsigned char a = i + k < n ? (unsigned char)s[i + k] : ' ';
  /* a byte >= 0x80 is part of a letter (Vietnamese); ASCII letters and
   * digits too */
  bool wb = !(b >= 0x80 || isalnum(b));
  bool wa = !(a >= 0x80 || isalnum(a));
  return wb && wa;
}

/* s[0..n) contains needle (both lower case) as whole words. */
static const char *find_word(const char *s, size_t n, const char *needle) {
  size_t k = strlen(needle);
  if (k == 0 || k > n) return NULL;
  for (size_t i = 0; i + k <= n; i++) {
    /* candidates by their first byte: memchr is much faster than a
     * memcmp at every offset */
    const char *c = memchr(s + i, needle[0], n - k + 1 - i);
    if (!c) return NULL;
    i = (size_t)(c - s);
    if (word_at(s, n, i, needle, k)) return s + i;
  }
  return NULL;
}

/* Unit spelling from a table's unit column: lower case, except words in
 * capitals ("USD", "TTHC"): "Tỷ đồng" -> "tỷ đồng", "Triệu USD" ->
 * "triệu USD". */
static char *unit_canon(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '(')) { s++; n--; }
  while (n && (s[n - 1] == ' ' || s[n - 1] == ')')) n--;
  if (n == 0) return NULL;
  char *out = vnx_xmalloc(n * 2 + 1);
  size_t o = 0, i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && s[j] != ' ' && s[j] != '/') j++;
    int caps = 0;
    for (size_t k = i; k < j; k++) caps += s[k] >= 'A' && s[k] <= 'Z';
    if (caps >= 2) {
      memcpy(out + o, s + i, j - i);
      o += j - i;
    } else {
      char *l = vnx_utf8_lower(s + i, j - i);
      size_t ln = strlen(l);
      memcpy(out + o, l, ln);
      o += ln;
      free(l);
    }
    if (j < n) out[o++] = s[j++];
    i = j;
  }
  out[o] = 0;
  return out;
}

/* ---- table cells ---------------------------------------------------------- */

typedef struct cellnum {
  int qual;          /* 0 none, 1 min (">", "≥"), 2 max ("<", "≤") */
  size_t ns, ne;     /* the figure inside the cell, relative offsets */
  size_t a, an;      /* first number */
  size_t b, bn;      /* second number of a range (bn == 0: none) */
  bool pct;
} cellnum;

static size_t skip_sp(const char *s, size_t i, size_t n) {
  while (i < n && (s[i] == ' ' || (unsigned char)s[i] == 0xC2)) {
    if ((unsigned char)s[i] == 0xC2) {
      if (i + 1 < n && (unsigned char)s[i + 1] == 0xA0) i += 2;
      else break;
    } else {
      i++;
    }
  }
  return i;
}

static size_t number_tok(const char *s, size_t i, size_t n) {
  if (i >= n || !isdigit((unsigned char)s[i])) return i;
  size_t j = i;
  while (j < n && (isdigit((unsigned char)s[j]) || s[j] == '.' || s[j] == ',')) j++;
  while (j > i && (s[j - 1] == '.' || s[j - 1] == ',')) j--;
  return j;
}

/* A cell that is only a figure: "11.81", "187,766.60", "100.9%", "> 75",
 * ">90%", "15,5 - 16", "08 - 10", "7.300-7.400". */
static bool parse_cell(const char *s, size_t n, cellnum *c) {
  memset(c, 0, sizeof *c);
  size_t i = skip_sp(s, 0, n);
  if (i + 1 < n && (s[i] == '>' || s[i] == '<') && s[i + 1] == '=') {
    c->qual = s[i] == '>' ? 1 : 2;
    i += 2;
  } else if (i < n && (s[i] == '>' || s[i] == '<')) {
    c->qual = s[i] == '>' ? 1 : 2;
    i++;
  } else if (i + 3 <= n && memcmp(s + i, "\xE2\x89\xA5", 3) == 0) { /* ≥ */
    c->qual = 1;
    i += 3;
  } else if (i + 3 <= n && memcmp(s + i, "\xE2\x89\xA4", 3) == 0) { /* ≤ */
    c->qual = 2;
    i += 3;
  }
  i = skip_sp(s, i, n);
  size_t j = number_tok(s, i, n);
  if (j == i) return false;
  c->ns = c->a = i;
  c->an = j - i;
  c->ne = j;
  i = skip_sp(s, j, n);
  if (i < n && s[i] == '%') { c->pct = true; c->ne = ++i; }
  i = skip_sp(s, i, n);
  if (i < n && s[i] == '-') {
    i = skip_sp(s, i + 1, n);
    j = number_tok(s, i, n);
    if (j == i) return false;
    c->b = i;
    c->bn = j - i;
    c->ne = j;
    i = skip_sp(s, j, n);
    if (i < n && s[i] == '%') { c->pct = true; c->ne = ++i; }
    i = skip_sp(s, i, n);
  }
  return i == n;
}

/* Style evidence of one number: 'e' English ("187,766.60", "11.81"),
 * 'v' Vietnamese ("68.398,723", "15,5", "2.525.000"), 0 ambiguous
 * ("58,460", "1.666") or none ("3800"). */
static int tok_style(const char *s, size_t n) {
  int dots = 0, commas = 0;
  char last = 0;
  size_t lastpos = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '.' || s[i] == ',') {
      if (s[i] == '.') dots++;
      else commas++;
      last = s[i];
      lastpos = i;
    }
  if (dots && commas) return last == '.' ? 'e' : 'v';
  size_t after = n - lastpos - 1;
  if (commas) return commas > 1 ? 'e' : after == 3 ? 0 : 'v';
  if (dots) return dots > 1 ? 'v' : after == 3 ? 0 : 'e';
  return 0;
}

static bool parse_style(const char *s, size_t n, int style, double *v) {
  return style == 'e' ? vnx_parse_number_en(s, n, v) : vnx_parse_number_vi(s, n, v);
}

static json_t *jnum(double v) {
  if (v == (double)(long long)v && v < 9e15 && v > -9e15) return json_integer((json_int_t)v);
  return json_real(v);
}

/* Unit written in a column header: "So với cùng kỳ (%)" -> "%",
 * "Giá trị (triệu đồng)" -> "triệu đồng". */
static char *header_unit(const char *h) {
  const char *o = strrchr(h, '(');
  if (!o) return NULL;
  const char *e = strchr(o, ')');
  if (!e || e - o > 24) return NULL;
  for (const char *p = o + 1; p < e; p++)
    if (isdigit((unsigned char)*p)) return NULL;
  char *u = unit_canon(o + 1, (size_t)(e - o - 1));
  if (!u) return NULL;
  static const char *known[] = {"%", "đồng", "usd", "tấn", "ha", "người", "km", "lượt", "căn", "điểm"};
  for (size_t k = 0; k < sizeof known / sizeof *known; k++) {
    char *l = vnx_utf8_lower(u, strlen(u));
    bool hit = strstr(l, known[k]) != NULL;
    free(l);
    if (hit) return u;
  }
  free(u);
  return NULL;
}

static const char *status_of_header(const char *h) {
  char *l = vnx_utf8_lower(h, strlen(h));
  size_t n = strlen(l);
  const char *st = NULL;
  if (find_word(l, n, "kh") || find_word(l, n, "kế hoạch") || find_word(l, n, "chỉ tiêu") ||
      find_word(l, n, "kịch bản") || find_word(l, n, "mục tiêu") || find_word(l, n, "dự toán"))
    st = "target";
  else if (find_word(l, n, "ước thực hiện") || find_word(l, n, "ưth") ||
           find_word(l, n, "thực hiện") || find_word(l, n, "kết quả") || find_word(l, n, "ước"))
    st = "actual";
  free(l);
  return st;
}

/* The indicator name of a row: "+ Thu nội địa" -> "Thu nội địa",
 * "Thu ngân sách nhà nước trên địa bàn, trong đó:" -> "... trên địa bàn". */
static char *row_name(const char *s, size_t n) {
  while (n && (*s == '+' || *s == '-' || *s == '*' || *s == ' ')) { s++; n--; }
  while (n && (s[n - 1] == ' ' || s[n - 1] == ':' || s[n - 1] == ',' || s[n - 1] == '.')) n--;
  static const char tail[] = ", trong đó";
  size_t tl = sizeof tail - 1;
  if (n > tl && memcmp(s + n - tl, tail, tl) == 0) n -= tl;
  while (n && (s[n - 1] == ' ' || s[n - 1] == ':' || s[n - 1] == ',')) n--;
  return n ? vnx_xstrndup(s, n) : NULL;
}

typedef struct span { size_t s, e; } span;

typedef struct colinfo {
  int nnum, ntext, ve, vv;
  bool value;
  int style;
  char *hunit;
} colinfo;

static bool header_is(const char *h, const char *const *names) {
  char *l = vnx_utf8_lower(h, strlen(h));
  bool hit = false;
  for (size_t k = 0; names[k] && !hit; k++) hit = strcmp(l, names[k]) == 0;
  free(l);
  return hit;
}

/* An indicator table has a name column ("Chỉ tiêu") and/or a unit column
 * ("Đơn vị tính"); also finds the "STT" column. */
static bool indicator_table(const vnx_table *t, int *namec, int *unitc, int *sttc) {
  static const char *const name_h[] = {"chỉ tiêu", "tên chỉ tiêu", "nội dung chỉ tiêu", "chỉ số",
                                       "nội dung", "danh mục", "tên chỉ số", NULL};
  static const char *const unit_h[] = {"đơn vị tính", "đvt", "đơn vị", "đ.v.t", NULL};
  static const char *const stt_h[] = {"stt", "tt", "số tt", "số thứ tự", NULL};
  *namec = *unitc = *sttc = -1;
  for (size_t c = 0; c < t->ncols; c++) {
    if (*namec < 0 && header_is(t->header[c], name_h)) *namec = (int)c;
    else if (*unitc < 0 && header_is(t->header[c], unit_h)) *unitc = (int)c;
    else if (*sttc < 0 && header_is(t->header[c], stt_h)) *sttc = (int)c;
  }
  return *namec >= 0 || *unitc >= 0;
}

/* Cells of a logical row (its segment and continuation segments), in
 * physical order with their physical column. */
typedef struct rcell { const vnx_cell *c; size_t col; } rcell;

static size_t row_cells(const struct vnx_segments *sg, const vnx_table_row *row, rcell **out,
                        size_t *cap) {
  size_t n = 0;
  for (size_t k = 0; k <= row->nconts; k++) {
    size_t si = k == 0 ? row->seg : row->conts[k - 1];
    const vnx_seg *seg = &sg->v[si];
    for (size_t c = 0; c < seg->ncells; c++) {
      if (n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        *out = vnx_xrealloc(*out, *cap * sizeof **out);
      }
      (*out)[n].c = &seg->cells[c];
      (*out)[n].col = c;
      n++;
    }
  }
  return n;
}

static bool cell_numeric(const char *text, const vnx_cell *c, cellnum *cn) {
  return c->end > c->start && parse_cell(text + c->start, c->end - c->start, cn);
}

static bool cell_dash_or_empty(const char *text, const vnx_cell *c) {
  size_t n = c->end - c->start;
  return n == 0 || (n == 1 && text[c->start] == '-');
}

static void add_span(span **v, size_t *n, size_t *cap, size_t s, size_t e) {
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 32;
    *v = vnx_xrealloc(*v, *cap * sizeof **v);
  }
  (*v)[*n].s = s;
  (*v)[*n].e = e;
  (*n)++;
}

static void table_records(vnx_doc *d, const vnx_table *t, span **cells, size_t *ncells,
                          size_t *capcells) {
  const struct vnx_segments *sg = d->seg;
  const char *text = d->text.s;
  int namec, unitc, sttc;
  if (!indicator_table(t, &namec, &unitc, &sttc)) return;

  colinfo *ci = vnx_xcalloc(t->ncols + 1, sizeof *ci);
  rcell *rc = NULL;
  size_t caprc = 0;
  (void)row_cells;
  /* evidence per physical column */
  for (size_t r = 0; r < t->nrows; r++) {
    size_t n = row_cells(sg, &t->rows[r], &rc, &caprc);
    for (size_t k = 0; k < n; k++) {
      size_t c = rc[k].col;
      if (c >= t->ncols) continue;
      cellnum cn;
      if (cell_numeric(text, rc[k].c, &cn)) {
        ci[c].nnum++;
        int st = tok_style(text + rc[k].c->start + cn.a, cn.an);
        if (cn.bn) {
          int st2 = tok_style(text + rc[k].c->start + cn.b, cn.bn);
          if (!st) st = st2;
        }
        if (st == 'e') ci[c].ve++;
        if (st == 'v') ci[c].vv++;
      } else if (!cell_dash_or_empty(text, rc[k].c)) {
        ci[c].ntext++;
      }
    }
  }
  int tve = 0, tvv = 0;
  for (size_t c = 0; c < t->ncols; c++) {
    /* a value column: mostly figures, or some figures under a header that
     * names a plan or a result ("Ước thực hiện quý I": "1.666" among
     * "Đang thực hiện" cells) */
    ci[c].value = (int)c != namec && (int)c != unitc && (int)c != sttc && ci[c].nnum > 0 &&
                  (ci[c].nnum >= ci[c].ntext || status_of_header(t->header[c]) != NULL);
    if (ci[c].value) {
      tve += ci[c].ve;
      tvv += ci[c].vv;
      ci[c].hunit = header_unit(t->header_full ? t->header_full[c] : t->header[c]);
    }
  }
  /* the column decides; a column without evidence takes the table's, and a
   * table without evidence the prose style of Vietnamese documents */
  for (size_t c = 0; c < t->ncols; c++)
    ci[c].style = ci[c].ve > ci[c].vv ? 'e' : ci[c].vv > ci[c].ve ? 'v'
                : tve > tvv ? 'e' : 'v';

  char *prev_name = NULL, *prev_unit = NULL;
  for (size_t r = 0; r < t->nrows; r++) {
    const vnx_table_row *row = &t->rows[r];
    char *name = NULL, *unit = NULL;
    /* a logical row may be several physical lines (a row split by a page
     * break, or sub-rows such as "Triệu đồng" under "USD/người"): each line
     * has its own name and unit cells when it writes them */
    for (size_t sgi = 0; sgi <= row->nconts; sgi++) {
      const vnx_seg *seg = &sg->v[sgi == 0 ? row->seg : row->conts[sgi - 1]];
      bool own_name = false;
      if (namec >= 0 && (size_t)namec < seg->ncells) {
        const vnx_cell *c = &seg->cells[namec];
        char *nm = row_name(text + c->start, c->end - c->start);
        if (nm) { free(name); name = nm; own_name = true; }
      }
      if (unitc >= 0 && (size_t)unitc < seg->ncells) {
        const vnx_cell *c = &seg->cells[unitc];
        char *u = unit_canon(text + c->start, c->end - c->start);
        if (u) { free(unit); unit = u; }
      }
      if (!name && prev_name) name = vnx_xstrdup(prev_name);
      if (!unit && !own_name && prev_unit) unit = vnx_xstrdup(prev_unit);
      /* a line that lacks a text cell (e.g. "Kỳ báo cáo") has its values
       * one cell to the left: a figure in a text column followed by a
       * value column moves the rest of the line right */
      size_t shift = 0;
      for (size_t k = 0; k < seg->ncells; k++) {
        const vnx_cell *cell = &seg->cells[k];
        size_t c = k + shift;
        cellnum cn;
        if (shift == 0 && c + 1 < t->ncols && !ci[c].value && (int)c != namec &&
            (int)c != unitc && (int)c != sttc && ci[c + 1].value && cell_numeric(text, cell, &cn)) {
          shift = 1;
          c++;
        }
        if (c >= t->ncols || !ci[c].value) continue;
        if (!cell_numeric(text, cell, &cn)) continue;
        const char *cs = text + cell->start;
        int style = ci[c].style;
        double v, v2 = 0;
        if (!parse_style(cs + cn.a, cn.an, style, &v) ||
            (cn.bn && !parse_style(cs + cn.b, cn.bn, style, &v2))) {
          style = style == 'e' ? 'v' : 'e';
          if (!parse_style(cs + cn.a, cn.an, style, &v) ||
              (cn.bn && !parse_style(cs + cn.b, cn.bn, style, &v2)))
            continue;
        }
        vnx_fields f = {0};
        vnx_fields_set(&f, "value", jnum(v));
        if (cn.bn) vnx_fields_set(&f, "value_max", jnum(v2));
        const char *u = ci[c].hunit ? ci[c].hunit : cn.pct ? "%" : unit;
        vnx_fields_set(&f, "unit", u ? vnx_json_string(u) : json_null());
        vnx_fields_set(&f, "qualifier", cn.qual == 1   ? vnx_json_string("min")
                                        : cn.qual == 2 ? vnx_json_string("max")
                                                       : json_null());
        vnx_fields_set(&f, "metric", name ? vnx_json_string(name) : json_null());
        vnx_fields_set(&f, "change", json_null());
        const char *hdr = t->header[c];
        const char *st = hdr[0] ? status_of_header(hdr) : NULL;
        vnx_fields_set(&f, "status", st ? vnx_json_string(st) : json_null());
        vnx_fields_set(&f, "period", hdr[0] ? vnx_json_string(hdr) : json_null());
        vnx_fields_set(&f, "num_style", vnx_json_string(style == 'e' ? "en" : "vi"));
        vnx_record *rec = vnx_records_add(&d->recs, K_INDICATOR, R_TABLE, &f);
        rec->nstart = cell->start + cn.ns;
        rec->nend = cell->start + cn.ne;
        vnx_text_orig_span(&d->text, rec->nstart, rec->nend, &rec->start, &rec->end);
        rec->line = vnx_doc_line_of(d, rec->start);
        vnx_record_set_text(rec, text + rec->nstart, rec->nend - rec->nstart);
        add_span(cells, ncells, capcells, cell->start, cell->end);
      }
    }
    if (name) {
      free(prev_name);
      prev_name = name;
    }
    if (unit) {
      free(prev_unit);
      prev_unit = unit;
    }
  }
  free(prev_name);
  free(prev_unit);
  free(rc);
  for (size_t c = 0; c < t->ncols; c++) free(ci[c].hunit);
  free(ci);
}

/* ---- prose: metric and status ----------------------------------------------- */

/* A clause boundary at text[i]: ";" , a tab, a newline, or a "." that is not
 * inside a number. */
static inline bool clause_end(const char *s, size_t i, size_t len) {
  char c = s[i];
  if ((unsigned char)c > '?') return false; /* letters: most bytes */
  if (c == ';' || c == '\t' || c == '\n' || c == '!' || c == '?') return true;
  if (c == '.') {
    bool db = i > 0 && isdigit((unsigned char)s[i - 1]);
    bool da = i + 1 < len && isdigit((unsigned char)s[i + 1]);
    return !(db && da);
  }
  return false;
}

static inline bool sentence_end(const char *s, size_t i, size_t len) {
  char c = s[i];
  if ((unsigned char)c > '?') return false;
  if (c == '\t' || c == '\n' || c == '!' || c == '?') return true;
  if (c == '.') {
    bool db = i > 0 && isdigit((unsigned char)s[i - 1]);
    bool da = i + 1 < len && isdigit((unsigned char)s[i + 1]);
    return !(db && da);
  }
  return false;
}

/* Is any cue in l[0..n) as whole words? */
static bool has_cue(const char *l, size_t n, const char *const *cues) {
  for (size_t k = 0; cues[k]; k++)
    if (find_word(l, n, cues[k])) return true;
  return false;
}

/* The last occurrence of any cue in l[0..n), as an offset (or -1): each
 * cue looked for from the end, and only after the last one found so far
 * (a sentence holds many "đã", "là", "đạt": all of them were visited). */
static long last_cue(const char *l, size_t n, const char *const *cues) {
  long best = -1;
  for (size_t k = 0; cues[k]; k++) {
    const char *cue = cues[k];
    size_t len = strlen(cue), lo = (size_t)(best + 1);
    if (len == 0 || len > n) continue;
    /* candidates in [lo, hi) */
    for (size_t hi = n - len + 1; hi > lo;) {
      const char *c = memrchr(l + lo, cue[0], hi - lo);
      if (!c) break;
      size_t i = (size_t)(c - l);
      if (word_at(l, n, i, cue, len)) {
        best = (long)i;
        break;
      }
      hi = i;
    }
  }
  return best;
}

/* The status of a figure in prose: a target ("phấn đấu", "mục tiêu" in its
 * own clause; the nearest cue "kịch bản", "kế hoạch", "chỉ tiêu" ...) or a
 * result ("đạt", "ước", "bằng"; a figure compared with the year before,
 * "tăng 87% so với cùng kỳ"). A target word elsewhere in a long sentence
 * ("... theo kịch bản; doanh thu tăng 12,4% so với cùng kỳ") does not make
 * every figure of it a target. */
static const char *status_before(const vnx_doc *d, size_t at, size_t end) {
  static const char *const strong[] = {"phấn đấu", "phân đầu", "mục tiêu", NULL};
  static const char *const target[] = {"kịch bản", "kế hoạch", "chỉ tiêu", "dự toán", "dự kiến",
                                       "phấn đấu", "phân đầu", "mục tiêu", NULL};
  static const char *const actual[] = {"đạt", "ước đạt", "thực hiện", "ước", "lũy kế", "đã", "là",
                                       "bằng", NULL};
  static const char *const compared[] = {"so với cùng kỳ", "so cùng kỳ", "so với năm",
                                         "so với quý", "so với tháng", "so với kỳ", NULL};
  const char *s = d->text.s;
  size_t len = d->text.len;
  size_t b = at;
  /* back to the start of the sentence, at most 600 bytes */
  size_t lim = at > 600 ? at - 600 : 0;
  while (b > lim && !sentence_end(s, b - 1, len)) b--;
  while (b < at && ((unsigned char)s[b] & 0xC0) == 0x80) b++;
  size_t cb = at; /* the clause */
  while (cb > b && !clause_end(s, cb - 1, len)) cb--;
  /* what follows the figure, to the end of its clause */
  size_t ae = end;
  while (ae < len && ae < end + 120 && !clause_end(s, ae, len) && s[ae] != ',') ae++;
  /* the three spans lower-cased: in place in the document's lower-cased
   * text when it serves them, else copies */
  const char *l = vnx_doc_lower_view(d, b, at), *lc = vnx_doc_lower_view(d, cb, at),
             *la = vnx_doc_lower_view(d, end, ae);
  char *own[3] = {NULL, NULL, NULL};
  if (!l) l = own[0] = vnx_utf8_lower(s + b, at - b);
  if (!lc) lc = own[1] = vnx_utf8_lower(s + cb, at - cb);
  if (!la) la = own[2] = vnx_utf8_lower(s + end, ae - end);
  /* (strnlen: the view is not NUL-terminated; a copy may be longer) */
  size_t n = own[0] ? strlen(l) : strnlen(l, at - b);
  size_t nc = own[1] ? strlen(lc) : strnlen(lc, at - cb);
  size_t na = own[2] ? strlen(la) : strnlen(la, ae - end);
  const char *st = NULL;
  if (has_cue(lc, nc, strong)) {
    st = "target";
  } else if (has_cue(la, na, compared)) {
    st = "actual";
  } else if (has_cue(l, n, strong)) {
    st = "target";
  } else {
    long t = last_cue(l, n, target), a = last_cue(l, n, actual);
    if (t > a) st = "target";
    else if (a >= 0) st = "actual";
  }
  for (int k = 0; k < 3; k++) free(own[k]);
  return st;
}

static int cmp_span_s(const void *a, const void *b) {
  const span *x = a, *y = b;
  if (x->s != y->s) return x->s < y->s ? -1 : 1;
  return 0;
}

/* The value cells as sorted spans with the running maximum of their ends:
 * an offset is inside some cell iff the cells starting at or before it
 * reach past it. */
typedef struct cellset {
  span *v;
  size_t *maxe; /* maxe[k]: max end of v[0..k] */
  size_t n;
} cellset;

static void cellset_build(cellset *cs, span *v, size_t n) {
  if (n) qsort(v, n, sizeof *v, cmp_span_s);
  cs->v = v;
  cs->n = n;
  cs->maxe = vnx_xmalloc((n + 1) * sizeof *cs->maxe);
  for (size_t k = 0; k < n; k++)
    cs->maxe[k] = k && cs->maxe[k - 1] > v[k].e ? cs->maxe[k - 1] : v[k].e;
}

static bool cellset_has(const cellset *cs, size_t off) {
  size_t lo = 0, hi = cs->n; /* first cell starting after off */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cs->v[mid].s <= off) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && cs->maxe[lo - 1] > off;
}

/* indicator_table() of each table, computed on first use */
typedef struct tabinfo {
  signed char known, is; /* known: computed */
  int namec, unitc, sttc;
} tabinfo;

static bool indicator_table_cached(const vnx_table *t, tabinfo *ti, int *namec, int *unitc,
                                   int *sttc) {
  if (!ti->known) {
    ti->is = indicator_table(t, &ti->namec, &ti->unitc, &ti->sttc);
    ti->known = 1;
  }
  *namec = ti->namec;
  *unitc = ti->unitc;
  *sttc = ti->sttc;
  return ti->is;
}

/* vnx_segment_column() by binary search when the segment's cells are in
 * order (cells_sorted[si]: 0 unknown, 1 in order, -1 not: the linear
 * search then). */
static int segment_column(const struct vnx_segments *s, size_t si, size_t off,
                          const char **header, signed char *cells_sorted) {
  const vnx_seg *sg = &s->v[si];
  if (!cells_sorted[si]) {
    cells_sorted[si] = 1;
    for (size_t c = 1; c < sg->ncells; c++)
      if (sg->cells[c].start < sg->cells[c - 1].start) { cells_sorted[si] = -1; break; }
  }
  if (cells_sorted[si] < 0) return vnx_segment_column(s, sg, off, header);
  if (header) *header = "";
  if (sg->table < 0 || !sg->ncells) return -1;
  size_t lo = 0, hi = sg->ncells; /* first cell starting after off */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (sg->cells[mid].start <= off) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return -1;
  size_t c = lo - 1;
  size_t cend = c + 1 < sg->ncells ? sg->cells[c + 1].start : sg->end + 1;
  if (off >= cend) return -1;
  const vnx_table *tb = &s->tables[sg->table];
  if (header && c < tb->ncols) *header = tb->header[c];
  return (int)c;
}

static int cmp_nstart(const void *a, const void *b) {
  const vnx_record *const *x = a, *const *y = b;
  if ((*x)->nstart != (*y)->nstart) return (*x)->nstart < (*y)->nstart ? -1 : 1;
  return 0;
}

static void remove_records(vnx_doc *d, const bool *drop) {
  size_t o = 0;
  for (size_t i = 0; i < d->recs.n; i++) {
    if (drop[i]) {
      vnx_record_text_free(&d->recs.v[i]);
      vnx_fields_free(&d->recs.v[i].fields);
      continue;
    }
    d->recs.v[o++] = d->recs.v[i];
  }
  d->recs.n = o;
}

void vnx_indicators_resolve(vnx_doc *d) {
  if (!d || !d->text.s) return;
  size_t nrule = d->recs.n; /* records made by the rules (before tables) */

  /* 1. tables */
  span *cells = NULL;
  size_t ncells = 0, capcells = 0;
  if (d->seg)
    for (size_t t = 0; t < d->seg->ntables; t++)
      table_records(d, &d->seg->tables[t], &cells, &ncells, &capcells);

  bool *drop = vnx_xcalloc(d->recs.n + 1, sizeof *drop);
  /* rule-made indicators inside a value cell the table reader handled */
  cellset cs;
  cellset_build(&cs, cells, ncells);
  for (size_t i = 0; i < nrule; i++) {
    vnx_record *r = &d->recs.v[i];
    if (!is_kind(r, K_INDICATOR)) continue;
    if (cellset_has(&cs, r->nstart)) drop[i] = true;
  }
  free(cs.maxe);
  free(cells);
  tabinfo *tinfo = d->seg ? vnx_xcalloc(d->seg->ntables + 1, sizeof *tinfo) : NULL;
  signed char *cells_sorted = d->seg ? vnx_xcalloc(d->seg->n + 1, 1) : NULL;

  /* 2. prose: fractions that cannot be fractions, metric, status */
  size_t nm = 0;
  const vnx_record **metrics = vnx_xmalloc((d->recs.n + 1) * sizeof *metrics);
  for (size_t i = 0; i < nrule; i++)
    if (is_kind(&d->recs.v[i], "_metric")) metrics[nm++] = &d->recs.v[i];
  qsort(metrics, nm, sizeof *metrics, cmp_nstart);
  for (size_t i = 0; i < nrule; i++) {
    vnx_record *r = &d->recs.v[i];
    if (drop[i] || !is_kind(r, K_INDICATOR)) continue;
    json_t *den = vnx_fields_get(&r->fields, "denominator");
    json_t *val = vnx_fields_get(&r->fields, "value");
    if (den && json_is_number(den) && val && json_is_number(val) &&
        json_number_value(den) < json_number_value(val)) {
      drop[i] = true;
      continue;
    }
    /* nearest metric before the figure with no clause boundary between */
    const vnx_record *best = NULL;
    size_t lo = 0, hi = nm;
    while (lo < hi) { /* first metric starting at or after r->nstart */
      size_t mid = (lo + hi) / 2;
      if (metrics[mid]->nstart < r->nstart) lo = mid + 1;
      else hi = mid;
    }
    for (size_t k = lo; k-- > 0;) {
      const vnx_record *m = metrics[k];
      if (m->nend > r->nstart) continue;
      bool crossed = false;
      for (size_t p = m->nend; p < r->nstart && !crossed; p++)
        crossed = clause_end(d->text.s, p, d->text.len);
      if (!crossed) best = m;
      break;
    }
    if (!vnx_fields_get(&r->fields, "metric") ||
        json_is_null(vnx_fields_get(&r->fields, "metric"))) {
      json_t *nmv = best ? vnx_fields_get(&best->fields, "name") : NULL;
      vnx_fields_set(&r->fields, "metric",
                     nmv && json_is_string(nmv) ? json_copy(nmv) : json_null());
    }
    /* a figure written in a cell of an indicator table (PHỤ LỤC I: "Từ
     * 45-50 tổ chức đảng"): the column header is its period, the row's
     * name its metric */
    long sgi = d->seg ? vnx_segment_index(d->seg, r->nstart) : -1;
    const vnx_seg *sgm = sgi >= 0 ? &d->seg->v[sgi] : NULL;
    if (sgm && sgm->table >= 0 && (size_t)sgm->table < d->seg->ntables) {
      const vnx_table *t = &d->seg->tables[sgm->table];
      int namec, unitc, sttc;
      const char *hdr = NULL;
      int col = segment_column(d->seg, (size_t)sgi, r->nstart, &hdr, cells_sorted);
      if (col >= 0 && indicator_table_cached(t, &tinfo[sgm->table], &namec, &unitc, &sttc) &&
          col != namec && hdr &&
          hdr[0] && strlen(hdr) <= 40 && status_of_header(hdr)) {
        vnx_fields_set(&r->fields, "period", vnx_json_string(hdr));
        vnx_fields_set(&r->fields, "status", vnx_json_string(status_of_header(hdr)));
        if (namec >= 0 && (size_t)namec < sgm->ncells && !best) {
          char *nm = row_name(d->text.s + sgm->cells[namec].start,
                              sgm->cells[namec].end - sgm->cells[namec].start);
          if (nm) vnx_fields_set(&r->fields, "metric", vnx_json_string(nm));
          free(nm);
        }
      }
    }
    if (!vnx_fields_get(&r->fields, "status")) {
      const char *st = status_before(d, r->nstart, r->nend);
      vnx_fields_set(&r->fields, "status", st ? vnx_json_string(st) : json_null());
    }
  }
  free(metrics);
  free(tinfo);
  free(cells_sorted);

  /* The _metric mentions themselves are an internal kind: the pipeline
   * drops them before writing (see drop_internal in pipeline.c). */
  remove_records(d, drop);
  free(drop);
}
