/* explain.c - `vnextract explain`: a document's original lines with the
 * extracted spans highlighted, and under each line the records that start
 * on it. Also the helpers render.c shares (record lookup by id, one-line
 * summaries, warnings by line, the span walker). */
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* ---- record lookup ------------------------------------------------------- */

static _Thread_local const vnx_view *sort_view; /* qsort has no context argument */

static int cmp_by_id(const void *a, const void *b) {
  return strcmp(sort_view->ids[*(const size_t *)a], sort_view->ids[*(const size_t *)b]);
}

void vnx_view_init(vnx_view *v, const vnx_doc *d) {
  size_t n = d->recs.n;
  v->d = d;
  v->ids = vnx_xcalloc(n ? n : 1, sizeof *v->ids);
  v->order = vnx_xcalloc(n ? n : 1, sizeof *v->order);
  for (size_t i = 0; i < n; i++) {
    vnx_record_id(d->stem, &d->recs.v[i], v->ids[i]);
    v->order[i] = i;
  }
  /* Views are built on the calling thread only (batch sinks, explain). */
  sort_view = v;
  qsort(v->order, n, sizeof *v->order, cmp_by_id);
  sort_view = NULL;
}

void vnx_view_free(vnx_view *v) {
  if (!v) return;
  free(v->ids);
  free(v->order);
  memset(v, 0, sizeof *v);
}

