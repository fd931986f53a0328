/* link.c - bodies in their structure, and task records (issue 6).
 *
 * After the rules have matched, this stage
 *   1. marks the directive parts of the document (task sections by their
 *      headings: NHIỆM VỤ, GIẢI PHÁP, ... ; not KẾT QUẢ, TÌNH HÌNH, ĐÁNH GIÁ,
 *      KIẾN NGHỊ), footnotes, the "Nơi nhận:" list and the signature;
 *   2. turns the body columns of task tables ("Cơ quan chỉ đạo", "Cơ quan
 *      chủ trì", "Cơ quan phối hợp") into one body record per listed body
 *      (lists split, elliptic members "Sở: Xây dựng, Tài chính" get `norm`);
 *   3. gives a role to the bodies the rules left without one (the subject
 *      at the start of an item or sentence -> lead; a member of a list
 *      takes the role of the list's first member) and drops bodies outside
 *      directives, owners of documents ("của X") and role-less mentions in
 *      the middle of a sentence;
 *   4. makes one `task` record per directive: list item, numbered point,
 *      directive paragraph, task-table row, with the bodies by role, its
 *      deadline and indicators, inheriting from lead-ins ("Giao X chỉ đạo:",
 *      "7.1. Đồng chí ... chỉ đạo:", "- Ban Tuyên giáo và Dân vận Thành ủy:")
 *      and from a trailing "Các nhiệm vụ trên hoàn thành trước ngày ...";
 *   5. gives every record a `section` path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "internal.h"
#include "rules_int.h"

/* The fields' keys are literals (vnx_fields borrows them). */

/* ---- small helpers ------------------------------------------------------ */

static const char *fget(const vnx_record *r, const char *k) {
  json_t *v = vnx_fields_get(&r->fields, k);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool is_kind(const vnx_record *r, const char *k) { return strcmp(r->kind, k) == 0; }

/* A lower-case copy of a span: in buf when the text lowered once has it
 * whole and it fits (the spans tested are mostly short), else malloc'd.
 * Freed with lowered_free. */
typedef struct lowered {
  char *s;
  char buf[512];
} lowered;

static void lowered_free(lowered *lw) {
  if (lw->s != lw->buf) free(lw->s);
}

/* lower-case copy of text[a, b) (from the text lower-cased once) */
static char *lower_span(lowered *lw, const vnx_doc *d, size_t a, size_t b) {
  const char *v = b - a < sizeof lw->buf ? vnx_doc_lower_view(d, a, b) : NULL;
  if (v) {
    memcpy(lw->buf, v, b - a);
    lw->buf[b - a] = 0;
    return lw->s = lw->buf;
  }
  return lw->s = vnx_doc_lower(d, a, b);
}

static bool has_any(const char *l, const char *const *words) {
  for (int i = 0; words[i]; i++)
    if (strstr(l, words[i])) return true;
  return false;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* trimmed end of a segment's text (without trailing spaces/tabs) */
static size_t seg_text_end(const char *t, const vnx_seg *g) {
  size_t e = g->end;
  while (e > g->start && is_space(t[e - 1])) e--;
  return e;
}

static bool seg_ends_colon(const char *t, const vnx_seg *g) {
  size_t e = seg_text_end(t, g);
  return e > g->start && t[e - 1] == ':';
}

/* ---- directive scope ---------------------------------------------------- */

static const char *const DIRECTIVE_WORDS[] = {
    "nhiệm vụ", "giải pháp", "phương hướng", "tổ chức thực hiện", "kế hoạch hành động",
    "nội dung thực hiện", "danh mục các nhiệm vụ", "phân công", NULL};
static const char *const NARRATION_WORDS[] = {
    "kết quả", "tình hình", "đánh giá", "ưu điểm", "hạn chế", "nguyên nhân", "kiến nghị",
    "đề xuất", "bài học", "tồn tại", NULL};

/* +1 task heading, -1 narration/requests heading, 0 neutral */
static int heading_class(const vnx_doc *d, const vnx_seg *g) {
  const char *t = d->text.s;
  size_t e = seg_text_end(t, g);
  size_t n = e - g->body;
  if (n > 200) n = 200; /* a long numbered point: only its start is a title */
  lowered lw;
  char *l = lower_span(&lw, d, g->body, g->body + n);
  int c = 0;
  size_t full = e - g->body;
  bool title = g->level <= VNX_LVL_ROMAN || (g->level == VNX_LVL_NUM1 && full < 150);
  if (title) {
    if (has_any(l, NARRATION_WORDS) && !(strstr(l, "nhiệm vụ, giải pháp") && !strstr(l, "tình hình")))
      c = -1;
    else if (has_any(l, DIRECTIVE_WORDS))
      c = +1;
  }
  lowered_free(&lw);
  return c;
}

static size_t preamble_end(const vnx_doc *d);

/* directive[i] for every segment */
static bool *mark_directives(const vnx_doc *d) {
  const struct vnx_segments *S = d->seg;
  const char *t = d->text.s;
  bool *dir = vnx_xcalloc(S->n + 1, sizeof *dir);
  int state[VNX_NLEVELS];
  memset(state, 0, sizeof state);
  bool any_positive = false;
  /* In a plan, a decision, a resolution or a programme every part that is
   * not narration assigns work; in a report or a notice only the task parts
   * do. The kind of document is its first ALL-CAPS heading. */
  bool plan_like = false;
  size_t type_seg = S->n; /* that heading */
  for (size_t i = 0; i < S->n && i < 40; i++) {
    const vnx_seg *g = &S->v[i];
    if (g->kind != VNX_SEG_HEADING || g->label[0]) continue;
    static const char *const PLAN[] = {"KẾ HOẠCH", "QUYẾT ĐỊNH", "NGHỊ QUYẾT", "CHƯƠNG TRÌNH",
                                       "HƯỚNG DẪN", "CHỈ THỊ", "CÔNG ĐIỆN", NULL};
    for (int k = 0; PLAN[k]; k++)
      if (strncmp(t + g->body, PLAN[k], strlen(PLAN[k])) == 0) {
        plan_like = true;
        if (type_seg == S->n) type_seg = i;
      }
    if (strncmp(t + g->body, "BÁO CÁO", strlen("BÁO CÁO")) == 0 ||
        strncmp(t + g->body, "THÔNG BÁO", strlen("THÔNG BÁO")) == 0) {
      if (type_seg == S->n) type_seg = i;
      break;
    }
  }
  for (size_t i = 0; i < S->n; i++) {
    const vnx_seg *g = &S->v[i];
    if (g->kind == VNX_SEG_HEADING && g->level >= 0 && g->level <= VNX_LVL_LETTER) {
      int c = heading_class(d, g);
      for (int l = g->level + 1; l < VNX_NLEVELS; l++) state[l] = 0;
      if (c) state[g->level] = c;
      else if (g->level <= VNX_LVL_ROMAN) state[g->level] = 0;
      if (c > 0) any_positive = true;
    }
    int st = 0;
    for (int l = 0; l < VNX_NLEVELS && !st; l++) st = state[l];
    dir[i] = st > 0 || (plan_like && st == 0);
  }
  /* tables with body columns are task tables wherever they are */
  for (size_t ti = 0; ti < S->ntables; ti++) {
    const vnx_table *tb = &S->tables[ti];
    if (vnx_table_find_column(tb, "chủ trì") >= 0 || vnx_table_find_column(tb, "chỉ đạo") >= 0)
      for (size_t i = tb->first; i <= tb->last; i++) dir[i] = true;
  }
  if (!any_positive) /* no task headings at all: a plan, a decision, a letter */
    for (size_t i = 0; i < S->n; i++) dir[i] = true;
  /* what comes before the enacting words of a resolution or a decision
   * (its title, the legal basis: "Căn cứ Luật ...;", "Xét đề nghị của ...",
   * "Trên cơ sở ...", then "QUYẾT NGHỊ:") says on what grounds, never what
   * is to be done */
  for (size_t i = 0, pe = preamble_end(d); i < pe; i++) dir[i] = false;
  /* the subject line of a letter ("V/v cơ chế đặc thù ...") and the short
   * lines that wrap it */
  for (size_t i = 0; i < S->n && i < 40; i++) {
    const vnx_seg *g = &S->v[i];
    if (g->kind != VNX_SEG_PARA || strncmp(t + g->body, "V/v ", 4) != 0) continue;
    dir[i] = false;
    for (size_t j = i + 1, n = 0; j < S->n && n < 2; j++, n++) {
      const vnx_seg *h = &S->v[j];
      size_t e = seg_text_end(t, h);
      if (h->kind != VNX_SEG_PARA || h->label[0] || e <= h->body || e - h->body > 120 ||
          strchr(".;:,", t[e - 1]))
        break;
      dir[j] = false;
    }
    break;
  }
  /* the title under the kind of the document ("KẾ HOẠCH" / "Tổ chức Tháng
   * hành động ...", "NGHỊ QUYẾT" / "Về chất vấn ..."): up to three lines
   * that are not sentences (no final period or comma), before anything else;
   * after the first, only short ones (the rest of a wrapped title) */
  for (size_t i = type_seg + 1, n = 0; i < S->n && n < 3; i++, n++) {
    const vnx_seg *g = &S->v[i];
    if (g->kind != VNX_SEG_PARA || g->label[0]) break;
    size_t e = seg_text_end(t, g);
    if (e <= g->body || strchr(".;:,", t[e - 1])) break;
    if (n > 0 && e - g->body > 120) break; /* a wrapped title's next line is short */
    dir[i] = false;
  }
  /* The opening of a plan or a programme, before its first numbered
   * part: a paragraph that cites what it carries out ("Thực hiện
   * Nghị quyết số 02-NQ/TW ...", "Căn cứ Kế hoạch số ...") is its basis.
   * Only where numbered parts follow: a text without any is all body. */
  if (plan_like) {
    static const char *const BASIS[] = {"Căn cứ ", "Thực hiện ", "Xét ", "Theo đề nghị",
                                        "Trên cơ sở ", NULL};
    static const char *const CITES[] = {" số ", "Nghị quyết", "Kế hoạch", "Quyết định",
                                        "Chỉ thị", "Luật ", "Thông báo", "Chương trình", NULL};
    size_t first = S->n;
    for (size_t i = 0; i < S->n && first == S->n; i++)
      if ((S->v[i].kind == VNX_SEG_HEADING || S->v[i].kind == VNX_SEG_ITEM) && S->v[i].label[0])
        first = i;
    bool basis = false;
    for (size_t i = 0; i < first && first < S->n; i++) {
      const vnx_seg *g = &S->v[i];
      if (g->kind != VNX_SEG_PARA) {
        basis = false;
        continue;
      }
      if (!g->cont) {
        size_t e = seg_text_end(t, g);
        basis = false;
        for (int k = 0; BASIS[k] && !basis; k++)
          basis = strncmp(t + g->body, BASIS[k], strlen(BASIS[k])) == 0;
        bool cites = false;
        for (int k = 0; CITES[k] && basis && !cites; k++)
          cites = vnx_contains(t + g->body, e - g->body, CITES[k], strlen(CITES[k]));
        basis = basis && cites;
      }
      if (basis) dir[i] = false;
    }
  }
  for (size_t i = 0; i < S->n; i++) {
    vnx_seg_kind k = S->v[i].kind;
    if (k == VNX_SEG_FOOTNOTE || k == VNX_SEG_RECIPIENTS || k == VNX_SEG_SIGNATURE) dir[i] = false;
  }
  return dir;
}

/* ---- record indexes -------------------------------------------------------- */

/* The stages below look records up by position, by span and by surface.
 * Scanning d->recs for each look-up made the stage quadratic in the number
 * of records; these indexes are built once (and kept up to date where
 * records are added). They hold record indices, never pointers: adding a
 * record may move d->recs.v. */

/* record indices of one kind, sorted by nstart, then index; at[i] is
 * the nstart of record v[i], so a look-up searches one array instead of
 * reaching into a record at every step (a cache miss each) */
typedef struct kindix {
  size_t *v, *at;
  size_t n;
} kindix;

/* qsort has no context argument: the records being sorted (one document
 * at a time per thread, so a thread-local pointer) */
static _Thread_local const vnx_records *g_sort_recs;
static int cmp_by_start(const void *pa, const void *pb) {
  const vnx_records *rs = g_sort_recs;
  size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
  const vnx_record *x = &rs->v[a], *y = &rs->v[b];
  if (x->nstart != y->nstart) return x->nstart < y->nstart ? -1 : 1;
  return a < b ? -1 : a > b;
}

static int cmp_size(const void *pa, const void *pb) {
  size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
  return a < b ? -1 : a > b;
}

/* Sorts increasing record indices by start, then index. The rules emit
 * records about in text order: the sort is mostly a check that finds them
 * in order already. */
static void sort_by_start(const vnx_doc *d, size_t *v, size_t n) {
  size_t i = 1;
  while (i < n && d->recs.v[v[i - 1]].nstart <= d->recs.v[v[i]].nstart) i++;
  if (i >= n) return;
  g_sort_recs = &d->recs;
  qsort(v, n, sizeof *v, cmp_by_start);
}

/* Sorts sizes, mostly in order already (see sort_by_start). */
static void sort_sizes(size_t *v, size_t n) {
  size_t i = 1;
  while (i < n && v[i - 1] <= v[i]) i++;
  if (i < n) qsort(v, n, sizeof *v, cmp_size);
}

/* the records [0, limit) of this kind */
static void kindix_build(const vnx_doc *d, const char *kind, size_t limit, kindix *k) {
  k->v = vnx_xmalloc((limit + 1) * sizeof *k->v);
  k->n = 0;
  for (size_t i = 0; i < limit; i++)
    if (d->recs.v[i].kind[0] == kind[0] && strcmp(d->recs.v[i].kind, kind) == 0) k->v[k->n++] = i;
  sort_by_start(d, k->v, k->n);
  k->at = vnx_xmalloc((k->n + 1) * sizeof *k->at);
  for (size_t i = 0; i < k->n; i++) k->at[i] = d->recs.v[k->v[i]].nstart;
}

static void kindix_free(kindix *k) {
  free(k->v);
  free(k->at);
}

/* first position in k whose record starts at or after off. Without a
 * branch on the comparison (a select): the tasks ask thousands of these
 * and the branch of the usual loop was mispredicted half the time. */
static size_t kindix_lower(const kindix *k, size_t off) {
  if (!k->n) return 0;
  const size_t *base = k->at;
  size_t n = k->n;
  /* the answer is in [base, base + n] */
  while (n > 1) {
    size_t half = n / 2;
    base = base[half] < off ? base + half : base;
    n -= half;
  }
  return (size_t)(base - k->at) + (*base < off);
}

/* Open-addressing hash of record indices (slot = index + 1, 0 = empty),
 * keyed by a span or by a surface; the first record (lowest index) with a
 * key is kept. */
typedef struct rhash {
  uint64_t *h;
  size_t *slot;
  size_t cap, n; /* cap: a power of two */
} rhash;

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static uint64_t span_hash(size_t a, size_t b) { return mix64((uint64_t)a * 0x9E3779B97F4A7C15ULL ^ (uint64_t)b); }

static uint64_t text_hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ULL;
  }
  return mix64(h);
}

