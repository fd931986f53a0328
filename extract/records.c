/* records.c - the record list every stage appends to. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- memory of the JSON values ------------------------------------------
 * A record holds about ten jansson values, most of them strings, which are
 * two mallocs each (the value and its bytes), its field list and its text,
 * and all of them are freed with the document: 8 % of the run went to
 * malloc and free. So while a document is processed (pipeline.c), the
 * jansson allocations of its thread, the field lists and the record texts
 * come from the document's arena, by bumping a pointer; frees of them do
 * nothing, and vnx_doc_free drops the arena at once.
 * jansson's allocator is process-wide and a document may be freed on
 * another thread than the one that made it (batch.c), so every block has a
 * header saying whether it came from an arena; outside a document (the
 * ruleset, the golden files, whatever a caller builds) blocks are malloc'd
 * as before. A value taken from a document's records must not outlive the
 * document (every caller drops its vnx_record_json objects first). */
typedef struct block_head {
  /* aligned as malloc aligns (16 bytes here; a max_align_t member would
   * make the header 32) */
  _Alignas(max_align_t) const struct vnx_json_arena *arena; /* NULL: malloc'd */
} block_head;

typedef struct arena_chunk {
  struct arena_chunk *prev;
  max_align_t mem[]; /* blocks, each after its block_head */
} arena_chunk;

struct vnx_json_arena {
  arena_chunk *chunks;
  char *at, *end; /* free room of the newest chunk */
  size_t next;    /* size of the next chunk */
};

#define ARENA_FIRST_CHUNK ((size_t)32 << 10)
#define ARENA_MAX_CHUNK ((size_t)1 << 20)

static _Thread_local vnx_json_arena *current_arena;

/* Under AddressSanitizer no arena is ever current: every block is malloc'd
 * and freed on its own, so that a use after free, a double decref or a
 * leaked reference among a document's values is seen (in an arena a free
 * does nothing). The other builds run the arena (tests and golden files). */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ON 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ON 0
#endif
#endif
#ifndef ARENA_ON
#define ARENA_ON 1
#endif

static bool arena_grow(vnx_json_arena *a, size_t need) {
  size_t size = a->next > need ? a->next : need;
  arena_chunk *c = malloc(sizeof *c + size);
  if (!c) return false;
  c->prev = a->chunks;
  a->chunks = c;
  a->at = (char *)c->mem;
  a->end = a->at + size;
  if (a->next < ARENA_MAX_CHUNK) a->next *= 2;
  return true;
}

static void *json_block_alloc(size_t n) {
  if (n > SIZE_MAX / 2) return NULL;
  vnx_json_arena *a = current_arena;
  if (!a) {
    block_head *h = malloc(sizeof *h + n);
    if (!h) return NULL;
    h->arena = NULL;
    return h + 1;
  }
  const size_t step = sizeof(block_head); /* keeps the next block aligned too */
  size_t need = step + (n + step - 1) / step * step;
  if ((!a->at || (size_t)(a->end - a->at) < need) && !arena_grow(a, need)) return NULL;
  block_head *h = (block_head *)(void *)a->at;
  a->at += need;
  h->arena = a;
  return h + 1;
}

static void json_block_free(void *p) {
  if (!p) return;
  block_head *h = (block_head *)p - 1;
  if (!h->arena) free(h);
}

/* Before main, so that no jansson block predates the header. */
__attribute__((constructor)) static void json_alloc_init(void) {
  json_set_alloc_funcs(json_block_alloc, json_block_free);
}

void vnx_json_free(void *p) { json_block_free(p); }

vnx_json_arena *vnx_json_arena_new(void) {
  vnx_json_arena *a = vnx_xcalloc(1, sizeof *a);
  a->next = ARENA_FIRST_CHUNK;
  return a;
}

vnx_json_arena *vnx_json_arena_use(vnx_json_arena *a) {
  vnx_json_arena *prev = current_arena;
  current_arena = ARENA_ON ? a : NULL;
  return prev;
}

void vnx_json_arena_free(vnx_json_arena *a) {
  if (!a) return;
  for (arena_chunk *c = a->chunks, *prev; c; c = prev) {
    prev = c->prev;
    free(c);
  }
  free(a);
}

/* Is s[0..n) UTF-8 as jansson accepts it (no overlong forms, surrogates
 * or code points above U+10FFFF)? The same test as its utf8_check, with
 * runs of ASCII taken eight bytes at a time. */
static bool utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint64_t w;
    if (n - i >= 8 && (memcpy(&w, s + i, 8), (w & 0x8080808080808080ull) == 0)) {
      i += 8;
      continue;
    }
    unsigned c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned v;
    if (c >= 0xC2 && c <= 0xDF) len = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, v = c & 0x07;
    else return false;
    if (len > n - i) return false;
    for (size_t k = 1; k < len; k++) {
      unsigned b = s[i + k];
      if (b < 0x80 || b > 0xBF) return false;
      v = (v << 6) | (b & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000)) return false;
    i += len;
  }
  return true;
}

json_t *vnx_json_stringn(const char *s, size_t n) {
  if (!s || !utf8_valid((const unsigned char *)s, n)) return NULL;
  return json_stringn_nocheck(s, n);
}

json_t *vnx_json_string(const char *s) { return s ? vnx_json_stringn(s, strlen(s)) : NULL; }

