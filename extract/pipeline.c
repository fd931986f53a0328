/* pipeline.c - one pass per document:
 * read -> normalise -> segment -> match rules -> resolve -> link -> records. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "indicators.h"
#include "internal.h"
#include "rules_int.h"

/* ---- stage times (VNX_STAGE_TIMES=1) ---------------------------------- */

static _Atomic uint64_t stage_ns[VNX_ST_N];
static _Atomic int stage_on = -1; /* -1: environment not read yet (threads may race to read it: same value) */

bool vnx_stage_times_enabled(void) {
  if (stage_on < 0) {
    const char *e = getenv("VNX_STAGE_TIMES");
    stage_on = e && strcmp(e, "1") == 0;
  }
  return stage_on;
}

uint64_t vnx_stage_clock(void) {
  if (!vnx_stage_times_enabled()) return 0;
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void vnx_stage_add(enum vnx_stage st, uint64_t t0) {
  if (!t0) return;
  atomic_fetch_add_explicit(&stage_ns[st], vnx_stage_clock() - t0, memory_order_relaxed);
}

void vnx_stage_times_print(FILE *out) {
  static const char *names[VNX_ST_N] = {"read",    "normalise", "segment", "match",
                                        "resolve", "link",      "records", "write"};
  uint64_t tot = 0;
  for (int i = 0; i < VNX_ST_N; i++) tot += atomic_load(&stage_ns[i]);
  fprintf(out, "vnextract: stage CPU seconds:");
  for (int i = 0; i < VNX_ST_N; i++) {
    uint64_t v = atomic_load(&stage_ns[i]);
    fprintf(out, " %s %.3f (%.0f%%)", names[i], (double)v / 1e9, tot ? 100.0 * (double)v / (double)tot : 0.0);
  }
  fprintf(out, "\n");
}

unsigned vnx_doc_line_of(const vnx_doc *d, size_t byte) {
  /* Binary search: the last line start <= byte. */
  size_t lo = 0, hi = d->nlines;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (d->line_starts[mid] <= byte) lo = mid;
    else hi = mid;
  }
  return (unsigned)(lo + 1);
}

unsigned vnx_doc_line_from(const vnx_doc *d, size_t byte, size_t *cur) {
  size_t k = *cur;
  /* the line of the last answer or one of the next few, else a search */
  if (k < d->nlines && d->line_starts[k] <= byte) {
    for (int step = 0; step < 4 && k + 1 < d->nlines && d->line_starts[k + 1] <= byte; step++) k++;
    if (k + 1 >= d->nlines || d->line_starts[k + 1] > byte) {
      *cur = k;
      return (unsigned)(k + 1);
    }
  }
  unsigned line = vnx_doc_line_of(d, byte);
  *cur = line - 1;
  return line;
}

static void index_lines(vnx_doc *d) {
  size_t cap = 256;
  d->line_starts = vnx_xmalloc(cap * sizeof *d->line_starts);
  d->nlines = 0;
  d->line_starts[d->nlines++] = 0;
  /* Lines split on "\n" only, as `sed -n Np` counts them; a CR before it
   * belongs to the line. */
  const char *e = d->orig + d->orig_len;
  for (const char *p = d->orig; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++) {
    size_t i = (size_t)(p - d->orig);
    if (d->nlines == cap) {
      cap *= 2;
      d->line_starts = vnx_xrealloc(d->line_starts, cap * sizeof *d->line_starts);
    }
    d->line_starts[d->nlines++] = i + 1;
  }
}

static int parse_iso_date(const char *s, int *y, int *m, int *day) {
  if (!s || sscanf(s, "%4d-%2d-%2d", y, m, day) != 3 || !vnx_date_valid(*y, *m, *day)) return -1;
  return 0;
}

/* Kinds that start with '_' are internal: rules emit them for a later
 * pass to read (a "_metric" names what a nearby figure measures); they
 * are never written. */
static void drop_internal(vnx_doc *d) {
  size_t k = 0;
  for (size_t i = 0; i < d->recs.n; i++) {
    vnx_record *r = &d->recs.v[i];
    if (r->kind[0] == '_') {
      vnx_record_text_free(r);
      vnx_fields_free(&r->fields);
    } else {
      d->recs.v[k++] = *r;
    }
  }
  d->recs.n = k;
}

/* The document record: what the file is, before anything is extracted.
 * meta: vnx_document_fields of the document (read once, the link stage
 * needs its issuer too); its fields follow "date", which stays this one. */
static void add_document_record(vnx_doc *d, const vnx_fields *meta) {
  char sha[65];
  vnx_sha256_hex(d->orig, d->orig_len, sha);
  vnx_fields f = {0};
  const char *base = strrchr(d->path, '/');
  vnx_fields_set(&f, "file", json_string(base ? base + 1 : d->path));
  vnx_fields_set(&f, "size", json_integer((json_int_t)d->orig_len));
  vnx_fields_set(&f, "lines", json_integer((json_int_t)d->nlines));
  vnx_fields_set(&f, "sha256", json_string(sha));
  if (d->year && d->month && d->day) {
    char iso[11];
    vnx_iso_date(iso, d->year, d->month, d->day);
    vnx_fields_set(&f, "date", json_string(iso));
  } else {
    vnx_fields_set(&f, "date", json_null());
  }
  for (uint32_t i = 0; i < meta->n; i++)
    if (strcmp(meta->v[i].key, "date") != 0)
      vnx_fields_set(&f, meta->v[i].key, json_incref(meta->v[i].val));
  vnx_record *r = vnx_records_add(&d->recs, "document", "document", &f);
  r->start = 0;
  r->end = d->orig_len;
  r->nstart = 0;
  r->nend = d->text.len;
  r->line = 1;
  vnx_record_set_text(r, d->stem, strlen(d->stem));
}

