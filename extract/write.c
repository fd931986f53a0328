/* write.c - the write stage: records to JSON Lines, atomic file output. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* FNV-1a 64: small, stable across platforms and releases, which is all an
 * id needs. The id depends on document, kind and span only, never on the
 * position of the record in the output, so adding a rule adds records to a
 * golden diff instead of renumbering the rest. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

void vnx_record_id(const char *doc, const vnx_record *r, char out[40]) {
  char span[64];
  int n = snprintf(span, sizeof span, "%zu:%zu", r->start, r->end);
  uint64_t h = 0xcbf29ce484222325ULL;
  h = fnv1a(h, doc, strlen(doc) + 1);
  h = fnv1a(h, r->kind, strlen(r->kind) + 1);
  h = fnv1a(h, span, (size_t)n);
  snprintf(out, 40, "%.3s-%016llx", r->kind, (unsigned long long)h);
}

json_t *vnx_record_json(const vnx_doc *d, const vnx_record *r) {
  char id[40];
  vnx_record_id(d->stem, r, id);
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(id));
  json_object_set_new(o, "doc", json_string(d->stem));
  json_object_set_new(o, "kind", json_string(r->kind));
  json_object_set_new(o, "line", json_integer(r->line));
  json_object_set_new(o, "span", json_pack("[II]", (json_int_t)r->start, (json_int_t)r->end));
  json_object_set_new(o, "text", json_string(r->text ? r->text : ""));
  json_object_set_new(o, "rule", r->rule ? json_string(r->rule) : json_null());
  const char *key;
  json_t *val;
  json_object_foreach(r->fields, key, val) json_object_set(o, key, val);
  return o;
}

#define VNX_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

int vnx_write_jsonl(const vnx_doc *d, FILE *out) {
  for (size_t i = 0; i < d->recs.n; i++) {
    json_t *o = vnx_record_json(d, &d->recs.v[i]);
    int rc = json_dumpf(o, out, VNX_JSON_FLAGS);
    json_decref(o);
    if (rc != 0 || fputc('\n', out) == EOF) return -1;
  }
  return ferror(out) ? -1 : 0;
}

FILE *vnx_atomic_open(const char *path, char **tmp_out, vnx_error *err) {
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    /* /dev/null, a FIFO, /dev/stdout: renaming a temporary file over it
     * would replace the device, so write to it directly. */
    if (S_ISDIR(st.st_mode)) {
      vnx_error_set(err, path, 0, 0, "is a directory");
      return NULL;
    }
    FILE *f = fopen(path, "w");
    if (!f) vnx_error_set(err, path, 0, 0, "cannot open: %s", strerror(errno));
    *tmp_out = NULL;
    return f;
  }
  size_t n = strlen(path) + 16;
  char *tmp = vnx_xmalloc(n);
  snprintf(tmp, n, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    vnx_error_set(err, path, 0, 0, "cannot create temporary file: %s", strerror(errno));
    free(tmp);
    return NULL;
  }
  fchmod(fd, 0644);
  FILE *f = fdopen(fd, "w");
  if (!f) {
    vnx_error_set(err, path, 0, 0, "cannot open temporary file: %s", strerror(errno));
    close(fd);
    unlink(tmp);
    free(tmp);
    return NULL;
  }
  *tmp_out = tmp;
  return f;
}

int vnx_atomic_commit(FILE *f, char *tmp, const char *path, vnx_error *err) {
  if (!tmp) {
    int bad = ferror(f) | (fclose(f) != 0);
    if (bad) vnx_error_set(err, path, 0, 0, "cannot write: %s", strerror(errno ? errno : EIO));
    return bad ? -1 : 0;
  }
  int rc = 0;
  /* fsync is for files we rename into place, not for devices. */
  if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0) rc = -1;
  if (fclose(f) != 0) rc = -1;
  if (rc == 0 && rename(tmp, path) != 0) rc = -1;
  if (rc != 0) {
    vnx_error_set(err, path, 0, 0, "cannot write: %s", strerror(errno ? errno : EIO));
    unlink(tmp);
  }
  free(tmp);
  return rc;
}

void vnx_atomic_abort(FILE *f, char *tmp) {
  fclose(f);
  if (tmp) unlink(tmp);
  free(tmp);
}

int vnx_write_atomic(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx,
                     vnx_error *err) {
  char *tmp;
  FILE *f = vnx_atomic_open(path, &tmp, err);
  if (!f) return -1;
  if (fill(f, ctx) != 0) {
    vnx_error_set(err, path, 0, 0, "cannot write: %s", strerror(errno ? errno : EIO));
    vnx_atomic_abort(f, tmp);
    return -1;
  }
  return vnx_atomic_commit(f, tmp, path, err);
}
