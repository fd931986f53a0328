/* write_csv.c - `extract --format csv -o DIR`: one RFC 4180 file per record
 * kind (DIR/document.csv, DIR/deadline.csv, ...).
 *
 * Every file has a header row whose columns are fixed per kind (the
 * common columns, then the kind's fields in the order of
 * records.schema.json), so the header never depends on the data and a
 * spreadsheet or script can address columns by position. A field of an
 * open kind that the list does not know goes to the last column, `extra`,
 * as a JSON object, so nothing is lost.
 *
 * Cells: strings as they are; numbers as in the JSON output (%.15g);
 * true/false; null -> empty cell; arrays -> items joined with " | ";
 * objects -> compact JSON. A cell with '"', ',', CR or LF is quoted and its
 * quotes doubled. Rows end with CRLF (RFC 4180). UTF-8 without a BOM: a BOM
 * would end up in the first header name for csv readers that do not expect
 * one (Python's csv, sqlite3 .import, cut); LibreOffice asks for the
 * charset on import and offers UTF-8.
 *
 * Each file is written to a temporary file in DIR and renamed on
 * vnx_csv_close (each file is replaced atomically; the set is replaced
 * file by file); vnx_csv_abort removes the temporary files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define COMMON "id", "doc", "kind", "line", "span_start", "span_end", "text", "rule"
enum { NCOMMON = 8, MAXCOLS = 32 };

typedef struct kind_columns {
  const char *kind;
  const char *cols[MAXCOLS]; /* NULL-terminated; common columns first */
} kind_columns;

/* Keep in step with records.schema.json (tests/outputs/csv.py checks). */
static const kind_columns KINDS[] = {
  {"document", {COMMON, "file", "size", "lines", "sha256", "date", "type", "title", "number",
                "place", "issuer", "signer", "signer_title", "recipients", "extra", NULL}},
  {"deadline", {COMMON, "type", "start", "end", "every", "year_inferred", "approx", "unresolved",
                "section", "extra", NULL}},
  {"body", {COMMON, "name", "canonical", "role", "generic", "norm", "section", "extra", NULL}},
  {"indicator", {COMMON, "value", "value_max", "unit", "qualifier", "metric", "change", "status",
                 "period", "denominator", "section", "extra", NULL}},
  {"metric", {COMMON, "name", "section", "extra", NULL}},
  {"task", {COMMON, "section", "lead", "support", "director", "report_to", "deadline",
            "indicators", "references", "product", "label", "extra", NULL}},
  {"reference", {COMMON, "ref_type", "number", "date", "issuer", "section", "extra", NULL}},
};
enum { NKINDS = sizeof KINDS / sizeof KINDS[0] };

/* An open output file of one kind. A kind the table does not know (a new
 * rule file) gets the common columns and `extra`. */
typedef struct csv_file {
  char *kind;
  const char *const *cols;
  char *path, *tmp;
  FILE *f;
} csv_file;

struct vnx_csv {
  char *dir;
  csv_file *files;
  size_t n, cap;
};

static const char *const UNKNOWN_COLS[] = {COMMON, "extra", NULL};

static void put_cell(FILE *f, const char *s, size_t n) {
  if (strcspn(s, "\",\r\n") >= n) {
    fwrite(s, 1, n, f);
    return;
  }
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') fputc('"', f);
    fputc(s[i], f);
  }
  fputc('"', f);
}

/* A JSON value as cell text, appended to a memory stream. */
static void value_text(FILE *m, const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_STRING: fwrite(json_string_value(v), 1, json_string_length(v), m); break;
  case JSON_INTEGER: fprintf(m, "%lld", (long long)json_integer_value(v)); break;
  case JSON_REAL: fprintf(m, "%.15g", json_real_value(v)); break;
  case JSON_TRUE: fputs("true", m); break;
  case JSON_FALSE: fputs("false", m); break;
  case JSON_NULL: break;
  case JSON_ARRAY: {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
      if (i) fputs(" | ", m);
      value_text(m, x);
    }
    break;
  }
  case JSON_OBJECT: json_dumpf(v, m, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)); break;
  }
}

static void put_value(FILE *f, const json_t *v) {
  if (!v || json_is_null(v)) return;
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  if (!m) abort(); /* out of memory, as vnx_xmalloc */
  value_text(m, v);
  fclose(m);
  put_cell(f, buf, len);
  free(buf);
}

static void put_row_end(FILE *f) { fputs("\r\n", f); }

static int mkdir_p(const char *dir) {
  char *p = vnx_xstrdup(dir);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      free(p);
      return -1;
    }
    *s = '/';
  }
  int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
  free(p);
  struct stat st;
  if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
    errno = ENOTDIR;
    rc = -1;
  }
  return rc;
}