const vnx_record *vnx_view_find(const vnx_view *v, const char *id) {
  if (!id) return NULL;
  size_t lo = 0, hi = v->d->recs.n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(v->ids[v->order[mid]], id);
    if (c == 0) return &v->d->recs.v[v->order[mid]];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

bool vnx_view_is_span(const vnx_record *r) { return strcmp(r->kind, "document") != 0; }

static const char *field_str(const vnx_record *r, const char *key) {
  return json_string_value(vnx_fields_get(&r->fields, key));
}

const char *vnx_view_body_name(const vnx_record *r) {
  const char *s = field_str(r, "canonical");
  if (!s || !*s) s = field_str(r, "name");
  if (!s || !*s) s = r->text ? r->text : "";
  return s;
}

char *vnx_view_lead_names(const vnx_view *v, const vnx_record *task) {
  json_t *lead = vnx_fields_get(&task->fields, "lead");
  if (json_is_string(lead)) return vnx_xstrdup(json_string_value(lead));
  if (!json_is_array(lead) || json_array_size(lead) == 0) return NULL;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  size_t i;
  json_t *id;
  json_array_foreach(lead, i, id) {
    const vnx_record *b = vnx_view_find(v, json_string_value(id));
    /* A dangling id is shown as is: it points at a linker bug. */
    fprintf(f, "%s%s", i ? ", " : "", b ? vnx_view_body_name(b) : json_string_value(id) ? json_string_value(id) : "?");
  }
  fclose(f);
  return buf;
}

const vnx_record *vnx_view_deadline_of(const vnx_view *v, const vnx_record *r) {
  if (strcmp(r->kind, "deadline") == 0) return r;
  const vnx_record *d = vnx_view_find(v, field_str(r, "deadline"));
  return d && strcmp(d->kind, "deadline") == 0 ? d : NULL;
}

/* ---- one-line summaries -------------------------------------------------- */

static void put_value(FILE *out, const json_t *j) {
  switch (json_typeof(j)) {
  case JSON_STRING: fputs(json_string_value(j), out); break;
  case JSON_INTEGER: fprintf(out, "%lld", (long long)json_integer_value(j)); break;
  case JSON_REAL: fprintf(out, "%.15g", json_real_value(j)); break;
  case JSON_TRUE: fputs("true", out); break;
  case JSON_FALSE: fputs("false", out); break;
  case JSON_NULL: fputs("?", out); break;
  case JSON_ARRAY: {
    size_t i;
    json_t *e;
    json_array_foreach(j, i, e) {
      if (i) fputs(", ", out);
      put_value(out, e);
    }
    break;
  }
  default: json_dumpf(j, out, JSON_COMPACT | JSON_PRESERVE_ORDER); break;
  }
}

static void put_field(FILE *out, const vnx_record *r, const char *key) {
  json_t *j = vnx_fields_get(&r->fields, key);
  if (j) put_value(out, j);
  else fputc('?', out);
}

static void deadline_summary(const vnx_record *r, FILE *out) {
  const char *type = field_str(r, "type");
  json_t *st = vnx_fields_get(&r->fields, "start");
  bool has_start = st && !json_is_null(st);
  if (!type) type = "?";
  fputs(type, out);
  fputc(' ', out);
  if (strcmp(type, "before") == 0 || strcmp(type, "on") == 0) {
    put_field(out, r, "end");
  } else if (strcmp(type, "recurring") == 0) {
    fputs("every ", out);
    put_field(out, r, "every");
    if (has_start) fputs(" from ", out), put_field(out, r, "start");
    json_t *en = vnx_fields_get(&r->fields, "end");
    if (en && !json_is_null(en)) fputs(" until ", out), put_field(out, r, "end");
  } else {
    put_field(out, r, "start");
    fputs("..", out);
    put_field(out, r, "end");
  }
  if (json_is_true(vnx_fields_get(&r->fields, "year_inferred"))) fputs(" (year inferred)", out);
  if (json_is_true(vnx_fields_get(&r->fields, "approx"))) fputs(" (approx)", out);
}

void vnx_view_summary(const vnx_view *v, const vnx_record *r, FILE *out) {
  fputs(r->kind, out);
  fputc(' ', out);
  if (strcmp(r->kind, "deadline") == 0) {
    deadline_summary(r, out);
  } else if (strcmp(r->kind, "body") == 0) {
    fputs(vnx_view_body_name(r), out);
    const char *role = field_str(r, "role");
    if (role && *role) fprintf(out, " (%s)", role);
  } else if (strcmp(r->kind, "indicator") == 0) {
    put_field(out, r, "value");
    json_t *u = vnx_fields_get(&r->fields, "unit");
    if (u && !json_is_null(u)) fputc(' ', out), put_value(out, u);
  } else if (strcmp(r->kind, "task") == 0) {
    const char *sec = field_str(r, "section");
    fputs(sec && *sec ? sec : "-", out);
    char *lead = vnx_view_lead_names(v, r);
    fprintf(out, " lead: %s", lead ? lead : "(no body)");
    free(lead);
    const vnx_record *dl = vnx_view_deadline_of(v, r);
    if (dl) fputs(", deadline ", out), deadline_summary(dl, out);
  } else {
    /* A kind this file does not know yet: every field, key=value. */
    for (uint32_t i = 0; i < r->fields.n; i++) {
      fprintf(out, "%s%s=", i ? " " : "", r->fields.v[i].key);
      put_value(out, r->fields.v[i].val);
    }
  }
}

/* ---- warnings ------------------------------------------------------------ */

void vnx_warnings_parse(vnx_warnings *w, const char *path, const char *text) {
  memset(w, 0, sizeof *w);
  if (!text) return;
  size_t plen = path ? strlen(path) : 0, cap = 0;
  for (const char *s = text; *s;) {
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    unsigned line = 0;
    const char *msg = s;
    /* "PATH:LINE: warning: ..." -> the line and what follows "PATH:LINE: " */
    if (plen && len > plen && strncmp(s, path, plen) == 0 && s[plen] == ':') {
      char *end;
      unsigned long n = strtoul(s + plen + 1, &end, 10);
      if (end > s + plen + 1 && *end == ':') {
        line = (unsigned)n;
        msg = end + 1;
        while (*msg == ' ') msg++;
        if (strncmp(msg, "warning: ", 9) == 0) msg += 9;
      }
    }
    if (len) {
      if (w->n == cap) {
        cap = cap ? 2 * cap : 8;
        w->v = vnx_xrealloc(w->v, cap * sizeof *w->v);
      }
      w->v[w->n++] = (vnx_warning){line, msg, len - (size_t)(msg - s)};
    }
    s += len + (nl ? 1 : 0);
  }
}

void vnx_warnings_free(vnx_warnings *w) {
  if (!w) return;
  free(w->v);
  memset(w, 0, sizeof *w);
}

bool vnx_warnings_on_line(const vnx_warnings *w, unsigned line) {
  for (size_t i = 0; i < w->n; i++)
    if (w->v[i].line == line) return true;
  return false;
}

/* ---- dates --------------------------------------------------------------- */

bool vnx_view_iso_days(const char *s, long *days) {
  int y, m, d;
  char tail;
  if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
      !vnx_date_valid(y, m, d))
    return false;
  /* days from civil (proleptic Gregorian), H. Hinnant's algorithm */
  long yy = m <= 2 ? y - 1 : y;
  long era = (yy >= 0 ? yy : yy - 399) / 400;
  long yoe = yy - era * 400;
  long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  *days = era * 146097 + doe - 719468;
  return true;
}

