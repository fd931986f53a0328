/* resolve.c - the document date, and deadline values that need the whole
 * document.
 *
 * vnx_resolve_doc_date runs before the rules (the date converters take a
 * missing year from d->year). It reads the date from the normalised text,
 * trying these sources in order and taking the first one found:
 *
 *   1. the place-date line of the header: "Hải Phòng, ngày 15 tháng 6 năm
 *      2026"; blanks left for a hand-written date are kept as unknown
 *      ("Hải Phòng, ngày      tháng      năm 2025" gives the year only);
 *   2. a routing stamp "Ngày: 06/06/2026" (a paragraph of its own);
 *   3. the opening of a notice, "Ngày 07/5/2026, Ban Thường vụ ... họp"
 *      (a paragraph starting so, within the first OPENING_BYTES);
 *   4. the adoption formula of a resolution: "... thông qua ngày 13 tháng 7
 *      năm 2017";
 *   5. the title lines near the top (the first TITLE_LINES paragraphs,
 *      "Căn cứ ..." citations excluded): "tháng 5/2026", "tháng 11 năm 2025"
 *      give month and year; "quý II năm 2026", "năm 2026" the year only.
 *
 * When the source found has no month (case 1 with blanks, or a title with
 * only a year), the month is completed from the first later source of the
 * same year: "Hải Phòng, ngày ... tháng ... năm 2025" + the title "tháng 11
 * năm 2025" gives 2025-11 (day 0). The day is never borrowed: a meeting
 * date is not the date of the notice about it.
 *
 * vnx_resolve runs after the rules and fills what a single match cannot
 * know (see its comment).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "internal.h"

enum { TITLE_LINES = 12 };
/* source 3 (the opening "Ngày 07/5/2026, ...") is looked for in the first
 * OPENING_BYTES of the text only */
enum { OPENING_SOURCE = 2, OPENING_BYTES = 6000 };

typedef struct {
  int y, m, d;
} ymd;

/* A pattern with groups d, m, y (any may be absent or unset). */
static const char *const SOURCES[] = {
  /* 1. place-date: a capitalised place name, a comma, ngày … tháng … năm */
  "(?m)^[ \\t]*\\p{Lu}[\\p{L}\\p{M} .'-]{1,40}?,[ \\t]*ngày\\s*(?<d>[0-9]{1,2})?[\\s._…]*"
  "tháng\\s*(?<m>[0-9]{1,2})?[\\s._…]*năm\\s*(?<y>(?:19|20)[0-9]{2})\\b",
  /* 2. routing stamp */
  "(?m)^[ \\t]*Ngày\\s*:\\s*(?<d>[0-9]{1,2})[/.-](?<m>[0-9]{1,2})[/.-](?<y>(?:19|20)[0-9]{2})\\b",
  /* 3. the opening date of a meeting or event being reported */
  "(?m)^[ \\t]*Ngày\\s+(?:(?<d>[0-9]{1,2})[/.-](?<m>[0-9]{1,2})[/.-](?<y>(?:19|20)[0-9]{2})"
  "|(?<d2>[0-9]{1,2})\\s+tháng\\s+(?<m2>[0-9]{1,2})\\s+năm\\s+(?<y2>(?:19|20)[0-9]{2}))\\s*,",
  /* 4. adoption of a resolution */
  "thông\\s+qua\\s+ngày\\s+(?:(?<d>[0-9]{1,2})[/.-](?<m>[0-9]{1,2})[/.-](?<y>(?:19|20)[0-9]{2})"
  "|(?<d2>[0-9]{1,2})\\s+tháng\\s+(?<m2>[0-9]{1,2})\\s+năm\\s+(?<y2>(?:19|20)[0-9]{2}))",
};
enum { NSOURCES = sizeof SOURCES / sizeof SOURCES[0] };

/* Title lines: month + year, or a year alone. */
static const char TITLE_MONTH[] =
  "(?<![0-9]\\s)\\btháng\\s+(?<m>[0-9]{1,2})(?:\\s*/\\s*|\\s+năm\\s+)(?<y>(?:19|20)[0-9]{2})\\b";
static const char TITLE_YEAR[] = "(?<![0-9]\\s)\\bnăm\\s+(?<y>(?:19|20)[0-9]{2})\\b";