static csv_file *open_kind(vnx_csv *c, const char *kind, vnx_error *err) {
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->files[i].kind, kind) == 0) return &c->files[i];
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 8;
    c->files = vnx_xrealloc(c->files, c->cap * sizeof *c->files);
  }
  csv_file *cf = &c->files[c->n];
  memset(cf, 0, sizeof *cf);
  cf->cols = UNKNOWN_COLS;
  for (int k = 0; k < NKINDS; k++)
    if (strcmp(KINDS[k].kind, kind) == 0) cf->cols = KINDS[k].cols;
  size_t n = strlen(c->dir) + strlen(kind) + 8;
  cf->path = vnx_xmalloc(n);
  snprintf(cf->path, n, "%s/%s.csv", c->dir, kind);
  cf->f = vnx_atomic_open(cf->path, &cf->tmp, err);
  if (!cf->f) {
    free(cf->path);
    return NULL;
  }
  cf->kind = vnx_xstrdup(kind);
  c->n++;
  for (size_t i = 0; cf->cols[i]; i++) {
    if (i) fputc(',', cf->f);
    put_cell(cf->f, cf->cols[i], strlen(cf->cols[i]));
  }
  put_row_end(cf->f);
  return cf;
}

vnx_csv *vnx_csv_open(const char *dir, vnx_error *err) {
  if (mkdir_p(dir) != 0) {
    vnx_error_set(err, dir, 0, 0, "cannot create directory: %s", strerror(errno));
    return NULL;
  }
  vnx_csv *c = vnx_xcalloc(1, sizeof *c);
  c->dir = vnx_xstrdup(dir);
  /* every known kind has its file, header only when no record has it */
  for (int k = 0; k < NKINDS; k++)
    if (!open_kind(c, KINDS[k].kind, err)) {
      vnx_csv_abort(c);
      return NULL;
    }
  return c;
}

static bool is_column(const char *const *cols, const char *key) {
  for (size_t i = NCOMMON; cols[i]; i++)
    if (strcmp(cols[i], key) == 0) return true;
  return false;
}

int vnx_csv_write_document(vnx_csv *c, const vnx_doc *d, vnx_error *err) {
  static const char *const common_keys[] = {"id", "doc", "kind", "line", "span", "text", "rule"};
  for (size_t r = 0; r < d->recs.n; r++) {
    csv_file *cf = open_kind(c, d->recs.v[r].kind, err);
    if (!cf) return -1;
    json_t *o = vnx_record_json(d, &d->recs.v[r]);
    json_t *span = json_object_get(o, "span");
    /* fields no column takes go to `extra` */
    json_t *extra = json_object();
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
      bool common = false;
      for (size_t i = 0; i < sizeof common_keys / sizeof *common_keys; i++)
        if (strcmp(key, common_keys[i]) == 0) common = true;
      if (!common && !is_column(cf->cols, key)) json_object_set(extra, key, val);
    }
    for (size_t i = 0; cf->cols[i]; i++) {
      const char *col = cf->cols[i];
      if (i) fputc(',', cf->f);
      if (strcmp(col, "span_start") == 0) put_value(cf->f, json_array_get(span, 0));
      else if (strcmp(col, "span_end") == 0) put_value(cf->f, json_array_get(span, 1));
      else if (strcmp(col, "extra") == 0) {
        if (json_object_size(extra)) put_value(cf->f, extra);
      } else put_value(cf->f, json_object_get(o, col));
    }
    put_row_end(cf->f);
    json_decref(extra);
    json_decref(o);
    if (ferror(cf->f)) {
      vnx_error_set(err, cf->path, 0, 0, "cannot write: %s", strerror(errno ? errno : EIO));
      return -1;
    }
  }
  return 0;
}

static void free_csv(vnx_csv *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->files[i].kind);
    free(c->files[i].path);
  }
  free(c->files);
  free(c->dir);
  free(c);
}

int vnx_csv_close(vnx_csv *c, vnx_error *err) {
  if (!c) return 0;
  int rc = 0;
  /* Every file is flushed and synced before any is renamed: a full disk
   * must not leave a mix of new and old files in the directory. */
  for (size_t i = 0; i < c->n; i++) {
    csv_file *cf = &c->files[i];
    if (fflush(cf->f) != 0 || ferror(cf->f) || fsync(fileno(cf->f)) != 0) {
      vnx_error_set(err, cf->path, 0, 0, "cannot write: %s", strerror(errno ? errno : EIO));
      vnx_csv_abort(c);
      return -1;
    }
  }
  for (size_t i = 0; i < c->n; i++) {
    csv_file *cf = &c->files[i];
    if (rc == 0) {
      if (vnx_atomic_commit(cf->f, cf->tmp, cf->path, err) != 0) rc = -1;
    } else {
      vnx_atomic_abort(cf->f, cf->tmp); /* the first failure is reported */
    }
  }
  free_csv(c);
  return rc;
}

void vnx_csv_abort(vnx_csv *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) vnx_atomic_abort(c->files[i].f, c->files[i].tmp);
  free_csv(c);
}