static void rhash_init(rhash *t) {
  t->cap = 64;
  t->n = 0;
  t->h = vnx_xcalloc(t->cap, sizeof *t->h);
  t->slot = vnx_xcalloc(t->cap, sizeof *t->slot);
}

static void rhash_free(rhash *t) {
  free(t->h);
  free(t->slot);
}

static void rhash_put_slot(rhash *t, uint64_t h, size_t slot) {
  size_t m = t->cap - 1;
  for (size_t p = (size_t)h & m;; p = (p + 1) & m)
    if (!t->slot[p]) {
      t->h[p] = h;
      t->slot[p] = slot;
      t->n++;
      return;
    }
}

/* inserts index i under hash h (the caller has checked the key is absent) */
static void rhash_add(rhash *t, uint64_t h, size_t i) {
  if ((t->n + 1) * 2 > t->cap) {
    rhash o = *t;
    t->cap = o.cap * 2;
    t->n = 0;
    t->h = vnx_xcalloc(t->cap, sizeof *t->h);
    t->slot = vnx_xcalloc(t->cap, sizeof *t->slot);
    for (size_t p = 0; p < o.cap; p++)
      if (o.slot[p]) rhash_put_slot(t, o.h[p], o.slot[p]);
    rhash_free(&o);
  }
  rhash_put_slot(t, h, i + 1);
}

/* the record with span [a, b) in t, or -1 */
static long rhash_find_span(const rhash *t, const vnx_doc *d, size_t a, size_t b) {
  uint64_t h = span_hash(a, b);
  size_t m = t->cap - 1;
  for (size_t p = (size_t)h & m; t->slot[p]; p = (p + 1) & m) {
    if (t->h[p] != h) continue;
    const vnx_record *r = &d->recs.v[t->slot[p] - 1];
    if (r->nstart == a && r->nend == b) return (long)(t->slot[p] - 1);
  }
  return -1;
}

/* the record whose text is s[0, n) in t, or -1 */
static long rhash_find_text(const rhash *t, const vnx_doc *d, const char *s, size_t n) {
  uint64_t h = text_hash(s, n);
  size_t m = t->cap - 1;
  for (size_t p = (size_t)h & m; t->slot[p]; p = (p + 1) & m) {
    if (t->h[p] != h) continue;
    const vnx_record *r = &d->recs.v[t->slot[p] - 1];
    if (strlen(r->text) == n && memcmp(r->text, s, n) == 0) return (long)(t->slot[p] - 1);
  }
  return -1;
}

/* ---- record bookkeeping --------------------------------------------------- */

typedef struct linkctx {
  vnx_doc *d;
  bool *drop; /* per record index */
  size_t cap;
  rhash body_span;  /* body records by (nstart, nend): the first one */
  rhash body_canon; /* body records by text: the first one with a canonical name */
  const vnx_gazetteer *bodies; /* canonical names (vnx_link), or NULL */
} linkctx;

static void ensure_drop(linkctx *c) {
  if (c->d->recs.n >= c->cap) {
    size_t nc = c->d->recs.n * 2 + 16;
    c->drop = vnx_xrealloc(c->drop, nc * sizeof *c->drop);
    memset(c->drop + c->cap, 0, (nc - c->cap) * sizeof *c->drop);
    c->cap = nc;
  }
}

static void set_span(vnx_doc *d, vnx_record *r, size_t a, size_t b) {
  r->nstart = a;
  r->nend = b;
  vnx_text_orig_span(&d->text, a, b, &r->start, &r->end);
  r->line = vnx_doc_line_of(d, r->start);
  vnx_record_set_text(r, d->text.s + a, b - a);
}

/* Keeps the body indexes up to date with record i (a body record that has
 * its span and text): records are only appended, so a key already present
 * belongs to a record with a lower index and stays. */
static void index_body(linkctx *c, size_t i) {
  const vnx_record *r = &c->d->recs.v[i];
  if (!is_kind(r, "body")) return;
  if (rhash_find_span(&c->body_span, c->d, r->nstart, r->nend) < 0)
    rhash_add(&c->body_span, span_hash(r->nstart, r->nend), i);
  if (r->text && fget(r, "canonical")) {
    size_t n = strlen(r->text);
    if (rhash_find_text(&c->body_canon, c->d, r->text, n) < 0)
      rhash_add(&c->body_canon, text_hash(r->text, n), i);
  }
}

/* a body record with exactly this span (dropped or not), or -1 */
static long find_body(const linkctx *c, size_t a, size_t b) {
  return rhash_find_span(&c->body_span, c->d, a, b);
}

/* The canonical name of a surface: the gazetteer's (what canonical() gives
 * a rule's record of that text), else the one a body this stage made with
 * the same surface got from its "Sở ..." form, or NULL. From the
 * gazetteer, not from a rule's record of the same text elsewhere: the body
 * rules do not run where link drops every body (vnx_link_scope). */
static const char *canonical_of_text(const linkctx *c, const char *s, size_t n) {
  const char *g = c->bodies ? vnx_gaz_lookup(c->bodies, s, n) : NULL;
  if (g) return g;
  long i = rhash_find_text(&c->body_canon, c->d, s, n);
  return i < 0 ? NULL : fget(&c->d->recs.v[i], "canonical");
}

/* vnx_utf8_lower(s, n) where s[0..n) is the text at [a, a + n): from the
 * text lowered once when it is (the record texts are their spans) */
static char *lower_at(lowered *lw, const vnx_doc *d, const char *s, size_t n, size_t a) {
  if (a <= d->text.len && n <= d->text.len - a && memcmp(d->text.s + a, s, n) == 0)
    return lower_span(lw, d, a, a + n);
  return lw->s = vnx_utf8_lower(s, n);
}

/* s[0..n), the text at offset a */
static bool generic_name(const vnx_doc *d, const char *s, size_t n, size_t a) {
  lowered lw;
  char *l = lower_at(&lw, d, s, n, a);
  bool g = strncmp(l, "các ", 5) == 0 || strstr(l, "liên quan") || strstr(l, "cấp xã") ||
           strncmp(l, "sở, ", 5) == 0 || strstr(l, "các xã") || strstr(l, "địa phương") ||
           strstr(l, "doanh nghiệp") || strncmp(l, "htx", 3) == 0 || strncmp(l, "ngành ", strlen("ngành ")) == 0 ||
           strstr(l, "nhân dân các ") || strstr(l, "ubnd các ") || strncmp(l, "chính quyền", strlen("chính quyền")) == 0 ||
           strstr(l, "cấp huyện") || strstr(l, "cấp có thẩm quyền") || strstr(l, "cấp ủy") ||
           strcmp(l, "cơ quan") == 0 || strcmp(l, "đơn vị") == 0 || strcmp(l, "tổ chức đảng") == 0 ||
           strcmp(l, "cơ quan, đơn vị") == 0 || strstr(l, "tổ chức chính trị");
  lowered_free(&lw);
  return g;
}

