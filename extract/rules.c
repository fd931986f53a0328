/* rules.c - loads rules/ *.rules and *.tsv (format: rules/README.md) into a
 * compiled, read-only ruleset shared by every thread.
 *
 * Two phases: (1) read every file, collecting fragments, gazetteers and
 * rules with their raw pattern pieces; (2) expand each rule, compile (and
 * JIT-compile) the patterns on a few threads, then check each template
 * against the groups the compiled pattern has, in rule order.
 * Fragments are global, so phase 2 can only start once all files are read.
 * Errors are reported and counted and loading goes on, so that one run
 * shows every error. */
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <utf8proc.h>

#include "rules_int.h"

/* ---- growable buffers -------------------------------------------------- */

/* An expanded pattern and, for each byte, where it came from: the rule file
 * line and the byte column in it. Bytes produced by a fragment or gazetteer
 * expansion point at the "{" of the reference in the rule's own text; frag
 * names the fragment for a note. */
typedef struct xsrc {
  unsigned line;
  unsigned col;
  const char *frag;
} xsrc;

typedef struct xbuf {
  char *s;
  xsrc *m;
  size_t len, cap;
} xbuf;

static void xb_put(xbuf *b, const char *s, size_t n, const xsrc *m, size_t mstep) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->s = vnx_xrealloc(b->s, b->cap);
    b->m = vnx_xrealloc(b->m, b->cap * sizeof *b->m);
  }
  memcpy(b->s + b->len, s, n);
  for (size_t i = 0; i < n; i++) b->m[b->len + i] = m[mstep ? i : 0];
  b->len += n;
  b->s[b->len] = 0;
}

static void xb_free(xbuf *b) {
  free(b->s);
  free(b->m);
  memset(b, 0, sizeof *b);
}

#define PUSH(arr, n, cap, val)                                        \
  do {                                                                \
    if ((n) == (cap)) {                                               \
      (cap) = (cap) ? (cap) * 2 : 8;                                  \
      (arr) = vnx_xrealloc((arr), (cap) * sizeof *(arr));             \
    }                                                                 \
    (arr)[(n)++] = (val);                                             \
  } while (0)

/* ---- loader state ------------------------------------------------------ */

typedef struct frag {
  char *name;
  size_t src; /* file index */
  unsigned line;
  size_t col; /* byte column of the body */
  int state;  /* 0 new, 1 expanding, 2 done, 3 broken */
  char *exp;  /* expansion */
  size_t explen;
} frag;

typedef struct piece {
  unsigned line;
  size_t col; /* byte column of the value in the line */
} piece;

typedef struct prule {
  vnx_rule r;
  piece *pat;
  size_t npat, cappat;
  piece *pre; /* prefix lines: the pattern is the prefix, then the pattern lines */
  size_t npre, cappre;
  piece *sets;
  size_t nsets, capsets;
  bool has_kind, has_action, has_prio, has_opts, has_needs;
  bool bad;
} prule;

typedef struct loader {
  vnx_ruleset *rs;
  FILE *diag;
  int nerr, nwarn;
  frag *frags;
  size_t nfrags, capfrags;
  prule *rules;
  size_t nrules, caprules;
  size_t capsrc, capkinds, capgaz;
  /* `shared NAME` lines: the fragments read once per position (match.c) */
  struct shname { char *name; size_t src; unsigned line; size_t col; } *shn;
  size_t nshn, capshn;
  size_t capsh; /* of rs->sh */
} loader;

/* ---- pcre2's memory ----------------------------------------------------- */

/* pcre2's JIT compiler allocates and frees thousands of 4 KB blocks (and a
 * few big ones) per pattern. Between two patterns the C library gives the
 * freed memory back to the kernel, and the next pattern faults it in again:
 * about a fifth of the JIT time. While the rules load, freed blocks of 2 KB
 * and more are kept here, by power-of-two size, and reused. The patterns
 * keep this allocator (pcre2_code_free calls it), so it lives as long as
 * the ruleset; after loading it only passes blocks on to free(). */
#define BLK_MIN_LOG 11 /* 2 KB */
#define BLK_MAX_LOG 24 /* 16 MB */
#define BLK_HDR 16     /* size class in front of each block; keeps alignment */
/* a kept block: its size class stays in the header, the link after it */
#define blk_next(b) (((void **)(b))[1])

typedef struct vnx_blkcache {
  pthread_mutex_t mu;
  bool keep; /* loading: keep freed blocks */
  void *free[BLK_MAX_LOG + 1]; /* kept blocks per size class, linked by blk_next */
} vnx_blkcache;

static void *blk_malloc(PCRE2_SIZE n, void *data) {
  vnx_blkcache *bc = data;
  int lg = 0;
  while (lg <= BLK_MAX_LOG && ((size_t)1 << lg) < n) lg++;
  if (lg < BLK_MIN_LOG || lg > BLK_MAX_LOG) lg = 0; /* not cached: exact size */
  if (lg) {
    pthread_mutex_lock(&bc->mu);
    void *b = bc->free[lg];
    if (b) bc->free[lg] = blk_next(b);
    pthread_mutex_unlock(&bc->mu);
    if (b) return (char *)b + BLK_HDR;
  }
  char *b = malloc((lg ? (size_t)1 << lg : n) + BLK_HDR);
  if (!b) return NULL;
  *(int *)b = lg;
  return b + BLK_HDR;
}

static void blk_free(void *p, void *data) {
  vnx_blkcache *bc = data;
  if (!p) return;
  char *b = (char *)p - BLK_HDR;
  int lg = *(int *)b;
  if (lg) {
    pthread_mutex_lock(&bc->mu);
    bool keep = bc->keep;
    if (keep) {
      blk_next(b) = bc->free[lg];
      bc->free[lg] = b;
    }
    pthread_mutex_unlock(&bc->mu);
    if (keep) return;
  }
  free(b);
}

/* loading is over: the kept blocks go back to the C library */
static void blk_release(vnx_blkcache *bc) {
  pthread_mutex_lock(&bc->mu);
  bc->keep = false;
  for (int lg = 0; lg <= BLK_MAX_LOG; lg++)
    while (bc->free[lg]) {
      void *b = bc->free[lg];
      bc->free[lg] = blk_next(b);
      free(b);
    }
  pthread_mutex_unlock(&bc->mu);
}

/* ---- diagnostics ------------------------------------------------------- */

/* "FILE:LINE:COL: error: MSG", the source line, a caret under COL. COL is
 * counted in code points (what an editor shows), 1-based. */
static void vdiag(const vnx_ruleset *rs, FILE *out, size_t src, unsigned line, size_t col,
                  const char *sev, const char *fmt, va_list ap) {
  if (!out) return;
  const vnx_srcfile *f = &rs->src[src];
  const char *text = line >= 1 && line <= f->nlines ? f->lines[line - 1] : "";
  size_t tl = strlen(text);
  if (col > tl) col = tl;
  unsigned ccol = 1;
  for (size_t i = 0; i < col; i++)
    if (((unsigned char)text[i] & 0xC0) != 0x80) ccol++;
  fprintf(out, "%s:%u:%u: %s: ", f->path, line, ccol, sev);
  vfprintf(out, fmt, ap);
  fprintf(out, "\n%s\n", text);
  for (size_t i = 0; i < col; i++) {
    if (((unsigned char)text[i] & 0xC0) == 0x80) continue;
    fputc(text[i] == '\t' ? '\t' : ' ', out);
  }
  fputs("^\n", out);
}

__attribute__((format(printf, 5, 6))) static void err_at(loader *L, size_t src, unsigned line,
                                                         size_t col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vdiag(L->rs, L->diag, src, line, col, "error", fmt, ap);
  va_end(ap);
  L->nerr++;
}

__attribute__((format(printf, 5, 6))) static void warn_at(loader *L, size_t src, unsigned line,
                                                          size_t col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vdiag(L->rs, L->diag, src, line, col, "warning", fmt, ap);
  va_end(ap);
  L->nwarn++;
}

/* ---- small text helpers ------------------------------------------------ */

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

static bool is_ident_start(int c) { return isalpha(c) || c == '_'; }
static bool is_ident(int c) { return isalnum(c) || c == '_'; }

static char *norm(const vnx_ruleset *rs, const char *s, size_t n) {
  char *t = vnx_xstrndup(s, n);
  char *r = vnx_normalise_string(t, rs->style);
  free(t);
  return r;
}

/* Normalises a pattern piece run by run: ASCII punctuation (the pcre2
 * syntax) is copied as is, each run of letters is normalised on its own so
 * that every output byte keeps a source column (tone placement works within
 * a syllable, which never spans punctuation). */
static bool norm_piece(loader *L, const char *s, size_t n, unsigned line, size_t col0,
                       xbuf *out) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80 && !isalpha(c)) {
      xsrc m = {line, (unsigned)(col0 + i), NULL};
      xb_put(out, s + i, 1, &m, 0);
      i++;
      continue;
    }
    size_t j = i;
    while (j < n && ((unsigned char)s[j] >= 0x80 || isalpha((unsigned char)s[j]))) j++;
    char *r = norm(L->rs, s + i, j - i);
    if (!r) return false;
    size_t rl = strlen(r);
    for (size_t k = 0; k < rl; k++) {
      size_t off = k < j - i ? k : j - i - 1;
      xsrc m = {line, (unsigned)(col0 + i + off), NULL};
      xb_put(out, r + k, 1, &m, 0);
    }
    free(r);
    i = j;
  }
  return true;
}

/* Parses a double-quoted string at *pp (escapes \" \\ \t \n). */
static char *parse_quoted(const char **pp) {
  const char *p = *pp;
  if (*p != '"') return NULL;
  p++;
  size_t cap = strlen(p) + 1, n = 0;
  char *o = vnx_xmalloc(cap);
  while (*p && *p != '"') {
    if (*p == '\\' && (p[1] == 't' || p[1] == 'n')) { /* a tab separates table cells */
      o[n++] = p[1] == 't' ? '\t' : '\n';
      p += 2;
      continue;
    }
    if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
    o[n++] = *p++;
  }
  if (*p != '"') {
    free(o);
    return NULL;
  }
  o[n] = 0;
  *pp = p + 1;
  return o;
}

/* ---- gazetteers -------------------------------------------------------- */

/* buf[0..len) made a lookup key in place: whitespace runs as one space,
 * trimmed, NUL-terminated; returns its length */
static size_t squeeze_spaces(char *buf, size_t len) {
  size_t o = 0;
  bool sp = true;
  for (size_t i = 0; i < len; i++) {
    char c = buf[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!sp) buf[o++] = ' ';
      sp = true;
    } else {
      buf[o++] = c;
      sp = false;
    }
  }
  while (o && buf[o - 1] == ' ') o--;
  buf[o] = 0;
  return o;
}

/* Folded lookup key: lower case, whitespace runs as one space, trimmed. */
static char *fold_key(const char *s, size_t n) {
  char *buf = NULL;
  size_t cap = 0, len = vnx_fold_lower(s, n, &buf, &cap);
  squeeze_spaces(buf, len);
  return buf;
}

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const vnx_gaz_entry *)a)->key, ((const vnx_gaz_entry *)b)->key);
}

static int cmp_len_desc(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t lx = strlen(x), ly = strlen(y);
  if (lx != ly) return lx > ly ? -1 : 1;
  return strcmp(x, y);
}

/* (asked at every canonical()/unit() call: the first letter settles most
 * names before a strcasecmp, which folds case as tolower does) */
