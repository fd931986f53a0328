/* read.c - the read stage: inputs to byte buffers.
 *
 * A document is read whole: the later stages need random access for the
 * offset map, and documents are small (KB to a few MB). Files above
 * VNX_MAX_DOC_BYTES are refused with a message rather than risking memory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define VNX_MAX_DOC_BYTES ((size_t)256 << 20)

static int read_fd(int fd, const char *path, char **buf, size_t *len, vnx_error *err) {
  size_t cap = 1 << 16, n = 0;
  char *b = vnx_xmalloc(cap + 1);
  for (;;) {
    if (n == cap) {
      if (cap >= VNX_MAX_DOC_BYTES) {
        free(b);
        vnx_error_set(err, path, 0, 0, "document larger than %zu MB; split it first",
                      VNX_MAX_DOC_BYTES >> 20);
        return -1;
      }
      cap *= 2;
      b = vnx_xrealloc(b, cap + 1);
    }
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      vnx_error_set(err, path, 0, 0, "cannot read: %s", strerror(errno));
      free(b);
      return -1;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  b[n] = '\0';
  *buf = b;
  *len = n;
  return 0;
}

int vnx_read_file(const char *path, char **buf, size_t *len, vnx_error *err) {
  if (strcmp(path, "-") == 0) return read_fd(0, "<stdin>", buf, len, err);
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    vnx_error_set(err, path, 0, 0, "cannot open: %s", strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    vnx_error_set(err, path, 0, 0, "cannot stat: %s", strerror(errno));
    close(fd);
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    vnx_error_set(err, path, 0, 0, "is a directory, not a document");
    close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    /* A FIFO or device could block or never end: refuse it by name. */
    vnx_error_set(err, path, 0, 0, "not a regular file (FIFO, socket or device)");
    close(fd);
    return -1;
  }
  if ((size_t)st.st_size > VNX_MAX_DOC_BYTES) {
    vnx_error_set(err, path, 0, 0, "document is %lld MB, above the %zu MB limit; split it first",
                  (long long)(st.st_size >> 20), VNX_MAX_DOC_BYTES >> 20);
    close(fd);
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  int rc = read_fd(fd, path, buf, len, err);
  close(fd);
  return rc;
}

static void pathlist_push(vnx_pathlist *pl, char *p) {
  if (pl->n == pl->cap) {
    pl->cap = pl->cap ? pl->cap * 2 : 64;
    pl->v = vnx_xrealloc(pl->v, pl->cap * sizeof *pl->v);
  }
  pl->v[pl->n++] = p;
}

static bool is_document_name(const char *name) {
  size_t n = strlen(name);
  return (n > 4 && strcmp(name + n - 4, ".txt") == 0) ||
         (n > 3 && strcmp(name + n - 3, ".md") == 0);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Directories are walked recursively; only *.txt and *.md are documents
 * there (a README or a .jsonl beside them is not). Hidden entries skipped. */
static int walk_dir(const char *dir, vnx_pathlist *out, FILE *err_out) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(err_out, "%s: error: cannot open directory: %s\n", dir, strerror(errno));
    return 1;
  }
  int bad = 0;
  vnx_pathlist here = {0};
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    size_t n = strlen(dir) + strlen(e->d_name) + 2;
    char *p = vnx_xmalloc(n);
    snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
    pathlist_push(&here, p);
  }
  closedir(d);
  if (here.n) qsort(here.v, here.n, sizeof *here.v, cmp_str); /* v is NULL when empty */
  for (size_t i = 0; i < here.n; i++) {
    struct stat st;
    const char *name = strrchr(here.v[i], '/') + 1;
    if (stat(here.v[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      bad += walk_dir(here.v[i], out, err_out);
      free(here.v[i]);
    } else if (is_document_name(name)) {
      pathlist_push(out, here.v[i]);
    } else {
      free(here.v[i]);
    }
  }
  free(here.v);
  return bad;
}

int vnx_collect_inputs(char **paths, int npaths, vnx_pathlist *out, FILE *err_out) {
  int bad = 0;
  for (int i = 0; i < npaths; i++) {
    struct stat st;
    if (strcmp(paths[i], "-") == 0) {
      pathlist_push(out, vnx_xstrdup("-"));
    } else if (stat(paths[i], &st) != 0) {
      /* Kept in the list: processing reports it with the batch's errors. */
      pathlist_push(out, vnx_xstrdup(paths[i]));
    } else if (S_ISDIR(st.st_mode)) {
      size_t before = out->n;
      bad += walk_dir(paths[i], out, err_out);
      if (out->n == before)
        fprintf(err_out, "%s: warning: no documents (*.txt, *.md) in this directory\n", paths[i]);
    } else {
      pathlist_push(out, vnx_xstrdup(paths[i]));
    }
  }
  return bad;
}

void vnx_pathlist_free(vnx_pathlist *pl) {
  if (!pl) return;
  for (size_t i = 0; i < pl->n; i++) free(pl->v[i]);
  free(pl->v);
  memset(pl, 0, sizeof *pl);
}

char *vnx_path_stem(const char *path) {
  if (strcmp(path, "-") == 0) return vnx_xstrdup("stdin");
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  return vnx_xstrndup(base, n);
}