static vnx_record *add_body(linkctx *c, size_t a, size_t b, const char *role, const char *rule,
                            const char *norm) {
  vnx_doc *d = c->d;
  vnx_fields f = {0};
  vnx_fields_set(&f, "name", vnx_json_stringn(d->text.s + a, b - a));
  const char *canon = canonical_of_text(c, d->text.s + a, b - a);
  if (!canon && norm) canon = canonical_of_text(c, norm, strlen(norm));
  vnx_fields_set(&f, "canonical", canon ? vnx_json_string(canon) : json_null());
  vnx_fields_set(&f, "role", vnx_json_string(role));
  if (norm) vnx_fields_set(&f, "norm", vnx_json_string(norm));
  if (generic_name(d, d->text.s + a, b - a, a)) vnx_fields_set(&f, "generic", json_true());
  vnx_record *r = vnx_records_add(&d->recs, "body", rule, &f);
  set_span(d, r, a, b);
  ensure_drop(c);
  index_body(c, d->recs.n - 1);
  return r;
}

static void set_role(vnx_record *r, const char *role) {
  vnx_fields_set(&r->fields, "role", vnx_json_string(role));
}

/* The "section" values: one JSON string per section path, shared by the
 * records in it (json_incref) instead of a string made, written and freed
 * per record. Segments share their path strings, so a path is known by its
 * pointer: the last one asked for (records come in about text order), else
 * a table of every path met (the tasks and bodies made here come after the
 * records of the rules, and go over the sections again). */
typedef struct seccache {
  const char *path; /* the last one asked for */
  json_t *v;
  const char **paths; /* open addressing; NULL: empty */
  json_t **vals;
  size_t cap, n;      /* cap: a power of two, or 0 */
} seccache;

static json_t *section_json(seccache *c, const char *path) {
  if (!path) return NULL;
  if (c->path == path) return json_incref(c->v);
  if (2 * (c->n + 1) > c->cap) {
    seccache o = *c;
    c->cap = o.cap ? 2 * o.cap : 64;
    c->n = 0;
    c->paths = vnx_xcalloc(c->cap, sizeof *c->paths);
    c->vals = vnx_xcalloc(c->cap, sizeof *c->vals);
    for (size_t i = 0; i < o.cap; i++) {
      if (!o.paths[i]) continue;
      size_t p = (size_t)mix64((uint64_t)(uintptr_t)o.paths[i]) & (c->cap - 1);
      while (c->paths[p]) p = (p + 1) & (c->cap - 1);
      c->paths[p] = o.paths[i];
      c->vals[p] = o.vals[i];
      c->n++;
    }
    free(o.paths);
    free(o.vals);
  }
  size_t p = (size_t)mix64((uint64_t)(uintptr_t)path) & (c->cap - 1);
  while (c->paths[p] && c->paths[p] != path) p = (p + 1) & (c->cap - 1);
  if (!c->paths[p]) {
    c->paths[p] = path;
    c->vals[p] = vnx_json_string(path); /* NULL if not valid UTF-8: no field */
    c->n++;
  }
  c->path = path;
  c->v = c->vals[p];
  return json_incref(c->v);
}

static void seccache_free(seccache *c) {
  for (size_t i = 0; i < c->cap; i++) json_decref(c->vals[i]);
  free(c->paths);
  free(c->vals);
}

/* ---- table body columns ----------------------------------------------------- */

/* words that start a new member of a list in a cell ("..., UBND cấp xã") */
static bool starts_new_member(const char *s, size_t n) {
  static const char *const starts[] = {"các ", "Các ", "UBND", "HĐND", "Ủy ban", "Sở ", "Ban ",
                                       "Văn phòng", "Công an", "Thuế", "Bảo hiểm", "Thanh tra",
                                       "Viện", "Tòa", "Cục", "Bộ ", "Trung tâm", "Đảng", "Thành đoàn",
                                       "Mặt trận", "MTTQ", "UBMTTQ", "HTX", "Hội ", "Ngân hàng",
                                       "Kho bạc", "Đoàn", "Liên đoàn", "Nhà đầu tư", NULL};
  for (int i = 0; starts[i]; i++) {
    size_t k = strlen(starts[i]);
    if (n >= k && memcmp(s, starts[i], k) == 0) return true;
  }
  /* a capitalised word after a "Sở:" list: "Xây dựng", "Tài chính" */
  return false;
}

/* department names, for "Sở: Khoa học và Công nghệ Xây dựng, ..." */
static const char *const DEPTS[] = {"Khoa học và Công nghệ", "Nông nghiệp và Môi trường",
                                    "Văn hóa, Thể thao và Du lịch", "Giáo dục và Đào tạo",
                                    "Công Thương", "Xây dựng", "Tài chính", "Nội vụ", "Y tế",
                                    "Tư pháp", "Ngoại vụ", "Dân tộc và Tôn giáo", NULL};

static void emit_member(linkctx *c, size_t a, size_t b, const char *role, bool in_so_list) {
  const char *t = c->d->text.s;
  while (a < b && (is_space(t[a]) || t[a] == '-' || t[a] == ',' || t[a] == ';')) a++;
  while (b > a && (is_space(t[b - 1]) || t[b - 1] == '.' || t[b - 1] == ',' || t[b - 1] == ';' ||
                   t[b - 1] == ':'))
    b--;
  if (b - a < 2) return;
  /* "Đ/c Giám đốc Sở Tài chính": the honorific is not part of the name */
  static const char *const hon[] = {"Đ/c ", "đ/c ", "Đồng chí ", "đồng chí ", NULL};
  for (int i = 0; hon[i]; i++) {
    size_t k = strlen(hon[i]);
    if (b - a > k && memcmp(t + a, hon[i], k) == 0) a += k;
  }
  if (in_so_list && !starts_new_member(t + a, b - a)) {
    /* split glued department names: "Khoa học và Công nghệ Xây dựng" */
    size_t p = a;
    while (p < b) {
      const char *best = NULL;
      for (int i = 0; DEPTS[i]; i++) {
        size_t k = strlen(DEPTS[i]);
        if (p + k <= b && memcmp(t + p, DEPTS[i], k) == 0) { best = DEPTS[i]; break; }
      }
      if (!best) break;
      size_t k = strlen(best);
      char norm[160];
      snprintf(norm, sizeof norm, "Sở %s", best);
      long ex = find_body(c, p, p + k);
      if (ex >= 0) {
        set_role(&c->d->recs.v[ex], role);
        c->drop[ex] = false;
      } else {
        add_body(c, p, p + k, role, "link.table_column", norm);
      }
      p += k;
      while (p < b && t[p] == ' ') p++;
    }
    if (p >= b) return;
    if (p > a) a = p;
    char norm[200];
    snprintf(norm, sizeof norm, "Sở %.*s", (int)(b - a), t + a);
    add_body(c, a, b, role, "link.table_column", norm);
    return;
  }
  long ex = find_body(c, a, b);
  if (ex >= 0) {
    set_role(&c->d->recs.v[ex], role);
    c->drop[ex] = false;
    if (!vnx_fields_get(&c->d->recs.v[ex].fields, "generic") && generic_name(c->d, t + a, b - a, a))
      vnx_fields_set(&c->d->recs.v[ex].fields, "generic", json_true());
  } else {
    add_body(c, a, b, role, "link.table_column", NULL);
  }
}

/* " - " inside a name: "các tổ chức chính trị - xã hội", "Lao động - Thương
 * binh": the word after it is lower case (and not a new member "các ...") */
static bool hyphen_in_name(const char *t, size_t q, size_t b) {
  if (q >= b) return false;
  if (starts_new_member(t + q, b - q)) return false;
  utf8proc_int32_t cp;
  utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)t + q, (utf8proc_ssize_t)(b - q), &cp);
  return k > 0 && utf8proc_islower(cp);
}

/* One body cell: split on ";", " - " and on ", " before a new member;
 * a list header "Các sở, ban, ngành có liên quan:" / "Sở:" is not a body
 * itself, and its members are departments ("Xây dựng" = Sở Xây dựng);
 * parenthesised remarks are left out. */
static void split_cell(linkctx *c, size_t a, size_t b, const char *role) {
  const char *t = c->d->text.s;
  bool so_list = false;
  size_t p = a, start = a;
  int paren = 0;
  while (p <= b) {
    bool cut = false;
    size_t next = p + 1;
    if (p == b) {
      cut = paren == 0;
    } else if (t[p] == '(') {
      if (paren == 0 && p > start) emit_member(c, start, p, role, so_list);
      paren++;
    } else if (t[p] == ')') {
      if (paren > 0) paren--;
      if (paren == 0) start = p + 1;
    } else if (paren > 0) {
      /* inside a remark */
    } else if (t[p] == ';' || t[p] == '\n') {
      cut = true;
      so_list = false;
    } else if (t[p] == ':') {
      lowered lw;
      char *hdr = lower_span(&lw, c->d, start, p);
      char *h = hdr;
      while (*h == ' ' || *h == '-') h++;
      if (strncmp(h, "các", 4) == 0 || strncmp(h, "sở", 3) == 0) {
        so_list = strncmp(h, "sở", 3) == 0 || strncmp(h, "các sở", 8) == 0;
        start = p + 1;
      } else if ((strncmp(h, "cơ quan", 8) == 0 || strncmp(h, "đơn vị", 8) == 0) &&
                 (strstr(h, "phối hợp") || strstr(h, "chủ trì") || strstr(h, "chỉ đạo") ||
                  strstr(h, "thực hiện"))) {
        /* a label inside the cell: "Cơ quan phối hợp: Ban Tuyên giáo ..." */
        start = p + 1;
      } else {
        cut = true;
      }
      lowered_free(&lw);
    } else if (t[p] == ' ' && p + 2 < b && t[p + 1] == '-' && t[p + 2] == ' ' &&
               !hyphen_in_name(t, p + 3, b)) {
      cut = true;
      so_list = false;
      next = p + 3;
    } else if (t[p] == ',' && p + 1 < b) {
      size_t q = p + 1;
      while (q < b && t[q] == ' ') q++;
      if (so_list || starts_new_member(t + q, b - q)) cut = true;
    } else if (p + 5 <= b && memcmp(t + p, " và ", 5) == 0) {
      size_t q = p + 5;
      if (starts_new_member(t + q, b - q) && !so_list) {
        cut = true;
        next = p + 5;
      }
    }
    if (cut) {
      if (p > start) emit_member(c, start, p, role, so_list);
      start = next;
    }
    if (p == b) break;
    p = next;
  }
}