const vnx_gazetteer *vnx_rules_gaz(const vnx_ruleset *rs, const char *name) {
  int c0 = tolower((unsigned char)name[0]);
  for (size_t i = 0; rs && i < rs->ngaz; i++)
    if (tolower((unsigned char)rs->gaz[i].name[0]) == c0 && strcasecmp(rs->gaz[i].name, name) == 0)
      return &rs->gaz[i];
  return NULL;
}

/* On the path of every canonical()/unit() call: the key is folded into a
 * buffer on the stack when it fits (vnx_fold_lower grows its buffer only
 * when cap is less than 3n + 1). */
const char *vnx_gaz_lookup(const vnx_gazetteer *g, const char *s, size_t n) {
  char stack[512];
  char *buf = stack;
  size_t cap = sizeof stack;
  if (3 * n + 1 > cap) buf = NULL, cap = 0;
  size_t len = vnx_fold_lower(s, n, &buf, &cap);
  squeeze_spaces(buf, len);
  vnx_gaz_entry key = {buf, NULL};
  const vnx_gaz_entry *e = bsearch(&key, g->idx, g->nidx, sizeof *g->idx, cmp_entry);
  if (buf != stack) free(buf);
  return e ? e->canon : NULL;
}

static char *read_whole(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *b = vnx_xmalloc(cap);
  size_t k;
  while ((k = fread(b + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (cap - n - 1 == 0) b = vnx_xrealloc(b, cap *= 2);
  }
  fclose(f);
  b[n] = 0;
  *len = n;
  return b;
}

/* Registers a source file and splits it into lines (kept for diagnostics). */
static size_t add_src(loader *L, const char *path, char *data, size_t len) {
  vnx_ruleset *rs = L->rs;
  vnx_srcfile f;
  memset(&f, 0, sizeof f);
  f.path = vnx_xstrdup(path);
  f.data = data;
  strcpy(f.doc_date, "2026-05-15");
  size_t cap = 0;
  char *p = data, *end = data + len;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    char *e = nl ? nl : end;
    if (e > p && e[-1] == '\r') e[-1] = 0;
    *e = 0;
    PUSH(f.lines, f.nlines, cap, p);
    p = e + 1;
  }
  PUSH(rs->src, rs->nsrc, L->capsrc, f);
  return rs->nsrc - 1;
}

/* Reads DIR/FNAME into the loader's sources (kept for diagnostics).
 * Returns its index, or -1 after reporting that it cannot be read. */
static long read_src(loader *L, const char *dir, const char *fname) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, fname);
  size_t len;
  char *data = read_whole(path, &len);
  if (!data) {
    fprintf(L->diag ? L->diag : stderr, "%s: error: cannot read\n", path);
    L->nerr++;
    return -1;
  }
  return (long)add_src(L, path, data, len);
}

static void load_gazetteer(loader *L, const char *dir, const char *fname) {
  long srci = read_src(L, dir, fname);
  if (srci < 0) return;
  size_t src = (size_t)srci;
  vnx_gazetteer g;
  memset(&g, 0, sizeof g);
  g.name = vnx_xstrndup(fname, strlen(fname) - 4);
  size_t capf = 0, capc = 0, capi = 0;
  const vnx_srcfile *f = &L->rs->src[src];
  for (size_t ln = 0; ln < f->nlines; ln++) {
    const char *line = f->lines[ln];
    if (*skip_ws(line) == 0 || *skip_ws(line) == '#') continue;
    const char *canon = NULL;
    const char *p = line;
    while (1) {
      const char *tab = strchr(p, '\t');
      size_t n = tab ? (size_t)(tab - p) : strlen(p);
      while (n && p[n - 1] == ' ') n--;
      const char *q = skip_ws(p);
      n -= (size_t)(q - p);
      if (n > 0) {
        char *form = norm(L->rs, q, n);
        if (!form) {
          err_at(L, src, (unsigned)ln + 1, (size_t)(q - line), "invalid UTF-8");
        } else {
          if (!canon) {
            PUSH(g.canons, g.ncanons, capc, form);
            canon = form;
            form = vnx_xstrdup(form);
          }
          vnx_gaz_entry e = {fold_key(form, strlen(form)), canon};
          PUSH(g.idx, g.nidx, capi, e);
          PUSH(g.forms, g.nforms, capf, form);
        }
      }
      if (!tab) break;
      p = tab + 1;
    }
  }
  if (g.nforms) qsort(g.forms, g.nforms, sizeof *g.forms, cmp_len_desc);
  if (g.nidx) qsort(g.idx, g.nidx, sizeof *g.idx, cmp_entry);
  /* the same key twice: keep the first canonical form, drop duplicates */
  size_t o = 0;
  for (size_t i = 0; i < g.nidx; i++) {
    if (o > 0 && strcmp(g.idx[o - 1].key, g.idx[i].key) == 0) {
      if (strcmp(g.idx[o - 1].canon, g.idx[i].canon) != 0)
        warn_at(L, src, 1, 0, "'%s' maps to both '%s' and '%s'", g.idx[i].key,
                g.idx[o - 1].canon, g.idx[i].canon);
      free(g.idx[i].key);
      continue;
    }
    g.idx[o++] = g.idx[i];
  }
  g.nidx = o;
  o = 0;
  for (size_t i = 0; i < g.nforms; i++) {
    if (o > 0 && strcmp(g.forms[o - 1], g.forms[i]) == 0) {
      free(g.forms[i]);
      continue;
    }
    g.forms[o++] = g.forms[i];
  }
  g.nforms = o;
  PUSH(L->rs->gaz, L->rs->ngaz, L->capgaz, g);
}

/* ---- phase 1: reading rule files --------------------------------------- */

static int intern_kind(loader *L, const char *k) {
  vnx_ruleset *rs = L->rs;
  for (size_t i = 0; i < rs->nkinds; i++)
    if (strcmp(rs->kinds[i], k) == 0) return (int)i;
  PUSH(rs->kinds, rs->nkinds, L->capkinds, vnx_xstrdup(k));
  return (int)rs->nkinds - 1;
}

static bool valid_rule_id(const char *s) {
  if (!*s) return false;
  bool seg = false;
  for (; *s; s++) {
    if (isalnum((unsigned char)*s) || *s == '_' || *s == '-') {
      seg = true;
    } else if (*s == '.') {
      if (!seg) return false;
      seg = false;
    } else {
      return false;
    }
  }
  return seg;
}

static void finish_rule(loader *L, prule *p) {
  if (!p) return;
  if (!p->has_kind) {
    err_at(L, p->r.src, p->r.line, 5, "rule %s has no kind", p->r.id);
    p->bad = true;
  }
  if (p->npat == 0) {
    err_at(L, p->r.src, p->r.line, 5, "rule %s has no pattern", p->r.id);
    p->bad = true;
  }
}

/* expect "TEXT" -> k=v k="v w" | reject "TEXT" */
static void parse_example(loader *L, prule *p, size_t src, unsigned ln, const char *line,
                          const char *v, bool expect) {
  vnx_example ex;
  memset(&ex, 0, sizeof ex);
  ex.expect = expect;
  ex.line = ln;
  const char *q = v;
  char *raw = parse_quoted(&q);
  if (!raw) {
    err_at(L, src, ln, (size_t)(v - line), "expected a quoted example text");
    return;
  }
  ex.text = vnx_normalise_string(raw, L->rs->style);
  free(raw);
  if (!ex.text) {
    err_at(L, src, ln, (size_t)(v - line), "invalid UTF-8");
    return;
  }
  q = skip_ws(q);
  size_t capk = 0, capv = 0;
  if (*q) {
    if (!expect || strncmp(q, "->", 2) != 0) {
      err_at(L, src, ln, (size_t)(q - line), expect ? "expected '->' and fields"
                                                      : "unexpected text after the example");
      goto bad;
    }
    q = skip_ws(q + 2);
    while (*q) {
      const char *k0 = q;
      while (is_ident((unsigned char)*q)) q++;
      if (q == k0 || *q != '=') {
        err_at(L, src, ln, (size_t)(q - line), "expected FIELD=VALUE");
        goto bad;
      }
      char *key = vnx_xstrndup(k0, (size_t)(q - k0));
      q++;
      char *val;
      if (*q == '"') {
        const char *v0 = q;
        val = parse_quoted(&q);
        if (!val) {
          err_at(L, src, ln, (size_t)(v0 - line), "unterminated string");
          free(key);
          goto bad;
        }
      } else {
        const char *v0 = q;
        while (*q && *q != ' ' && *q != '\t') q++;
        val = vnx_xstrndup(v0, (size_t)(q - v0));
      }
      char *nv = vnx_normalise_string(val, L->rs->style);
      free(val);
      if (!nv) nv = vnx_xstrdup("");
      size_t nk = ex.n;
      PUSH(ex.keys, nk, capk, key);
      PUSH(ex.vals, ex.n, capv, nv);
      q = skip_ws(q);
    }
  }
  size_t cap = p->r.nex; /* grow one at a time: examples are few */
  p->r.ex = vnx_xrealloc(p->r.ex, (cap + 1) * sizeof *p->r.ex);
  p->r.ex[p->r.nex++] = ex;
  return;
bad:
  free(ex.text);
  for (size_t i = 0; i < ex.n; i++) {
    free(ex.keys[i]);
    free(ex.vals[i]);
  }
  free(ex.keys);
  free(ex.vals);
}

