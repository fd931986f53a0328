/* check.c - the golden regression loop a rule author lives in.
 *
 * Extracts every corpus document, compares the records with
 * golden/<doc>.jsonl by id (ids depend on document, kind and span only), and
 * prints what was added, removed or changed, per document and per rule. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "internal.h"

typedef struct rule_tally {
  char *rule;
  int added, removed, changed;
} rule_tally;

typedef struct tallies {
  rule_tally *v;
  size_t n, cap;
} tallies;

static rule_tally *tally_for(tallies *t, const char *rule) {
  if (!rule) rule = "(none)";
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->v[i].rule, rule) == 0) return &t->v[i];
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 16;
    t->v = vnx_xrealloc(t->v, t->cap * sizeof *t->v);
  }
  rule_tally *r = &t->v[t->n++];
  memset(r, 0, sizeof *r);
  r->rule = vnx_xstrdup(rule);
  return r;
}

static int cmp_tally(const void *a, const void *b) {
  return strcmp(((const rule_tally *)a)->rule, ((const rule_tally *)b)->rule);
}

/* Up to ~90 bytes of the original line around [start, end), cut on UTF-8
 * character boundaries, so a diff line shows where the record sits. */
static void print_excerpt(FILE *out, const vnx_doc *d, unsigned line, size_t start) {
  if (line == 0 || line > d->nlines) return;
  size_t ls = d->line_starts[line - 1];
  size_t le = line < d->nlines ? d->line_starts[line] : d->orig_len;
  while (le > ls && (d->orig[le - 1] == '\n' || d->orig[le - 1] == '\r')) le--;
  if (start < ls || start > le) start = ls;
  size_t a = start > ls + 30 ? start - 30 : ls;
  size_t b = a + 90 < le ? a + 90 : le;
  while (a > ls && ((unsigned char)d->orig[a] & 0xC0) == 0x80) a--;
  while (b < le && ((unsigned char)d->orig[b] & 0xC0) == 0x80) b++;
  fprintf(out, "      %u| %s%.*s%s\n", line, a > ls ? "…" : "", (int)(b - a), d->orig + a,
          b < le ? "…" : "");
}

static void print_record_head(FILE *out, char sign, json_t *r) {
  const char *text = json_string_value(json_object_get(r, "text"));
  const char *rule = json_string_value(json_object_get(r, "rule"));
  fprintf(out, "  %c %s line %lld %s [%s] \"%.60s%s\"\n", sign,
          json_string_value(json_object_get(r, "id")),
          (long long)json_integer_value(json_object_get(r, "line")),
          json_string_value(json_object_get(r, "kind")), rule ? rule : "-", text ? text : "",
          text && strlen(text) > 60 ? "…" : "");
}

static size_t span_start(json_t *r) {
  return (size_t)json_integer_value(json_array_get(json_object_get(r, "span"), 0));
}

/* Golden file -> array of records. A missing file is an empty array. */
static json_t *load_golden(const char *path, FILE *out, int *bad) {
  json_t *arr = json_array();
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno != ENOENT) {
      fprintf(out, "%s: error: %s\n", path, strerror(errno));
      (*bad)++;
    }
    return arr;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  unsigned lineno = 0;
  while ((n = getline(&line, &cap, f)) > 0) {
    lineno++;
    if (n == 1 && line[0] == '\n') continue;
    json_error_t je;
    json_t *r = json_loadb(line, (size_t)n, 0, &je);
    if (!r || !json_is_object(r)) {
      fprintf(out, "%s:%u:%d: error: not a JSON object: %s\n", path, lineno, je.column, je.text);
      (*bad)++;
      json_decref(r);
      continue;
    }
    json_array_append_new(arr, r);
  }
  free(line);
  fclose(f);
  return arr;
}

/* id -> position in the golden array, built once per document (a jansson
 * object is a hash table), so the diff stays linear in the records. */
static json_t *index_by_id(json_t *arr) {
  json_t *ix = json_object();
  size_t i;
  json_t *r;
  json_array_foreach(arr, i, r) {
    const char *rid = json_string_value(json_object_get(r, "id"));
    if (rid && !json_object_get(ix, rid)) json_object_set_new(ix, rid, json_integer((json_int_t)i));
  }
  return ix;
}

