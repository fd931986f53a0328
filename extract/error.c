/* error.c - diagnostics and the allocation helpers every stage uses. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void vnx_error_set(vnx_error *err, const char *path, unsigned line, size_t byte,
                   const char *fmt, ...) {
  if (!err) return;
  snprintf(err->path, sizeof err->path, "%s", path ? path : "-");
  err->line = line;
  err->byte = byte;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
}

void vnx_error_print(const vnx_error *err, FILE *out) {
  if (err->line)
    fprintf(out, "%s:%u:%zu: error: %s\n", err->path, err->line, err->byte, err->msg);
  else
    fprintf(out, "%s: error: %s\n", err->path, err->msg);
}

_Noreturn void *vnx_oom(size_t n) {
  fprintf(stderr, "vnextract: out of memory (%zu bytes)\n", n);
  abort();
}

void *vnx_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  return p ? p : vnx_oom(n);
}

void *vnx_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  return p ? p : vnx_oom(n * size);
}

void *vnx_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  return q ? q : vnx_oom(n);
}

char *vnx_xstrdup(const char *s) { return vnx_xstrndup(s, strlen(s)); }

char *vnx_xstrndup(const char *s, size_t n) {
  char *p = vnx_xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* memmem is a GNU extension; the project builds with POSIX 2008 only. */
bool vnx_contains(const char *h, size_t hn, const char *nd, size_t nn) {
  if (nn == 0) return true;
  const char *end = h + hn;
  while ((size_t)(end - h) >= nn) {
    const char *p = memchr(h, nd[0], (size_t)(end - h) - nn + 1);
    if (!p) return false;
    if (memcmp(p, nd, nn) == 0) return true;
    h = p + 1;
  }
  return false;
}
