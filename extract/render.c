/* render.c - `vnextract render`: one self-contained HTML report of a corpus.
 *
 * Per document: its metadata, an SVG timeline of deadlines by lead body, a
 * sortable table of tasks (or of deadlines while there are no tasks), and
 * the original text with every span record as one <mark>. Inline CSS and
 * JS only: the file is mailed around and opened offline, so it must never
 * load anything. The output depends only on the inputs and --as-of. */
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* ---- escaping ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  unsigned cp = c & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/* HTML text and attribute values alike. Invalid UTF-8 (--lossy input) and
 * control characters become U+FFFD so the page stays well-formed; CR is
 * dropped (CRLF files). */
static void esc_n(FILE *f, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    unsigned c = p[i];
    switch (c) {
    case '&': fputs("&amp;", f); i++; continue;
    case '<': fputs("&lt;", f); i++; continue;
    case '>': fputs("&gt;", f); i++; continue;
    case '"': fputs("&quot;", f); i++; continue;
    case '\'': fputs("&#39;", f); i++; continue;
    case '\r': i++; continue;
    default: break;
    }
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
      fputs("\xef\xbf\xbd", f);
      i++;
      continue;
    }
    size_t len = utf8_len(p + i, n - i);
    if (!len) {
      fputs("\xef\xbf\xbd", f);
      i++;
      continue;
    }
    fwrite(p + i, 1, len, f);
    i += len;
  }
}

static void esc(FILE *f, const char *s) {
  if (s) esc_n(f, s, strlen(s));
}

/* JSON inside <script type="application/json">: '<', '>' and '&' only occur
 * in strings, where \u escapes are equivalent, so "</script>" and "<!--"
 * cannot end or confuse the element. */
static void json_script(FILE *f, const json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
  if (!s) return;
  for (const char *p = s; *p; p++) {
    if (*p == '<') fputs("\\u003c", f);
    else if (*p == '>') fputs("\\u003e", f);
    else if (*p == '&') fputs("\\u0026", f);
    else fputc(*p, f);
  }
  vnx_json_free(s);
}

static void put_json_value(FILE *f, const json_t *j) {
  switch (json_typeof(j)) {
  case JSON_STRING: esc(f, json_string_value(j)); break;
  case JSON_INTEGER: fprintf(f, "%lld", (long long)json_integer_value(j)); break;
  case JSON_REAL: fprintf(f, "%.15g", json_real_value(j)); break;
  case JSON_TRUE: fputs("yes", f); break;
  case JSON_FALSE: fputs("no", f); break;
  case JSON_NULL: fputs("\xe2\x80\x94", f); break;
  case JSON_ARRAY: {
    size_t i;
    json_t *e;
    json_array_foreach(j, i, e) {
      if (i) fputs(", ", f);
      put_json_value(f, e);
    }
    if (json_array_size(j) == 0) fputs("\xe2\x80\x94", f);
    break;
  }
  default: {
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    esc(f, s);
    vnx_json_free(s);
  }
  }
}

/* ---- the report ---------------------------------------------------------- */

typedef struct doc_entry {
  char *path;
  char *error; /* the document failed: why */
  char *date;  /* from the document record, or NULL */
  char *title; /* likewise */
  char *html;  /* its section */
  size_t html_len;
  size_t ndeadline, ntask, nindicator, nbody, nspans, noverdue, nwarn;
} doc_entry;

struct vnx_html {
  char as_of[11];
  long as_of_days;
  doc_entry *v;
  size_t n, cap;
};

vnx_html *vnx_html_new(const char *as_of) {
  vnx_html *h = vnx_xcalloc(1, sizeof *h);
  snprintf(h->as_of, sizeof h->as_of, "%s", as_of);
  if (!vnx_view_iso_days(h->as_of, &h->as_of_days)) h->as_of_days = 0;
  return h;
}

void vnx_html_free(vnx_html *h) {
  if (!h) return;
  for (size_t i = 0; i < h->n; i++) {
    free(h->v[i].path);
    free(h->v[i].error);
    free(h->v[i].date);
    free(h->v[i].title);
    free(h->v[i].html);
  }
  free(h->v);
  free(h);
}

/* A task table row / timeline item: a task, or a deadline while the
 * document has no tasks. */
typedef struct item {
  const vnx_record *r;
  const vnx_record *dl; /* its deadline, or NULL */
  char *lead;           /* "A, B", or NULL: (no body) */
  const char *section;
  long s, e; /* days; valid when dated */
  bool dated, overdue;
  const char *sort_date; /* ISO end, else start; "" undated */
} item;

static const char *fstr(const vnx_record *r, const char *key) {
  return r ? json_string_value(vnx_fields_get(&r->fields, key)) : NULL;
}

static void item_dates(item *it, long as_of) {
  const char *st = fstr(it->dl, "start"), *en = fstr(it->dl, "end");
  long s, e;
  bool hs = vnx_view_iso_days(st, &s), he = vnx_view_iso_days(en, &e);
  it->sort_date = he ? en : hs ? st : "";
  if (!hs && !he) return;
  it->dated = true;
  it->s = hs ? s : e;
  it->e = he ? e : s;
  if (it->e < it->s) it->e = it->s;
  /* overdue: the last day to do it is before the as-of date */
  it->overdue = he && e < as_of;
}

