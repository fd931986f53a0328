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

/* Decimal digits of v at the end of buf[0..24); returns where they start
 * (what "%llu" prints, without a call to snprintf). */
static char *utoa_end(unsigned long long v, char *end) {
  /* two digits a step: every span and line number goes through here */
  static const char D2[] = "00010203040506070809101112131415161718192021222324"
                           "25262728293031323334353637383940414243444546474849"
                           "50515253545556575859606162636465666768697071727374"
                           "75767778798081828384858687888990919293949596979899";
  char *p = end;
  while (v >= 10) {
    unsigned d = (unsigned)(v % 100);
    v /= 100;
    p -= 2;
    memcpy(p, D2 + 2 * d, 2);
  }
  if (v || p == end) *--p = (char)('0' + v);
  return p;
}

/* The hash state after the document's name: the start of the id of each of
 * its records (computed once per document by the writer). */
static uint64_t id_seed(const char *doc) {
  return fnv1a(0xcbf29ce484222325ULL, doc, strlen(doc) + 1);
}

static void record_id_seeded(uint64_t h, const vnx_record *r, char out[40]) {
  /* the span as "%zu:%zu", hashed in place */
  char span[48];
  char *a = utoa_end(r->start, span + 23);
  span[23] = ':';
  char *b = utoa_end(r->end, span + 47);
  h = fnv1a(h, r->kind, strlen(r->kind) + 1);
  h = fnv1a(h, a, (size_t)(span + 24 - a));
  h = fnv1a(h, b, (size_t)(span + 47 - b));
  /* "%.3s-%016llx" */
  size_t o = 0;
  while (o < 3 && r->kind[o]) {
    out[o] = r->kind[o];
    o++;
  }
  out[o++] = '-';
  static const char hex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; i--) out[o++] = hex[(h >> (4 * i)) & 15];
  out[o] = 0;
}

void vnx_record_id(const char *doc, const vnx_record *r, char out[40]) {
  record_id_seeded(id_seed(doc), r, out);
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
  for (uint32_t i = 0; i < r->fields.n; i++)
    json_object_set(o, r->fields.v[i].key, r->fields.v[i].val);
  return o;
}

#define VNX_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* ---- JSON Lines ---------------------------------------------------------
 * The records are serialised straight into one buffer per document, with
 * exactly the bytes json_dumps(vnx_record_json(...), VNX_JSON_FLAGS) gives
 * (jansson 2.14 dump.c: compact separators, keys in insertion order,
 * "\uXXXX" with upper-case hex for the other control characters, '/' and
 * non-ASCII kept, integers "%lld", reals "%.15g" with ".0" added when there is
 * neither '.' nor 'e' and no '+' or leading zeros in the exponent), without
 * building the envelope object and without a stream call per token. */
typedef struct jbuf {
  char *s;
  size_t len, cap;
} jbuf;

/* room for n more bytes */
static void jb_reserve(jbuf *b, size_t n) {
  if (b->len + n > b->cap) {
    while (b->len + n > b->cap) b->cap = b->cap ? 2 * b->cap : 1 << 16;
    b->s = vnx_xrealloc(b->s, b->cap);
  }
}

static inline void jb_put(jbuf *b, const char *p, size_t n) {
  jb_reserve(b, n);
  memcpy(b->s + b->len, p, n);
  b->len += n;
}

/* Eight bytes none of which needs escaping (control, '"', '\\')? The
 * usual word tests "has a zero byte" (after xor with '"' and '\\') and
 * "has a byte < 0x20"; they never miss such a byte. */
static inline bool plain8(const char *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  uint64_t lt20 = (w - 0x20 * ones) & ~w & high;
  uint64_t q = w ^ ('"' * ones), bs = w ^ ('\\' * ones);
  uint64_t eq = ((q - ones) & ~q & high) | ((bs - ones) & ~bs & high);
  return (lt20 | eq) == 0;
}

#ifdef __SSE2__
#include <emmintrin.h>
/* The same test for sixteen bytes (SSE2 is part of x86-64): a byte <= 0x1F
 * is one whose unsigned maximum with 0x1F is 0x1F. */