static void parse_file(loader *L, const char *dir, const char *fname) {
  long srci = read_src(L, dir, fname);
  if (srci < 0) return;
  size_t src = (size_t)srci;
  const vnx_srcfile *f = &L->rs->src[src];
  prule *cur = NULL;
  size_t curi = 0;
  bool in_rule = false, skipping = false; /* skipping: properties of a rejected rule */
  for (size_t li = 0; li < f->nlines; li++) {
    const char *line = f->lines[li];
    unsigned ln = (unsigned)li + 1;
    const char *t = skip_ws(line);
    if (*t == 0 || *t == '#') continue;
    const char *kw = t;
    const char *ke = kw;
    while (*ke && *ke != ' ' && *ke != '\t') ke++;
    size_t kl = (size_t)(ke - kw);
    const char *v = skip_ws(ke);
    size_t vl = strlen(v);
    while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
    if (t == line) { /* a block keyword at column 0 */
      if (in_rule) finish_rule(L, &L->rules[curi]);
      in_rule = false;
      skipping = false;
      cur = NULL;
      if (kl == 6 && strncmp(kw, "define", 6) == 0) {
        const char *n0 = v, *n = v;
        if (!isupper((unsigned char)*n)) {
          err_at(L, src, ln, (size_t)(n0 - line), "fragment name must match [A-Z][A-Z0-9_]*");
          continue;
        }
        while (isupper((unsigned char)*n) || isdigit((unsigned char)*n) || *n == '_') n++;
        if (*n != ' ' && *n != '\t') {
          err_at(L, src, ln, (size_t)(n - line), *n ? "fragment name must match [A-Z][A-Z0-9_]*"
                                                    : "fragment has no pattern");
          continue;
        }
        char *name = vnx_xstrndup(n0, (size_t)(n - n0));
        bool dup = false;
        for (size_t i = 0; i < L->nfrags; i++)
          if (strcmp(L->frags[i].name, name) == 0) dup = true;
        if (dup) {
          err_at(L, src, ln, (size_t)(n0 - line), "fragment %s defined twice", name);
          free(name);
          continue;
        }
        const char *body = skip_ws(n);
        frag fr = {name, src, ln, (size_t)(body - line), 0, NULL, 0};
        PUSH(L->frags, L->nfrags, L->capfrags, fr);
      } else if (kl == 4 && strncmp(kw, "rule", 4) == 0) {
        char *id = vnx_xstrndup(v, vl);
        if (!valid_rule_id(id)) {
          err_at(L, src, ln, (size_t)(v - line), "invalid rule id '%s'", id);
          free(id);
          skipping = true;
          continue;
        }
        bool dup = false;
        for (size_t i = 0; i < L->nrules; i++)
          if (strcmp(L->rules[i].r.id, id) == 0) {
            /* the first rule's id (the same string): with id, gcc -O3 and
             * the sanitizers warned of a NULL passed to %s */
            err_at(L, src, ln, (size_t)(v - line), "duplicate rule id %s (first defined at %s:%u)",
                   L->rules[i].r.id, L->rules[i].r.file, L->rules[i].r.line);
            dup = true;
          }
        if (dup) {
          free(id);
          skipping = true;
          continue;
        }
        prule pr;
        memset(&pr, 0, sizeof pr);
        pr.r.id = id;
        pr.r.sh = -1;
        pr.r.src = src;
        pr.r.file = f->path;
        pr.r.line = ln;
        PUSH(L->rules, L->nrules, L->caprules, pr);
        curi = L->nrules - 1;
        cur = &L->rules[curi];
        in_rule = true;
      } else if (kl == 17 && strncmp(kw, "examples-doc-date", 17) == 0) {
        int y, m, d;
        char tail;
        if (sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || vl != 10 ||
            !vnx_date_valid(y, m, d)) {
          err_at(L, src, ln, (size_t)(v - line), "expected a date YYYY-MM-DD");
          continue;
        }
        memcpy(L->rs->src[src].doc_date, v, 10);
        L->rs->src[src].doc_date[10] = 0;
      } else if (kl == 6 && strncmp(kw, "shared", 6) == 0) {
        struct shname s = {vnx_xstrndup(v, vl), src, ln, (size_t)(v - line)};
        PUSH(L->shn, L->nshn, L->capshn, s);
      } else {
        err_at(L, src, ln, 0,
               "unknown block '%.*s' (expected define, shared, rule or examples-doc-date)",
               (int)kl, kw);
      }
      continue;
    }
    /* an indented property line */
    if (!in_rule) {
      if (!skipping) err_at(L, src, ln, (size_t)(kw - line), "property outside a rule");
      continue;
    }
    cur = &L->rules[curi];
    size_t vcol = (size_t)(v - line);
#define KW(s) (kl == sizeof(s) - 1 && strncmp(kw, s, kl) == 0)
    if (vl == 0) {
      err_at(L, src, ln, vcol, "property '%.*s' has no value", (int)kl, kw);
      continue;
    }
    char *val = vnx_xstrndup(v, vl);
    if (KW("kind")) {
      if (cur->has_kind) err_at(L, src, ln, (size_t)(kw - line), "kind given twice");
      cur->has_kind = true;
      cur->r.kind = intern_kind(L, val);
    } else if (KW("action")) {
      if (strcmp(val, "skip") == 0) cur->r.skip = true;
      else if (strcmp(val, "emit") == 0) cur->r.skip = false;
      else err_at(L, src, ln, vcol, "unknown action '%s' (expected emit or skip)", val);
    } else if (KW("priority")) {
      char *e;
      long pv = strtol(val, &e, 10);
      if (*e || pv < -1000000 || pv > 1000000)
        err_at(L, src, ln, vcol, "priority must be an integer");
      cur->r.priority = (int)pv;
    } else if (KW("options")) {
      char *save = NULL;
      for (char *o = strtok_r(val, ", ", &save); o; o = strtok_r(NULL, ", ", &save)) {
        if (strcmp(o, "caseless") == 0) cur->r.caseless = true;
        else err_at(L, src, ln, vcol + (size_t)(o - val), "unknown option '%s'", o);
      }
    } else if (KW("needs")) {
      char *p = val;
      size_t capn = cur->r.nneeds;
      while (1) {
        char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        while (n && (p[n - 1] == ' ')) n--;
        char *q = (char *)skip_ws(p);
        n -= (size_t)(q - p);
        if (n == 0) {
          err_at(L, src, ln, vcol + (size_t)(p - val), "empty literal in needs");
        } else {
          char *nw = norm(L->rs, q, n);
          if (!nw) {
            err_at(L, src, ln, vcol + (size_t)(q - val), "invalid UTF-8");
          } else {
            char *buf = NULL;
            size_t bcap = 0;
            vnx_fold_lower(nw, strlen(nw), &buf, &bcap);
            free(nw);
            PUSH(cur->r.needs, cur->r.nneeds, capn, buf);
          }
        }
        if (!bar) break;
        p = bar + 1;
      }
    } else if (KW("pattern")) {
      piece pc = {ln, vcol};
      PUSH(cur->pat, cur->npat, cur->cappat, pc);
    } else if (KW("prefix")) {
      piece pc = {ln, vcol};
      PUSH(cur->pre, cur->npre, cur->cappre, pc);
    } else if (KW("set")) {
      piece pc = {ln, vcol};
      PUSH(cur->sets, cur->nsets, cur->capsets, pc);
    } else if (KW("expect") || KW("reject")) {
      parse_example(L, cur, src, ln, line, v, KW("expect"));
    } else {
      err_at(L, src, ln, (size_t)(kw - line), "unknown property '%.*s'", (int)kl, kw);
    }
#undef KW
    free(val);
  }
  if (in_rule) finish_rule(L, &L->rules[curi]);
}

/* ---- phase 2: expansion ------------------------------------------------ */

static frag *find_frag(loader *L, const char *name, size_t n) {
  for (size_t i = 0; i < L->nfrags; i++)
    if (strlen(L->frags[i].name) == n && strncmp(L->frags[i].name, name, n) == 0)
      return &L->frags[i];
  return NULL;
}

/* A gazetteer expands to a trie-shaped pattern rather than a flat
 * alternation: "tổ chức(?:\s+(?:cơ\s+sở\s+đảng|đảng))?" instead of
 * "tổ chức cơ sở đảng|tổ chức đảng|tổ chức". pcre2 tries a flat
 * alternation entry by entry at every position, so a list of hundreds of
 * names made the body and count rules the slowest of all; the trie
 * shares prefixes and fails after a character or two. A greedy optional
 * tail keeps the longest entry first, as the flat list sorted by length did. */
typedef struct trie_node {
  char tok[16];      /* one code point (escaped if ASCII punctuation) or "\\s+";
                        a letter of an abbreviation: "(?-i:T)" */
  char alt[16];      /* the same letter in the other case, when entries use both */
  int32_t key;       /* lower-case code point (-1 for a space run) */
  bool end;          /* an entry ends here */
  struct trie_node **kids;
  size_t nkids, capkids;
} trie_node;

/* Children are keyed by the lower-case letter, so "Đảng bộ cơ sở" and
 * "đảng bộ" share one branch ([Đđ]ảng...). Separate branches per case
 * would let a caseless match take the shorter entry of the first branch
 * and never try the longer one in the other. */
static trie_node *trie_child(trie_node *n, const char *tok, int32_t key) {
  for (size_t i = 0; i < n->nkids; i++) {
    trie_node *k = n->kids[i];
    if (k->key != key) continue;
    if (strcmp(k->tok, tok) != 0 && !k->alt[0]) snprintf(k->alt, sizeof k->alt, "%s", tok);
    return k;
  }
  trie_node *k = vnx_xcalloc(1, sizeof *k);
  k->key = key;
  snprintf(k->tok, sizeof k->tok, "%s", tok);
  if (n->nkids == n->capkids) {
    n->capkids = n->capkids ? n->capkids * 2 : 4;
    n->kids = vnx_xrealloc(n->kids, n->capkids * sizeof *n->kids);
  }
  n->kids[n->nkids++] = k;
  return k;
}

static void trie_free(trie_node *n) {
  for (size_t i = 0; i < n->nkids; i++) trie_free(n->kids[i]);
  free(n->kids);
  free(n);
}

static int cmp_trie_tok(const void *a, const void *b) {
  int32_t x = (*(trie_node *const *)a)->key, y = (*(trie_node *const *)b)->key;
  return (x > y) - (x < y);
}

static void trie_emit(trie_node *n, xbuf *out, const xsrc *m) {
  if (n->nkids == 0) return;
  qsort(n->kids, n->nkids, sizeof *n->kids, cmp_trie_tok); /* deterministic */
  bool group = n->end || n->nkids > 1;
  if (group) xb_put(out, "(?:", 3, m, 0);
  for (size_t i = 0; i < n->nkids; i++) {
    if (i) xb_put(out, "|", 1, m, 0);
    const trie_node *k = n->kids[i];
    if (k->alt[0]) {
      xb_put(out, "[", 1, m, 0);
      xb_put(out, k->tok, strlen(k->tok), m, 0);
      xb_put(out, k->alt, strlen(k->alt), m, 0);
      xb_put(out, "]", 1, m, 0);
    } else {
      xb_put(out, k->tok, strlen(k->tok), m, 0);
    }
    trie_emit(n->kids[i], out, m);
  }
  if (group) xb_put(out, n->end ? ")?" : ")", n->end ? 2 : 1, m, 0);
}


/* Is offset o of form inside an all-caps word of two or more letters (an
 * abbreviation: "TU", "UBND", "BTV", "KH&CN" -> KH, CN)? Letters only. */
static bool in_abbrev_word(const char *form, size_t o, size_t *wa, size_t *wb) {
  size_t n = strlen(form);
  utf8proc_int32_t cp;
  utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)form + o, (utf8proc_ssize_t)(n - o), &cp);
  if (k < 1 || !utf8proc_isupper(cp)) return false;
  /* the word around o: scan letters from the start of the form */
  size_t p = 0, start = 0;
  bool inword = false;
  int nup = 0, nlow = 0;
  while (p <= n) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t m = 1;
    bool letter = false;
    if (p < n) {
      m = utf8proc_iterate((const utf8proc_uint8_t *)form + p, (utf8proc_ssize_t)(n - p), &c);
      if (m < 1) m = 1, c = 0;
      utf8proc_category_t cat = utf8proc_category(c);
      letter = cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
      if (cat == UTF8PROC_CATEGORY_MN) letter = inword; /* combining mark */
    }
    if (letter) {
      if (!inword) { inword = true; start = p; nup = nlow = 0; }
      if (utf8proc_isupper(c)) nup++;
      else if (utf8proc_islower(c)) nlow++;
    } else if (inword) {
      inword = false;
      if (o >= start && o < p) {
        *wa = start;
        *wb = p;
        return nup >= 2 && nlow == 0;
      }
    }
    p += (size_t)m;
  }
  return false;
}

static void gaz_alternation(const vnx_gazetteer *g, xbuf *out, const xsrc *m) {
  trie_node *root = vnx_xcalloc(1, sizeof *root);
  for (size_t i = 0; i < g->nforms; i++) {
    trie_node *n = root;
    const char *f = g->forms[i];
    const char *form = f;
    while (*f) {
      unsigned char c = (unsigned char)*f;
      char tok[16];
      int32_t key;
      size_t wa, wb;
      if (in_abbrev_word(form, (size_t)(f - form), &wa, &wb)) {
        /* a letter of an all-caps abbreviation (TU, UBND, BTV): matched in
         * its case even inside a caseless pattern, on its own branch */
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)f, -1, &cp);
        if (k < 1 || k > 4) k = 1, cp = c;
        snprintf(tok, sizeof tok, "(?-i:%.*s)", (int)k, f);
        key = (int32_t)(0x40000000 | cp);
        f += k;
      } else if (c == ' ' || c == '\t') {
        /* a space in an entry matches any run of spaces in the text */
        while (*f == ' ' || *f == '\t') f++;
        snprintf(tok, sizeof tok, "\\s+");
        key = -1;
      } else if (c < 0x80) {
        if (isalnum(c)) snprintf(tok, sizeof tok, "%c", c);
        else snprintf(tok, sizeof tok, "\\%c", c);
        key = tolower(c);
        f++;
      } else {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)f, -1, &cp);
        if (k < 1 || k > 4) k = 1, cp = c;
        memcpy(tok, f, (size_t)k);
        tok[k] = '\0';
        key = utf8proc_tolower(cp);
        f += k;
      }
      n = trie_child(n, tok, key);
    }
    n->end = true;
  }
  xb_put(out, "(?:", 3, m, 0);
  trie_emit(root, out, m);
  xb_put(out, ")", 1, m, 0);
  trie_free(root);
}