static int cmp_label(const char *a, const char *b) {
  /* "(no body)" rows go last */
  if (!a || !b) return !a - !b;
  return strcmp(a, b);
}

/* ---- timeline ------------------------------------------------------------ */

enum { TL_LABEL = 250, TL_PLOT = 880, TL_PAD = 14, TL_LANE = 14, TL_AXIS = 34, TL_ROWPAD = 6 };

static double tl_x(long day, long lo, long hi) {
  return TL_LABEL + TL_PAD + (double)(day - lo) * (TL_PLOT - 2 * TL_PAD) / (double)(hi - lo);
}

static void civil(long z, int *y, int *m, int *d) {
  /* civil from days, H. Hinnant's algorithm (inverse of vnx_view_iso_days) */
  z += 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

static long days_of(int y, int m, int d) {
  char iso[11];
  long days = 0;
  vnx_iso_date(iso, y, m, d);
  vnx_view_iso_days(iso, &days);
  return days;
}

/* A label shortened to n code points, for the row names. */
static void esc_trunc(FILE *f, const char *s, size_t n) {
  size_t i = 0, cps = 0;
  while (s[i] && cps < n) {
    i++;
    while ((s[i] & 0xC0) == 0x80) i++;
    cps++;
  }
  esc_n(f, s, i);
  if (s[i]) fputs("\xe2\x80\xa6", f);
}

static int cmp_item_row(const void *pa, const void *pb) {
  const item *a = *(const item *const *)pa, *b = *(const item *const *)pb;
  int c = cmp_label(a->lead, b->lead);
  if (c) return c;
  if (a->s != b->s) return a->s < b->s ? -1 : 1;
  if (a->e != b->e) return a->e < b->e ? -1 : 1;
  return a->r->start < b->r->start ? -1 : a->r->start > b->r->start;
}

static void timeline(FILE *f, const vnx_html *h, const vnx_view *v, item *items, size_t n,
                     const char *pfx) {
  item **dated = vnx_xcalloc(n + 1, sizeof *dated);
  size_t nd = 0;
  long lo = h->as_of_days, hi = h->as_of_days;
  for (size_t i = 0; i < n; i++) {
    if (!items[i].dated) continue;
    dated[nd++] = &items[i];
    if (items[i].s < lo) lo = items[i].s;
    if (items[i].e > hi) hi = items[i].e;
  }
  if (nd == 0) {
    fputs("<p class=\"muted\">No dated deadlines: nothing to put on a timeline.</p>\n", f);
    free(dated);
    return;
  }
  qsort(dated, nd, sizeof *dated, cmp_item_row);
  /* a little air either side, and never a zero-length axis */
  long span = hi - lo;
  long pad = span / 30 + 7;
  lo -= pad;
  hi += pad;

  /* lanes: inside a row, an item goes to the first lane where it does not
   * touch the previous one (points are given a few days' width) */
  long min_w = (hi - lo) / 90 + 1;
  int *lane = vnx_xcalloc(nd, sizeof *lane);
  long *lane_end = vnx_xcalloc(nd, sizeof *lane_end);
  double *row_y = vnx_xcalloc(nd, sizeof *row_y);
  int *row_lanes = vnx_xcalloc(nd, sizeof *row_lanes);
  size_t *row_of = vnx_xcalloc(nd, sizeof *row_of);
  size_t nrows = 0;
  for (size_t i = 0; i < nd; i++) {
    if (i == 0 || cmp_label(dated[i]->lead, dated[i - 1]->lead) != 0) row_lanes[nrows++] = 0;
    size_t row = nrows - 1;
    row_of[i] = row;
    int l = 0;
    size_t first = i;
    while (first > 0 && row_of[first - 1] == row) first--;
    /* lane_end is per row: reset by scanning this row's items only */
    for (;; l++) {
      bool ok = true;
      for (size_t k = first; k < i; k++)
        if (lane[k] == l && lane_end[k] + min_w > dated[i]->s) ok = false;
      if (ok) break;
    }
    lane[i] = l;
    lane_end[i] = dated[i]->e > dated[i]->s + min_w ? dated[i]->e : dated[i]->s + min_w;
    if (l + 1 > row_lanes[row]) row_lanes[row] = l + 1;
  }
  double y = TL_AXIS;
  for (size_t r = 0; r < nrows; r++) {
    row_y[r] = y;
    y += row_lanes[r] * TL_LANE + 2 * TL_ROWPAD;
  }
  double height = y + 8;
  int width = TL_LABEL + TL_PLOT;

  fprintf(f,
          "<svg class=\"timeline\" role=\"img\" viewBox=\"0 0 %d %.0f\" width=\"%d\" height=\"%.0f\" "
          "aria-label=\"Timeline of %zu deadlines by lead body\">\n",
          width, height, width, height, nd);
  /* rows: band, label */
  for (size_t r = 0, i = 0; r < nrows; r++) {
    double rh = row_lanes[r] * TL_LANE + 2 * TL_ROWPAD;
    const char *label = dated[i]->lead ? dated[i]->lead : "(no body)";
    fprintf(f, "<g class=\"tl-row\"><rect class=\"band%s\" x=\"0\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>",
            r % 2 ? " odd" : "", row_y[r], width, rh);
    fprintf(f, "<text class=\"tl-label\" x=\"6\" y=\"%.1f\"><title>", row_y[r] + TL_ROWPAD + 11);
    esc(f, label);
    fputs("</title>", f);
    esc_trunc(f, label, 36);
    fputs("</text></g>\n", f);
    while (i < nd && row_of[i] == r) i++;
  }
  /* axis: months when the range is short, else years */
  int y0, m0, d0, y1, m1, d1;
  civil(lo, &y0, &m0, &d0);
  civil(hi, &y1, &m1, &d1);
  long months = (long)(y1 - y0) * 12 + (m1 - m0) + 1;
  /* the smallest step that leaves room for a "05/2026" label */
  static const int steps[] = {1, 2, 3, 6, 12, 24, 60};
  int step = 60;
  for (size_t k = 0; k < sizeof steps / sizeof *steps; k++)
    if ((double)(TL_PLOT - 2 * TL_PAD) / (double)months * steps[k] >= 64) {
      step = steps[k];
      break;
    }
  int ty = y0, tm = step >= 12 ? 1 : ((m0 - 1) / step) * step + 1;
  for (;;) {
    long day = days_of(ty, tm, 1);
    if (day > hi) break;
    if (day >= lo) {
      double x = tl_x(day, lo, hi);
      fprintf(f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\"/>", x, TL_AXIS - 6, x,
              height - 8);
      if (step >= 12) fprintf(f, "<text class=\"tick-l\" x=\"%.1f\" y=\"%d\">%d</text>\n", x, TL_AXIS - 10, ty);
      else fprintf(f, "<text class=\"tick-l\" x=\"%.1f\" y=\"%d\">%02d/%d</text>\n", x, TL_AXIS - 10, tm, ty);
    }
    if (step >= 12) {
      ty += step / 12;
    } else {
      tm += step;
      while (tm > 12) tm -= 12, ty++;
    }
  }
  /* today (or --as-of) */
  double tx = tl_x(h->as_of_days, lo, hi);
  fprintf(f,
          "<line class=\"today\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\"/>"
          "<text class=\"today-l\" x=\"%.1f\" y=\"12\" text-anchor=\"%s\">as of %s</text>\n",
          tx, TL_AXIS - 4, tx, height - 4, tx,
          tx > width - 70 ? "end" : tx < TL_LABEL + 70 ? "start" : "middle", h->as_of);
  /* items */
  for (size_t i = 0; i < nd; i++) {
    const item *it = dated[i];
    char id[40];
    const vnx_record *target = it->r;
    vnx_record_id(v->d->stem, target, id);
    double cy = row_y[row_of[i]] + TL_ROWPAD + lane[i] * TL_LANE + TL_LANE / 2.0;
    double x0 = tl_x(it->s, lo, hi), x1 = tl_x(it->e + 1, lo, hi);
    fprintf(f, "<g class=\"tl-item%s\" data-id=\"%s\" data-href=\"#%s-%s\" tabindex=\"0\"><title>", it->overdue ? " overdue" : "", id, pfx, id);
    esc(f, it->dl ? it->dl->text : it->r->text);
    fputs(" \xe2\x80\x94 ", f);
    char *sum = NULL;
    size_t sl = 0;
    FILE *sf = open_memstream(&sum, &sl);
    if (sf) {
      vnx_view_summary(v, it->dl ? it->dl : it->r, sf);
      fclose(sf);
      esc(f, sum);
      free(sum);
    }
    fputs("</title>", f);
    if (fstr(it->dl, "start") && x1 - x0 > 3) {
      /* a period: a bar over it, with the end marked */
      fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\" rx=\"3\"/>", x0, cy - 4, x1 - x0);
    } else {
      /* a date: a diamond on the last day */
      double x = fstr(it->dl, "end") ? tl_x(it->e, lo, hi) : x0;
      fprintf(f, "<path d=\"M%.1f %.1fl5 5l-5 5l-5 -5z\"/>", x, cy - 5);
    }
    fputs("</g>\n", f);
  }
  fputs("</svg>\n", f);
  if (nd < n)
    fprintf(f, "<p class=\"muted\">%zu without a date (not on the timeline).</p>\n", n - nd);
  free(lane);
  free(lane_end);
  free(row_y);
  free(row_lanes);
  free(row_of);
  free(dated);
}