/* ---- the explain view ---------------------------------------------------- */

typedef struct explain {
  const vnx_doc *d;
  const vnx_view *v;
  const vnx_explain_opts *o;
  FILE *out;
  const vnx_record **sel; /* selected span records, by start */
  size_t nsel, next_rec;  /* next_rec: first record not yet listed */
  const vnx_record **stack; /* spans open at the current byte */
  size_t depth;
  vnx_warnings w;
  unsigned char *show; /* show[L]: line L is printed (1-based) */
  char *gutter;        /* gutter[L]: ' ', '!' limit/warning, '?' unresolved */
  unsigned line;       /* current line */
  bool line_open;      /* its gutter has been printed */
  unsigned last_shown; /* for the "..." between shown blocks */
} explain;

static const char *kind_sgr(const char *kind) {
  if (strcmp(kind, "deadline") == 0) return "1;33";
  if (strcmp(kind, "body") == 0) return "1;36";
  if (strcmp(kind, "indicator") == 0) return "1;32";
  if (strcmp(kind, "task") == 0) return "4";
  return "1;35";
}

/* Terminal state = the styles of every open span, outermost first, so a
 * deadline inside a task is yellow and underlined. */
static void apply_sgr(explain *e) {
  fputs("\033[0m", e->out);
  for (size_t i = 0; i < e->depth; i++) fprintf(e->out, "\033[%sm", kind_sgr(e->stack[i]->kind));
}

static void begin_line(explain *e) {
  if (e->line_open) return;
  e->line_open = true;
  if (!e->show[e->line]) return;
  if (e->last_shown && e->line > e->last_shown + 1) fputs("   ...\n", e->out);
  e->last_shown = e->line;
  char g = e->gutter[e->line];
  if (e->o->colour && g != ' ')
    fprintf(e->out, "%6u \033[1;31m%c\033[0m ", e->line, g);
  else
    fprintf(e->out, "%6u %c ", e->line, g);
  if (e->o->colour) {
    if (e->depth) apply_sgr(e);
  } else if (e->line > 1 && !e->show[e->line - 1]) {
    /* spans opened on a hidden line: say so, or the "]" would dangle */
    for (size_t i = 0; i < e->depth; i++) fprintf(e->out, "[%s: ...", e->stack[i]->kind);
  }
}

static void end_line(explain *e) {
  begin_line(e);
  bool shown = e->show[e->line];
  if (shown) {
    if (e->o->colour && e->depth) fputs("\033[0m", e->out);
    fputc('\n', e->out);
  }
  /* the records that start on this line, then its warnings */
  while (e->next_rec < e->nsel && e->sel[e->next_rec]->line <= e->line) {
    const vnx_record *r = e->sel[e->next_rec++];
    if (!shown) continue;
    fputs("         ", e->out);
    if (e->o->colour) fprintf(e->out, "\033[%sm", kind_sgr(r->kind));
    vnx_view_summary(e->v, r, e->out);
    if (e->o->colour) fputs("\033[0m", e->out);
    fprintf(e->out, " \xe2\x86\x90 %s", r->rule ? r->rule : "?");
    const char *why = field_str(r, "unresolved");
    if (why) fprintf(e->out, "  ? unresolved: %s", why);
    fputc('\n', e->out);
  }
  if (shown)
    for (size_t i = 0; i < e->w.n; i++)
      if (e->w.v[i].line == e->line)
        fprintf(e->out, "         ! %.*s\n", (int)e->w.v[i].len, e->w.v[i].msg);
  e->line++;
  e->line_open = false;
}