/* Quarters in the title lines (title_quarter_month below). */
static const char TITLE_QUARTER[] =
  "\\bquý\\s+(?<q>IV|III|II|I|[1-4])(?:\\s*/\\s*|\\s+năm\\s+)(?<y>(?:19|20)[0-9]{2})\\b";

/* The patterns are compiled (and JIT-compiled) once per process and shared
 * read-only by the threads. */
enum { NPATS = NSOURCES + 3 };
static pcre2_code *g_pats[NPATS];
static pthread_once_t g_pats_once = PTHREAD_ONCE_INIT;

static void compile_all(void) {
  const char *nojit = getenv("VNX_NO_JIT");
  for (int i = 0; i < NPATS; i++) {
    const char *pat = i < NSOURCES ? SOURCES[i]
                      : i == NSOURCES ? TITLE_MONTH
                      : i == NSOURCES + 1 ? TITLE_YEAR : TITLE_QUARTER;
    int ec;
    PCRE2_SIZE eo;
    g_pats[i] = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                              PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_DUPNAMES, &ec, &eo,
                              NULL);
    if (g_pats[i] && (!nojit || strcmp(nojit, "1") != 0))
      pcre2_jit_compile(g_pats[i], PCRE2_JIT_COMPLETE);
  }
}

static pcre2_code *compile(const char *pat) {
  pthread_once(&g_pats_once, compile_all);
  for (int i = 0; i < NSOURCES; i++)
    if (pat == SOURCES[i]) return g_pats[i];
  return pat == TITLE_MONTH ? g_pats[NSOURCES]
         : pat == TITLE_YEAR ? g_pats[NSOURCES + 1] : g_pats[NSOURCES + 2];
}

/* Integer value of named group name (0 if absent or unset). */
static int group_int(pcre2_code *re, pcre2_match_data *md, const char *subj,
                     const char *name) {
  int n = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
  if (n <= 0) return 0;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  if ((uint32_t)n >= pcre2_get_ovector_count(md) || ov[2 * n] == PCRE2_UNSET) return 0;
  int v = 0;
  for (PCRE2_SIZE i = ov[2 * n]; i < ov[2 * n + 1]; i++) {
    char c = subj[i];
    if (c < '0' || c > '9' || v > 100000) break;
    v = v * 10 + (c - '0');
  }
  return v;
}

/* First match of pat in [s, s+len) as a date; false if none or invalid. */
static bool find_date(const char *pat, const char *s, size_t len, ymd *out) {
  pcre2_code *re = compile(pat);
  if (!re) return false;
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  bool found = false;
  PCRE2_SIZE off = 0;
  while (!found && off <= len &&
         pcre2_match(re, (PCRE2_SPTR)s, len, off, PCRE2_NO_UTF_CHECK, md, NULL) >= 0) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    ymd v = {group_int(re, md, s, "y"), group_int(re, md, s, "m"), group_int(re, md, s, "d")};
    if (!v.y) v = (ymd){group_int(re, md, s, "y2"), group_int(re, md, s, "m2"),
                        group_int(re, md, s, "d2")};
    if (v.m < 1 || v.m > 12) v.m = v.d = 0;
    if (v.d && !vnx_date_valid(v.y, v.m, v.d)) v.d = 0;
    if (v.y) {
      *out = v;
      found = true;
    }
    off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
  }
  pcre2_match_data_free(md);
  return found;
}

/* The title date: month + year, else year, from the first TITLE_LINES
 * non-empty paragraphs that are not "Căn cứ" citations. */
static bool title_date(const char *s, ymd *out) {
  bool have_year = false;
  ymd best = {0, 0, 0};
  const char *p = s;
  for (int n = 0; *p && n < TITLE_LINES;) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    const char *q = p;
    while (q < p + len && (*q == ' ' || *q == '\t')) q++;
    if (q < p + len) {
      n++;
      if (strncmp(q, "Căn cứ", strlen("Căn cứ")) != 0) {
        ymd v;
        if (find_date(TITLE_MONTH, p, len, &v)) {
          *out = v;
          return true;
        }
        if (!have_year && find_date(TITLE_YEAR, p, len, &v)) {
          best = v;
          have_year = true;
        }
      }
    }
    if (!e) break;
    p = e + 1;
  }
  if (have_year) *out = best;
  return have_year;
}

/* The first month of a quarter named with the document's year in the title
 * lines ("nhiệm vụ, giải pháp quý II năm 2026" -> 4), 0 if none. Used only
 * as the reference month of the past-deadline filter in vnx_resolve. */