/* ---- the task (or deadline) table ----------------------------------------- */

/* The original line(s) a span is on, the span itself in bold: a deadline
 * alone ("trước ngày 13/5") says nothing about what is due. */
static void context(FILE *f, const vnx_doc *d, const vnx_record *r) {
  unsigned l0 = vnx_doc_line_of(d, r->start);
  unsigned l1 = vnx_doc_line_of(d, r->end > r->start ? r->end - 1 : r->start);
  size_t a = d->line_starts[l0 - 1];
  size_t b = l1 < d->nlines ? d->line_starts[l1] : d->orig_len;
  size_t s = r->start < a ? a : r->start, e = r->end > b ? b : r->end;
  if (e < s) e = s;
  esc_n(f, d->orig + a, s - a);
  fputs("<b>", f);
  esc_n(f, d->orig + s, e - s);
  fputs("</b>", f);
  esc_n(f, d->orig + e, b - e);
}

static void table(FILE *f, const vnx_view *v, const item *items, size_t n, bool tasks,
                  const char *pfx) {
  if (n == 0) {
    fputs("<p class=\"muted\">No tasks or deadlines were extracted.</p>\n", f);
    return;
  }
  fprintf(f,
          "<table class=\"items sortable\">\n<thead><tr>"
          "<th><button type=\"button\" data-type=\"num\">Line</button></th>"
          "<th>%s</th>"
          "<th><button type=\"button\" data-type=\"text\">Lead body</button></th>"
          "<th><button type=\"button\" data-type=\"text\">Section</button></th>"
          "<th><button type=\"button\" data-type=\"text\">Deadline</button></th>"
          "<th>Status</th></tr></thead>\n<tbody>\n",
          tasks ? "Task" : "Deadline in its line");
  for (size_t i = 0; i < n; i++) {
    const item *it = &items[i];
    char id[40];
    vnx_record_id(v->d->stem, it->r, id);
    fprintf(f, "<tr data-idx=\"%zu\"%s>", i, it->overdue ? " class=\"overdue\"" : "");
    fprintf(f, "<td data-sort=\"%u\"><a href=\"#%s-%s\">%u</a></td><td>", it->r->line, pfx, id,
            it->r->line);
    if (tasks) {
      const char *t = fstr(it->r, "text");
      esc(f, t ? t : it->r->text);
    } else {
      context(f, v->d, it->r);
    }
    fputs("</td><td data-sort=\"", f);
    esc(f, it->lead ? it->lead : "");
    fputs("\">", f);
    esc(f, it->lead ? it->lead : "(no body)");
    fputs("</td><td data-sort=\"", f);
    esc(f, it->section ? it->section : "");
    fputs("\">", f);
    esc(f, it->section ? it->section : "");
    fprintf(f, "</td><td data-sort=\"%s\">", it->sort_date);
    if (it->dl) {
      char *sum = NULL;
      size_t sl = 0;
      FILE *sf = open_memstream(&sum, &sl);
      if (sf) {
        vnx_view_summary(v, it->dl, sf);
        fclose(sf);
        /* "deadline before 2026-06-15" -> "before 2026-06-15" */
        esc(f, sum + (strncmp(sum, "deadline ", 9) == 0 ? 9 : 0));
        free(sum);
      }
    }
    fprintf(f, "</td><td>%s</td></tr>\n",
            it->overdue ? "<span class=\"badge overdue\">overdue</span>"
                        : it->dated ? "open" : "");
  }
  fputs("</tbody></table>\n", f);
}