static void ex_text(void *ctx, size_t from, size_t to) {
  explain *e = ctx;
  const char *s = e->d->orig;
  while (from < to) {
    begin_line(e);
    const char *nl = memchr(s + from, '\n', to - from);
    size_t stop = nl ? (size_t)(nl - s) : to;
    if (e->show[e->line]) {
      for (size_t i = from; i < stop; i++) {
        unsigned char c = (unsigned char)s[i];
        /* a CR before the newline would send the cursor back; control
         * characters could drive the terminal: neither is printed raw */
        if (c == '\r' && i + 1 == stop && nl) continue;
        if (c < 0x20 && c != '\t') fputs("\xef\xbf\xbd", e->out);
        else if (c == 0x7f) fputs("\xef\xbf\xbd", e->out);
        else fputc(c, e->out);
      }
    }
    from = stop;
    if (nl) {
      end_line(e);
      from++;
    }
  }
}

static void ex_open(void *ctx, const vnx_record *r, bool resumed) {
  explain *e = ctx;
  begin_line(e);
  e->stack[e->depth++] = r;
  if (!e->show[e->line]) return;
  if (e->o->colour) apply_sgr(e);
  else if (!resumed) fprintf(e->out, "[%s: ", r->kind);
}

static void ex_close(void *ctx, const vnx_record *r, bool suspended) {
  explain *e = ctx;
  (void)r;
  begin_line(e);
  e->depth--;
  if (!e->show[e->line]) return;
  if (e->o->colour) apply_sgr(e);
  else if (!suspended) fputc(']', e->out);
}

static bool rule_matches(const char *want, const char *rule) {
  if (!want) return true;
  if (!rule) return false;
  size_t n = strlen(want);
  if (n && want[n - 1] == '*') return strncmp(rule, want, n - 1) == 0;
  return strcmp(rule, want) == 0;
}