static void table_bodies(linkctx *c) {
  vnx_doc *d = c->d;
  const struct vnx_segments *S = d->seg;
  size_t n0 = d->recs.n;
  kindix bodies; /* the rule records, by position */
  kindix_build(d, "body", n0, &bodies);
  for (size_t ti = 0; ti < S->ntables; ti++) {
    const vnx_table *tb = &S->tables[ti];
    int cdir = vnx_table_find_column(tb, "chỉ đạo");
    int clead = vnx_table_find_column(tb, "chủ trì");
    int csup = vnx_table_find_column(tb, "phối hợp");
    if (cdir < 0 && clead < 0 && csup < 0) continue;
    for (size_t i = tb->first; i <= tb->last; i++) {
      const vnx_seg *g = &S->v[i];
      if (g->kind != VNX_SEG_TABLE_ROW && g->kind != VNX_SEG_TABLE_HEADER) continue;
      for (size_t col = 0; col < g->ncells; col++) {
        size_t a = g->cells[col].start, b = g->cells[col].end;
        const char *role = (int)col == cdir ? "director"
                           : (int)col == clead ? "lead"
                           : (int)col == csup ? "support" : NULL;
        /* rule records inside this cell */
        for (size_t q = kindix_lower(&bodies, a); q < bodies.n; q++) {
          size_t k = bodies.v[q];
          vnx_record *r = &d->recs.v[k];
          if (r->nstart > b) break; /* nend >= nstart > b */
          if (r->nend > b) continue;
          if (role || g->kind == VNX_SEG_TABLE_HEADER || !fget(r, "role")) c->drop[k] = true;
        }
        if (role && g->kind == VNX_SEG_TABLE_ROW && b > a) split_cell(c, a, b, role);
      }
    }
  }
  kindix_free(&bodies);
}

/* ---- roles in prose ---------------------------------------------------------- */

/* the text t[a, b) with spaces trimmed is one of words (or empty) */
static bool gap_is(const char *t, size_t a, size_t b, const char *const *words) {
  while (a < b && (is_space(t[a]) || t[a] == ',')) a++;
  while (b > a && (is_space(t[b - 1]) || t[b - 1] == ',')) b--;
  if (a == b) return true;
  for (int i = 0; words[i]; i++)
    if (words[i][0] == t[a] && strlen(words[i]) == b - a && memcmp(t + a, words[i], b - a) == 0)
      return true;
  return false;
}

static const char *const LIST_GAPS[] = {"và", ";", "và các", "cùng", "cùng với", "với", "-", NULL};
static const char *const SUBJECT_GAPS[] = {"Giao", "Các đồng chí", "Đồng chí", "đồng chí", "Đ/c",
                                           "đ/c", "Yêu cầu", "Đề nghị", "Chỉ đạo", "Giao cho",
                                           "Các", "Mời", NULL};

static bool preceded_by_owner(const char *t, size_t line_start, size_t a) {
#define W(s) {s, sizeof s - 1} /* with its length: asked for every body */
  static const struct { const char *s; size_t n; } own[] = {
      W("của "), W("theo "), W("thuộc "), W("tại "), W("cho "), W("đối với "),
      W("như "), W("về "), W("của\n"), W("giữa "), W("trong "), W("giữa\n"),
      W("Địa điểm: "), W("Địa điểm thực hiện: ")};
#undef W
  /* each of them ends with a space or a newline */
  if (a <= line_start || (t[a - 1] != ' ' && t[a - 1] != '\n')) return false;
  for (size_t i = 0; i < sizeof own / sizeof *own; i++) {
    size_t k = own[i].n;
    if (a >= line_start + k && t[a - 2] == own[i].s[k - 2] && memcmp(t + a - k, own[i].s, k) == 0)
      return true;
  }
  return false;
}

/* start of the sentence or clause holding offset a in segment g */
static size_t clause_start(const char *t, const vnx_seg *g, size_t a) {
  size_t s = g->body;
  size_t lim = a > g->body + 400 ? a - 400 : g->body;
  if (lim > g->body) s = lim; /* a subject is never that far from its clause start */
  for (size_t p = a; p > lim; p--) {
    char ch = t[p - 1];
    if ((ch == '.' || ch == ';' || ch == ':' || ch == '!') && p < a && t[p] == ' ') {
      s = p;
      break;
    }
  }
  return s;
}

static const char *const CLAUSE_GAPS[] = {"và", "đồng thời", "Đồng thời", NULL};

/* The body at a is the object of "yêu cầu"/"đề nghị" written inside a noun
 * phrase, not at the start of its clause. */
static bool object_of_request(const vnx_doc *d, const size_t *body_ends, size_t nends,
                              const vnx_seg *g, size_t a) {
  const char *t = d->text.s;
  static const char *const CUES[] = {"yêu cầu ", "đề nghị ", NULL};
  size_t lim = a > g->body + 40 ? a - 40 : g->body;
  for (size_t p = a; p-- > lim;) {
    for (int i = 0; CUES[i]; i++) {
      size_t k = strlen(CUES[i]);
      if (p + k <= a && memcmp(t + p, CUES[i], k) == 0) {
        size_t cs = clause_start(t, g, p);
        if (gap_is(t, cs, p, CLAUSE_GAPS)) return false;
        size_t q = p;
        while (q > cs && is_space(t[q - 1])) q--;
        if (q > cs && t[q - 1] == ',') return false;
        if (q >= cs + 3 && memcmp(t + q - 3, "và", 3) == 0) return false;
        /* "UBND thành phố đề nghị các Đại sứ quán": the body before asks */
        if (bsearch(&q, body_ends, nends, sizeof *body_ends, cmp_size)) return false;
        return true;
      }
    }
  }
  return false;
}

/* A segment written in capitals (at least six capital letters, no small
 * one): the issuer's header ("VĂN PHÒNG CHÍNH PHỦ", "HỘI ĐỒNG NHÂN DÂN
 * TỈNH"), a title (three words at least: "UBND TP" alone is a name). A body named there is not given a task. */
static bool caps_segment(const vnx_doc *d, const vnx_seg *g) {
  const char *t = d->text.s;
  size_t a = g->body, b = seg_text_end(t, g);
  if (b <= a || b - a > 300) return false; /* a header line is short */
  for (size_t k = a; k < b; k++) /* a small ASCII letter: not capitals (saves the copy) */
    if (t[k] >= 'a' && t[k] <= 'z') return false;
  lowered lw;
  char *l = lower_span(&lw, d, a, b);
  bool ok = strlen(l) == b - a;
  size_t upper = 0, words = 1;
  for (size_t k = 0; ok && k < b - a;) {
    if (t[a + k] == ' ') words++;
    unsigned char ch = (unsigned char)t[a + k];
    size_t len = ch < 0x80 ? 1 : ch < 0xE0 ? 2 : ch < 0xF0 ? 3 : 4;
    if (k + len > b - a) break;
    if (memcmp(t + a + k, l + k, len) != 0) upper++;
    else if ((ch >= 'a' && ch <= 'z') || (len == 2) ||
             (len == 3 && !(ch == 0xE2 && (unsigned char)t[a + k + 1] == 0x80)))
      ok = false; /* a small letter (not a dash or a quote of U+2000..U+203F) */
    k += len;
  }
  lowered_free(&lw);
  return ok && upper >= 6 && words >= 3;
}

/* The segment that ends the legal basis of a resolution or a decision
 * ("Căn cứ ...; Xét ...; QUYẾT NGHỊ:"), or 0: bodies cited before it do
 * not act. */
static size_t preamble_end(const vnx_doc *d) {
  const struct vnx_segments *S = d->seg;
  const char *t = d->text.s;
  static const char *const ENACT[] = {"QUYẾT NGHỊ", "QUYẾT ĐỊNH", "CHỈ THỊ", NULL};
  for (size_t i = 0; i < S->n && i < 120; i++) {
    const vnx_seg *g = &S->v[i];
    size_t e = seg_text_end(t, g);
    if (e <= g->body || t[e - 1] != ':' || e - g->body > 24) continue;
    for (int k = 0; ENACT[k]; k++)
      if (strncmp(t + g->body, ENACT[k], strlen(ENACT[k])) == 0) return i;
  }
  return 0;
}

/* "UBND thành phố Hà Nội đề nghị các Đại sứ quán ...", "Hội đồng nhân dân
 * tỉnh yêu cầu ...": the body that asks, not the one asked */
static bool asks_next(const char *t, size_t e, size_t end) {
  static const char *const ASK[] = {"đề nghị ", "yêu cầu ", "giao ", "đề nghị\n", NULL};
  while (e < end && t[e] == ' ') e++;
  for (int i = 0; ASK[i]; i++) {
    size_t k = strlen(ASK[i]);
    if (e + k <= end && memcmp(t + e, ASK[i], k) == 0) return true;
  }
  return false;
}

/* the first character of t[a..] is an upper-case letter */
static bool upper_at(const char *t, size_t a, size_t end) {
  unsigned char ch = (unsigned char)t[a];
  size_t len = ch < 0x80 ? 1 : ch < 0xE0 ? 2 : ch < 0xF0 ? 3 : 4;
  if (a + len > end) return false;
  char l[4 * 2 + 1];
  size_t ln = vnx_utf8_lower_into(t + a, len, l);
  return ln != len || memcmp(l, t + a, len) != 0;
}

/* The body at a is the subject after a fronted adverbial: the clause
 * opens with a word that starts a purpose, time, basis or condition phrase
 * ("Nhằm tiếp tục ..., Công an tỉnh nghiên cứu", "Trong thời gian giữa hai
 * kỳ họp, Thường trực Hội đồng nhân dân tỉnh xem xét", "Căn cứ Kế hoạch ...,
 * trên cơ sở đề xuất của ..., Sở Tài chính tổng hợp"), a comma closes the
 * phrase right before the body, and a verb follows the body (a lower-case
 * word that is not a preposition or a conjunction, so "..., Sở A và Sở B"
 * or "..., Sở A của ..." stay out). */
static bool after_fronted(const char *t, size_t cs, size_t a, size_t e, size_t end) {
  static const char *const FRONT[] = {"Nhằm ", "Để ", "Trong ", "Căn cứ ", "Trên cơ sở ", "Sau khi ",
                                      "Khi ", "Thực hiện ", "Theo ", "Qua ", "Ngoài ra", "Bên cạnh ",
                                      "Đồng thời", "Từ ", "Với ", NULL};
  static const char *const NOT_VERB[] = {"và", "của", "với", "cùng", "theo", "tại", "trong", "thuộc",
                                         "về", "cho", "là", "được", "các", "có", "đã", NULL};
  while (cs < a && is_space(t[cs])) cs++;
  bool front = false;
  for (int i = 0; FRONT[i] && !front; i++) {
    size_t k = strlen(FRONT[i]);
    front = cs + k <= a && memcmp(t + cs, FRONT[i], k) == 0;
  }
  if (!front) return false;
  size_t q = a;
  while (q > cs && is_space(t[q - 1])) q--;
  if (q == cs || t[q - 1] != ',') return false;
  while (e < end && t[e] == ' ') e++;
  if (e >= end || upper_at(t, e, end)) return false;
  unsigned char ch = (unsigned char)t[e];
  if (ch < 0x80 && !(ch >= 'a' && ch <= 'z')) return false;
  size_t w = e;
  while (w < end && t[w] != ' ' && t[w] != ',' && t[w] != '\n' && t[w] != ';' && t[w] != '.') w++;
  for (int i = 0; NOT_VERB[i]; i++)
    if (strlen(NOT_VERB[i]) == w - e && memcmp(t + e, NOT_VERB[i], w - e) == 0) return false;
  return true;
}

