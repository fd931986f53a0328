/* render.h - the viewing side: `vnextract explain` (explain.c, text on a
 * terminal) and `vnextract render` (render.c, one HTML report). Both read a
 * processed vnx_doc; nothing here changes records. */
#ifndef VNX_RENDER_H
#define VNX_RENDER_H

#include "internal.h"

/* ---- shared helpers (explain.c) ------------------------------------------ */

/* A processed document with its record ids computed once, so that links
 * between records (task.lead, task.deadline) can be followed. */
typedef struct vnx_view {
  const vnx_doc *d;
  char (*ids)[40]; /* ids[i] is the id of d->recs.v[i] */
  size_t *order;   /* record indexes sorted by id, for lookups */
} vnx_view;

void vnx_view_init(vnx_view *v, const vnx_doc *d);
void vnx_view_free(vnx_view *v);
/* The record with this id, or NULL. */
const vnx_record *vnx_view_find(const vnx_view *v, const char *id);
/* Records that are shown as spans: every kind but the document. */
bool vnx_view_is_span(const vnx_record *r);

/* The name of a body record: canonical, else name, else its text. */
const char *vnx_view_body_name(const vnx_record *r);
/* "A, B" for a task's lead (array of body ids); NULL when there is none.
 * Malloc'd. */
char *vnx_view_lead_names(const vnx_view *v, const vnx_record *task);
/* The deadline a task or deadline record stands for (the record itself for a
 * deadline, the linked one for a task), or NULL. */
const vnx_record *vnx_view_deadline_of(const vnx_view *v, const vnx_record *r);

/* One line of resolved values, without the rule: "deadline before
 * 2026-06-15", "body Văn phòng Thành ủy (lead)", "indicator 78461 tỷ đồng". */
void vnx_view_summary(const vnx_view *v, const vnx_record *r, FILE *out);

/* Warnings the pipeline printed about a document ("PATH:LINE: warning: …"),
 * split by line. */
typedef struct vnx_warning {
  unsigned line; /* 0 when the text names no line */
  const char *msg;
  size_t len;
} vnx_warning;
typedef struct vnx_warnings {
  vnx_warning *v;
  size_t n;
} vnx_warnings;
/* Borrows text; free with vnx_warnings_free. */
void vnx_warnings_parse(vnx_warnings *w, const char *path, const char *text);
void vnx_warnings_free(vnx_warnings *w);
bool vnx_warnings_on_line(const vnx_warnings *w, unsigned line);

/* ISO date -> days since 1970-01-01; false if s is not YYYY-MM-DD. */
bool vnx_view_iso_days(const char *s, long *days);

/* Walks the original bytes of d in order, with the spans of recs (sorted
 * here) opened and closed around them, properly nested: text() gets byte
 * ranges that no span boundary cuts. When two spans overlap without one
 * containing the other, the inner one is closed with suspended=true and
 * reopened with resumed=true, so each record is opened exactly once with
 * resumed=false. */
typedef struct vnx_span_cb {
  void (*text)(void *ctx, size_t from, size_t to);
  void (*open)(void *ctx, const vnx_record *r, bool resumed);
  void (*close)(void *ctx, const vnx_record *r, bool suspended);
} vnx_span_cb;
void vnx_spans_walk(const vnx_doc *d, const vnx_record **recs, size_t n, const vnx_span_cb *cb,
                    void *ctx);

/* ---- explain (explain.c) ------------------------------------------------- */

typedef struct vnx_explain_opts {
  unsigned line_from, line_to; /* 0, 0: every line */
  const char *rule;            /* exact id, or a prefix ending in '*' */
  const char *kind;
  bool colour;
} vnx_explain_opts;

/* Prints the original lines with spans highlighted and the records under
 * the line they start on. Returns 0, or -1 on a write error. */
int vnx_explain_doc(const vnx_doc *d, const char *warnings, const vnx_explain_opts *o,
                    FILE *out);

/* ---- render (render.c) --------------------------------------------------- */

typedef struct vnx_html vnx_html;

/* as_of is "YYYY-MM-DD": the date overdue is measured against. */
vnx_html *vnx_html_new(const char *as_of);
/* Renders one document (doc NULL: failed, err says why). */
void vnx_html_add(vnx_html *h, const char *path, const vnx_doc *d, const vnx_error *err,
                  const char *warnings);
/* Writes the whole report. Returns 0, or -1 on a write error. */
int vnx_html_write(vnx_html *h, FILE *out);
void vnx_html_free(vnx_html *h);

#endif