/* A rule that can match the empty string, or any single character, turns
 * every position of every line into a record: a 1 MB line would give a
 * million of them. Such a pattern is a mistake, so it is refused at load
 * time with the reason. "Any character" is probed with a letter, a digit,
 * a space and punctuation, each alone on a line. */
static bool check_not_degenerate(loader *L, const vnx_rule *r) {
  uint32_t minlen = 1;
  pcre2_pattern_info(r->code, PCRE2_INFO_MINLENGTH, &minlen);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->code, NULL);
  bool ok = true;
  if (minlen == 0 && pcre2_match(r->code, (PCRE2_SPTR) "", 0, 0, 0, md, NULL) >= 0) {
    err_at(L, r->src, r->line, 5, "rule %s can match the empty string: a rule must match some text",
           r->id);
    ok = false;
  } else if (minlen <= 1) {
    static const char *const probes[] = {"q", "7", " ", ";"};
    size_t hits = 0;
    for (size_t i = 0; i < 4; i++)
      hits += pcre2_match(r->code, (PCRE2_SPTR)probes[i], 1, 0, 0, md, NULL) >= 0;
    if (hits == 4) {
      err_at(L, r->src, r->line, 5,
             "rule %s matches any single character: every character would become a record",
             r->id);
      ok = false;
    }
  }
  pcre2_match_data_free(md);
  return ok;
}

static bool expand_frag(loader *L, frag *f);

/* Copies text (with its source map) to out, replacing {NAME} and {@NAME}.
 * Reports unknown references at their position. Returns false on error. */
static bool expand_text(loader *L, const xbuf *in, size_t src, xbuf *out) {
  bool ok = true;
  size_t i = 0;
  while (i < in->len) {
    char c = in->s[i];
    if (c == '\\' && i + 1 < in->len) {
      if (in->s[i + 1] == 'Q') { /* \Q...\E is literal: no references inside */
        const char *e = strstr(in->s + i + 2, "\\E");
        size_t j = e ? (size_t)(e - in->s) + 2 : in->len;
        xb_put(out, in->s + i, j - i, in->m + i, 1);
        i = j;
        continue;
      }
      size_t j = i + 2;
      /* \p{L}, \x{300}, \o{17}, \g{1}, \k{name}, \N{U+41}: the braces
       * belong to the escape, not a fragment reference */
      if (strchr("pPxogkN", in->s[i + 1]) && j < in->len && in->s[j] == '{') {
        while (j < in->len && in->s[j] != '}') j++;
        if (j < in->len) j++;
      }
      xb_put(out, in->s + i, j - i, in->m + i, 1);
      i = j;
      continue;
    }
    if (c == '{' && i + 1 < in->len) {
      bool gz = in->s[i + 1] == '@';
      size_t j = i + 1 + gz;
      bool frag_like = j < in->len && (gz ? is_ident_start((unsigned char)in->s[j])
                                          : isupper((unsigned char)in->s[j]));
      if (frag_like) {
        size_t k = j;
        while (k < in->len && (gz ? (is_ident((unsigned char)in->s[k]) || in->s[k] == '-')
                                  : (isupper((unsigned char)in->s[k]) ||
                                     isdigit((unsigned char)in->s[k]) || in->s[k] == '_')))
          k++;
        if (k < in->len && in->s[k] == '}') {
          xsrc m = in->m[i];
          if (gz) {
            char *name = vnx_xstrndup(in->s + j, k - j);
            const vnx_gazetteer *g = vnx_rules_gaz(L->rs, name);
            if (!g) {
              err_at(L, src, m.line, m.col, "unknown gazetteer %s (no %s.tsv)", name, name);
              ok = false;
            } else {
              gaz_alternation(g, out, &m);
            }
            free(name);
          } else {
            frag *f = find_frag(L, in->s + j, k - j);
            if (!f) {
              err_at(L, src, m.line, m.col, "unknown fragment %.*s", (int)(k - j), in->s + j);
              ok = false;
            } else if (f->state == 1) {
              err_at(L, src, m.line, m.col, "fragment %s refers to itself (cycle)", f->name);
              ok = false;
            } else if (!expand_frag(L, f)) {
              ok = false; /* reported at the fragment */
            } else {
              if (!m.frag) m.frag = f->name;
              /* wrap in a group so that a quantifier after {NAME} applies to
               * the whole fragment */
              xb_put(out, "(?:", 3, &m, 0);
              xb_put(out, f->exp, f->explen, &m, 0);
              xb_put(out, ")", 1, &m, 0);
            }
          }
          i = k + 1;
          continue;
        }
      }
    }
    xb_put(out, in->s + i, 1, in->m + i, 1);
    i++;
  }
  return ok;
}

static bool expand_frag(loader *L, frag *f) {
  if (f->state == 2) return true;
  if (f->state == 3) return false;
  f->state = 1;
  const vnx_srcfile *sf = &L->rs->src[f->src];
  const char *line = sf->lines[f->line - 1];
  size_t bl = strlen(line + f->col);
  while (bl && (line[f->col + bl - 1] == ' ' || line[f->col + bl - 1] == '\t')) bl--;
  xbuf nb = {0}, out = {0};
  bool ok = norm_piece(L, line + f->col, bl, f->line, f->col, &nb);
  if (!ok) err_at(L, f->src, f->line, f->col, "invalid UTF-8");
  if (ok) ok = expand_text(L, &nb, f->src, &out);
  xb_free(&nb);
  if (ok) {
    /* A fragment must be a pattern on its own: checking it here reports a
     * broken fragment once, at its own line, instead of at every user. A
     * call of a group that only its user defines ((?&bd_gaz) in BD_OFF1,
     * (?&bd_gen) in BD_LOCAL) is left to the user's compile. */
    int ec;
    PCRE2_SIZE eoff;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)(out.s ? out.s : ""), out.len,
                                  PCRE2_UTF | PCRE2_UCP | PCRE2_DUPNAMES | PCRE2_NEVER_BACKSLASH_C,
                                  &ec, &eoff, NULL);
    if (!c && ec != PCRE2_ERROR_BAD_SUBPATTERN_REFERENCE) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(ec, msg, sizeof msg);
      size_t col = eoff < out.len ? out.m[eoff].col : f->col + bl;
      unsigned eline = eoff < out.len ? out.m[eoff].line : f->line;
      err_at(L, f->src, eline, col, "%s (in fragment %s)", (const char *)msg, f->name);
      ok = false;
    }
    pcre2_code_free(c);
  }
  if (ok) {
    f->exp = out.s ? out.s : vnx_xstrdup("");
    f->explen = out.len;
    free(out.m);
    f->state = 2;
  } else {
    xb_free(&out);
    f->state = 3;
  }
  return ok;
}

/* ---- phase 2: compile and template ------------------------------------- */

static bool group_ref(const pcre2_code *code, const char *name, vnx_gref *ref) {
  uint32_t count = 0, esize = 0;
  PCRE2_SPTR table = NULL;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  ref->n = 0;
  for (uint32_t i = 0; i < count; i++) {
    PCRE2_SPTR e = table + i * esize;
    if (strcmp((const char *)e + 2, name) == 0 && ref->n < VNX_MAX_DUP)
      ref->nums[ref->n++] = (e[0] << 8) | e[1];
  }
  return ref->n > 0;
}

static json_t *literal_json(const char *s) {
  if (strcmp(s, "true") == 0) return json_true();
  if (strcmp(s, "false") == 0) return json_false();
  if (strcmp(s, "null") == 0) return json_null();
  char *e;
  if (*s && (isdigit((unsigned char)*s) || ((*s == '-') && isdigit((unsigned char)s[1])))) {
    long long iv = strtoll(s, &e, 10);
    if (!*e) return json_integer(iv);
    double dv = strtod(s, &e);
    if (!*e) return json_real(dv);
  }
  return NULL;
}

/* Parses one "set" line of rule r against its compiled pattern. */
static bool parse_set(loader *L, vnx_rule *r, const piece *pc, vnx_set *st) {
  const char *line = L->rs->src[r->src].lines[pc->line - 1];
  const char *p = line + pc->col;
  size_t src = r->src;
  unsigned ln = pc->line;
  memset(st, 0, sizeof *st);
#define ERR(at, ...) do { err_at(L, src, ln, (size_t)((at) - line), __VA_ARGS__); return false; } while (0)
  while (1) {
    const char *f0 = p;
    while (is_ident((unsigned char)*p)) p++;
    if (p == f0) ERR(p, "expected a field name");
    if (st->nfields == 2) ERR(f0, "at most two fields per set");
    st->fields[st->nfields++] = vnx_xstrndup(f0, (size_t)(p - f0));
    p = skip_ws(p);
    if (*p == ',') {
      p = skip_ws(p + 1);
      continue;
    }
    break;
  }
  if (*p != '=') ERR(p, "expected '='");
  p = skip_ws(p + 1);
  const char *v0 = p;
  size_t vl = strlen(p);
  while (vl && (p[vl - 1] == ' ' || p[vl - 1] == '\t')) vl--;
  if (vl == 0) ERR(p, "expected a value");
  if (*p == '"') {
    const char *q = p;
    char *s = parse_quoted(&q);
    if (!s) ERR(p, "unterminated string");
    if (*skip_ws(q)) {
      free(s);
      ERR(skip_ws(q), "unexpected text after the value");
    }
    char *n = vnx_normalise_string(s, L->rs->style);
    free(s);
    if (!n) ERR(p, "invalid UTF-8");
    st->type = VNX_SET_LIT;
    st->lit = json_string(n);
    free(n);
  } else {
    const char *q = p;
    while (is_ident((unsigned char)*q)) q++;
    if (q > p && *skip_ws(q) == '(') {
      char *cname = vnx_xstrndup(p, (size_t)(q - p));
      st->type = VNX_SET_CONV;
      st->conv = vnx_conv_find(cname);
      free(cname);
      if (st->conv < 0) ERR(p, "unknown converter '%.*s'", (int)(q - p), p);
      const vnx_conv_info *ci = vnx_conv_get(st->conv);
      q = skip_ws(skip_ws(q) + 1);
      if (*q != ')') {
        while (1) {
          const char *a0 = q;
          vnx_carg_tpl a;
          memset(&a, 0, sizeof a);
          if (*q == '"') {
            char *s = parse_quoted(&q);
            if (!s) ERR(a0, "unterminated string");
            a.text = vnx_normalise_string(s, L->rs->style);
            free(s);
            if (!a.text) ERR(a0, "invalid UTF-8");
          } else if (isdigit((unsigned char)*q)) {
            while (isalnum((unsigned char)*q)) q++;
            a.text = vnx_xstrndup(a0, (size_t)(q - a0));
          } else if (is_ident_start((unsigned char)*q)) {
            while (is_ident((unsigned char)*q)) q++;
            a.text = vnx_xstrndup(a0, (size_t)(q - a0));
            if (st->conv == vnx_conv_find("canonical") && st->nargs == 1) {
              /* the second argument of canonical() names a gazetteer */
              if (!vnx_rules_gaz(L->rs, a.text)) {
                free(a.text);
                ERR(a0, "unknown gazetteer %.*s", (int)(q - a0), a0);
              }
            } else {
              a.is_group = true;
              if (!group_ref(r->code, a.text, &a.ref)) {
                free(a.text);
                ERR(a0, "the pattern has no group named '%.*s'", (int)(q - a0), a0);
              }
            }
          } else {
            ERR(a0, "expected a group name or a literal");
          }
          if (st->nargs == VNX_MAX_ARGS) {
            free(a.text);
            ERR(a0, "too many arguments");
          }
          st->args[st->nargs++] = a;
          q = skip_ws(q);
          if (*q == ',') {
            q = skip_ws(q + 1);
            continue;
          }
          break;
        }
      }
      if (*q != ')') ERR(q, "expected ')'");
      if (*skip_ws(q + 1)) ERR(skip_ws(q + 1), "unexpected text after the call");
      if (st->nargs < ci->min_args || st->nargs > ci->max_args) {
        if (ci->min_args == ci->max_args)
          ERR(v0, "%s() takes %d argument%s, %d given", ci->name, ci->min_args,
              ci->min_args == 1 ? "" : "s", st->nargs);
        ERR(v0, "%s() takes %d to %d arguments, %d given", ci->name, ci->min_args,
            ci->max_args, st->nargs);
      }
      if (ci->nvals != st->nfields)
        ERR(line + pc->col, "%s() yields %d value%s, %d field%s given", ci->name, ci->nvals,
            ci->nvals == 1 ? "" : "s", st->nfields, st->nfields == 1 ? "" : "s");
    } else {
      char *tok = vnx_xstrndup(p, vl);
      if (strpbrk(tok, " \t")) {
        free(tok);
        ERR(p, "a literal with spaces must be quoted");
      }
      if (st->nfields != 1) {
        free(tok);
        ERR(line + pc->col, "two fields need a converter that yields two values");
      }
      /* a bare word names a group if the pattern has one, else it is a
       * literal string */
      json_t *j = literal_json(tok);
      if (j) {
        st->type = VNX_SET_LIT;
        st->lit = j;
      } else if (group_ref(r->code, tok, &st->ref)) {
        st->type = VNX_SET_GROUP;
      } else {
        char *n = vnx_normalise_string(tok, L->rs->style);
        st->type = VNX_SET_LIT;
        st->lit = json_string(n ? n : tok);
        free(n);
      }
      free(tok);
    }
  }
#undef ERR
  return true;
}