/* An elliptic list of names between two bodies: "UBND các phường: Ba Đình,
 * Hoàn Kiếm, Văn Miếu – Quốc Tử Giám, Từ Liêm và UBND xã Bát Tràng": after the
 * colon only capitalised words, commas, dashes and "và". */
static bool gap_is_names(const char *t, size_t a, size_t b) {
  while (a < b && is_space(t[a])) a++;
  if (a >= b || t[a] != ':') return false;
  a++;
  bool any = false;
  while (a < b) {
    while (a < b && (is_space(t[a]) || t[a] == ',')) a++;
    if (a >= b) break;
    size_t e = a;
    while (e < b && !is_space(t[e]) && t[e] != ',') e++;
    bool dash = (e - a == 1 && t[a] == '-') || (e - a == 3 && memcmp(t + a, "–", 3) == 0);
    bool va = e - a == 3 && memcmp(t + a, "và", 3) == 0;
    if (!dash && !va) {
      if (!upper_at(t, a, e)) return false;
      any = true;
    }
    a = e;
  }
  return any;
}

/* The clause at cs follows a ";" inside an elliptic list of names opened by a
 * colon in the same sentence ("thủ trưởng các sở, ngành: Nông nghiệp và Phát
 * triển nông thôn; Tài nguyên và Môi trường; Ban Dân tộc tỉnh"): a member of
 * the list, not the subject of a clause. Returns the colon's offset, or 0. */
static size_t elliptic_colon(const char *t, const struct vnx_segments *S, long si, size_t cs) {
  const vnx_seg *g = &S->v[si];
  size_t p = cs;
  while (p > g->body && is_space(t[p - 1])) p--;
  if (p <= g->body || t[p - 1] != ';') return 0;
  size_t chunk = cs; /* start of the chunk after the separator at p-1 */
  for (size_t q = p - 1; q > g->body; q--) {
    char ch = t[q - 1];
    if (ch == '.' || ch == '!' || ch == '?') return 0;
    if (ch == ';' || ch == ':') {
      size_t c = q;
      while (c < chunk && is_space(t[c])) c++;
      if (c >= chunk || !upper_at(t, c, chunk) || chunk - c > 120) return 0;
      if (ch == ':') return q - 1;
      chunk = q - 1;
    }
  }
  /* the list starts on this line, after a line that ends with the colon */
  size_t c = g->body;
  while (c < chunk && is_space(t[c])) c++;
  if (c >= chunk || !upper_at(t, c, chunk) || chunk - c > 120) return 0;
  for (long k = si - 1; k >= 0 && k >= si - 3; k--) {
    const vnx_seg *h = &S->v[k];
    if (h->kind == VNX_SEG_BLANK) continue;
    size_t e = seg_text_end(t, h);
    return e > h->body && t[e - 1] == ':' && h->table < 0 ? e - 1 : 0;
  }
  return 0;
}

/* The body is the document's issuer, named in full or without its place
 * ("Hội đồng nhân dân tỉnh" for "Hội đồng nhân dân tỉnh Gia Lai") */
static bool is_issuer(const vnx_doc *d, const vnx_record *r, const char *issuer_lower) {
  const char *name = r->text, *b = issuer_lower;
  if (!name || !b) return false;
  lowered lw;
  char *a = lower_at(&lw, d, name, strlen(name), r->nstart);
  size_t n = strlen(a);
  bool ok = strchr(a, ' ') && strncmp(a, b, n) == 0 && (b[n] == 0 || b[n] == ' ');
  lowered_free(&lw);
  return ok;
}

/* The heading that says what the document is ("THÔNG BÁO", "KẾ HOẠCH"):
 * what is above it is the issuer's header; 0 if none. */
static size_t title_segment(const vnx_doc *d) {
  const struct vnx_segments *S = d->seg;
  const char *t = d->text.s;
  for (size_t i = 0; i < S->n && i < 40; i++) {
    const vnx_seg *g = &S->v[i];
    if (g->kind != VNX_SEG_HEADING || g->label[0]) continue;
    static const char *const TITLES[] = {"THÔNG BÁO", "BÁO CÁO", "KẾ HOẠCH", "QUYẾT ĐỊNH",
                                         "NGHỊ QUYẾT", "CHƯƠNG TRÌNH", "HƯỚNG DẪN", "CHỈ THỊ",
                                         "CÔNG ĐIỆN", "KẾT LUẬN", "TỜ TRÌNH", "CÔNG VĂN", NULL};
    for (int k = 0; TITLES[k]; k++)
      if (strncmp(t + g->body, TITLES[k], strlen(TITLES[k])) == 0) return i;
  }
  return 0;
}

static void prose_bodies(linkctx *c, const bool *dir, const char *issuer) {
  vnx_doc *d = c->d;
  const struct vnx_segments *S = d->seg;
  const char *t = d->text.s;
  size_t nb = 0;
  size_t *idx = vnx_xmalloc((d->recs.n + 1) * sizeof *idx);
  for (size_t i = 0; i < d->recs.n; i++)
    if (is_kind(&d->recs.v[i], "body") && !c->drop[i]) idx[nb++] = i;
  sort_by_start(d, idx, nb);
  /* the ends of all body records (dropped or not), sorted */
  size_t nends = 0;
  size_t *body_ends = vnx_xmalloc((d->recs.n + 1) * sizeof *body_ends);
  for (size_t i = 0; i < d->recs.n; i++)
    if (is_kind(&d->recs.v[i], "body")) body_ends[nends++] = d->recs.v[i].nend;
  sort_sizes(body_ends, nends);
  size_t title_seg = title_segment(d);
  size_t pre_end = preamble_end(d);
  char *issuer_lower = issuer ? vnx_utf8_lower(issuer, strlen(issuer)) : NULL;
  /* "X, Y chỉ đạo": the cue after the last member of a list directs them all */
  bool *spread = vnx_xcalloc(nb + 1, sizeof *spread); /* role given by the loop below */
  for (size_t j = nb; j-- > 1;) {
    vnx_record *r = &d->recs.v[idx[j - 1]], *n = &d->recs.v[idx[j]];
    const char *nr = fget(n, "role");
    /* "A, B và C trong phạm vi nhiệm vụ ... có trách nhiệm": the same for a
     * lead cue after the list */
    bool lead_after = nr && strcmp(nr, "lead") == 0 &&
                      ((n->rule && strcmp(n->rule, "body.lead_cue") == 0) || spread[j]);
    /* "Đề nghị A, B phối hợp ...": the verb after the list, not the request
     * before it, says what A does */
    bool support_after = nr && strcmp(nr, "support") == 0 &&
                         ((n->rule && strcmp(n->rule, "body.support_subject") == 0) || spread[j]);
    bool asked = r->rule && strcmp(r->rule, "body.giao") == 0;
    if ((fget(r, "role") && !(support_after && asked)) || !nr ||
        (strcmp(nr, "director") != 0 && !lead_after && !support_after) || r->nend > n->nstart)
      continue;
    long rs = vnx_segment_index(S, r->nstart), ns = vnx_segment_index(S, n->nstart);
    if (rs != ns && !(ns >= 0 && S->v[ns].cont && S->v[ns].prev_text == rs)) continue;
    if (gap_is(t, r->nend, n->nstart, LIST_GAPS)) {
      set_role(r, nr);
      spread[j - 1] = true;
    }
  }
  free(spread);
  long prev = -1; /* previous kept body */
  for (size_t j = 0; j < nb; j++) {
    size_t i = idx[j];
    vnx_record *r = &d->recs.v[i];
    long si = vnx_segment_index(S, r->nstart);
    if (si < 0) { c->drop[i] = true; continue; }
    const vnx_seg *g = &S->v[si];
    if (g->table >= 0 && g->kind != VNX_SEG_TABLE_HEADER) {
      /* table cells were handled by column; a cue role in another cell stays */
      if (!dir[si]) c->drop[i] = true;
      else prev = (long)i;
      continue;
    }
    if (!dir[si]) { c->drop[i] = true; continue; }
    /* the header above the document's title: the issuer ("THÀNH ỦY HẢI
     * PHÒNG"), its number, the place and date */
    if ((size_t)si < title_seg || (size_t)si < pre_end || caps_segment(d, g)) {
      c->drop[i] = true;
      continue;
    }
    const char *role = fget(r, "role");
    /* "... số lượng báo cáo yêu cầu các địa phương phải báo cáo": a "yêu cầu"
     * inside a noun phrase does not assign; only one that opens the clause */
    if (r->rule && strcmp(r->rule, "body.giao") == 0 && object_of_request(d, body_ends, nends, g, r->nstart)) {
      c->drop[i] = true;
      continue;
    }
    /* "phối hợp với A và B tham mưu": B is a second partner, not a lead */
    if (role && strcmp(role, "lead") == 0 && r->rule && strcmp(r->rule, "body.lead_cue") == 0 &&
        prev >= 0) {
      const vnx_record *p = &d->recs.v[prev];
      const char *pr = fget(p, "role");
      if (pr && strcmp(pr, "support") == 0 && p->nend <= r->nstart && p->nend >= g->start &&
          gap_is(t, p->nend, r->nstart, LIST_GAPS)) {
        set_role(r, "support");
        role = "support";
      }
    }
    /* "- Đối với các Sở, ngành, đơn vị cấp Thành phố: Chủ động ...": the
     * bodies a paragraph addresses */
    if (!role && r->nstart >= g->body + strlen("Đối với ") &&
        memcmp(t + r->nstart - strlen("Đối với "), "Đối với ", strlen("Đối với ")) == 0 &&
        gap_is(t, g->body, r->nstart - strlen("Đối với "), (const char *const[]){"-", "+", NULL})) {
      size_t e = r->nend;
      while (e < g->end && t[e] == ' ') e++;
      if (e < g->end && t[e] == ':') {
        set_role(r, "lead");
        role = fget(r, "role");
      }
    }
    if (preceded_by_owner(t, g->start, r->nstart) &&
        !(role && strcmp(role, "report_to") == 0)) {
      c->drop[i] = true;
      continue;
    }
    /* the issuer speaking of itself: "Hội đồng nhân dân tỉnh đánh giá cao
     * ...", "Văn phòng Chính phủ thông báo ..." */
    if (!role && issuer && (size_t)si > title_seg && is_issuer(d, r, issuer_lower)) {
      c->drop[i] = true;
      continue;
    }
    if (!role && asks_next(t, r->nend, d->text.len)) {
      c->drop[i] = true;
      continue;
    }
    if (!role) {
      const vnx_record *p = prev >= 0 ? &d->recs.v[prev] : NULL;
      /* the previous body is in this segment, or in the one this segment
       * continues ("... Văn Miếu –" / "Quốc Tử Giám, Từ Liêm và UBND xã ...") */
      size_t from = g->cont && g->prev_text >= 0 ? S->v[g->prev_text].start : g->start;
      bool near_prev = p && p->nend <= r->nstart && p->nend >= from && fget(p, "role");
      /* "Sở Nội vụ (Ban Thi đua Khen thưởng Thành phố)": a name in brackets
       * after a body is that body */
      bool paren = near_prev && upper_at(t, r->nstart, r->nend) &&
                   gap_is(t, p->nend, r->nstart, (const char *const[]){"(", NULL});
      size_t cs = clause_start(t, g, r->nstart);
      size_t colon = elliptic_colon(t, S, si, cs);
      if (near_prev && (gap_is(t, p->nend, r->nstart, LIST_GAPS) || paren ||
                        gap_is_names(t, p->nend, r->nstart))) {
        set_role(r, fget(p, "role"));
      } else if (colon) {
        /* a member of an elliptic list takes the role of the body that heads
         * it just before the colon or of the member before it, and has none
         * without one */
        if (near_prev && (p->nend <= colon ? p->nend + 80 >= colon : p->nstart > colon))
          set_role(r, fget(p, "role"));
        else { c->drop[i] = true; continue; }
      } else {
        /* a continuation line after a page break or a wrap: its first words
         * end the previous line's sentence */
        if (!(g->cont && cs == g->body) && gap_is(t, cs, r->nstart, SUBJECT_GAPS)) set_role(r, "lead");
        else if (!(g->cont && cs == g->body) && after_fronted(t, cs, r->nstart, r->nend, g->end))
          set_role(r, "lead");
        else { c->drop[i] = true; continue; }
      }
    }
    /* collective references are generic wherever they are */
    if (!vnx_fields_get(&r->fields, "generic") && r->text) {
      bool gen = generic_name(d, r->text, strlen(r->text), r->nstart);
      const vnx_record *p = prev >= 0 ? &d->recs.v[prev] : NULL;
      /* "Các cơ quan công an, thanh tra, thuế": members of a generic list */
      if (!gen && p && r->rule && strcmp(r->rule, "body.list_member") == 0 &&
          json_is_true(vnx_fields_get(&p->fields, "generic")))
        gen = true;
      if (gen) vnx_fields_set(&r->fields, "generic", json_true());
    }
    prev = (long)i;
  }
  free(issuer_lower);
  free(idx);
  free(body_ends);
}