/* ---- the text ------------------------------------------------------------ */

typedef struct text_ctx {
  FILE *f;
  const vnx_doc *d;
  const vnx_view *v;
  const char *pfx;
  const vnx_warnings *w;
  const char *unres; /* unres[L]: a record starting on line L is unresolved */
  unsigned line;
  bool at_line_start;
  bool *cont; /* per open element: a continuation <span>, not the <mark> */
  const vnx_record **open; /* the records of the open elements */
  size_t depth;
} text_ctx;

static void open_cont(text_ctx *t, const vnx_record *r) {
  char id[40];
  vnx_record_id(t->d->stem, r, id);
  fprintf(t->f, "<span class=\"k-%s cont\" data-id=\"%s\">", r->kind, id);
}

static void line_number(text_ctx *t) {
  bool warn = vnx_warnings_on_line(t->w, t->line);
  bool unres = t->line < t->d->nlines + 1 && t->unres[t->line];
  fprintf(t->f, "<span class=\"ln%s%s\" data-n=\"%u\"", warn ? " warn" : "", unres ? " unres" : "",
          t->line);
  if (warn) {
    fputs(" title=\"", t->f);
    for (size_t i = 0; i < t->w->n; i++)
      if (t->w->v[i].line == t->line) {
        esc_n(t->f, t->w->v[i].msg, t->w->v[i].len);
        fputs("&#10;", t->f);
      }
    fputc('"', t->f);
  }
  fputs("></span>", t->f);
  t->at_line_start = false;
}

static void tx_text(void *ctx, size_t from, size_t to) {
  text_ctx *t = ctx;
  const char *s = t->d->orig;
  while (from < to) {
    if (t->at_line_start) line_number(t);
    const char *nl = memchr(s + from, '\n', to - from);
    size_t stop = nl ? (size_t)(nl - s) + 1 : to;
    /* a span across lines is closed before the newline and continued after
     * the line number, so the numbers stay out of the highlighting */
    esc_n(t->f, s + from, stop - from - (nl ? 1 : 0));
    if (nl) {
      for (size_t i = t->depth; i-- > 0;) fputs(t->cont[i] ? "</span>" : "</mark>", t->f);
      fputc('\n', t->f);
    }
    from = stop;
    if (nl) {
      t->line++;
      /* no number for the empty "line" after the final newline */
      t->at_line_start = from < t->d->orig_len;
      if (t->at_line_start) line_number(t);
      for (size_t i = 0; i < t->depth; i++) {
        open_cont(t, t->open[i]);
        t->cont[i] = true;
      }
    }
  }
}

