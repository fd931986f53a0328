/* records.c - the record list every stage appends to. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
    f->cap = f->cap ? f->cap * 2 : 12;
    f->v = vnx_xrealloc(f->v, f->cap * sizeof *f->v);
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
  free(f->v);
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
    free(rs->v[i].text);
    vnx_fields_free(&rs->v[i].fields);
  }
  free(rs->v);
  memset(rs, 0, sizeof *rs);
}