static void free_set(vnx_set *s) {
  for (int i = 0; i < s->nfields; i++) free(s->fields[i]);
  for (int i = 0; i < s->nargs; i++) free(s->args[i].text);
  json_decref(s->lit);
}

/* Normalises and expands pattern pieces into x. */
static bool expand_pieces(loader *L, vnx_rule *r, const piece *pcs, size_t n, xbuf *x) {
  const vnx_srcfile *sf = &L->rs->src[r->src];
  xbuf nb = {0};
  bool ok = true;
  for (size_t i = 0; i < n && ok; i++) {
    const char *line = sf->lines[pcs[i].line - 1];
    size_t vl = strlen(line + pcs[i].col);
    while (vl && (line[pcs[i].col + vl - 1] == ' ' || line[pcs[i].col + vl - 1] == '\t'))
      vl--;
    if (!norm_piece(L, line + pcs[i].col, vl, pcs[i].line, pcs[i].col, &nb)) {
      err_at(L, r->src, pcs[i].line, pcs[i].col, "invalid UTF-8");
      ok = false;
    }
  }
  if (ok) ok = expand_text(L, &nb, r->src, x);
  xb_free(&nb);
  return ok;
}

/* ---- phase 2: the patterns compile in parallel ------------------------- */

/* Expanding a rule's pattern is serial (it reports errors), compiling and
 * JIT-compiling it is most of the loading time and independent of the other
 * rules: so every rule is expanded first, then the patterns are compiled on
 * a few threads, then each rule is checked in order. Diagnostics of the
 * expansion are held until the rule's turn, so that everything still comes
 * out in rule order, counted as before. */
typedef struct held {
  FILE *saved; /* the loader's diag while holding */
  char *text;
  size_t len;
  int nerr, nwarn; /* while holding: the counts before; then the deltas */
} held;

static void hold(loader *L, held *h) {
  memset(h, 0, sizeof *h);
  h->saved = L->diag;
  h->nerr = L->nerr;
  h->nwarn = L->nwarn;
  if (L->diag && !(L->diag = open_memstream(&h->text, &h->len))) {
    fprintf(stderr, "vnextract: out of memory\n");
    abort();
  }
}

static void hold_end(loader *L, held *h) {
  if (L->diag) fclose(L->diag);
  L->diag = h->saved;
  h->nerr = L->nerr - h->nerr;
  h->nwarn = L->nwarn - h->nwarn;
  L->nerr -= h->nerr;
  L->nwarn -= h->nwarn;
}

/* emit: the rule's turn has come; else the old code would not have got
 * this far (the messages are dropped) */
static void unhold(loader *L, held *h, bool emit) {
  if (emit) {
    if (L->diag && h->len) fwrite(h->text, 1, h->len, L->diag);
    L->nerr += h->nerr;
    L->nwarn += h->nwarn;
  }
  free(h->text);
  memset(h, 0, sizeof *h);
}

/* One rule between the phases. */
typedef struct cjob {
  bool ok, core_ok;  /* pattern, core expanded */
  xbuf x, cx;        /* the expanded patterns (without source maps) */
  held xd, cd;       /* their diagnostics */
  int ec[2];         /* pcre2_compile's error for code, core */
  PCRE2_SIZE eoff;   /* ... and the offset of code's */
  char *head, *tail; /* a rule with a shared fragment: split_shared */
} cjob;

/* The rule's pattern as written (normalised, fragments not expanded): the
 * prefix lines, then the pattern lines. */
static bool raw_whole(loader *L, prule *p, xbuf *nb) {
  vnx_rule *r = &p->r;
  const vnx_srcfile *sf = &L->rs->src[r->src];
  bool ok = true;
  piece *all = NULL;
  size_t nall = 0, capall = 0;
  for (size_t i = 0; i < p->npre; i++) PUSH(all, nall, capall, p->pre[i]);
  for (size_t i = 0; i < p->npat; i++) PUSH(all, nall, capall, p->pat[i]);
  for (size_t i = 0; i < nall && ok; i++) {
    const char *line = sf->lines[all[i].line - 1];
    size_t vl = strlen(line + all[i].col);
    while (vl && (line[all[i].col + vl - 1] == ' ' || line[all[i].col + vl - 1] == '\t'))
      vl--;
    if (!norm_piece(L, line + all[i].col, vl, all[i].line, all[i].col, nb)) {
      err_at(L, r->src, all[i].line, all[i].col, "invalid UTF-8");
      ok = false;
    }
  }
  free(all);
  return ok;
}

/* The rule's pattern: the prefix lines, then the pattern lines. */
static bool expand_whole(loader *L, prule *p, xbuf *x) {
  xbuf nb = {0};
  bool ok = raw_whole(L, p, &nb);
  if (ok) ok = expand_text(L, &nb, p->r.src, x);
  xb_free(&nb);
  return ok;
}

/* ---- shared fragments -----------------------------------------------------
 *
 * A pattern HEAD (?<G>{NAME}) TAIL, NAME declared `shared`, is matched as
 * HEAD(?<G>)(?C254): at each place q where HEAD ends, the callout (match.c)
 * takes the ends of NAME at q, in the order pcre2 would reach them, from a
 * memo of the line (NAME alone, compiled once), tries TAIL (anchored) at
 * each, and the first that matches is the match. That is the match of the
 * whole pattern when HEAD and TAIL are plain sequences around the
 * fragment: no alternative at their top level, no option set in HEAD that
 * would reach the fragment, no reference from one part into another
 * (back-references, subroutine calls, conditions on groups), no verbs or
 * callouts of their own, and no group in TAIL (its captures are not kept).
 * A pattern that is not so is compiled whole, as before. */
static size_t class_end(const char *t, size_t i, size_t n);

/* What scan_part is reading: the head, the tail or the fragment. */
enum part { PART_HEAD, PART_TAIL, PART_FRAG };

/* Group names a part defines and calls (scan_part). */
typedef struct names {
  const char *def[32], *call[32];
  size_t ldef[32], lcall[32];
  size_t ndef, ncall;
  bool overflow;
} names;

static void add_name(const char **v, size_t *lv, size_t *n, bool *of, const char *s, char end) {
  const char *e = s;
  while (isalnum((unsigned char)*e) || *e == '_') e++;
  if (*e != end || *n == 32) {
    *of = true;
    return;
  }
  v[*n] = s;
  lv[(*n)++] = (size_t)(e - s);
}

static bool has_name(const char *const *v, const size_t *lv, size_t n, const char *s, size_t l) {
  for (size_t i = 0; i < n; i++)
    if (lv[i] == l && strncmp(v[i], s, l) == 0) return true;
  return false;
}

/* Whether t[0..n) is, for the split, a plain part (see above): in the head
 * and the tail no alternative at the top level, no back-reference,
 * subroutine call, condition, verb, callout or \G; no option set at the
 * head's top level; no \K and no group in the tail. The fragment, matched
 * alone, may define groups and call its own by name, and nothing else of
 * the kind (a verb or \K would act on the fragment's match instead of the
 * rule's; a number would name another group). Every escape, class
 * (POSIX names as pcre2 reads them) and \Q...\E is stepped over; what this
 * reader does not follow makes the part not plain (the rule is compiled
 * whole). The names the part defines and calls go to *nm. */