static void compact(linkctx *c) {
  vnx_records *rs = &c->d->recs;
  size_t o = 0;
  for (size_t i = 0; i < rs->n; i++) {
    if (c->drop[i]) {
      vnx_record_text_free(&rs->v[i]);
      vnx_fields_free(&rs->v[i].fields);
      continue;
    }
    rs->v[o++] = rs->v[i];
  }
  rs->n = o;
  memset(c->drop, 0, c->cap * sizeof *c->drop);
}

/* ---- tasks ----------------------------------------------------------------------- */

typedef struct unit {
  size_t a, b;          /* normalised span */
  size_t seg;           /* first segment */
  size_t lastseg;       /* last segment (continuations) */
  size_t leadins[8];    /* lead-in segments that apply, outermost first */
  int nleadins;
  int group;            /* units of one group share a trailing deadline */
  long trailing;        /* deadline record index given by a trailing sentence, or -1 */
  bool row;             /* a table row */
  int table, rowi;
} unit;

typedef struct leadin {
  int type; /* 0 heading, 1 paragraph, 2 item */
  int level;
  int scope; /* a paragraph lead-in: level of the heading it sits under (-1: none);
                it applies until a heading of that level or higher */
  bool sub;  /* a deeper heading came after it: its items are headings */
  size_t seg;
} leadin;

/* Not a directive although it is a paragraph or a numbered point: the
 * place/date line, the narration of the meeting ("Ngày 04/11/2025, Ban
 * Thường vụ Thành ủy họp"), an approval ("Cơ bản nhất trí với ...", "Tán
 * thành Báo cáo số ..."), the closing formula of a resolution or decision
 * ("Nghị quyết này đã được ... thông qua", "Quyết định này có hiệu lực từ
 * ngày ký"), the title of a part ("2.2 Nhiệm vụ cụ thể về ..."). */
static bool non_directive(const vnx_doc *d, const vnx_seg *g, size_t e) {
  const char *t = d->text.s;
  size_t n = e - g->body;
  lowered lw;
  char *l = lower_span(&lw, d, g->body, e);
  bool no = false;
  /* "Hải Phòng, ngày      tháng      năm 2025" */
  char *k = n < 90 ? strstr(l, ", ngày ") : NULL;
  if (k && (size_t)(k - l) < 40) {
    const char *q = k + strlen(", ngày ");
    bool ok = true;
    while (*q && ok) {
      if (*q == ' ' || *q == '/' || (*q >= '0' && *q <= '9')) q++;
      else if (strncmp(q, "tháng", strlen("tháng")) == 0) q += strlen("tháng");
      else if (strncmp(q, "năm", strlen("năm")) == 0) q += strlen("năm");
      else ok = false;
    }
    no = ok;
  }
  /* the national motto under the state's name in a document's header */
  if (!no && (strncmp(l, "độc lập - tự do - hạnh phúc", strlen("độc lập - tự do - hạnh phúc")) == 0 ||
              strncmp(l, "độc lập – tự do – hạnh phúc", strlen("độc lập – tự do – hạnh phúc")) == 0))
    no = true;
  /* the basis of a decision that follows: "Xét đề nghị của Ủy ban nhân dân
   * tỉnh tại văn bản số ..." (unless the same sentence assigns work) */
  static const char *const GROUNDS[] = {"xét đề nghị", "xét tờ trình", "theo đề nghị", NULL};
  for (int i = 0; !no && GROUNDS[i]; i++)
    if (strncmp(l, GROUNDS[i], strlen(GROUNDS[i])) == 0 && !strstr(l, " giao ") &&
        !strstr(l, "chủ trì") && !strstr(l, "yêu cầu") && !strstr(l, "có trách nhiệm"))
      no = true;
  /* the closing line of a letter that passes on a decision: "Văn phòng
   * Chính phủ thông báo để các Bộ, cơ quan biết, thực hiện./." */
  if (!no && n < 240 && strstr(l, "thông báo để ") && strstr(l, " biết")) no = true;
  /* "Ngày 04/11/2025, Ban Thường vụ Thành ủy họp, nghe báo cáo ..." */
  if (!no && strncmp(l, "ngày ", 6) == 0 && l[6] >= '0' && l[6] <= '9' &&
      (strstr(l, " họp") || strstr(l, "hội nghị")))
    no = true;
  static const char *const APPROVE[] = {"cơ bản nhất trí", "nhất trí với", "cơ bản thống nhất",
                                        "thống nhất với", "sau khi nghe", "tán thành ",
                                        /* the closing formulas of a text that enacts */
                                        "nghị quyết này đã được", "nghị quyết này có hiệu lực",
                                        "quyết định này có hiệu lực", "chỉ thị này có hiệu lực",
                                        "kế hoạch này có hiệu lực", NULL};
  for (int i = 0; !no && APPROVE[i]; i++)
    if (l[0] == APPROVE[i][0] && strncmp(l, APPROVE[i], strlen(APPROVE[i])) == 0) no = true;
  /* the title of a part: "Nhiệm vụ cụ thể về ...", no sentence end */
  if (!no && g->kind == VNX_SEG_HEADING && n < 200 && t[e - 1] != '.' && t[e - 1] != ';') {
    static const char *const TITLE[] = {"nhiệm vụ", "các nhiệm vụ", "giải pháp", "phương hướng",
                                        "tổ chức thực hiện", "kế hoạch hành động", NULL};
    for (int i = 0; !no && TITLE[i]; i++)
      if (strncmp(l, TITLE[i], strlen(TITLE[i])) == 0) no = true;
  }
  lowered_free(&lw);
  return no;
}

static bool starts_with_ci(const vnx_doc *d, size_t a, size_t b, const char *const *pre) {
  lowered lw;
  char *l = lower_span(&lw, d, a, b < a + 60 ? b : a + 60);
  bool ok = false;
  for (int i = 0; pre[i] && !ok; i++) ok = strncmp(l, pre[i], strlen(pre[i])) == 0;
  lowered_free(&lw);
  return ok;
}

static const char *const TRAILING[] = {"các nhiệm vụ trên", "các nội dung trên", "các việc trên",
                                       "nhiệm vụ trên", "các nhiệm vụ nêu trên",
                                       "thời gian hoàn thành", "thời hạn hoàn thành", NULL};

/* The records tasks collect, by kind and position, and what the tasks
 * write about them. Built after compact(); the task records added meanwhile
 * are of none of these kinds, and nothing changes the records indexed. */
enum { L_LEAD, L_SUPPORT, L_DIRECTOR, L_REPORT_TO, L_INDICATORS, L_REFERENCES, L_DEADLINES, NLISTS };

typedef struct idlist { /* record indices, in the order their ids are written */
  size_t *v;
  size_t n, cap;
} idlist;

typedef struct taskix {
  kindix body, indicator, reference, deadline;
  size_t nrec;       /* records indexed: [0, nrec) */
  signed char *role; /* per body record: its role as an index in ROLES, or -1 */
  json_t **id;       /* per record: its id as a JSON string, made on first use; a
                      * record is cited by many tasks (a lead-in's bodies, a
                      * trailing deadline) and the strings are shared, never changed */
  json_t *empty;     /* the one empty array of every empty list, shared likewise */
  idlist list[NLISTS]; /* the lists of the task being made */
  char *text;          /* the text of the task being made (a unit's lines), */
  size_t textcap;      /* kept for the next: it is copied into its field */
  seccache *sec;
  uint64_t id_seed; /* vnx_record_id_seed of the document */
} taskix;

static const char *const ROLES[4] = {"lead", "support", "director", "report_to"};

static void taskix_build(vnx_doc *d, seccache *sec, taskix *ix) {
  size_t n = d->recs.n;
  memset(ix, 0, sizeof *ix);
  ix->sec = sec;
  ix->id_seed = vnx_record_id_seed(d->stem);
  kindix_build(d, "body", n, &ix->body);
  kindix_build(d, "indicator", n, &ix->indicator);
  kindix_build(d, "reference", n, &ix->reference);
  kindix_build(d, "deadline", n, &ix->deadline);
  ix->nrec = n;
  ix->role = vnx_xmalloc(n + 1);
  for (size_t i = 0; i < n; i++) {
    const char *rr = is_kind(&d->recs.v[i], "body") ? fget(&d->recs.v[i], "role") : NULL;
    ix->role[i] = -1;
    for (int k = 0; rr && k < 4 && ix->role[i] < 0; k++)
      if (strcmp(rr, ROLES[k]) == 0) ix->role[i] = (signed char)k;
  }
  ix->id = vnx_xcalloc(n + 1, sizeof *ix->id);
  ix->empty = json_array();
}