int vnx_explain_doc(const vnx_doc *d, const char *warnings, const vnx_explain_opts *o,
                    FILE *out) {
  vnx_view v;
  vnx_view_init(&v, d);
  explain e = {.d = d, .v = &v, .o = o, .out = out, .line = 1};
  size_t nl = d->nlines;
  e.sel = vnx_xcalloc(d->recs.n + 1, sizeof *e.sel);
  e.stack = vnx_xcalloc(d->recs.n + 1, sizeof *e.stack);
  e.show = vnx_xcalloc(nl + 2, 1);
  e.gutter = vnx_xmalloc(nl + 2);
  memset(e.gutter, ' ', nl + 2);
  vnx_warnings_parse(&e.w, d->path, warnings);

  bool filtered = o->rule || o->kind;
  for (size_t i = 0; i < d->recs.n; i++) {
    const vnx_record *r = &d->recs.v[i];
    if (!vnx_view_is_span(r) || !rule_matches(o->rule, r->rule)) continue;
    if (o->kind && strcmp(o->kind, r->kind) != 0) continue;
    e.sel[e.nsel++] = r;
    unsigned first = r->line ? r->line : vnx_doc_line_of(d, r->start);
    unsigned last = r->end > r->start ? vnx_doc_line_of(d, r->end - 1) : first;
    if (first <= nl && field_str(r, "unresolved")) e.gutter[first] = '?';
    if (filtered)
      for (unsigned l = first; l <= last && l <= nl; l++) e.show[l] = 1;
  }
  for (size_t i = 0; i < e.w.n; i++)
    if (e.w.v[i].line && e.w.v[i].line <= nl) e.gutter[e.w.v[i].line] = '!';
  for (unsigned l = 1; l <= nl; l++) {
    if (!filtered) e.show[l] = 1;
    if (o->line_from && (l < o->line_from || l > o->line_to)) e.show[l] = 0;
  }

  /* header: what the document is and what was found in it */
  fprintf(out, "==> %s", d->path);
  json_t *date = NULL;
  for (size_t i = 0; i < d->recs.n; i++)
    if (strcmp(d->recs.v[i].kind, "document") == 0) date = vnx_fields_get(&d->recs.v[i].fields, "date");
  fprintf(out, " (date %s, %zu lines, %zu %srecords)\n",
          json_string_value(date) ? json_string_value(date) : "unknown",
          d->orig_len && d->orig[d->orig_len - 1] == '\n' ? nl - 1 : nl, e.nsel, filtered ? "matching " : "");
  for (size_t i = 0; i < e.w.n; i++)
    if (!e.w.v[i].line) fprintf(out, "  ! %.*s\n", (int)e.w.v[i].len, e.w.v[i].msg);

  vnx_span_cb cb = {ex_text, ex_open, ex_close};
  vnx_spans_walk(d, e.sel, e.nsel, &cb, &e);
  /* a last line without a newline; an empty one after the final newline is
   * not a line anyone wrote */
  if (e.line_open || (e.line <= nl && d->line_starts[e.line - 1] < d->orig_len)) end_line(&e);

  int rc = ferror(out) ? -1 : 0;
  vnx_warnings_free(&e.w);
  free(e.sel);
  free(e.stack);
  free(e.show);
  free(e.gutter);
  vnx_view_free(&v);
  return rc;
}

/* ---- the span walker ----------------------------------------------------- */

static int cmp_span(const void *pa, const void *pb) {
  const vnx_record *a = *(const vnx_record *const *)pa, *b = *(const vnx_record *const *)pb;
  if (a->start != b->start) return a->start < b->start ? -1 : 1;
  if (a->end != b->end) return a->end > b->end ? -1 : 1; /* outer first */
  return a < b ? -1 : a > b;
}

void vnx_spans_walk(const vnx_doc *d, const vnx_record **recs, size_t n, const vnx_span_cb *cb,
                    void *ctx) {
  qsort(recs, n, sizeof *recs, cmp_span);
  const vnx_record **stack = vnx_xcalloc(n + 1, sizeof *stack);
  const vnx_record **held = vnx_xcalloc(n + 1, sizeof *held);
  size_t depth = 0, next = 0, pos = 0, len = d->orig_len;
#define END(r) ((r)->end < len ? (r)->end : len)
  for (;;) {
    for (int pass = 0; pass < 2; pass++) {
      /* Close what ends here. Spans that only overlap (neither inside the
       * other) cannot nest: the ones above are suspended and resumed. */
      size_t k = 0;
      while (k < depth && END(stack[k]) > pos) k++;
      if (k < depth) {
        size_t nheld = 0;
        while (depth > k) {
          const vnx_record *r = stack[--depth];
          bool done = END(r) <= pos;
          cb->close(ctx, r, !done);
          if (!done) held[nheld++] = r;
        }
        while (nheld) {
          stack[depth++] = held[--nheld];
          cb->open(ctx, stack[depth - 1], true);
        }
      }
      /* then open what starts here (second pass: empty spans close at once) */
      if (pass == 0)
        while (next < n && (recs[next]->start <= pos || pos >= len)) {
          stack[depth++] = recs[next++];
          cb->open(ctx, stack[depth - 1], false);
        }
    }
    if (pos >= len && next == n) break;
    size_t to = len;
    if (next < n && recs[next]->start < to) to = recs[next]->start;
    for (size_t i = 0; i < depth; i++)
      if (END(stack[i]) < to) to = END(stack[i]);
    if (to > pos) cb->text(ctx, pos, to);
    pos = to > pos ? to : pos;
  }
#undef END
  free(stack);
  free(held);
}
