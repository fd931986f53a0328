/* records.c - the record list every stage appends to. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