static void tx_open(void *ctx, const vnx_record *r, bool resumed) {
  text_ctx *t = ctx;
  char id[40];
  vnx_record_id(t->d->stem, r, id);
  bool unres = vnx_fields_get(&r->fields, "unresolved") != NULL;
  if (t->at_line_start && r->start < t->d->orig_len) line_number(t);
  t->open[t->depth] = r;
  t->cont[t->depth++] = resumed;
  if (resumed) {
    /* the rest of a span that had to be closed for a crossing one */
    open_cont(t, r);
    return;
  }
  fprintf(t->f, "<mark class=\"k-%s%s\" id=\"%s-%s\" data-id=\"%s\" tabindex=\"0\">", r->kind,
          unres ? " unresolved" : "", t->pfx, id, id);
}

static void tx_close(void *ctx, const vnx_record *r, bool suspended) {
  text_ctx *t = ctx;
  (void)r;
  (void)suspended;
  /* the walker closes what it opened last */
  fputs(t->cont[--t->depth] ? "</span>" : "</mark>", t->f);
}

/* ---- one document -------------------------------------------------------- */

static int cmp_item_line(const void *pa, const void *pb) {
  const item *a = pa, *b = pb;
  if (a->r->start != b->r->start) return a->r->start < b->r->start ? -1 : 1;
  return 0;
}

static void kinds_legend(FILE *f, const doc_entry *e) {
  fprintf(f,
          "<p class=\"legend\"><span class=\"chip k-deadline\">deadline</span> %zu "
          "<span class=\"chip k-body\">body</span> %zu "
          "<span class=\"chip k-indicator\">indicator</span> %zu "
          "<span class=\"chip k-task\">task</span> %zu</p>\n",
          e->ndeadline, e->nbody, e->nindicator, e->ntask);
}

static void render_doc(FILE *f, const vnx_html *h, size_t idx, const vnx_doc *d,
                       const char *warnings, doc_entry *e) {
  vnx_view v;
  vnx_view_init(&v, d);
  vnx_warnings w;
  vnx_warnings_parse(&w, d->path, warnings);
  char pfx[32];
  snprintf(pfx, sizeof pfx, "d%zu", idx + 1);
  const vnx_record *docrec = NULL;
  const vnx_record **spans = vnx_xcalloc(d->recs.n + 1, sizeof *spans);
  size_t nspans = 0;
  char *unres = vnx_xcalloc(d->nlines + 2, 1);
  for (size_t i = 0; i < d->recs.n; i++) {
    const vnx_record *r = &d->recs.v[i];
    if (!vnx_view_is_span(r)) {
      if (!docrec) docrec = r;
      continue;
    }
    spans[nspans++] = r;
    if (strcmp(r->kind, "deadline") == 0) e->ndeadline++;
    else if (strcmp(r->kind, "task") == 0) e->ntask++;
    else if (strcmp(r->kind, "indicator") == 0) e->nindicator++;
    else if (strcmp(r->kind, "body") == 0) e->nbody++;
    if (vnx_fields_get(&r->fields, "unresolved") && r->line <= d->nlines) unres[r->line] = 1;
  }
  e->nspans = nspans;
  e->nwarn = w.n;
  if (docrec) {
    const char *date = fstr(docrec, "date"), *title = fstr(docrec, "title");
    if (date) e->date = vnx_xstrdup(date);
    if (title) e->title = vnx_xstrdup(title);
  }

  /* items: the tasks, else every deadline */
  bool tasks = e->ntask > 0;
  item *items = vnx_xcalloc(nspans + 1, sizeof *items);
  size_t nitems = 0;
  for (size_t i = 0; i < nspans; i++) {
    const vnx_record *r = spans[i];
    if (strcmp(r->kind, tasks ? "task" : "deadline") != 0) continue;
    item *it = &items[nitems++];
    it->r = r;
    it->dl = vnx_view_deadline_of(&v, r);
    it->lead = tasks ? vnx_view_lead_names(&v, r) : NULL;
    it->section = tasks ? fstr(r, "section") : NULL;
    item_dates(it, h->as_of_days);
    if (it->overdue) e->noverdue++;
  }
  qsort(items, nitems, sizeof *items, cmp_item_line);

  fprintf(f, "<section class=\"doc\" id=\"doc-%zu\">\n<h2>%zu. ", idx + 1, idx + 1);
  esc(f, d->stem);
  fputs("</h2>\n<dl class=\"meta\">", f);
  fputs("<dt>path</dt><dd>", f);
  esc(f, d->path);
  fputs("</dd>", f);
  if (docrec) {
    for (uint32_t i = 0; i < docrec->fields.n; i++) {
      fputs("<dt>", f);
      esc(f, docrec->fields.v[i].key);
      fputs("</dt><dd>", f);
      put_json_value(f, docrec->fields.v[i].val);
      fputs("</dd>", f);
    }
  }
  fputs("</dl>\n", f);
  kinds_legend(f, e);
  if (w.n) {
    fputs("<details class=\"warnings\"><summary>", f);
    fprintf(f, "%zu warning%s</summary><ul>", w.n, w.n == 1 ? "" : "s");
    for (size_t i = 0; i < w.n; i++) {
      fputs("<li>", f);
      if (w.v[i].line) fprintf(f, "line %u: ", w.v[i].line);
      esc_n(f, w.v[i].msg, w.v[i].len);
      fputs("</li>", f);
    }
    fputs("</ul></details>\n", f);
  }

  fputs("<h3>Timeline</h3>\n", f);
  timeline(f, h, &v, items, nitems, pfx);
  fprintf(f, "<h3>%s</h3>\n", tasks ? "Tasks" : "Deadlines");
  table(f, &v, items, nitems, tasks, pfx);

  fputs("<h3>Text</h3>\n<pre class=\"text\">", f);
  text_ctx t = {.f = f, .d = d, .v = &v, .pfx = pfx, .w = &w, .unres = unres, .line = 1,
                .at_line_start = d->orig_len > 0,
                .cont = vnx_xcalloc(nspans + 1, sizeof(bool)),
                .open = vnx_xcalloc(nspans + 1, sizeof(const vnx_record *))};
  vnx_span_cb cb = {tx_text, tx_open, tx_close};
  vnx_spans_walk(d, spans, nspans, &cb, &t);
  free(t.cont);
  free(t.open);
  fputs("</pre>\n", f);

  /* every record, for the popovers */
  json_t *all = json_object();
  for (size_t i = 0; i < d->recs.n; i++)
    json_object_set_new(all, v.ids[i], vnx_record_json(d, &d->recs.v[i]));
  fputs("<script type=\"application/json\" class=\"recs\">", f);
  json_script(f, all);
  fputs("</script>\n</section>\n", f);
  json_decref(all);

  for (size_t i = 0; i < nitems; i++) free(items[i].lead);
  free(items);
  free(unres);
  free(spans);
  vnx_warnings_free(&w);
  vnx_view_free(&v);
}