static bool scan_part(const char *t, size_t n, enum part part, names *nm) {
  int depth = 0;
  memset(nm, 0, sizeof *nm);
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (c == '\\') {
      if (i + 1 >= n) return false;
      char e = t[i + 1];
      if (e == 'Q') {
        i += 2;
        while (i + 1 < n && !(t[i] == '\\' && t[i + 1] == 'E')) i++;
        if (i + 1 >= n) return false; /* no \E: the rest would be literal */
        i++;
        continue;
      }
      if ((e >= '1' && e <= '9') || e == 'g' || e == 'k' || e == 'G' ||
          (e == 'K' && part != PART_HEAD))
        return false;
      i++;
      if ((e == 'p' || e == 'P' || e == 'x' || e == 'o' || e == 'N') && i + 1 < n && t[i + 1] == '{')
        while (i < n && t[i] != '}') i++;
    } else if (c == '[') {
      i = class_end(t, i, n);
      if (i >= n) return false;
    } else if (c == '(') {
      if (i + 1 < n && t[i + 1] == '*') return false; /* a verb */
      if (i + 1 < n && t[i + 1] == '?') {
        char k = i + 2 < n ? t[i + 2] : 0;
        /* groups that do not capture, and lookarounds */
        bool ok = k == ':' || k == '=' || k == '!' || k == '>' || k == '|' ||
                  (k == '<' && i + 3 < n && (t[i + 3] == '=' || t[i + 3] == '!'));
        bool named = (k == '<' && !ok) || k == '\'' || (k == 'P' && i + 3 < n && t[i + 3] == '<');
        if (named) {
          if (part == PART_TAIL) return false;
          const char *s = t + i + (k == 'P' ? 4 : 3);
          add_name(nm->def, nm->ldef, &nm->ndef, &nm->overflow, s, k == '\'' ? '\'' : '>');
        } else if (k == '&' || (k == 'P' && i + 3 < n && t[i + 3] == '>')) {
          if (part != PART_FRAG) return false;
          add_name(nm->call, nm->lcall, &nm->ncall, &nm->overflow, t + i + (k == 'P' ? 4 : 3), ')');
          while (i < n && t[i] != ')') i++;
          continue;
        } else if (!ok) {
          /* options: (?i) (?i-s) (?i:...); anything else (a numbered call,
           * a condition, a callout, a comment) is not followed here */
          size_t j = i + 2;
          while (j < n && ((t[j] >= 'a' && t[j] <= 'z') || t[j] == '-' || t[j] == '^')) j++;
          if (j == i + 2 || j >= n) return false;
          for (size_t q = i + 2; q < j; q++)
            if (t[q] == 'x') return false;
          if (t[j] == ')') {
            if (depth == 0 && part == PART_HEAD) return false; /* it would hold for the fragment */
            i = j;
            continue;
          }
          if (t[j] != ':') return false;
        }
      } else if (part == PART_TAIL) {
        return false; /* a capture group in the tail */
      }
      depth++;
    } else if (c == ')') {
      if (--depth < 0) return false;
    } else if (c == '|' && depth == 0 && part != PART_FRAG) {
      return false;
    }
  }
  if (nm->overflow) return false;
  /* the fragment calls only its own groups */
  for (size_t i = 0; i < nm->ncall; i++)
    if (!has_name(nm->def, nm->ldef, nm->ndef, nm->call[i], nm->lcall[i])) return false;
  return depth == 0;
}

/* The variant of shared fragment f for the rule's options. */
static int shared_variant(loader *L, frag *f, bool caseless) {
  vnx_ruleset *rs = L->rs;
  for (size_t i = 0; i < rs->nsh; i++)
    if (strcmp(rs->sh[i].name, f->name) == 0 && rs->sh[i].caseless == caseless) return (int)i;
  vnx_shared s = {vnx_xstrdup(f->name), caseless, NULL, NULL, NULL, NULL, false, false, false};
  size_t n = f->explen + 32;
  s.text = vnx_xmalloc(n);
  snprintf(s.text, n, "(?:%.*s)(?C%d)", (int)f->explen, f->exp, VNX_CALLOUT_END);
  PUSH(rs->sh, rs->nsh, L->capsh, s);
  return (int)rs->nsh - 1;
}

/* Whether a `set` line of the rule names a group of fragment f: the code
 * of a split rule does not hold them. Over-approximated: the name as a
 * word anywhere in the line. */
static bool sets_read_fragment_group(loader *L, prule *p, const frag *f) {
  const vnx_srcfile *sf = &L->rs->src[p->r.src];
  for (const char *g = f->exp; (g = strstr(g, "(?<")) != NULL; g += 3) {
    const char *a = g + 3, *e = a;
    while (isalnum((unsigned char)*e) || *e == '_') e++;
    if (e == a || *e != '>') continue; /* a lookbehind */
    size_t gl = (size_t)(e - a);
    for (size_t i = 0; i < p->nsets; i++) {
      const char *line = sf->lines[p->sets[i].line - 1] + p->sets[i].col;
      for (const char *s = line; *s; s++)
        if (strncmp(s, a, gl) == 0 && (s == line || !(isalnum((unsigned char)s[-1]) || s[-1] == '_')) &&
            !(isalnum((unsigned char)s[gl]) || s[gl] == '_'))
          return true;
    }
  }
  return false;
}

/* The text of each shared fragment's copy for all its ends: the fragment,
 * the callout, then the distinct tails of the rules that read it, as
 * alternatives (vnx_shared.text_all). */
static void shared_tails(vnx_ruleset *rs, prule *rules, const cjob *jobs, size_t n) {
  for (size_t v = 0; v < rs->nsh; v++) {
    vnx_shared *s = &rs->sh[v];
    xbuf b = {0};
    xsrc m0 = {0, 0, NULL};
    size_t ntails = 0;
    for (size_t i = 0; i < n; i++) {
      if (rules[i].r.sh != (int)v || !jobs[i].tail) continue;
      bool seen = false;
      for (size_t k = 0; k < i && !seen; k++)
        seen = rules[k].r.sh == (int)v && jobs[k].tail && strcmp(jobs[k].tail, jobs[i].tail) == 0;
      if (seen) continue;
      xb_put(&b, ntails ? "|(?:" : "(?:", ntails ? 4 : 3, &m0, 0);
      xb_put(&b, jobs[i].tail, strlen(jobs[i].tail), &m0, 0);
      xb_put(&b, ")", 1, &m0, 0);
      ntails++;
    }
    if (ntails) {
      size_t tl = strlen(s->text) + b.len + 8;
      s->text_all = vnx_xmalloc(tl);
      snprintf(s->text_all, tl, "%s(?:%s)", s->text, b.s);
    }
    xb_free(&b);
  }
}

/* Splits the rule's pattern around its shared fragment, if it has one and
 * the parts allow it (scan_part): j->head (ending in the empty group and
 * the callout), j->tail, r->sh. */
static void split_shared(loader *L, prule *p, cjob *j) {
  vnx_rule *r = &p->r;
  xbuf nb = {0};
  /* VNX_NO_SHARED=1: every pattern compiled whole (to check that sharing
   * changes nothing) */
  const char *ns = getenv("VNX_NO_SHARED");
  if (ns && strcmp(ns, "1") == 0) return;
  if (!L->nshn || !raw_whole(L, p, &nb)) {
    xb_free(&nb);
    return;
  }
  for (size_t k = 0; k < L->nshn && r->sh < 0; k++) {
    const char *name = L->shn[k].name;
    size_t nl = strlen(name);
    frag *f = find_frag(L, name, nl);
    if (!f || f->state != 2) continue;
    /* "{NAME}" once, as "(?<G>{NAME})" */
    const char *at = NULL;
    size_t count = 0;
    for (const char *s = nb.s; s && (s = strstr(s, "{")); s++)
      if (strncmp(s + 1, name, nl) == 0 && s[1 + nl] == '}') {
        count++;
        at = s;
      }
    if (count != 1 || at[nl + 2] != ')') continue;
    if (at == nb.s || at[-1] != '>') continue;
    const char *ge = at - 1, *g = ge; /* the group's name: [g, ge) */
    while (g > nb.s && (isalnum((unsigned char)g[-1]) || g[-1] == '_')) g--;
    if (g == ge || g - nb.s < 3 || strncmp(g - 3, "(?<", 3) != 0) continue;
    if (g[0] != '_' && !isalpha((unsigned char)g[0])) continue;
    if (sets_read_fragment_group(L, p, f)) continue;
    size_t hs = (size_t)(g - 3 - nb.s), ts = (size_t)(at - nb.s) + nl + 3;
    xbuf hraw = {0}, traw = {0}, hx = {0}, tx = {0};
    xb_put(&hraw, nb.s, hs, nb.m, 1);
    xb_put(&traw, nb.s + ts, nb.len - ts, nb.m + ts, 1);
    bool ok = expand_text(L, &hraw, r->src, &hx) && expand_text(L, &traw, r->src, &tx);
    names hn, tn, fn;
    ok = ok && scan_part(hx.s ? hx.s : "", hx.len, PART_HEAD, &hn) &&
         scan_part(tx.s ? tx.s : "", tx.len, PART_TAIL, &tn) &&
         scan_part(f->exp, f->explen, PART_FRAG, &fn);
    /* a name in both the head and the fragment would be one group of two
     * numbers in the whole pattern (PCRE2_DUPNAMES); "span" in the
     * fragment is read by every rule, and the head's code would not have it */
    for (size_t i = 0; ok && i < fn.ndef; i++)
      ok = !has_name(hn.def, hn.ldef, hn.ndef, fn.def[i], fn.ldef[i]) &&
           !(fn.ldef[i] == 4 && strncmp(fn.def[i], "span", 4) == 0);
    if (ok) {
      /* the head, then "(?<G>)(?C254)" */
      size_t gl = (size_t)(ge - g);
      xsrc m0 = {0, 0, NULL};
      char co[16];
      int cl = snprintf(co, sizeof co, "(?C%d)", VNX_CALLOUT_SHARED);
      xb_put(&hx, "(?<", 3, &m0, 0);
      xb_put(&hx, g, gl, &m0, 0);
      xb_put(&hx, ">)", 2, &m0, 0);
      xb_put(&hx, co, (size_t)cl, &m0, 0);
      j->head = vnx_xstrndup(hx.s, hx.len);
      j->tail = tx.len ? vnx_xstrndup(tx.s, tx.len) : NULL;
      r->sh = shared_variant(L, f, r->caseless);
    }
    xb_free(&hraw);
    xb_free(&traw);
    xb_free(&hx);
    xb_free(&tx);
  }
  xb_free(&nb);
}

/* The source maps (16 bytes a pattern byte) are dropped here: all rules are
 * expanded before any compiles, so they would add up. A pattern that does
 * not compile is expanded again for its map (check_rule). */
static void expand_rule(loader *L, prule *p, cjob *j) {
  vnx_rule *r = &p->r;
  hold(L, &j->xd);
  bool ok = expand_whole(L, p, &j->x);
  hold_end(L, &j->xd);
  free(j->x.m);
  j->x.m = NULL;
  if (!ok) {
    xb_free(&j->x);
    return;
  }
  j->ok = true;
  /* Kept for `rules patterns` (the benchmark feeds them to pcre2grep). */
  r->expanded = vnx_xstrndup(j->x.s ? j->x.s : "", j->x.len);
  if (p->npre) {
    /* the pattern lines alone: where a match of the whole can end its prefix */
    hold(L, &j->cd);
    j->core_ok = expand_pieces(L, r, p->pat, p->npat, &j->cx);
    hold_end(L, &j->cd);
    free(j->cx.m);
    j->cx.m = NULL;
    if (j->core_ok) r->core_expanded = vnx_xstrndup(j->cx.s ? j->cx.s : "", j->cx.len);
  }
  split_shared(L, p, j);
}

typedef struct cpool {
  prule *rules; /* the patterns go into rules[].r */
  cjob *jobs;
  size_t nrules;
  vnx_ruleset *rs; /* its shared fragments */
  size_t njobs; /* 2 per shared fragment (first and all ends); 2 per rule: its pattern, its core;
                 * and the start strings (view) */
  atomic_size_t next;
  bool jit;
  /* The start strings (vnx_starts_new) read only what expand_rule set (the
   * expanded patterns, options, needs, examples): with a view of the rules
   * they are job 0, taken first as the longest, beside the compiles. */
  const vnx_ruleset *view;
  vnx_starts *starts;
} cpool;

typedef struct cworker {
  cpool *P;
  vnx_blkcache *blocks; /* this thread's: no other thread touches it while loading */
  pthread_t t;
} cworker;

static pcre2_code *compile_text(const char *s, uint32_t opts, bool jit,
                                pcre2_compile_context *cctx) {
  int ec;
  PCRE2_SIZE eoff;
  pcre2_code *c = pcre2_compile((PCRE2_SPTR)s, strlen(s), opts, &ec, &eoff, cctx);
  if (c && jit) pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
  return c;
}

static bool has_jit(const pcre2_code *c) {
  size_t js = 0;
  if (c) pcre2_pattern_info(c, PCRE2_INFO_JITSIZE, &js);
  return js > 0;
}