static json_t *find_by_id(json_t *arr, json_t *ix, const char *id, size_t *index) {
  json_t *pos = id ? json_object_get(ix, id) : NULL;
  if (!pos) return NULL;
  *index = (size_t)json_integer_value(pos);
  return json_array_get(arr, *index);
}

typedef struct doc_diff {
  int added, removed, changed;
} doc_diff;

/* Prints the differences of one document; returns their count. */
static int diff_document(FILE *out, const vnx_doc *d, json_t *actual, json_t *golden,
                         tallies *t, doc_diff *dd) {
  char *seen = vnx_xcalloc(json_array_size(golden) + 1, 1);
  json_t *ix = index_by_id(golden);
  int header = 0;
  size_t i;
  json_t *a;
#define HEADER()                                                 \
  do {                                                           \
    if (!header++) fprintf(out, "== %s\n", d->stem);             \
  } while (0)
  json_array_foreach(actual, i, a) {
    const char *id = json_string_value(json_object_get(a, "id"));
    size_t gi;
    json_t *g = find_by_id(golden, ix, id, &gi);
    const char *rule = json_string_value(json_object_get(a, "rule"));
    if (!g) {
      HEADER();
      print_record_head(out, '+', a);
      print_excerpt(out, d, (unsigned)json_integer_value(json_object_get(a, "line")), span_start(a));
      tally_for(t, rule)->added++;
      dd->added++;
      continue;
    }
    seen[gi] = 1;
    if (json_equal(a, g)) continue;
    HEADER();
    print_record_head(out, '~', a);
    const char *key;
    json_t *av;
    json_object_foreach(a, key, av) {
      json_t *gv = json_object_get(g, key);
      if (gv && json_equal(av, gv)) continue;
      char *gs = gv ? json_dumps(gv, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
      char *as = json_dumps(av, JSON_ENCODE_ANY | JSON_COMPACT);
      fprintf(out, "      field %s: %s -> %s\n", key, gv ? gs : "(absent)", as);
      vnx_json_free(gs);
      vnx_json_free(as);
    }
    json_t *gv;
    json_object_foreach(g, key, gv) {
      if (json_object_get(a, key)) continue;
      char *gs = json_dumps(gv, JSON_ENCODE_ANY | JSON_COMPACT);
      fprintf(out, "      field %s: %s -> (absent)\n", key, gs);
      vnx_json_free(gs);
    }
    print_excerpt(out, d, (unsigned)json_integer_value(json_object_get(a, "line")), span_start(a));
    tally_for(t, rule)->changed++;
    dd->changed++;
  }
  json_array_foreach(golden, i, a) {
    if (seen[i]) continue;
    HEADER();
    print_record_head(out, '-', a);
    print_excerpt(out, d, (unsigned)json_integer_value(json_object_get(a, "line")), span_start(a));
    tally_for(t, json_string_value(json_object_get(a, "rule")))->removed++;
    dd->removed++;
  }
#undef HEADER
  json_decref(ix);
  free(seen);
  int n = dd->added + dd->removed + dd->changed;
  if (n)
    fprintf(out, "  %s: %d added, %d removed, %d changed\n", d->stem, dd->added, dd->removed,
            dd->changed);
  return n;
}

static int fill_jsonl(FILE *f, void *ctx) { return vnx_write_jsonl(ctx, f); }

static char *join_path(const char *dir, const char *name, const char *ext) {
  size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
  char *p = vnx_xmalloc(n);
  snprintf(p, n, "%s/%s%s", dir, name, ext);
  return p;
}

/* The golden files (*.jsonl) of a directory. */
static void list_golden(const char *dir, vnx_pathlist *out) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (e->d_name[0] == '.' || n < 7 || strcmp(e->d_name + n - 6, ".jsonl") != 0) continue;
    if (out->n == out->cap) {
      out->cap = out->cap ? out->cap * 2 : 16;
      out->v = vnx_xrealloc(out->v, out->cap * sizeof *out->v);
    }
    out->v[out->n++] = join_path(dir, e->d_name, "");
  }
  closedir(d);
}