static int title_quarter_month(const char *s, int year) {
  const char *p = s;
  int last = 0;
  for (int n = 0; *p && n < TITLE_LINES;) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    const char *q = p;
    while (q < p + len && (*q == ' ' || *q == '\t')) q++;
    if (q < p + len) {
      n++;
      pcre2_code *re = compile(TITLE_QUARTER);
      if (re) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        PCRE2_SIZE off = 0;
        while (off < len && pcre2_match(re, (PCRE2_SPTR)p, len, off, PCRE2_NO_UTF_CHECK, md, NULL) >= 0) {
          PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
          int qn = pcre2_substring_number_from_name(re, (PCRE2_SPTR)"q");
          int y = group_int(re, md, p, "y");
          size_t qs = ov[2 * qn], qe = ov[2 * qn + 1];
          int qv = vnx_roman_value(p + qs, qe - qs);
          if (!qv && qe - qs == 1) qv = p[qs] - '0';
          if (y == year && qv >= 1 && qv <= 4 && 3 * qv - 2 > last) last = 3 * qv - 2;
          off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
        pcre2_match_data_free(md);
      }
    }
    if (!e) break;
    p = e + 1;
  }
  return last;
}

/* Source i (title_date for i == NSOURCES). */
static bool find_source(const char *s, size_t len, int i, ymd *out) {
  if (i == NSOURCES) return title_date(s, out);
  /* the opening of a notice is near the top; later "Ngày X, ..." paragraphs
   * narrate events */
  size_t n = (i == OPENING_SOURCE && len > OPENING_BYTES) ? OPENING_BYTES : len;
  while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* whole characters */
  return find_date(SOURCES[i], s, n, out);
}

void vnx_resolve_doc_date(vnx_doc *d) {
  if (!d || d->date_forced || !d->text.s) return;
  const char *s = d->text.s;
  size_t len = d->text.len;
  /* The sources in order, each looked for only when the ones before it
   * left the date (or its month) open: most documents have the place-date
   * line, and a source not found costs a scan of the whole text. */
  ymd v = {0, 0, 0};
  int i = 0;
  for (; i <= NSOURCES && !v.y; i++)
    if (!find_source(s, len, i, &v)) v = (ymd){0, 0, 0};
  if (!v.y) return;
  if (!v.m) {
    v.d = 0;
    for (ymd w; i <= NSOURCES; i++)
      if (find_source(s, len, i, &w) && w.y == v.y && w.m) {
        v.m = w.m;
        break;
      }
  }
  d->year = v.y;
  d->month = v.m;
  d->day = v.m ? v.d : 0;
}

/* ---- post-match pass -------------------------------------------------- */