/* The normalised text is valid UTF-8 (normalise decodes strictly; --lossy
 * puts U+FFFD for what is not, and later passes write whole characters), so
 * text made of its spans is valid when every span starts and ends where a
 * character does: no need to check it byte by byte again. */
bool vnx_text_cut(const vnx_doc *d, size_t i) {
  return i >= d->text.len || ((unsigned char)d->text.s[i] & 0xC0) != 0x80;
}

json_t *vnx_json_spans(const char *s, bool whole_chars) {
  if (!s) return NULL;
  return whole_chars ? json_stringn_nocheck(s, strlen(s)) : vnx_json_string(s);
}

/* ---- fields --------------------------------------------------------------
 * A linear scan: records have about ten fields. Most keys are the same
 * literal or ruleset string every time, so the pointer test settles a hit,
 * and the first byte most misses, before a strcmp. */
static vnx_field *field_find(const vnx_fields *f, const char *key) {
  for (uint32_t i = 0; i < f->n; i++) {
    const char *k = f->v[i].key;
    if (k == key || (k[0] == key[0] && strcmp(k, key) == 0)) return &f->v[i];
  }
  return NULL;
}

void vnx_fields_set(vnx_fields *f, const char *key, json_t *val) {
  if (!val) return;
  if (!key) {
    json_decref(val);
    return;
  }
  vnx_field *x = field_find(f, key);
  if (x) {
    json_decref(x->val);
    x->val = val;
    return;
  }
  if (f->n == f->cap) {
    /* from the document's arena, as the values (one malloc per record less) */
    uint32_t cap = f->cap ? f->cap * 2 : 12;
    vnx_field *v = json_block_alloc(cap * sizeof *v);
    if (!v) vnx_oom(cap * sizeof *v);
    if (f->n) memcpy(v, f->v, f->n * sizeof *v);
    json_block_free(f->v);
    f->v = v;
    f->cap = cap;
  }
  f->v[f->n].key = key;
  f->v[f->n++].val = val;
}

json_t *vnx_fields_get(const vnx_fields *f, const char *key) {
  vnx_field *x = f && key ? field_find(f, key) : NULL;
  return x ? x->val : NULL;
}

int vnx_fields_del(vnx_fields *f, const char *key) {
  vnx_field *x = f && key ? field_find(f, key) : NULL;
  if (!x) return -1;
  json_decref(x->val);
  size_t i = (size_t)(x - f->v);
  memmove(x, x + 1, (f->n - i - 1) * sizeof *x);
  f->n--;
  return 0;
}

void vnx_fields_free(vnx_fields *f) {
  if (!f) return;
  for (uint32_t i = 0; i < f->n; i++) json_decref(f->v[i].val);
  json_block_free(f->v);
  memset(f, 0, sizeof *f);
}

void vnx_fields_add_json(vnx_fields *f, const json_t *o) {
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)o, key, val) vnx_fields_set(f, key, json_incref(val));
}

/* ---- records ------------------------------------------------------------- */

vnx_record *vnx_records_add(vnx_records *rs, const char *kind, const char *rule,
                            vnx_fields *fields) {
  if (rs->n == rs->cap) {
    rs->cap = rs->cap ? rs->cap * 2 : 64;
    rs->v = vnx_xrealloc(rs->v, rs->cap * sizeof *rs->v);
  }
  vnx_record *r = &rs->v[rs->n++];
  memset(r, 0, sizeof *r);
  r->kind = kind;
  r->rule = rule;
  if (fields) {
    r->fields = *fields;
    memset(fields, 0, sizeof *fields);
  }
  return r;
}

void vnx_record_set_text(vnx_record *r, const char *s, size_t n) {
  vnx_record_text_free(r);
  if (!current_arena) {
    r->text = vnx_xstrndup(s, n);
    return;
  }
  /* a JSON block, for the arena's bump pointer; the header goes unused */
  char *t = json_block_alloc(n + 1);
  if (!t) vnx_oom(n + 1);
  memcpy(t, s, n);
  t[n] = 0;
  r->text = t;
  r->text_in_arena = true;
}

void vnx_record_text_free(vnx_record *r) {
  if (!r->text_in_arena) free(r->text);
  r->text = NULL;
  r->text_in_arena = false;
}

/* Output order is part of the contract (golden diffs, byte-identical runs):
 * span start, then kind, then span end, then rule id. */
static int cmp_record(const void *pa, const void *pb) {
  const vnx_record *a = pa, *b = pb;
  if (a->start != b->start) return a->start < b->start ? -1 : 1;
  int c = strcmp(a->kind, b->kind);
  if (c) return c;
  if (a->end != b->end) return a->end < b->end ? -1 : 1;
  return strcmp(a->rule ? a->rule : "", b->rule ? b->rule : "");
}

void vnx_records_sort(vnx_records *rs) {
  if (rs->n > 1) qsort(rs->v, rs->n, sizeof *rs->v, cmp_record);
}

void vnx_records_free(vnx_records *rs) {
  if (!rs) return;
  for (size_t i = 0; i < rs->n; i++) {
    vnx_record_text_free(&rs->v[i]);
    vnx_fields_free(&rs->v[i].fields);
  }
  free(rs->v);
  memset(rs, 0, sizeof *rs);
}