static void compile_one(cpool *P, size_t k, pcre2_compile_context *cctx) {
  uint32_t base = PCRE2_UTF | PCRE2_UCP | PCRE2_DUPNAMES | PCRE2_NEVER_BACKSLASH_C;
  if (k < 2 * P->rs->nsh) { /* a shared fragment (first: the longest), anchored: tried at one place */
    vnx_shared *s = &P->rs->sh[k / 2];
    uint32_t o = base | PCRE2_ANCHORED | (s->caseless ? PCRE2_CASELESS : 0);
    if (k % 2) {
      if (!s->text_all) return;
      s->code_all = compile_text(s->text_all, o, P->jit, cctx);
      s->jit_all = has_jit(s->code_all);
    } else {
      s->code = compile_text(s->text, o, P->jit, cctx);
      s->jit = has_jit(s->code);
    }
    return;
  }
  k -= 2 * P->rs->nsh;
  cjob *j = &P->jobs[k / 2];
  vnx_rule *r = &P->rules[k / 2].r;
  bool core = k % 2;
  if (!j->ok || (core && !j->core_ok)) return;
  const xbuf *x = core ? &j->cx : &j->x;
  pcre2_code **c = core ? &r->core : &r->code;
  /* NEVER_BACKSLASH_C: \C would cut a character, and record values are
   * written as the valid UTF-8 the normaliser made */
  uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DUPNAMES | PCRE2_NEVER_BACKSLASH_C |
                  (r->caseless ? PCRE2_CASELESS : 0);
  PCRE2_SIZE eoff;
  if (!core && r->sh >= 0) {
    /* the head and the tail (split_shared); the head's repeats are not
     * made possessive across the callout, which can fail */
    r->code = compile_text(j->head, opts | PCRE2_USE_OFFSET_LIMIT | PCRE2_NO_AUTO_POSSESS, P->jit,
                           cctx);
    r->tail = j->tail ? compile_text(j->tail, opts | PCRE2_ANCHORED, P->jit, cctx) : NULL;
    r->tail_jit = has_jit(r->tail);
    if (r->code && (r->tail || !j->tail)) return;
    pcre2_code_free(r->code); /* then the whole pattern, as without sharing */
    pcre2_code_free(r->tail);
    r->code = r->tail = NULL;
    r->sh = -1;
  }
  /* With a prefix, the whole pattern is only tried up to where its pattern
   * lines match on their own, and a rule with start strings is tried only
   * at its candidate starts (match.c): both need an offset limit. */
  *c = pcre2_compile((PCRE2_SPTR)(x->s ? x->s : ""), x->len, opts | PCRE2_USE_OFFSET_LIMIT,
                     &j->ec[core], &eoff, cctx);
  if (!*c) {
    if (!core) j->eoff = eoff;
    return;
  }
  if (P->jit) pcre2_jit_compile(*c, PCRE2_JIT_COMPLETE);
}

static void *compile_worker(void *arg) {
  cworker *w = arg;
  /* pcre2 allocates through the compile context: one per thread, with this
   * thread's block cache (the patterns keep it for pcre2_code_free) */
  pcre2_general_context *gc = pcre2_general_context_create(blk_malloc, blk_free, w->blocks);
  pcre2_compile_context *cctx = pcre2_compile_context_create(gc);
  pcre2_general_context_free(gc); /* the compile context has a copy */
  if (!cctx) {
    fprintf(stderr, "vnextract: out of memory\n");
    abort();
  }
  for (;;) {
    size_t k = atomic_fetch_add(&w->P->next, 1);
    if (k >= w->P->njobs) break;
    if (w->P->view) {
      if (k == 0) {
        w->P->starts = vnx_starts_new(w->P->view);
        continue;
      }
      k--;
    }
    compile_one(w->P, k, cctx);
  }
  pcre2_compile_context_free(cctx);
  return NULL;
}

/* Without JIT (unsupported platform) the interpreter still works.
 * VNX_NO_JIT=1 turns it off on purpose: valgrind cannot follow JIT code and
 * reports false uninitialised reads in it. */
static int g_load_threads = 0; /* 0: the online CPUs */

void vnx_rules_set_threads(int n) { g_load_threads = n < 0 ? 0 : n; }

static vnx_starts *compile_all(vnx_ruleset *rs, prule *rules, cjob *jobs, size_t n,
                               const vnx_ruleset *view) {
  cpool P = {rules, jobs, n, rs, 2 * n + 2 * rs->nsh + (view != NULL), 0, true, view, NULL};
  atomic_init(&P.next, 0);
  const char *nojit = getenv("VNX_NO_JIT");
  P.jit = !nojit || strcmp(nojit, "1") != 0;
  size_t npat = 0;
  for (size_t i = 0; i < n; i++) npat += jobs[i].ok + jobs[i].core_ok;
  npat += 2 * rs->nsh;
  long nt = g_load_threads;
  if (nt <= 0) nt = sysconf(_SC_NPROCESSORS_ONLN);
  if ((size_t)nt > npat) nt = (long)npat;
  if (nt < 1) nt = 1;
  rs->nblocks = (size_t)nt;
  rs->blocks = vnx_xcalloc(rs->nblocks, sizeof *rs->blocks);
  cworker *w = vnx_xcalloc(rs->nblocks, sizeof *w);
  for (size_t i = 0; i < rs->nblocks; i++) {
    pthread_mutex_init(&rs->blocks[i].mu, NULL);
    rs->blocks[i].keep = true;
    w[i].P = &P;
    w[i].blocks = &rs->blocks[i];
  }
  /* this thread is worker 0; one thread (or none started) is the serial path */
  size_t started = 0;
  while (started + 1 < rs->nblocks &&
         pthread_create(&w[started + 1].t, NULL, compile_worker, &w[started + 1]) == 0)
    started++;
  compile_worker(&w[0]);
  for (size_t i = 1; i <= started; i++) pthread_join(w[i].t, NULL);
  free(w);
  for (size_t i = 0; i < rs->nblocks; i++) blk_release(&rs->blocks[i]);
  return P.starts;
}

/* The rule's checks, in rule order, once its patterns are compiled. */
/* The ']' that closes the class opened at t[i] ('['), or n if none: a
 * first ']' (after '^') is a member, escapes are stepped over, and a POSIX
 * class is "[:" letters ":]" as pcre2 reads it (check_posix_syntax);
 * anything else after "[:" is members. */
static size_t class_end(const char *t, size_t i, size_t n) {
  i++;
  if (i < n && t[i] == '^') i++;
  if (i < n && t[i] == ']') i++;
  for (; i < n && t[i] != ']'; i++) {
    if (t[i] == '\\') {
      i++;
    } else if (t[i] == '[' && i + 1 < n && t[i + 1] == ':') {
      size_t j = i + 2;
      if (j < n && t[j] == '^') j++;
      while (j < n && isalpha((unsigned char)t[j])) j++;
      if (j + 1 < n && t[j] == ':' && t[j + 1] == ']') i = j + 1;
    }
  }
  return i < n ? i : n;
}

/* Does t[0..n) set an option at its top level, "(?i)" outside any group,
 * which would then hold for what follows it? Escapes, \Q...\E, classes and
 * comments are stepped over. */
static bool sets_options_after(const char *t, size_t n) {
  int depth = 0;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (c == '\\') {
      if (i + 1 < n && t[i + 1] == 'Q') {
        i += 2;
        while (i + 1 < n && !(t[i] == '\\' && t[i + 1] == 'E')) i++;
      }
      i++;
    } else if (c == '[') {
      i = class_end(t, i, n);
    } else if (c == '(') {
      if (i + 2 < n && t[i + 1] == '?' && t[i + 2] == '#') {
        while (i < n && t[i] != ')') i++;
        continue;
      }
      size_t k = i + 1;
      if (k < n && t[k] == '?') {
        k++;
        while (k < n && ((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z') ||
                         t[k] == '-' || t[k] == '^'))
          k++;
        if (k < n && t[k] == ')' && k > i + 2) { /* "(?i)": no group */
          if (depth == 0) return true;
          i = k;
          continue;
        }
      }
      depth++;
    } else if (c == ')') {
      depth--;
    }
  }
  return false;
}

static bool check_rule(loader *L, prule *p, cjob *j) {
  vnx_rule *r = &p->r;
  const vnx_srcfile *sf = &L->rs->src[r->src];
  bool ok = true;
  unhold(L, &j->xd, true);
  if (!j->ok) return false;
  /* where the end of the pattern is: just after the last piece */
  const piece *last = &p->pat[p->npat - 1];
  const char *lline = sf->lines[last->line - 1];
  size_t lend = strlen(lline);
  while (lend > last->col && (lline[lend - 1] == ' ' || lline[lend - 1] == '\t')) lend--;
  xsrc endm = {last->line, (unsigned)lend, NULL};
  if (!r->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(j->ec[0], msg, sizeof msg);
    /* the map again, quietly: this expansion's messages were reported */
    held again;
    xbuf x = {0};
    hold(L, &again);
    expand_whole(L, p, &x);
    hold_end(L, &again);
    unhold(L, &again, false);
    xsrc m = j->eoff < x.len ? x.m[j->eoff] : endm;
    xb_free(&x);
    err_at(L, r->src, m.line, m.col, "%s", (const char *)msg);
    if (m.frag) {
      frag *f = find_frag(L, m.frag, strlen(m.frag));
      if (f && L->diag)
        fprintf(L->diag, "%s:%u: note: inside the expansion of fragment %s defined here\n",
                L->rs->src[f->src].path, f->line, f->name);
    }
    unhold(L, &j->cd, false);
    return false;
  }
  if (p->npre) {
    unhold(L, &j->cd, true);
    if (!j->core_ok) return false;
    /* the pattern lines are also searched alone (match.c): an option the
     * prefix turns on for them would be missing there */
    size_t wl = strlen(r->expanded), cl = strlen(r->core_expanded);
    if (cl <= wl && memcmp(r->expanded + wl - cl, r->core_expanded, cl) == 0 &&
        sets_options_after(r->expanded, wl - cl)) {
      err_at(L, r->src, p->pre[0].line, p->pre[0].col,
             "the prefix sets an option for what follows it (\"(?i)\"); the pattern lines are "
             "also searched alone, without it: write \"(?i:...)\" around the prefix's own part");
      return false;
    }
    if (!r->core) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(j->ec[1], msg, sizeof msg);
      err_at(L, r->src, p->pat[0].line, p->pat[0].col,
             "the pattern lines without the prefix do not compile: %s", (const char *)msg);
      return false;
    }
  }
  pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &r->ncap);
  if (r->ncap > L->rs->max_cap) L->rs->max_cap = r->ncap;
  r->sgroup = r->ncap; /* the head's last group: "(?<G>)" (split_shared) */
  group_ref(r->code, "span", &r->span);
  if (r->sh >= 0) {
    /* The code is the head alone. A match is at least as long as the
     * head's, the fragment's and the tail's shortest: two characters or
     * more, and it can match neither nothing nor any one character. Else
     * the check runs on the whole pattern, compiled for it. */
    vnx_shared *s = &L->rs->sh[r->sh];
    uint32_t a = 0, b = 0, c = 0;
    pcre2_pattern_info(r->code, PCRE2_INFO_MINLENGTH, &a);
    if (s->code) pcre2_pattern_info(s->code, PCRE2_INFO_MINLENGTH, &b);
    if (r->tail) pcre2_pattern_info(r->tail, PCRE2_INFO_MINLENGTH, &c);
    if (!s->code || (r->tail && !s->code_all)) {
      /* once, at the first rule that reads it */
      if (!s->reported)
        err_at(L, r->src, r->line, 5,
               "shared fragment %s does not compile alone (with the rules' tails after it): "
               "remove its `shared` line",
               s->name);
      s->reported = true;
      ok = false;
    } else if (!r->skip && (uint64_t)a + b + c < 2) {
      vnx_rule whole = *r;
      int ec;
      PCRE2_SIZE eoff;
      whole.code = pcre2_compile((PCRE2_SPTR)j->x.s, j->x.len,
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_DUPNAMES | PCRE2_NEVER_BACKSLASH_C |
                                     (r->caseless ? PCRE2_CASELESS : 0),
                                 &ec, &eoff, NULL);
      if (whole.code && !check_not_degenerate(L, &whole)) ok = false;
      pcre2_code_free(whole.code);
    }
  } else if (!r->skip && !check_not_degenerate(L, r)) {
    ok = false;
  }

  r->sets = vnx_xcalloc(p->nsets ? p->nsets : 1, sizeof *r->sets);
  for (size_t i = 0; i < p->nsets; i++) {
    vnx_set st;
    if (!parse_set(L, r, &p->sets[i], &st)) {
      free_set(&st);
      ok = false;
      continue;
    }
    for (size_t k = 0; k < r->nsets; k++)
      for (int a = 0; a < r->sets[k].nfields; a++)
        for (int b = 0; b < st.nfields; b++)
          if (strcmp(r->sets[k].fields[a], st.fields[b]) == 0) {
            err_at(L, r->src, p->sets[i].line, p->sets[i].col, "field '%s' set twice",
                   st.fields[b]);
            ok = false;
          }
    r->sets[r->nsets++] = st;
  }
  return ok;
}