void vnx_html_add(vnx_html *h, const char *path, const vnx_doc *d, const vnx_error *err,
                  const char *warnings) {
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 16;
    h->v = vnx_xrealloc(h->v, h->cap * sizeof *h->v);
  }
  doc_entry *e = &h->v[h->n];
  memset(e, 0, sizeof *e);
  e->path = vnx_xstrdup(path);
  if (!d) {
    e->error = vnx_xstrdup(err ? err->msg : "failed");
  } else {
    /* sections are rendered now, while the document is in memory, and
     * written after the overview, which needs every document's counts */
    FILE *f = open_memstream(&e->html, &e->html_len);
    if (!f) {
      e->error = vnx_xstrdup("out of memory");
    } else {
      render_doc(f, h, h->n, d, warnings, e);
      if (fclose(f) != 0) e->error = vnx_xstrdup("out of memory");
    }
  }
  h->n++;
}

/* ---- page ---------------------------------------------------------------- */

static const char css[] =
    ":root{--bg:#fff;--fg:#1d1d1f;--muted:#6b6b70;--line:#d9d9de;--over:#c0392b;--open:#2a6fb0;"
    "--today:#e67e22}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;padding:0 1.5rem 4rem;background:var(--bg);color:var(--fg);"
    "font-family:system-ui,\"Noto Sans\",\"DejaVu Sans\",sans-serif;font-size:15px;line-height:1.45}\n"
    "header{padding:1rem 0 .5rem;border-bottom:1px solid var(--line)}\n"
    "h1{font-size:1.4rem;margin:0}h2{font-size:1.2rem;margin:2.5rem 0 .5rem;padding-top:1rem;"
    "border-top:2px solid var(--line)}h3{font-size:1rem;margin:1.5rem 0 .4rem}\n"
    ".muted{color:var(--muted)}\n"
    "table{border-collapse:collapse;margin:.4rem 0}th,td{border-bottom:1px solid var(--line);"
    "padding:.25rem .5rem;text-align:left;vertical-align:top}\n"
    "td.n,th.n{text-align:right}tfoot td{font-weight:600}\n"
    "th button{font:inherit;font-weight:600;border:0;background:none;padding:0;cursor:pointer;"
    "color:inherit}th button::after{content:\" \\2195\";color:var(--muted)}\n"
    "th[aria-sort=ascending] button::after{content:\" \\2191\"}"
    "th[aria-sort=descending] button::after{content:\" \\2193\"}\n"
    "table.items{width:100%}table.items td:nth-child(2){max-width:46rem}\n"
    "tr.overdue td{color:var(--over)}.badge{display:inline-block;padding:0 .4rem;border-radius:.6rem;"
    "font-size:.8rem}.badge.overdue{background:var(--over);color:#fff}\n"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.3rem 0}"
    "dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}\n"
    "mark{background:none;color:inherit;border-radius:2px}\n"
    ".k-deadline{background:#ffe08a}.k-body{background:#bfe0ff}.k-indicator{background:#c5efc0}"
    ".k-task{box-shadow:inset 0 -2px 0 #8e5bd0}"
    "mark:not(.k-deadline):not(.k-body):not(.k-indicator):not(.k-task){background:#f4c6e6}\n"
    "mark.unresolved{outline:2px dashed var(--over);outline-offset:1px}\n"
    "mark[data-id]:focus,.hl{outline:2px solid #333;outline-offset:1px}\n"
    "pre.text{white-space:pre-wrap;overflow-wrap:anywhere;font:inherit;line-height:1.6;"
    "border:1px solid var(--line);padding:.5rem;background:#fcfcfd}\n"
    ".ln{display:inline-block;width:4.5ch;margin-right:1ch;text-align:right;color:var(--muted);"
    "background:#fcfcfd;box-shadow:none;user-select:none;font-size:.8em}"
    ".ln::before{content:attr(data-n)}.ln.warn,.ln.unres{color:#fff;background:var(--over)}\n"
    ".chip{padding:0 .3rem;margin-left:.6rem;border-radius:2px}.chip:first-child{margin-left:0}\n"
    "svg.timeline{display:block;max-width:100%;height:auto;font-size:12px;"
    "font-family:system-ui,\"Noto Sans\",\"DejaVu Sans\",sans-serif}\n"
    ".band{fill:#f6f6f8}.band.odd{fill:#fff}.tl-label{fill:var(--fg)}"
    ".tick{stroke:var(--line)}.tick-l{fill:var(--muted);text-anchor:middle}\n"
    ".today{stroke:var(--today);stroke-width:2;stroke-dasharray:4 3}"
    ".today-l{fill:var(--today);font-weight:600}\n"
    ".tl-item{fill:var(--open);cursor:pointer}.tl-item.overdue{fill:var(--over);opacity:.85}"
    ".tl-item:focus,.tl-item:hover{stroke:#000;stroke-width:1.5;outline:none}\n"
    "#pop{position:absolute;z-index:10;max-width:32rem;background:#fff;border:1px solid #999;"
    "border-radius:4px;box-shadow:0 4px 16px rgba(0,0,0,.18);padding:.4rem .6rem;font-size:.85rem}"
    "#pop .pop-h{font-weight:600;margin-bottom:.2rem}#pop th{color:var(--muted);font-weight:400}"
    "#pop td,#pop th{border:0;padding:0 .5rem 0 0}\n"
    "details.warnings{color:var(--over)}\n";

