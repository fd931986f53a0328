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

vnx_record *vnx_records_add(vnx_records *rs, const char *kind, const char *rule,
                            json_t *fields) {
  if (rs->n == rs->cap) {
    rs->cap = rs->cap ? rs->cap * 2 : 64;
    rs->v = vnx_xrealloc(rs->v, rs->cap * sizeof *rs->v);
  }
  vnx_record *r = &rs->v[rs->n++];
  memset(r, 0, sizeof *r);
  r->kind = kind;
  r->rule = rule;
  r->fields = fields ? fields : json_object();
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
    json_decref(rs->v[i].fields);
  }
  free(rs->v);
  memset(rs, 0, sizeof *rs);
}