static void taskix_free(taskix *ix) {
  kindix_free(&ix->body);
  kindix_free(&ix->indicator);
  kindix_free(&ix->reference);
  kindix_free(&ix->deadline);
  for (size_t i = 0; i < ix->nrec; i++) json_decref(ix->id[i]);
  free(ix->id);
  free(ix->role);
  json_decref(ix->empty);
  for (int l = 0; l < NLISTS; l++) free(ix->list[l].v);
  free(ix->text);
}

/* the id of record i, borrowed from the cache (NULL if it is not valid UTF-8) */
static json_t *record_id(const vnx_doc *d, taskix *ix, size_t i) {
  if (!ix->id[i]) {
    char id[40];
    vnx_record_id_seeded(ix->id_seed, &d->recs.v[i], id);
    /* "kin-0123456789abcdef": ASCII when the kind's first three bytes are */
    const unsigned char *k = (const unsigned char *)d->recs.v[i].kind;
    bool ascii = true;
    for (int q = 0; q < 3 && k[q]; q++) ascii = ascii && k[q] < 0x80;
    ix->id[i] = ascii ? json_stringn_nocheck(id, strlen(id)) : vnx_json_string(id);
  }
  return ix->id[i];
}

static void idlist_push(idlist *l, size_t i) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v = vnx_xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = i;
}

/* the ids of the records in l as a new JSON array */
static json_t *id_array(const vnx_doc *d, taskix *ix, const idlist *l) {
  if (!l->n) return json_incref(ix->empty);
  json_t *a = json_array();
  for (size_t q = 0; q < l->n; q++) {
    json_t *id = record_id(d, ix, l->v[q]);
    if (id) json_array_append(a, id);
  }
  return a;
}

/* Does the segment consist of body names only (a heading naming who acts)? */
static bool only_bodies(const vnx_doc *d, const taskix *ix, const vnx_seg *g) {
  const char *t = d->text.s;
  size_t e = seg_text_end(t, g);
  size_t p = g->body;
  while (p < e) {
    while (p < e && (is_space(t[p]) || t[p] == ',' || t[p] == ':' || t[p] == '.')) p++;
    if (p >= e) break;
    if (e - p >= 3 && memcmp(t + p, "và", 3) == 0 && (p + 3 >= e || t[p + 3] == ' ')) { p += 3; continue; }
    size_t best = 0;
    for (size_t q = kindix_lower(&ix->body, p); q < ix->body.n; q++) {
      const vnx_record *r = &d->recs.v[ix->body.v[q]];
      if (r->nstart != p) break;
      if (r->nend > best) best = r->nend;
    }
    if (!best) return false;
    p = best;
  }
  return true;
}

/* sorts record indices (a few, mostly: insertion sort below 16) */
static void sort_indices(size_t *v, size_t n) {
  if (n > 16) {
    qsort(v, n, sizeof *v, cmp_size);
    return;
  }
  for (size_t i = 1; i < n; i++) {
    size_t x = v[i], j = i;
    for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
    v[j] = x;
  }
}

enum { ANY_ROLE = -1, BY_ROLE = -2 };

/* appends the records of k that start in [a, b), in record order: to *to
 * (role ANY_ROLE), or those with that role (bodies, role an index in ROLES);
 * with role BY_ROLE (bodies), each to to[its role] (to: the four role lists) */
static void collect(const taskix *ix, const kindix *k, size_t a, size_t b, idlist *to, int role) {
  if (b <= a) return;
  size_t lo = kindix_lower(k, a), hi = kindix_lower(k, b);
  if (hi <= lo) return;
  size_t nsel = hi - lo;
  size_t buf[64];
  size_t *sel = nsel <= 64 ? buf : vnx_xmalloc(nsel * sizeof *sel);
  memcpy(sel, k->v + lo, nsel * sizeof *sel);
  sort_indices(sel, nsel);
  for (size_t q = 0; q < nsel; q++) {
    size_t i = sel[q];
    if (role == ANY_ROLE) idlist_push(to, i);
    else if (role == BY_ROLE && ix->role[i] >= 0) idlist_push(&to[ix->role[i]], i);
    else if (role >= 0 && ix->role[i] == role) idlist_push(to, i);
  }
  if (sel != buf) free(sel);
}

/* what a task names in [a, b): bodies by role, indicators, references, deadlines */
static void collect_all(taskix *ix, size_t a, size_t b) {
  collect(ix, &ix->body, a, b, &ix->list[L_LEAD], BY_ROLE);
  collect(ix, &ix->indicator, a, b, &ix->list[L_INDICATORS], ANY_ROLE);
  collect(ix, &ix->reference, a, b, &ix->list[L_REFERENCES], ANY_ROLE);
  collect(ix, &ix->deadline, a, b, &ix->list[L_DEADLINES], ANY_ROLE);
}

/* the record of k that starts first in [a, b) (the first in record order
 * among equals), or -1 */
static long first_of_rec_order(const kindix *k, size_t a, size_t b) {
  if (b <= a) return -1;
  size_t lo = kindix_lower(k, a);
  if (lo < k->n && k->at[lo] < b) return (long)k->v[lo];
  return -1;
}

/* (*whole: whether every span so far was cut at characters) */
static void append_cell(const vnx_doc *d, const vnx_seg *g, int col, char **buf, bool *whole) {
  if (col < 0 || (size_t)col >= g->ncells) return;
  size_t a = g->cells[col].start, b = g->cells[col].end;
  if (a == b) return;
  *whole = *whole && vnx_text_cut(d, a) && vnx_text_cut(d, b);
  size_t ol = *buf ? strlen(*buf) : 0;
  *buf = vnx_xrealloc(*buf, ol + (b - a) + 2);
  if (ol) (*buf)[ol++] = ' ';
  memcpy(*buf + ol, d->text.s + a, b - a);
  (*buf)[ol + (b - a)] = 0;
}

static void make_task(vnx_doc *d, taskix *ix, const unit *u) {
  const struct vnx_segments *S = d->seg;
  const char *t = d->text.s;
  const vnx_seg *g = &S->v[u->seg];
  vnx_fields f = {0};
  char *text = NULL; /* owned in a table row, ix->text otherwise */
  size_t tl = 0;     /* strlen(text) */
  char *product = NULL;
  bool text_whole = true, product_whole = true; /* made of spans cut at characters */
  idlist *roles = &ix->list[L_LEAD];
  for (int l = 0; l < NLISTS; l++) ix->list[l].n = 0;
  long deadline = -1;

  if (u->row) {
    const vnx_table *tb = &S->tables[u->table];
    const vnx_table_row *row = &tb->rows[u->rowi];
    int ctask = vnx_table_find_column(tb, "nhiệm vụ");
    if (ctask < 0) ctask = vnx_table_find_column(tb, "nội dung");
    if (ctask < 0) ctask = 1;
    int ctime = vnx_table_find_column(tb, "thời gian");
    int cprod = vnx_table_find_column(tb, "sản phẩm");
    if (cprod < 0) cprod = vnx_table_find_column(tb, "kết quả");
    for (size_t k = 0; k <= row->nconts; k++) {
      const vnx_seg *rg = &S->v[k == 0 ? row->seg : row->conts[k - 1]];
      append_cell(d, rg, ctask, &text, &text_whole);
      append_cell(d, rg, cprod, &product, &product_whole);
      collect_all(ix, rg->start, rg->end + 1);
      if (deadline < 0 && ctime >= 0 && (size_t)ctime < rg->ncells)
        deadline = first_of_rec_order(&ix->deadline, rg->cells[ctime].start, rg->cells[ctime].end + 1);
    }
    if (deadline < 0)
      for (size_t k = 0; k <= row->nconts && deadline < 0; k++) {
        const vnx_seg *rg = &S->v[k == 0 ? row->seg : row->conts[k - 1]];
        deadline = first_of_rec_order(&ix->deadline, rg->start, rg->end + 1);
      }
    if (!text) text = vnx_xstrdup("");
    tl = strlen(text);
    vnx_fields_set(&f, "label", vnx_json_string(g->label));
  } else {
    /* the unit's own lines: footnotes and blank lines at a page break that
     * sit inside the paragraph are not part of the task */
    if (!ix->textcap) {
      ix->textcap = 256;
      ix->text = vnx_xmalloc(ix->textcap);
    }
    text = ix->text;
    text[0] = 0;
    for (size_t si = u->seg; si <= u->lastseg; si++) {
      const vnx_seg *sg = &S->v[si];
      if (sg->kind == VNX_SEG_FOOTNOTE || sg->kind == VNX_SEG_BLANK) continue;
      size_t a = si == u->seg ? g->body : sg->start, b = si == u->lastseg ? u->b : sg->end;
      while (a < b && is_space(t[a])) a++;
      while (b > a && is_space(t[b - 1])) b--;
      if (b > a) {
        text_whole = text_whole && vnx_text_cut(d, a) && vnx_text_cut(d, b);
        if (tl + (b - a) + 2 > ix->textcap) {
          while (tl + (b - a) + 2 > ix->textcap) ix->textcap *= 2;
          text = ix->text = vnx_xrealloc(ix->text, ix->textcap);
        }
        if (tl) text[tl++] = ' ';
        memcpy(text + tl, t + a, b - a);
        tl += b - a;
        text[tl] = 0;
      }
      size_t ra = si == u->seg ? u->a : sg->start, rb = si == u->lastseg ? u->b : sg->end + 1;
      collect_all(ix, ra, rb);
      if (deadline < 0) deadline = first_of_rec_order(&ix->deadline, ra, rb);
    }
    for (char *p = text; (p = memchr(p, '\n', tl - (size_t)(p - text))) != NULL; p++) *p = ' ';
    if (g->label[0] && strcmp(g->label, "-") != 0 && strcmp(g->label, "+") != 0)
      vnx_fields_set(&f, "label", vnx_json_string(g->label));
    /* inherit from lead-ins, nearest first, a role the item does not name */
    for (int r = 0; r < 4; r++) {
      if (roles[r].n) continue;
      for (int li = u->nleadins - 1; li >= 0 && !roles[r].n; li--) {
        const vnx_seg *lg = &S->v[u->leadins[li]];
        collect(ix, &ix->body, lg->start, lg->end, &roles[r], r);
      }
    }
  }
  if (deadline < 0 && u->trailing >= 0) {
    deadline = u->trailing;
    idlist_push(&ix->list[L_DEADLINES], (size_t)deadline);
  }
  /* (tl == strlen(text): the normalised text has no NUL) */
  vnx_fields_set(&f, "text",
                 text_whole ? json_stringn_nocheck(text, tl) : vnx_json_stringn(text, tl));
  for (int r = 0; r < 4; r++) vnx_fields_set(&f, ROLES[r], id_array(d, ix, &roles[r]));
  vnx_fields_set(&f, "deadline",
                 deadline >= 0 ? json_incref(record_id(d, ix, (size_t)deadline)) : json_null());
  vnx_fields_set(&f, "deadlines", id_array(d, ix, &ix->list[L_DEADLINES]));
  vnx_fields_set(&f, "indicators", id_array(d, ix, &ix->list[L_INDICATORS]));
  vnx_fields_set(&f, "references", id_array(d, ix, &ix->list[L_REFERENCES]));
  if (u->row)
    vnx_fields_set(&f, "product", product ? vnx_json_spans(product, product_whole) : json_null());
  vnx_fields_set(&f, "section", section_json(ix->sec, g->section ? g->section : ""));
  if (u->row) free(text);
  free(product);
  vnx_record *rec = vnx_records_add(&d->recs, "task", u->row ? "link.table_row" : "link.task", &f);
  set_span(d, rec, u->a, u->b);
  /* the record's text is the task text (not the whole span with label) */
}

