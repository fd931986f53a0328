/* write.c - the write stage: records to JSON Lines, atomic file output. */
#include <errno.h>
#include <limits.h>
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
 * its records (computed once per document by the loops over its records). */
uint64_t vnx_record_id_seed(const char *doc) {
  return fnv1a(0xcbf29ce484222325ULL, doc, strlen(doc) + 1);
}

/* the sixteen hex digits of h ("%016llx") at out: each nibble spread to a
 * byte, then '0'..'9' or 'a'..'f' for all eight bytes of a word at once */
static void hex16(uint64_t h, char *out) {
  const uint64_t ones = 0x0101010101010101ull;
  for (int half = 0; half < 2; half++) {
    uint64_t x = half ? h & 0xFFFFFFFFu : h >> 32;
    x = (x | x << 16) & 0x0000FFFF0000FFFFull;
    x = (x | x << 8) & 0x00FF00FF00FF00FFull;
    x = (x | x << 4) & 0x0F0F0F0F0F0F0F0Full; /* byte i: nibble i */
    uint64_t letter = ((x + 6 * ones) >> 4) & ones; /* 1 where the nibble is >= 10 */
    x += '0' * ones + ('a' - '0' - 10) * letter;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    x = __builtin_bswap64(x); /* the highest nibble first in memory */
    memcpy(out + 8 * half, &x, 8);
#else
    for (int i = 0; i < 8; i++) out[8 * half + i] = (char)(x >> (8 * (7 - i)));
#endif
  }
}

/* The span as "%zu:%zu": the digits of start end at buf + 23, where the ':'
 * is, those of end at buf + 47; a and b are where they start. The writer
 * hashes it for the id and copies the digits for "span" (room past the
 * digits for its fixed-size copies). */
typedef struct spantext {
  char buf[72];
  char *a, *b;
} spantext;

static void span_text(const vnx_record *r, spantext *s) {
  s->a = utoa_end(r->start, s->buf + 23);
  s->buf[23] = ':';
  s->b = utoa_end(r->end, s->buf + 47);
}

/* the id from the hash state after the document's name; returns its length */
static size_t id_from_span(uint64_t h, const char *kind, const spantext *s, char out[40]) {
  h = fnv1a(h, kind, strlen(kind) + 1);
  h = fnv1a(h, s->a, (size_t)(s->buf + 24 - s->a));
  h = fnv1a(h, s->b, (size_t)(s->buf + 47 - s->b));
  /* "%.3s-%016llx" */
  size_t o = 0;
  while (o < 3 && kind[o]) {
    out[o] = kind[o];
    o++;
  }
  out[o++] = '-';
  hex16(h, out + o);
  out[o + 16] = 0;
  return o + 16;
}

void vnx_record_id_seeded(uint64_t h, const vnx_record *r, char out[40]) {
  spantext s;
  span_text(r, &s);
  id_from_span(h, r->kind, &s, out);
}

void vnx_record_id(const char *doc, const vnx_record *r, char out[40]) {
  vnx_record_id_seeded(vnx_record_id_seed(doc), r, out);
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

/* 1 for the bytes a JSON string escapes: controls, '"' and '\\' */
static const unsigned char JSON_ESCAPED[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1};

static void jb_str(jbuf *b, const char *p, size_t n) {
  jb_reserve(b, 6 * n + 2); /* "\u00XX" is the longest escape */
  char *o = b->s + b->len;
  *o++ = '"';
  size_t i = 0;
  /* The last bytes (fewer than a word) are tested once as the last word of
   * the string, which overlaps bytes already copied: if it is plain, so are
   * they, and they were copied as they are, so it is copied over them. */
  bool tail8_tried = n < 8, tail16_tried = n < 16;
  while (i < n) {
#ifdef __SSE2__
    if (i + 16 <= n) {
      if (plain16(p + i)) {
        memcpy(o, p + i, 16);
        o += 16;
        i += 16;
        continue;
      }
    } else if (!tail16_tried) {
      tail16_tried = true;
      if (plain16(p + n - 16)) {
        memcpy(o - (i - (n - 16)), p + n - 16, 16);
        o += n - i;
        break;
      }
    }
#endif
    if (i + 8 <= n) {
      if (plain8(p + i)) {
        memcpy(o, p + i, 8);
        o += 8;
        i += 8;
        continue;
      }
    } else if (!tail8_tried) {
      tail8_tried = true;
      if (plain8(p + n - 8)) {
        memcpy(o - (i - (n - 8)), p + n - 8, 8);
        o += n - i;
        break;
      }
    }
    unsigned char c = (unsigned char)p[i++];
    if (!JSON_ESCAPED[c]) {
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
  /* the digits end at num + 24 and are copied as 24 bytes (a fixed-size
   * copy, no call; the bytes past them are overwritten by what follows) */
  char num[48];
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  char *p = utoa_end(u, num + 24);
  if (v < 0) *--p = '-';
  jb_reserve(b, 24);
  memcpy(b->s + b->len, p, 24);
  b->len += (size_t)(num + 24 - p);
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
 * an escaping pass each time; at most eight bytes each, copied as eight) */
static const char ENVELOPE_KEY[7][9] = {"\"id\":",    ",\"doc\":",  ",\"kind\":", ",\"line\":",
                                        ",\"span\":", ",\"text\":", ",\"rule\":"};
static const unsigned char ENVELOPE_KEY_LEN[] = {5, 7, 8, 8, 8, 8, 8};

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
  /* copied, then checked: one table look-up a byte and no branch */
  memcpy(o, key, n);
  unsigned esc = 0;
  for (size_t i = 0; i < n; i++) esc |= JSON_ESCAPED[(unsigned char)key[i]];
  if (esc) { /* the general path */
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
  spantext span;
  span_text(r, &span);
  jb_put(b, "{", 1);
  for (int k = 0; k < 7; k++) {
    jb_reserve(b, 8);
    memcpy(b->s + b->len, ENVELOPE_KEY[k], 8);
    b->len += ENVELOPE_KEY_LEN[k];
    if (env[k]) {
      if (jb_value(b, env[k]) != 0) return -1;
      continue;
    }
    switch (k) {
    case 0: jb_str(b, id, id_from_span(seed, r->kind, &span, id)); break;
    case 1: jb_cstr(b, d->stem); break;
    case 2: jb_cstr(b, r->kind); break;
    case 3: jb_int(b, (long long)r->line); break;
    case 4:
      if (r->start > LLONG_MAX || r->end > LLONG_MAX) { /* "%lld" of what the cast gives */
        jb_put(b, "[", 1);
        jb_int(b, (long long)r->start);
        jb_put(b, ",", 1);
        jb_int(b, (long long)r->end);
        jb_put(b, "]", 1);
      } else { /* the digits the id was made of, copied 24 bytes at a time */
        size_t na = (size_t)(span.buf + 23 - span.a), nb = (size_t)(span.buf + 47 - span.b);
        jb_reserve(b, 2 * 24 + 3);
        char *o = b->s + b->len;
        *o++ = '[';
        memcpy(o, span.a, 24);
        o += na;
        *o++ = ',';
        memcpy(o, span.b, 24);
        o += nb;
        *o++ = ']';
        b->len = (size_t)(o - b->s);
      }
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
  /* room for the usual document at once (records average some 430 bytes):
   * growing by doubling copied the buffer a few times per document */
  jbuf b = {NULL, 0, 0};
  jb_reserve(&b, d->recs.n * 512);
  int rc = 0;
  uint64_t seed = vnx_record_id_seed(d->stem);
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