static const char *field_str(const vnx_record *r, const char *key) {
  json_t *v = vnx_fields_get(&r->fields, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static int iso_year(const char *iso) {
  int y = 0;
  for (int i = 0; iso && i < 4 && iso[i] >= '0' && iso[i] <= '9'; i++) y = y * 10 + iso[i] - '0';
  return y;
}

/* The deadline records by line, then nstart, then index: built once per
 * document, on first use (records are neither added nor removed while
 * vnx_resolve looks them up; their dates are read at look-up time, as the
 * pass changes them). */
typedef struct dlindex {
  size_t *v;
  size_t n;
  bool built;
} dlindex;

static _Thread_local const vnx_records *g_dl_recs;
static int cmp_dl(const void *pa, const void *pb) {
  size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
  const vnx_record *x = &g_dl_recs->v[a], *y = &g_dl_recs->v[b];
  if (x->line != y->line) return x->line < y->line ? -1 : 1;
  if (x->nstart != y->nstart) return x->nstart < y->nstart ? -1 : 1;
  return a < b ? -1 : a > b;
}

static void dlindex_build(const vnx_doc *d, dlindex *ix) {
  ix->v = vnx_xmalloc((d->recs.n + 1) * sizeof *ix->v);
  ix->n = 0;
  for (size_t j = 0; j < d->recs.n; j++) {
    const vnx_record *o = &d->recs.v[j];
    if (o->kind && strcmp(o->kind, "deadline") == 0) ix->v[ix->n++] = j;
  }
  g_dl_recs = &d->recs;
  qsort(ix->v, ix->n, sizeof *ix->v, cmp_dl);
  ix->built = true;
}

/* Year of the nearest deadline before record i on the same line (its end,
 * else its start), 0 if none; among deadlines at the same place, the last
 * one in record order. */
static int year_before(const vnx_doc *d, dlindex *ix, size_t i) {
  if (!ix->built) dlindex_build(d, ix);
  const vnx_record *r = &d->recs.v[i];
  size_t lo = 0, hi = ix->n; /* first deadline at or after (line, nstart) */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const vnx_record *o = &d->recs.v[ix->v[mid]];
    if (o->line < r->line || (o->line == r->line && o->nstart < r->nstart)) lo = mid + 1;
    else hi = mid;
  }
  for (size_t k = lo; k-- > 0;) {
    const vnx_record *o = &d->recs.v[ix->v[k]];
    if (o->line != r->line) break;
    if (ix->v[k] == i) continue;
    int oy = iso_year(field_str(o, "end"));
    if (!oy) oy = iso_year(field_str(o, "start"));
    if (oy) return oy;
  }
  return 0;
}

/* Deadline values that depend on their neighbours or the document date:
 *
 *  - `open: true` (set by a rule for "từ quý II/2026", "Quý I/2026 và các
 *    năm tiếp theo", "trong năm 2026 và các năm tiếp theo", a bare "các năm
 *    tiếp theo"): an open-ended range. The end becomes null (the rule's
 *    converter gave the first period) and the flag is removed. If the rule
 *    gave no start (a bare "các năm tiếp theo", as in "Ban hành quý II/2026
 *    và triển khai các năm tiếp theo"), it starts on 1 January of the year
 *    after the nearest deadline before it on the same line (2027-01-01), or
 *    after the document year if there is none.
 *  - "trong các tháng còn lại của năm 2026" starts with the document's month
 *    when the document is dated in that year (the rule gives the end). */
void vnx_resolve(vnx_doc *d) {
  if (!d) return;
  dlindex dix = {NULL, 0, false};
  for (size_t i = 0; i < d->recs.n; i++) {
    vnx_record *r = &d->recs.v[i];
    if (!r->kind || strcmp(r->kind, "deadline") != 0) continue;
    char iso[11];
    if (json_is_true(vnx_fields_get(&r->fields, "open"))) {
      vnx_fields_del(&r->fields, "open");
      vnx_fields_set(&r->fields, "end", json_null());
      if (field_str(r, "start")) continue;
      int y = year_before(d, &dix, i);
      if (!y) y = d->year;
      if (y) {
        vnx_iso_date(iso, y + 1, 1, 1);
        vnx_fields_set(&r->fields, "start", json_string(iso));
      }
    } else if (r->text && strstr(r->text, "ác tháng còn lại") && !field_str(r, "start")) {
      int y = iso_year(field_str(r, "end"));
      if (y && y == d->year && d->month) {
        vnx_iso_date(iso, y, d->month, 1);
        vnx_fields_set(&r->fields, "start", json_string(iso));
      }
    }
  }
  free(dix.v);

  /* A document sets deadlines for its own time and after: a deadline that
   * ends before the first day of the document's month is a period being
   * reported on ("Quý I/2026, thành phố ước tổ chức ...", "trong tháng 3" in
   * a report dated April), not a deadline. Records with an open or null end
   * (recurring, "... và các năm tiếp theo") are kept. Without a document
   * month, the first month of the latest quarter the title names with the
   * document's year serves as reference ("nhiệm vụ, giải pháp quý II năm
   * 2026" -> April); without either, nothing is dropped. */
  int ref_m = d->month;
  if (!ref_m && d->year && d->text.s) ref_m = title_quarter_month(d->text.s, d->year);
  if (!d->year || !ref_m) return;
  char ref[11];
  vnx_iso_date(ref, d->year, ref_m, 1);
  size_t keep = 0;
  for (size_t i = 0; i < d->recs.n; i++) {
    vnx_record *r = &d->recs.v[i];
    const char *end = NULL;
    if (r->kind && strcmp(r->kind, "deadline") == 0) end = field_str(r, "end");
    if (end && strcmp(end, ref) < 0) {
      vnx_record_text_free(r);
      vnx_fields_free(&r->fields);
      continue;
    }
    d->recs.v[keep++] = *r;
  }
  d->recs.n = keep;
}