static inline bool plain16(const char *p) {
  __m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
  __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(w, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
  __m128i esc = _mm_or_si128(_mm_cmpeq_epi8(w, _mm_set1_epi8('"')),
                             _mm_cmpeq_epi8(w, _mm_set1_epi8('\\')));
  return _mm_movemask_epi8(_mm_or_si128(ctl, esc)) == 0;
}
#endif

static void jb_str(jbuf *b, const char *p, size_t n) {
  jb_reserve(b, 6 * n + 2); /* "\u00XX" is the longest escape */
  char *o = b->s + b->len;
  *o++ = '"';
  size_t i = 0;
  while (i < n) {
#ifdef __SSE2__
    if (i + 16 <= n && plain16(p + i)) {
      memcpy(o, p + i, 16);
      o += 16;
      i += 16;
      continue;
    }
#endif
    if (i + 8 <= n && plain8(p + i)) {
      memcpy(o, p + i, 8);
      o += 8;
      i += 8;
      continue;
    }
    unsigned char c = (unsigned char)p[i++];
    if (c >= 0x20 && c != '"' && c != '\\') {
      *o++ = (char)c;
      continue;
    }
    *o++ = '\\';
    switch (c) {
    case '\\': *o++ = '\\'; break;
    case '"': *o++ = '"'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    default: {
      static const char HEX[] = "0123456789ABCDEF";
      memcpy(o, "u00", 3);
      o[3] = HEX[c >> 4];
      o[4] = HEX[c & 15];
      o += 5;
    }
    }
  }
  *o++ = '"';
  b->len = (size_t)(o - b->s);
}

/* what "%lld" prints */
static void jb_int(jbuf *b, long long v) {
  char num[24];
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  char *p = utoa_end(u, num + sizeof num);
  if (v < 0) *--p = '-';
  jb_put(b, p, (size_t)(num + sizeof num - p));
}

static void jb_cstr(jbuf *b, const char *s) { jb_str(b, s, strlen(s)); }

static int jb_value(jbuf *b, const json_t *v) {
  char num[64];
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    const char *key;
    json_t *x;
    bool first = true;
    jb_put(b, "{", 1);
    json_object_foreach((json_t *)v, key, x) {
      if (!first) jb_put(b, ",", 1);
      first = false;
      jb_cstr(b, key);
      jb_put(b, ":", 1);
      if (jb_value(b, x) != 0) return -1;
    }
    jb_put(b, "}", 1);
    return 0;
  }
  case JSON_ARRAY: {
    jb_put(b, "[", 1);
    for (size_t i = 0; i < json_array_size(v); i++) {
      if (i) jb_put(b, ",", 1);
      if (jb_value(b, json_array_get(v, i)) != 0) return -1;
    }
    jb_put(b, "]", 1);
    return 0;
  }
  case JSON_STRING: jb_str(b, json_string_value(v), json_string_length(v)); return 0;
  case JSON_INTEGER: jb_int(b, (long long)json_integer_value(v)); return 0;
  case JSON_REAL: {
    int n = snprintf(num, sizeof num - 3, "%.15g", json_real_value(v));
    if (n < 0 || (size_t)n >= sizeof num - 3) return -1;
    size_t len = (size_t)n;
    for (size_t i = 0; i < len; i++)
      if (num[i] == ',') num[i] = '.'; /* a locale's decimal comma */
    if (!strchr(num, '.') && !strchr(num, 'e')) {
      memcpy(num + len, ".0", 3);
      len += 2;
    }
    char *start = strchr(num, 'e');
    if (start) {
      start++;
      char *end = start + 1;
      if (*start == '-') start++;
      while (*end == '0') end++;
      if (end != start) {
        memmove(start, end, len - (size_t)(end - num) + 1);
        len -= (size_t)(end - start);
      }
    }
    jb_put(b, num, len);
    return 0;
  }
  case JSON_TRUE: jb_put(b, "true", 4); return 0;
  case JSON_FALSE: jb_put(b, "false", 5); return 0;
  case JSON_NULL: jb_put(b, "null", 4); return 0;
  }
  return -1;
}

/* the envelope keys, in order; a field of the same name takes its place */
static const char *const ENVELOPE[] = {"id", "doc", "kind", "line", "span", "text", "rule"};
/* ... and as jb_key writes them (seven per record: not worth a strlen and
 * an escaping pass each time) */
static const char *const ENVELOPE_KEY[] = {"\"id\":",    ",\"doc\":",  ",\"kind\":", ",\"line\":",
                                           ",\"span\":", ",\"text\":", ",\"rule\":"};
static const size_t ENVELOPE_KEY_LEN[] = {5, 7, 8, 8, 8, 8, 8};