static void make_tasks(vnx_doc *d, const bool *dir, seccache *sc) {
  const struct vnx_segments *S = d->seg;
  const char *t = d->text.s;
  size_t cap = 64, nu = 0;
  unit *U = vnx_xmalloc(cap * sizeof *U);
  leadin L[16];
  int nl = 0;
  taskix ix;
  taskix_build(d, sc, &ix);
  int group = 0;
  size_t group_first = 0;
  long last_unit_seg = -1;
  int last_heading_level = -1;

  for (size_t i = 0; i < S->n; i++) {
    const vnx_seg *g = &S->v[i];
    if (g->kind == VNX_SEG_BLANK || g->kind == VNX_SEG_FOOTNOTE) continue;
    if (g->table >= 0) {
      if (g->kind != VNX_SEG_TABLE_ROW || g->cont || !dir[i]) continue;
      const vnx_table *tb = &S->tables[g->table];
      if (vnx_table_find_column(tb, "chủ trì") < 0 && vnx_table_find_column(tb, "chỉ đạo") < 0)
        continue;
      const vnx_table_row *row = &tb->rows[g->row];
      size_t endseg = row->nconts ? row->conts[row->nconts - 1] : row->seg;
      if (nu == cap) U = vnx_xrealloc(U, (cap *= 2) * sizeof *U);
      unit *u = &U[nu++];
      memset(u, 0, sizeof *u);
      u->a = g->start;
      u->b = seg_text_end(t, &S->v[endseg]);
      u->seg = i;
      u->lastseg = endseg;
      u->row = true;
      u->table = g->table;
      u->rowi = g->row;
      u->trailing = -1;
      u->group = -1;
      continue;
    }
    /* close lead-ins */
    if (g->kind == VNX_SEG_HEADING) {
      while (nl && (L[nl - 1].type == 2 ||
                    (L[nl - 1].type == 0 && L[nl - 1].level >= g->level) ||
                    (L[nl - 1].type == 1 && L[nl - 1].scope >= g->level)))
        nl--;
      for (int k = 0; k < nl; k++)
        if (L[k].type == 1) L[k].sub = true;
      /* an unlabelled title in capitals ("THÔNG BÁO") gives no scope */
      last_heading_level = g->label[0] ? g->level : -1;
      group++;
      group_first = nu;
    } else if (g->kind == VNX_SEG_PARA && !g->cont) {
      /* a paragraph closes the lead-ins of the items before it, unless it
       * sits under a numbered point that a lead-in governs */
      while (nl && L[nl - 1].type != 0 && !L[nl - 1].sub) nl--;
    } else if (g->kind == VNX_SEG_ITEM) {
      while (nl && L[nl - 1].type == 2 && L[nl - 1].level >= g->level) nl--;
    } else if (g->kind != VNX_SEG_PARA) {
      nl = 0;
      continue;
    }
    if (!dir[i]) { last_unit_seg = -1; continue; }
    size_t e = seg_text_end(t, g);
    size_t blen = e > g->body ? e - g->body : 0;

    if (g->cont) {
      /* a paragraph continued after a page break or footnotes */
      if (nu && last_unit_seg >= 0 && (long)U[nu - 1].lastseg == g->prev_text) {
        U[nu - 1].b = e;
        U[nu - 1].lastseg = i;
        last_unit_seg = (long)i;
      }
      continue;
    }
    /* a trailing sentence that dates the items before it */
    if (g->kind == VNX_SEG_PARA && starts_with_ci(d, g->body, e, TRAILING)) {
      long dl = first_of_rec_order(&ix.deadline, g->start, e);
      if (dl >= 0)
        for (size_t k = group_first; k < nu; k++)
          if (U[k].group == group && !U[k].row) U[k].trailing = dl;
      last_unit_seg = -1;
      continue;
    }
    bool colon = seg_ends_colon(t, g);
    bool leadin_ = colon || (g->kind != VNX_SEG_PARA && only_bodies(d, &ix, g) && blen > 0);
    if (g->kind == VNX_SEG_HEADING && g->level <= VNX_LVL_ROMAN) leadin_ = false;
    if (leadin_) {
      if (nl < 16) {
        L[nl].type = g->kind == VNX_SEG_HEADING ? 0 : g->kind == VNX_SEG_PARA ? 1 : 2;
        L[nl].level = g->level;
        L[nl].scope = last_heading_level >= 0 ? last_heading_level : VNX_NLEVELS;
        L[nl].sub = false;
        L[nl].seg = i;
        nl++;
      }
      group++;
      group_first = nu;
      last_unit_seg = -1;
      continue;
    }
    bool task = false;
    if (g->kind == VNX_SEG_ITEM) task = blen > 0;
    else if (g->kind == VNX_SEG_HEADING)
      task = g->level >= VNX_LVL_NUM1 && blen >= 50 &&
             !starts_with_ci(d, g->body, e, (const char *const[]){"về ", NULL});
    else if (g->kind == VNX_SEG_PARA) task = blen >= 30 && t[g->body] != '(';
    if (task && non_directive(d, g, e)) task = false;
    if (!task) { last_unit_seg = -1; continue; }
    if (nu == cap) U = vnx_xrealloc(U, (cap *= 2) * sizeof *U);
    unit *u = &U[nu++];
    memset(u, 0, sizeof *u);
    u->a = g->start;
    while (u->a < e && is_space(t[u->a])) u->a++;
    u->b = e;
    u->seg = i;
    u->lastseg = i;
    u->trailing = -1;
    u->group = group;
    u->nleadins = nl < 8 ? nl : 8;
    for (int k = 0; k < u->nleadins; k++) u->leadins[k] = L[nl - u->nleadins + k].seg;
    last_unit_seg = (long)i;
  }
  for (size_t k = 0; k < nu; k++) make_task(d, &ix, &U[k]);
  free(U);
  taskix_free(&ix);
}

/* ---- entry point ------------------------------------------------------------------- */

/* Where prose_bodies can keep a body record: the same tests it drops by
 * (directive part; not the header above the title, the legal basis or a
 * line in capitals; table cells by their part alone), taken before any
 * record exists. A body it drops can still matter to one it keeps, and
 * the scope keeps those: a list whose next member continues a paragraph
 * after a page break pairs the two ("X, / Y chỉ đạo"), so every segment
 * from a kept one to its continuation (or back) is in; table_bodies reads
 * the rule records in every cell of a table with a body column, so those
 * are in. (The canonical name of a body made from a cell comes from the
 * gazetteer, not from a record of the same text elsewhere: add_body.) */
void vnx_link_scope(vnx_doc *d) {
  struct vnx_segments *S = d->seg;
  if (!S) return;
  free(S->directive);
  free(S->body_scope);
  S->directive = mark_directives(d);
  const bool *dir = S->directive;
  bool *keep = vnx_xcalloc(S->n + 1, sizeof *keep);
  size_t title_seg = title_segment(d), pre_end = preamble_end(d);
  for (size_t i = 0; i < S->n; i++) {
    const vnx_seg *g = &S->v[i];
    if (g->table >= 0 && g->kind != VNX_SEG_TABLE_HEADER) keep[i] = dir[i];
    else keep[i] = dir[i] && i >= title_seg && i >= pre_end && !caps_segment(d, g);
  }
  for (size_t ti = 0; ti < S->ntables; ti++) {
    const vnx_table *tb = &S->tables[ti];
    if (vnx_table_find_column(tb, "chỉ đạo") >= 0 || vnx_table_find_column(tb, "chủ trì") >= 0 ||
        vnx_table_find_column(tb, "phối hợp") >= 0)
      for (size_t i = tb->first; i <= tb->last && i < S->n; i++) keep[i] = true;
  }
  for (bool more = true; more;) {
    more = false;
    for (size_t i = 0; i < S->n; i++) {
      const vnx_seg *g = &S->v[i];
      if (!g->cont || g->prev_text < 0 || (size_t)g->prev_text >= i) continue;
      size_t p = (size_t)g->prev_text;
      if (!keep[i] && !keep[p]) continue;
      for (size_t k = p; k <= i; k++)
        if (!keep[k]) keep[k] = more = true;
    }
  }
  S->body_scope = keep;
}

/* Is g the segment vnx_segment_index gives for off (segments in start
 * order)? */
static bool seg_holds(const struct vnx_segments *S, size_t g, size_t off) {
  if (g >= S->n) return false;
  if (g + 1 < S->n && S->v[g + 1].start <= off) return false;
  return g == 0 || S->v[g].start <= off;
}

void vnx_link(vnx_doc *d, const char *issuer, const vnx_gazetteer *bodies) {
  if (!d->seg) return;
  linkctx c = {d, NULL, 0, {0}, {0}, bodies};
  ensure_drop(&c);
  rhash_init(&c.body_span);
  rhash_init(&c.body_canon);
  for (size_t i = 0; i < d->recs.n; i++) index_body(&c, i);
  bool *dir = d->seg->directive;
  d->seg->directive = NULL; /* ours now (freed below) */
  if (!dir) dir = mark_directives(d);
  table_bodies(&c);
  prose_bodies(&c, dir, issuer);
  compact(&c);
  seccache sc = {0};
  make_tasks(d, dir, &sc);
  /* The records are in kind order, not position order, but neighbours are
   * mostly in the same segment or the next: those are tried before the
   * binary search of vnx_section_at (the same segment: the last whose start
   * is at or before the record, or the first). */
  const struct vnx_segments *S = d->seg;
  size_t g = 0;
  for (size_t i = 0; i < d->recs.n; i++) {
    vnx_record *r = &d->recs.v[i];
    if (vnx_fields_get(&r->fields, "section")) continue;
    const char *path = "";
    if (S->n) {
      size_t off = r->nstart;
      if (!seg_holds(S, g, off)) {
        if (seg_holds(S, g + 1, off)) g++;
        else g = (size_t)vnx_segment_index(S, off);
      }
      if (S->v[g].section) path = S->v[g].section;
    }
    vnx_fields_set(&r->fields, "section", section_json(&sc, path));
  }
  seccache_free(&sc);
  free(dir);
  free(c.drop);
  rhash_free(&c.body_span);
  rhash_free(&c.body_canon);
}