/* Popovers on hover and focus, from each section's record data; sortable
 * tables. Strict mode, no globals, nothing fetched. */
static const char js[] =
    "(function(){'use strict';\n"
    "var pop=document.getElementById('pop'),cur=null,cache=new Map();\n"
    "function recs(sec){if(!cache.has(sec)){var s=sec.querySelector('script.recs');"
    "cache.set(sec,s?JSON.parse(s.textContent):{});}return cache.get(sec);}\n"
    "function fmt(v){if(v===null||v===undefined)return '\\u2014';if(Array.isArray(v))return v.map(fmt).join(', ');"
    "if(typeof v==='object')return JSON.stringify(v);return String(v);}\n"
    "function show(el){var sec=el.closest('section.doc');if(!sec)return;var all=recs(sec);hide();"
    "var r=all[el.getAttribute('data-id')];if(!r)return;pop.textContent='';\n"
    "var h=document.createElement('div');h.className='pop-h';h.textContent=r.kind+' \\u00b7 '+r.rule;"
    "pop.appendChild(h);var t=document.createElement('table');pop.appendChild(t);\n"
    "function row(k,v){var tr=t.insertRow(),th=document.createElement('th');th.textContent=k;"
    "tr.appendChild(th);tr.insertCell().textContent=fmt(v);}\n"
    "row('text',r.text);row('line',r.line);\n"
    "Object.keys(r).forEach(function(k){if(['id','doc','kind','rule','span','text','line'].indexOf(k)>=0)return;"
    "var v=r[k];if(k==='lead'&&Array.isArray(v))v=v.map(function(i){var b=all[i];"
    "return b?(b.canonical||b.name||b.text):i;});"
    "else if(k==='deadline'&&typeof v==='string'&&all[v])v=all[v].text+' \\u2192 '+fmt(all[v].end||all[v].start);"
    "row(k,v);});row('id',r.id);\n"
    "pop.hidden=false;var b=el.getBoundingClientRect(),w=document.documentElement.clientWidth;"
    "pop.style.left=Math.max(4,Math.min(b.left,w-pop.offsetWidth-8))+window.scrollX+'px';"
    "pop.style.top=(b.bottom+window.scrollY+6)+'px';el.setAttribute('aria-describedby','pop');cur=el;\n"
    /* a span across lines is a mark and its continuations: light them all */
    "sec.querySelectorAll('[data-id=\"'+r.id+'\"]').forEach(function(x){x.classList.add('hl');});}\n"
    "function hide(){if(cur){cur.removeAttribute('aria-describedby');"
    "document.querySelectorAll('.hl').forEach(function(x){x.classList.remove('hl');});cur=null;}pop.hidden=true;}\n"
    "function tgt(e){var n=e.target;return n&&n.closest?n.closest('[data-id]'):null;}\n"
    "document.addEventListener('mouseover',function(e){var el=tgt(e);if(el)show(el);});\n"
    "document.addEventListener('mouseout',function(e){var el=tgt(e);if(el&&el===cur&&"
    "!(e.relatedTarget&&el.contains(e.relatedTarget)))hide();});\n"
    "document.addEventListener('focusin',function(e){var el=tgt(e);if(el)show(el);});\n"
    "document.addEventListener('focusout',function(){hide();});\n"
    "document.addEventListener('keydown',function(e){if(e.key==='Escape')hide();"
    "if((e.key==='Enter'||e.key===' ')&&e.target.classList&&e.target.classList.contains('tl-item')){"
    "var m=document.querySelector(e.target.getAttribute('data-href'));if(m){e.preventDefault();m.focus();}}});\n"
    /* a press elsewhere closes the popover, so it never hides what is clicked next */
    "document.addEventListener('pointerdown',function(e){if(!tgt(e))hide();},true);\n"
    "document.addEventListener('click',function(e){var g=e.target.closest&&e.target.closest('.tl-item');"
    "if(g){var m=document.querySelector(g.getAttribute('data-href'));if(m)m.focus();}});\n"
    "function key(row,col){var c=row.cells[col];var v=c.getAttribute('data-sort');"
    "return v===null?c.textContent:v;}\n"
    "document.querySelectorAll('table.sortable').forEach(function(tb){"
    "var ths=tb.tHead.rows[0].cells;Array.prototype.forEach.call(ths,function(th,col){"
    "var btn=th.querySelector('button');if(!btn)return;btn.addEventListener('click',function(){\n"
    "var asc=th.getAttribute('aria-sort')!=='ascending',num=btn.getAttribute('data-type')==='num';"
    "Array.prototype.forEach.call(ths,function(x){x.removeAttribute('aria-sort');});"
    "th.setAttribute('aria-sort',asc?'ascending':'descending');\n"
    "var body=tb.tBodies[0],rows=Array.prototype.slice.call(body.rows);"
    "rows.sort(function(r1,r2){var a=key(r1,col),b=key(r2,col);"
    /* empty keys (no date, no body) last in both directions */
    "if(a===''||b===''){if(a!==b)return a===''?1:-1;}"
    "var c=num?(parseFloat(a)-parseFloat(b)):a.localeCompare(b,'vi',{numeric:true});"
    "if(!asc)c=-c;return c||(+r1.getAttribute('data-idx'))-(+r2.getAttribute('data-idx'));});"
    "rows.forEach(function(r){body.appendChild(r);});});});});\n"
    "})();\n";