/* ---- driver ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n > k && strcmp(s + n - k, suf) == 0;
}

static void free_rule(vnx_rule *r) {
  free(r->id);
  for (size_t i = 0; i < r->nneeds; i++) free(r->needs[i]);
  free(r->needs);
  pcre2_code_free(r->code);
  pcre2_code_free(r->core);
  pcre2_code_free(r->tail);
  free(r->expanded);
  free(r->core_expanded);
  for (size_t i = 0; i < r->nsets; i++) free_set(&r->sets[i]);
  free(r->sets);
  for (size_t i = 0; i < r->nex; i++) {
    free(r->ex[i].text);
    for (size_t k = 0; k < r->ex[i].n; k++) {
      free(r->ex[i].keys[k]);
      free(r->ex[i].vals[k]);
    }
    free(r->ex[i].keys);
    free(r->ex[i].vals);
  }
  free(r->ex);
}

vnx_ruleset *vnx_rules_load(const char *dir, vnx_tone_style style, FILE *diag, int *nerrors) {
  loader L;
  memset(&L, 0, sizeof L);
  L.rs = vnx_xcalloc(1, sizeof *L.rs);
  L.rs->style = style;
  L.diag = diag;

  DIR *d = opendir(dir);
  if (!d) {
    if (diag) fprintf(diag, "%s: error: cannot open the rules directory\n", dir);
    *nerrors = 1;
    vnx_rules_free(L.rs);
    return NULL;
  }
  char **names = NULL;
  size_t nn = 0, capn = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.' && (ends_with(e->d_name, ".rules") || ends_with(e->d_name, ".tsv")))
      PUSH(names, nn, capn, vnx_xstrdup(e->d_name));
  closedir(d);
  if (nn) qsort(names, nn, sizeof *names, cmp_str);
  /* gazetteers first: {@NAME} and canonical() need them */
  for (size_t i = 0; i < nn; i++)
    if (ends_with(names[i], ".tsv")) load_gazetteer(&L, dir, names[i]);
  for (size_t i = 0; i < nn; i++)
    if (ends_with(names[i], ".rules")) parse_file(&L, dir, names[i]);
  for (size_t i = 0; i < nn; i++) free(names[i]);
  free(names);

  for (size_t i = 0; i < L.nfrags; i++) expand_frag(&L, &L.frags[i]);
  for (size_t i = 0; i < L.nshn; i++)
    if (!find_frag(&L, L.shn[i].name, strlen(L.shn[i].name)))
      err_at(&L, L.shn[i].src, L.shn[i].line, L.shn[i].col, "shared: unknown fragment %s",
             L.shn[i].name);

  vnx_ruleset *rs = L.rs;
  rs->rules = vnx_xcalloc(L.nrules ? L.nrules : 1, sizeof *rs->rules);
  cjob *jobs = vnx_xcalloc(L.nrules ? L.nrules : 1, sizeof *jobs);
  for (size_t i = 0; i < L.nrules; i++)
    if (!L.rules[i].bad) expand_rule(&L, &L.rules[i], &jobs[i]);
  shared_tails(rs, L.rules, jobs, L.nrules);
  /* the rules as expanded, for the start strings (none after an error:
   * the ruleset is thrown away) */
  vnx_ruleset view = {0};
  if (!L.nerr) {
    view.rules = vnx_xcalloc(L.nrules ? L.nrules : 1, sizeof *view.rules);
    for (size_t i = 0; i < L.nrules; i++) view.rules[i] = L.rules[i].r;
    view.n = L.nrules;
  }
  vnx_starts *starts = compile_all(rs, L.rules, jobs, L.nrules, L.nerr ? NULL : &view);
  free(view.rules);
  for (size_t i = 0; i < L.nrules; i++) {
    prule *p = &L.rules[i];
    if (!p->bad) check_rule(&L, p, &jobs[i]);
    rs->rules[rs->n++] = p->r;
    xb_free(&jobs[i].x);
    xb_free(&jobs[i].cx);
    free(jobs[i].head);
    free(jobs[i].tail);
    free(p->pat);
    free(p->pre);
    free(p->sets);
  }
  free(L.rules);
  for (size_t i = 0; i < L.nfrags; i++) {
    free(L.frags[i].name);
    free(L.frags[i].exp);
  }
  free(L.frags);
  for (size_t i = 0; i < L.nshn; i++) free(L.shn[i].name);
  free(L.shn);
  *nerrors = L.nerr;
  free(jobs);
  if (L.nerr) {
    vnx_starts_free(starts);
    vnx_rules_free(rs);
    return NULL;
  }
  for (size_t i = 0; i < rs->n; i++) {
    /* JIT code present: match.c calls pcre2_jit_match directly */
    vnx_rule *r = &rs->rules[i];
    size_t js = 0, cjs = 0;
    if (r->code) pcre2_pattern_info(r->code, PCRE2_INFO_JITSIZE, &js);
    if (r->core) pcre2_pattern_info(r->core, PCRE2_INFO_JITSIZE, &cjs);
    r->jit = js > 0 && (!r->core || cjs > 0);
  }
  /* One job (compile_all): its memo of group sets is shared by the patterns
   * ({BD_BODY} in every body rule); one memo per thread cost more CPU than
   * it saved. */
  rs->starts = starts ? starts : vnx_starts_new(rs);
  for (size_t i = 0; i < rs->n; i++) {
    vnx_rule *r = &rs->rules[i];
    if (r->core && r->expanded)
      r->has_stop = vnx_pattern_stops(r->expanded, strlen(r->expanded), r->stop);
  }
  return rs;
}

void vnx_rules_free(vnx_ruleset *rs) {
  if (!rs) return;
  for (size_t i = 0; i < rs->nsh; i++) {
    free(rs->sh[i].name);
    free(rs->sh[i].text);
    free(rs->sh[i].text_all);
    pcre2_code_free(rs->sh[i].code);
    pcre2_code_free(rs->sh[i].code_all);
  }
  free(rs->sh);
  vnx_starts_free(rs->starts);
  for (size_t i = 0; i < rs->n; i++) free_rule(&rs->rules[i]);
  free(rs->rules);
  for (size_t i = 0; i < rs->nkinds; i++) free(rs->kinds[i]);
  free(rs->kinds);
  for (size_t i = 0; i < rs->ngaz; i++) {
    vnx_gazetteer *g = &rs->gaz[i];
    free(g->name);
    for (size_t k = 0; k < g->nforms; k++) free(g->forms[k]);
    free(g->forms);
    for (size_t k = 0; k < g->ncanons; k++) free(g->canons[k]);
    free(g->canons);
    for (size_t k = 0; k < g->nidx; k++) free(g->idx[k].key);
    free(g->idx);
  }
  free(rs->gaz);
  for (size_t i = 0; i < rs->nsrc; i++) {
    free(rs->src[i].path);
    free(rs->src[i].data);
    free(rs->src[i].lines);
  }
  free(rs->src);
  /* after the patterns: their pcre2_code_free calls come through blocks */
  for (size_t i = 0; i < rs->nblocks; i++) {
    blk_release(&rs->blocks[i]);
    pthread_mutex_destroy(&rs->blocks[i].mu);
  }
  free(rs->blocks);
  free(rs);
}

size_t vnx_rules_count(const vnx_ruleset *rs) { return rs ? rs->n : 0; }

const char *vnx_rules_id(const vnx_ruleset *rs, size_t i) {
  return rs && i < rs->n ? rs->rules[i].id : NULL;
}

size_t vnx_rules_examples(const vnx_ruleset *rs) {
  size_t n = 0;
  for (size_t i = 0; rs && i < rs->n; i++) n += rs->rules[i].nex;
  return n;
}

/* ---- lint -------------------------------------------------------------- */

int vnx_rules_lint(const vnx_ruleset *rs, FILE *diag) {
  loader L;
  memset(&L, 0, sizeof L);
  L.rs = (vnx_ruleset *)rs; /* only read: vdiag needs the source lines */
  L.diag = diag;
  char *buf = NULL;
  size_t cap = 0;
  for (size_t i = 0; i < rs->n; i++) {
    const vnx_rule *r = &rs->rules[i];
    size_t ne = 0, nr = 0;
    for (size_t k = 0; k < r->nex; k++) *(r->ex[k].expect ? &ne : &nr) += 1;
    if (ne == 0 || nr == 0)
      err_at(&L, r->src, r->line, 5, "rule %s needs at least one expect and one reject example",
             r->id);
    for (size_t k = 0; r->skip && k < r->nex; k++)
      for (size_t f = 0; f < r->ex[k].n; f++)
        if (strcmp(r->ex[k].keys[f], "text") != 0) {
          const char *line = rs->src[r->src].lines[r->ex[k].line - 1];
          const char *at = strstr(line, "->");
          err_at(&L, r->src, r->ex[k].line, at ? (size_t)(at - line) : 0,
                 "rule %s is a skip rule: its examples can only check text=, not %s=", r->id,
                 r->ex[k].keys[f]);
        }
    if (r->nneeds == 0) {
      warn_at(&L, r->src, r->line, 5, "rule %s has no needs: it runs on every line", r->id);
      continue;
    }
    for (size_t k = 0; k < r->nex; k++) {
      if (!r->ex[k].expect) continue;
      vnx_fold_lower(r->ex[k].text, strlen(r->ex[k].text), &buf, &cap);
      bool found = false;
      for (size_t w = 0; w < r->nneeds && !found; w++)
        if (strstr(buf, r->needs[w])) found = true;
      if (!found) {
        const char *line = rs->src[r->src].lines[r->ex[k].line - 1];
        err_at(&L, r->src, r->ex[k].line, (size_t)(skip_ws(line) - line),
               "expect text contains none of the needs literals of %s: the prefilter would skip it",
               r->id);
      }
    }
  }
  free(buf);
  return L.nerr;
}