/* index of key in ENVELOPE, or -1 (by first letter: most keys are not) */
static int envelope_index(const char *key) {
  int k;
  switch (key[0]) {
  case 'i': k = 0; break;
  case 'd': k = 1; break;
  case 'k': k = 2; break;
  case 'l': k = 3; break;
  case 's': k = 4; break;
  case 't': k = 5; break;
  case 'r': k = 6; break;
  default: return -1;
  }
  /* strcmp inline: most keys differ at their second byte */
  const char *e = ENVELOPE[k];
  size_t i = 1;
  while (e[i] && key[i] == e[i]) i++;
  return e[i] == 0 && key[i] == 0 ? k : -1;
}

/* ,"key": -- keys are short and plain (ASCII words): copied as they are
 * unless a byte needs escaping */
static void jb_key(jbuf *b, const char *key, bool first) {
  size_t n = strlen(key);
  jb_reserve(b, n + 4);
  char *o = b->s + b->len;
  if (!first) *o++ = ',';
  *o++ = '"';
  size_t i = 0;
  for (; i < n; i++) {
    unsigned char c = (unsigned char)key[i];
    if (c < 0x20 || c == '"' || c == '\\') break;
    o[i] = (char)c;
  }
  if (i < n) { /* the general path */
    b->len = (size_t)(o - 1 - b->s);
    jb_str(b, key, n);
    jb_reserve(b, 1);
  } else {
    o[n] = '"';
    b->len = (size_t)(o + n + 1 - b->s);
  }
  b->s[b->len++] = ':';
}

static int jb_record(jbuf *b, const vnx_doc *d, uint64_t seed, const vnx_record *r) {
  char id[40];
  /* the fields that take an envelope key's place (bit i of inenv: field i
   * is one; past 64 fields they are looked at again below) */
  const vnx_fields *f = &r->fields;
  const json_t *env[7] = {NULL};
  uint64_t inenv = 0;
  for (uint32_t i = 0; i < f->n; i++) {
    int k = envelope_index(f->v[i].key);
    if (k >= 0) {
      env[k] = f->v[i].val;
      if (i < 64) inenv |= 1ull << i;
    }
  }
  jb_put(b, "{", 1);
  for (int k = 0; k < 7; k++) {
    jb_put(b, ENVELOPE_KEY[k], ENVELOPE_KEY_LEN[k]);
    if (env[k]) {
      if (jb_value(b, env[k]) != 0) return -1;
      continue;
    }
    switch (k) {
    case 0:
      record_id_seeded(seed, r, id);
      jb_cstr(b, id);
      break;
    case 1: jb_cstr(b, d->stem); break;
    case 2: jb_cstr(b, r->kind); break;
    case 3: jb_int(b, (long long)r->line); break;
    case 4:
      jb_put(b, "[", 1);
      jb_int(b, (long long)r->start);
      jb_put(b, ",", 1);
      jb_int(b, (long long)r->end);
      jb_put(b, "]", 1);
      break;
    case 5: jb_cstr(b, r->text ? r->text : ""); break;
    case 6:
      if (r->rule) jb_cstr(b, r->rule);
      else jb_put(b, "null", 4);
      break;
    }
  }
  for (uint32_t i = 0; i < f->n; i++) {
    if (i < 64 ? (inenv >> i) & 1 : envelope_index(f->v[i].key) >= 0) continue;
    jb_key(b, f->v[i].key, false);
    if (jb_value(b, f->v[i].val) != 0) return -1;
  }
  jb_put(b, "}\n", 2);
  return 0;
}

int vnx_jsonl_bytes(const vnx_doc *d, char **s, size_t *len) {
  jbuf b = {NULL, 0, 0};
  int rc = 0;
  uint64_t seed = id_seed(d->stem);
  for (size_t i = 0; i < d->recs.n && rc == 0; i++) rc = jb_record(&b, d, seed, &d->recs.v[i]);
  if (rc != 0) {
    free(b.s);
    b.s = NULL;
    b.len = 0;
  }
  *s = b.s;
  *len = b.len;
  return rc;
}

int vnx_write_jsonl(const vnx_doc *d, FILE *out) {
  char *s;
  size_t len;
  int rc = vnx_jsonl_bytes(d, &s, &len);
  if (rc == 0 && len && fwrite(s, 1, len, out) != len) rc = -1;
  free(s);
  return rc || ferror(out) ? -1 : 0;
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