/* Golden files whose document is gone are differences too. */
static int stale_golden(const vnx_check_options *co, const vnx_pathlist *docs, FILE *out) {
  vnx_pathlist gl = {0};
  list_golden(co->golden_dir, &gl);
  int stale = 0;
  for (size_t i = 0; i < gl.n; i++) {
    char *stem = vnx_path_stem(gl.v[i]);
    bool found = false;
    for (size_t j = 0; j < docs->n && !found; j++) {
      char *ds = vnx_path_stem(docs->v[j]);
      found = strcmp(ds, stem) == 0;
      free(ds);
    }
    if (!found) {
      if (co->update) {
        remove(gl.v[i]);
        fprintf(out, "removed %s (no such document in %s)\n", gl.v[i], co->corpus_dir);
      } else {
        fprintf(out, "== %s\n  golden file %s has no document in %s\n", stem, gl.v[i],
                co->corpus_dir);
      }
      stale++;
    }
    free(stem);
  }
  vnx_pathlist_free(&gl);
  return stale;
}

static json_t *records_array(const vnx_doc *d) {
  json_t *arr = json_array();
  for (size_t i = 0; i < d->recs.n; i++) json_array_append_new(arr, vnx_record_json(d, &d->recs.v[i]));
  return arr;
}

int vnx_check(const vnx_check_options *co, FILE *out) {
  struct stat st;
  if (stat(co->corpus_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(out, "%s: error: corpus directory not found\n", co->corpus_dir);
    return 2;
  }
  if (stat(co->golden_dir, &st) != 0) {
    if (!co->update) {
      fprintf(out, "%s: error: golden directory not found (create it with check --update)\n",
              co->golden_dir);
      return 2;
    }
    if (mkdir(co->golden_dir, 0777) != 0) {
      fprintf(out, "%s: error: cannot create: %s\n", co->golden_dir, strerror(errno));
      return 2;
    }
  }
  vnx_pathlist docs = {0};
  char *dirs[] = {(char *)co->corpus_dir};
  int bad = vnx_collect_inputs(dirs, 1, &docs, out);
  vnx_matcher *m = co->rules ? vnx_matcher_new(co->rules) : NULL;
  tallies t = {0};
  int ndiff = 0, nupdated = 0;
  doc_diff total = {0};
  for (size_t i = 0; i < docs.n; i++) {
    vnx_doc d;
    vnx_error err;
    if (vnx_process_file(docs.v[i], co->opt, m, &d, &err, out) != 0) {
      vnx_error_print(&err, out);
      bad++;
      vnx_doc_free(&d);
      continue;
    }
    char *gpath = join_path(co->golden_dir, d.stem, ".jsonl");
    json_t *golden = load_golden(gpath, out, &bad);
    json_t *actual = records_array(&d);
    doc_diff dd = {0};
    FILE *sink = co->update ? fopen("/dev/null", "w") : out;
    int n = diff_document(sink ? sink : out, &d, actual, golden, &t, &dd);
    if (co->update && sink) fclose(sink);
    if (n) {
      ndiff += n;
      total.added += dd.added;
      total.removed += dd.removed;
      total.changed += dd.changed;
      if (co->update) {
        vnx_error err2;
        if (vnx_write_atomic(gpath, fill_jsonl, &d, &err2) != 0) {
          vnx_error_print(&err2, out);
          bad++;
        } else {
          fprintf(out, "updated %s: %d added, %d removed, %d changed\n", gpath, dd.added,
                  dd.removed, dd.changed);
          nupdated++;
        }
      }
    }
    json_decref(golden);
    json_decref(actual);
    free(gpath);
    vnx_doc_free(&d);
  }
  int stale = stale_golden(co, &docs, out);
  if (t.n && !co->update) {
    qsort(t.v, t.n, sizeof *t.v, cmp_tally);
    fprintf(out, "\nby rule:\n");
    for (size_t i = 0; i < t.n; i++)
      fprintf(out, "  %-36s +%d -%d ~%d\n", t.v[i].rule, t.v[i].added, t.v[i].removed,
              t.v[i].changed);
  }
  for (size_t i = 0; i < t.n; i++) free(t.v[i].rule);
  free(t.v);
  if (co->update)
    fprintf(out, "%zu documents, %d golden files updated (%d records added, %d removed, %d changed)%s\n",
            docs.n, nupdated, total.added, total.removed, total.changed,
            bad ? ", with errors" : "");
  else
    fprintf(out, "%zu documents: %d records added, %d removed, %d changed%s\n", docs.n,
            total.added, total.removed, total.changed, stale ? ", stale golden files" : "");
  vnx_matcher_free(m);
  vnx_pathlist_free(&docs);
  if (bad) return 2;
  if (co->update) return 0;
  return ndiff || stale ? 1 : 0;
}