int vnx_html_write(vnx_html *h, FILE *f) {
  size_t tot[7] = {0};
  fputs("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        /* no favicon request, no referrer, nothing from the network */
        "<link rel=\"icon\" href=\"data:,\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        "<title>vnextract report</title>\n<style>\n",
        f);
  fputs(css, f);
  fputs("</style>\n</head>\n<body>\n<header><h1>vnextract report</h1>\n<p class=\"muted\">", f);
  fprintf(f, "%zu document%s, as of %s. Hover over or focus a highlighted span or a timeline mark "
             "for its record; click a column header to sort.</p></header>\n",
          h->n, h->n == 1 ? "" : "s", h->as_of);

  fputs("<section id=\"overview\">\n<h2>Corpus overview</h2>\n<table class=\"overview\">\n<thead><tr>"
        "<th class=\"n\">#</th><th>Document</th><th>Date</th><th class=\"n\">Deadlines</th>"
        "<th class=\"n\">Tasks</th><th class=\"n\">Indicators</th><th class=\"n\">Bodies</th>"
        "<th class=\"n\">Overdue</th><th class=\"n\">Warnings</th></tr></thead>\n<tbody>\n",
        f);
  for (size_t i = 0; i < h->n; i++) {
    const doc_entry *e = &h->v[i];
    fprintf(f, "<tr><td class=\"n\">%zu</td><td>", i + 1);
    if (e->error) {
      esc(f, e->path);
      fputs(" <span class=\"badge overdue\">failed</span> ", f);
      esc(f, e->error);
      fputs("</td><td colspan=\"7\"></td></tr>\n", f);
      continue;
    }
    fprintf(f, "<a href=\"#doc-%zu\">", i + 1);
    const char *base = strrchr(e->path, '/');
    esc(f, base ? base + 1 : e->path);
    fputs("</a>", f);
    if (e->title) {
      fputs("<br><span class=\"muted\">", f);
      esc(f, e->title);
      fputs("</span>", f);
    }
    fputs("</td><td>", f);
    esc(f, e->date ? e->date : "");
    fprintf(f,
            "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
            "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr>\n",
            e->ndeadline, e->ntask, e->nindicator, e->nbody, e->noverdue, e->nwarn);
    size_t c[7] = {e->ndeadline, e->ntask, e->nindicator, e->nbody, e->noverdue, e->nwarn, 1};
    for (int k = 0; k < 7; k++) tot[k] += c[k];
  }
  fprintf(f,
          "</tbody>\n<tfoot><tr><td></td><td>%zu document%s</td><td></td><td class=\"n\">%zu</td>"
          "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
          "<td class=\"n\">%zu</td><td class=\"n\">%zu</td></tr></tfoot>\n</table>\n</section>\n",
          tot[6], tot[6] == 1 ? "" : "s", tot[0], tot[1], tot[2], tot[3], tot[4], tot[5]);

  for (size_t i = 0; i < h->n; i++)
    if (h->v[i].html) fwrite(h->v[i].html, 1, h->v[i].html_len, f);

  fputs("<div id=\"pop\" role=\"tooltip\" hidden></div>\n<script>\n", f);
  fputs(js, f);
  fputs("</script>\n</body>\n</html>\n", f);
  return ferror(f) ? -1 : 0;
}