static int run_stages(const char *path, char *buf, size_t len, const vnx_options *opt,
                      vnx_matcher *m, vnx_doc *d, vnx_error *err, FILE *warn) {
  memset(d, 0, sizeof *d);
  d->path = vnx_xstrdup(path);
  d->stem = vnx_path_stem(path);
  d->orig = buf;
  d->orig_len = len;
  uint64_t t = vnx_stage_clock();
  index_lines(d);

  vnx_norm_options no = opt->norm;
  no.path = path;
  int nrc = vnx_normalise(d->orig, d->orig_len, &no, &d->text, err);
  vnx_stage_add(VNX_ST_NORMALISE, t);
  if (nrc != 0) {
    const char *enc = strstr(err->msg, "UTF-8") ? vnx_guess_legacy_encoding(buf, len) : NULL;
    if (enc) {
      size_t n = strlen(err->msg);
      snprintf(err->msg + n, sizeof err->msg - n,
               "; the file is not UTF-8, it looks like %s: convert it with "
               "iconv -f %s -t UTF-8",
               enc, strcmp(enc, "Windows-1258") == 0 ? "WINDOWS-1258" : "TCVN5712-1");
    }
    return -1;
  }

  if (opt->doc_date) {
    if (parse_iso_date(opt->doc_date, &d->year, &d->month, &d->day) != 0) {
      vnx_error_set(err, path, 0, 0, "bad --doc-date '%s' (want YYYY-MM-DD)", opt->doc_date);
      return -1;
    }
    d->date_forced = true;
  }
  t = vnx_stage_clock();
  vnx_resolve_doc_date(d);
  vnx_segment(d);
  vnx_link_scope(d);
  vnx_stage_add(VNX_ST_SEGMENT, t);
  t = vnx_stage_clock();
  if (m) vnx_rules_match(m, d, warn);
  vnx_stage_add(VNX_ST_MATCH, t);
  t = vnx_stage_clock();
  vnx_indicators_resolve(d);
  vnx_resolve(d);
  vnx_fields meta = {0};
  vnx_document_fields(d, &meta);
  vnx_stage_add(VNX_ST_RESOLVE, t);
  t = vnx_stage_clock();
  json_t *issuer = vnx_fields_get(&meta, "issuer");
  const vnx_ruleset *rs = m ? vnx_matcher_rules(m) : NULL;
  vnx_link(d, json_is_string(issuer) ? json_string_value(issuer) : NULL,
           rs ? vnx_rules_gaz(rs, "bodies") : NULL);
  vnx_stage_add(VNX_ST_LINK, t);
  t = vnx_stage_clock();
  if (!opt->keep_internal) drop_internal(d);
  add_document_record(d, &meta);
  vnx_fields_free(&meta);
  vnx_records_sort(&d->recs);
  vnx_stage_add(VNX_ST_RECORDS, t);
  return 0;
}

/* Takes ownership of buf (NUL-terminated, len bytes). The JSON values
 * made meanwhile on this thread are the document's (records.c). */
static int process_owned(const char *path, char *buf, size_t len,
                         const vnx_options *opt, vnx_matcher *m, vnx_doc *d,
                         vnx_error *err, FILE *warn) {
  vnx_json_arena *arena = vnx_json_arena_new();
  vnx_json_arena *prev = vnx_json_arena_use(arena);
  int rc = run_stages(path, buf, len, opt, m, d, err, warn);
  vnx_json_arena_use(prev);
  d->json_arena = arena;
  return rc;
}

int vnx_process_buffer(const char *path, const char *buf, size_t len,
                       const vnx_options *opt, vnx_matcher *m, vnx_doc *d,
                       vnx_error *err, FILE *warn) {
  return process_owned(path, vnx_xstrndup(buf, len), len, opt, m, d, err, warn);
}

int vnx_process_file(const char *path, const vnx_options *opt, vnx_matcher *m,
                     vnx_doc *d, vnx_error *err, FILE *warn) {
  char *buf;
  size_t len;
  memset(d, 0, sizeof *d);
  uint64_t t = vnx_stage_clock();
  int rc = vnx_read_file(path, &buf, &len, err);
  vnx_stage_add(VNX_ST_READ, t);
  if (rc != 0) return -1;
  return process_owned(path, buf, len, opt, m, d, err, warn);
}

void vnx_doc_free(vnx_doc *d) {
  if (!d) return;
  free(d->path);
  free(d->stem);
  free(d->orig);
  free(d->line_starts);
  vnx_text_free(&d->text);
  vnx_records_free(&d->recs);
  vnx_segments_free(d->seg);
  vnx_json_arena_free(d->json_arena); /* last: the frees above touch its values */
  memset(d, 0, sizeof *d);
}
