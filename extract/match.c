/* match.c - runs a compiled ruleset over a document, in blocks of lines
 * taken rule by rule (match_block): the prefilter, all matches of every
 * rule on each line, overlap resolution per kind and line, templates and
 * converters, records. Also `rules test` (vnx_rules_test).
 *
 * The ruleset is shared and read-only; everything that changes while
 * matching (match data, JIT stack, hit counters, scratch buffers) lives in
 * the per-thread vnx_matcher. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rules_int.h"

/* Generous for real rules (they need a few thousand steps per line), small
 * enough that a catastrophic pattern gives up in milliseconds. */
#define VNX_MATCH_LIMIT 1000000
#define VNX_DEPTH_LIMIT 10000
#define VNX_HEAP_LIMIT 20000 /* KiB */
#define VNX_JIT_STACK_MAX (1024 * 1024)
#define CPSAFE_N 0x2C00

typedef struct cand {
  size_t rule;
  int kind;
  int prio;    /* copied so that the comparison needs no global */
  size_t s, e; /* whole match, relative to the line */
  size_t ov;   /* offset of its ovector copy in vnx_matcher.ov */
  uint32_t line; /* its line in the block (match_block) */
} cand;

typedef struct vnx_u32list {
  uint32_t *v;
  size_t n, cap;
} vnx_u32list;

struct vnx_matcher {
  const vnx_ruleset *rs;
  pcre2_match_data *md;
  pcre2_match_context *mc;
  pcre2_match_context *mclim; /* mc plus an offset limit (rules with a prefix) */
  pcre2_jit_stack *js;
  bool stops; /* use vnx_rule.stop (VNX_NO_STOPS=1 turns it off) */
  size_t *hits;
  uint64_t *ns;  /* time per rule when profiling (rules coverage), else NULL */
  /* VNX_SCAN_LINES lines are scanned at once (scan_lines), line bl of the
   * block in slot bl % VNX_SCAN_LINES: each has its folded text, its memo
   * of needs literals and the candidate starts per pattern of all its
   * lines in the block (sb.sp: pass 2 reads them there) */
  struct lslot {
    char *fold;       /* fold_line's buffer */
    const char *fv;   /* the line folded: fold, or the document's lowered text */
    size_t foldcap, fl;
    bool starts;
    signed char *memo; /* sb.lit */
    vnx_startbuf sb;
    bool bodyoff; /* the body patterns have skip set */
  } sl[VNX_SCAN_LINES];
  cand *c;
  size_t nc, capc;
  PCRE2_SIZE *ov;
  size_t nov, capov;
  unsigned char *occ;
  size_t occcap;
  /* the distinct needs literals of the ruleset; per line, whether the
   * folded line contains each one is computed once (memo: -1 unknown) */
  const char **ulit;
  size_t *ulen;
  size_t nu;
  size_t *nid;     /* literal indices of all rules, rule ri from nidoff[ri] */
  /* where the scan ran, a rule passes its prefilter when it has no needs or
   * the scan found one of them: the rules without needs, the rules whose
   * needs are all in the automaton by literal (users[uoff[u]..uoff[u+1]]),
   * and the rest (checked with needs_ok) */
  uint32_t *noneeds, *other, *users, *uoff;
  size_t nnoneeds, nother;
  size_t *nidoff;  /* rs->n + 1 entries */
  signed char *memo;
  /* the memo a line starts with when the start automaton runs: 0 for the
   * literals its scan reports (it sets 1 where found), else -1 */
  signed char *memo0;
  /* the byte pairs of the folded line: a literal with a pair the line does
   * not have is not in it (built only for lines the scan does not cover) */
  bool pairs_on;
  uint64_t pairs[65536 / 64];
  /* start strings (rules_start.c) */
  vnx_starts *st;
  pcre2_match_context *mcat; /* mc plus an offset limit at the start: one try */
  unsigned char *cpsafe; /* vnx_start_cp_safe for code points below CPSAFE_N (bit 1),
                          * and the lowered text agrees (bit 2) */
  unsigned char byte_kind[256]; /* plain_line: 0 plain ASCII, 2/3 a lead byte, 9 not plain */
  uint16_t *lower;       /* utf8proc_tolower for code points below CPSAFE_N */
  /* the block of lines being matched (match_block): the lines, the
   * candidate starts of each pattern per line ((line, offset, count)
   * triples; the offset is in the line's slot's sb.sp), the
   * lines each rule's prefilter let through, the warnings of pass 2, and
   * the candidates sorted by line */
  struct bline { size_t ls, ll; bool starts; } *bl;
  size_t nbl, capbl;
  vnx_u32list *cs; /* 2 * rs->n */
  vnx_u32list *al; /* rs->n */
  struct lwarn { uint32_t line; uint32_t rule; char *msg; } *lw;
  size_t nlw, caplw;
  size_t *cnt;
  size_t capcnt;
  cand *c2;
  size_t capc2;
  /* pass 2 order: the rules that make records (index order), then the
   * skip rules; lazy: a skip rule runs only on lines where a rule of its
   * kind made a candidate (kmask per line: the kinds that did) */
  uint32_t *order;
  size_t nkeep; /* order[0..nkeep): rules that make records */
  bool lazy;
  uint32_t *kmask;
  size_t capkmask;
  /* the body rules run only on the lines where link.c can keep a body
   * (doc->seg->body_scope): kind index of "body" (-1: none), and whether
   * to (not in rules coverage and rules test, nor with VNX_ALL_BODIES=1) */
  int body_kind;
  bool scoped;
  bool scope;   /* scoped, and the document has a body scope (this block) */
  bool *lscope; /* per line of the block */
  size_t caplscope;
  /* pass 3: the original line of the last record made (vnx_doc_line_from),
   * and what canonical()/unit() found before */
  size_t line_cur;
  vnx_gaz_memo *gmemo;
  /* the body rules, and their patterns (rule and core): on a line out of
   * scope pass 1 keeps neither their lines nor their starts */
  uint32_t *bodyr, *bodyp;
  size_t nbodyr, nbodyp;
  /* shared fragments (the callouts below): the rule being tried and its
   * line in the block; the match data, context and JIT stack of the
   * fragment's and the tail's matches, made inside the rule's; the memo of
   * the fragment's ends per (variant, line, place) for this block (gen),
   * the ends themselves; what the last successful callout found */
  const vnx_rule *cur;
  uint32_t cur_bl;
  pcre2_match_data *md2;
  pcre2_match_context *mc2;
  pcre2_jit_stack *js2;
  struct shmemo {
    uint64_t key;
    uint32_t gen;
    int32_t first;  /* -2 not known, -1 none, else the first end */
    uint32_t off, n; /* the ends listed so far, in pcre2's order: m->ends[off..off+n) */
    bool complete;  /* ... and they are all */
  } *shm;
  size_t shcap, shcount;
  uint32_t shgen;
  uint32_t *ends;
  size_t nends, capends;
  bool enumerating;
  size_t enum_base;
  const vnx_rule *enum_rule; /* the rule whose tail the end callout tries */
  size_t enum_q;
  int enum_hit; /* 1: its tail matched, 0: not yet, < 0: an error */
  pcre2_match_data *md3;     /* the tail's match, inside the fragment's */
  pcre2_match_context *mc3;
  pcre2_jit_stack *js3;
  size_t co_q, co_e, co_end;
  /* rules test: accepted matches of skip rules, which leave no record */
  bool trace;
  struct claim { size_t rule; char *text; } *claims;
  size_t nclaims, capclaims;
};

static void clear_claims(vnx_matcher *m) {
  for (size_t i = 0; i < m->nclaims; i++) free(m->claims[i].text);
  m->nclaims = 0;
}

static int on_callout(pcre2_callout_block *cb, void *data);

/* A match run inside another: m->mc's limits, its own stack. */
static void nested_match(vnx_matcher *m, pcre2_match_data **md, pcre2_match_context **mc,
                         pcre2_jit_stack **js) {
  *md = pcre2_match_data_create(1, NULL);
  *mc = pcre2_match_context_copy(m->mc);
  *js = pcre2_jit_stack_create(32 * 1024, VNX_JIT_STACK_MAX, NULL);
  if (!*md || !*mc) {
    fprintf(stderr, "vnextract: out of memory\n");
    abort();
  }
  if (*js) pcre2_jit_stack_assign(*mc, NULL, *js);
}

vnx_matcher *vnx_matcher_new(const vnx_ruleset *rs) {
  vnx_matcher *m = vnx_xcalloc(1, sizeof *m);
  m->rs = rs;
  m->md = pcre2_match_data_create((rs ? rs->max_cap : 0) + 1, NULL);
  m->mc = pcre2_match_context_create(NULL);
  m->js = pcre2_jit_stack_create(32 * 1024, VNX_JIT_STACK_MAX, NULL);
  if (!m->md || !m->mc) {
    fprintf(stderr, "vnextract: out of memory\n");
    abort();
  }
  pcre2_set_match_limit(m->mc, VNX_MATCH_LIMIT);
  pcre2_set_depth_limit(m->mc, VNX_DEPTH_LIMIT);
  pcre2_set_heap_limit(m->mc, VNX_HEAP_LIMIT);
  if (m->js) pcre2_jit_stack_assign(m->mc, NULL, m->js);
  /* the matches of shared fragments run inside a callout of the rule's
   * match, whose JIT stack is in use, and the tails inside the fragment's:
   * each its own match data, context and stack */
  nested_match(m, &m->md2, &m->mc2, &m->js2);
  pcre2_set_callout(m->mc2, on_callout, m);
  nested_match(m, &m->md3, &m->mc3, &m->js3);
  pcre2_set_callout(m->mc, on_callout, m);
  m->gmemo = vnx_gaz_memo_new();
  m->mclim = pcre2_match_context_copy(m->mc);
  m->mcat = pcre2_match_context_copy(m->mc);
  if (!m->mclim || !m->mcat) {
    fprintf(stderr, "vnextract: out of memory\n");
    abort();
  }
  m->hits = vnx_xcalloc(rs && rs->n ? rs->n : 1, sizeof *m->hits);
  size_t nr = rs ? rs->n : 0, tot = 0;
  for (size_t i = 0; i < nr; i++) tot += rs->rules[i].nneeds;
  m->ulit = vnx_xcalloc(tot ? tot : 1, sizeof *m->ulit);
  m->ulen = vnx_xcalloc(tot ? tot : 1, sizeof *m->ulen);
  m->nid = vnx_xcalloc(tot ? tot : 1, sizeof *m->nid);
  m->nidoff = vnx_xcalloc(nr + 1, sizeof *m->nidoff);
  for (int k = 0; k < VNX_SCAN_LINES; k++) m->sl[k].memo = vnx_xcalloc(tot ? tot : 1, 1);
  m->memo0 = vnx_xcalloc(tot ? tot : 1, 1);
  if (rs) m->nu = vnx_needs_index(rs, m->ulit, m->nid, m->nidoff);
  for (size_t u = 0; u < m->nu; u++) m->ulen[u] = strlen(m->ulit[u]);
  for (int k = 0; k < VNX_SCAN_LINES; k++) {
    m->sl[k].sb.lit = m->sl[k].memo;
    m->sl[k].sb.touched = vnx_xcalloc(2 * nr + 1, sizeof *m->sl[k].sb.touched);
    m->sl[k].sb.found = vnx_xcalloc(m->nu + 1, sizeof *m->sl[k].sb.found);
  }
  if (rs && nr) {
    /* VNX_NO_STARTS=1: every rule searched the plain way (to check that
     * the start strings change nothing) */
    const char *ns = getenv("VNX_NO_STARTS");
    m->st = ns && strcmp(ns, "1") == 0 ? NULL : rs->starts;
    /* VNX_NO_STOPS=1: a rule with a prefix tried at every start (the same) */
    const char *nst = getenv("VNX_NO_STOPS");
    m->stops = !(nst && strcmp(nst, "1") == 0);
    for (size_t u = 0; u < m->nu; u++)
      m->memo0[u] = m->st && vnx_starts_lit(m->st, u) ? 0 : -1;
    m->noneeds = vnx_xcalloc(nr, sizeof *m->noneeds);
    m->other = vnx_xcalloc(nr, sizeof *m->other);
    m->uoff = vnx_xcalloc(m->nu + 2, sizeof *m->uoff);
    m->users = vnx_xcalloc(tot + 1, sizeof *m->users);
    for (size_t ri = 0; ri < nr; ri++) {
      size_t a = m->nidoff[ri], b = m->nidoff[ri + 1];
      bool all = true;
      for (size_t i = a; i < b; i++) all = all && m->memo0[m->nid[i]] == 0;
      if (a == b) m->noneeds[m->nnoneeds++] = (uint32_t)ri;
      else if (!all) m->other[m->nother++] = (uint32_t)ri;
      else
        for (size_t i = a; i < b; i++) m->uoff[m->nid[i] + 2]++;
    }
    for (size_t u = 0; u < m->nu; u++) m->uoff[u + 2] += m->uoff[u + 1];
    for (size_t ri = 0; ri < nr; ri++) {
      size_t a = m->nidoff[ri], b = m->nidoff[ri + 1];
      bool all = a < b;
      for (size_t i = a; i < b; i++) all = all && m->memo0[m->nid[i]] == 0;
      if (all)
        for (size_t i = a; i < b; i++) m->users[m->uoff[m->nid[i] + 1]++] = (uint32_t)ri;
    }
    /* per pattern: rules, then the cores of rules with a prefix */
    for (int k = 0; k < VNX_SCAN_LINES; k++)
      m->sl[k].sb.sp = vnx_xcalloc(2 * nr, sizeof *m->sl[k].sb.sp);
    m->order = vnx_xcalloc(nr, sizeof *m->order);
    for (size_t ri = 0; ri < nr; ri++)
      if (!rs->rules[ri].skip) m->order[m->nkeep++] = (uint32_t)ri;
    for (size_t ri = 0, k = m->nkeep; ri < nr; ri++)
      if (rs->rules[ri].skip) m->order[k++] = (uint32_t)ri;
    /* VNX_ALL_SKIPS=1: skip rules run on every line (to check that running
     * them only where they can matter changes nothing) */
    const char *as = getenv("VNX_ALL_SKIPS");
    m->lazy = rs->nkinds <= 32 && !(as && strcmp(as, "1") == 0);
    m->body_kind = -1;
    for (size_t k = 0; k < rs->nkinds; k++)
      if (strcmp(rs->kinds[k], "body") == 0) m->body_kind = (int)k;
    const char *ab = getenv("VNX_ALL_BODIES");
    m->scoped = !(ab && strcmp(ab, "1") == 0);
    m->bodyr = vnx_xcalloc(nr, sizeof *m->bodyr);
    m->bodyp = vnx_xcalloc(2 * nr, sizeof *m->bodyp);
    for (size_t ri = 0; ri < nr; ri++)
      if (rs->rules[ri].kind == m->body_kind) {
        m->bodyr[m->nbodyr++] = (uint32_t)ri;
        m->bodyp[m->nbodyp++] = (uint32_t)ri;
        m->bodyp[m->nbodyp++] = (uint32_t)(nr + ri);
      }
    m->cs = vnx_xcalloc(2 * nr, sizeof *m->cs);
    m->al = vnx_xcalloc(nr, sizeof *m->al);
    m->cpsafe = vnx_xcalloc(CPSAFE_N, 1);
    m->lower = vnx_xcalloc(CPSAFE_N, sizeof *m->lower);
    for (uint32_t cp = 0; cp < CPSAFE_N; cp++) {
      m->cpsafe[cp] = vnx_start_cp_safe(cp);
      utf8proc_int32_t lo = utf8proc_tolower((utf8proc_int32_t)cp);
      m->lower[cp] = lo >= 0 && lo < 0x10000 ? (uint16_t)lo : 0; /* 0: not tabled */
      /* bit 2: the document's lowered text (segment.c) has this code point
       * as fold_line makes it, so a line of such code points need not be
       * folded again */
      if (m->cpsafe[cp] && m->lower[cp] && vnx_lower_cp(cp) == m->lower[cp]) m->cpsafe[cp] |= 2;
    }
    for (unsigned b = 0; b < 256; b++) /* the bytes read one by one in plain_line */
      m->byte_kind[b] = b < 0x80 ? (b == '\v' || b == '\f' || b == '\r' ? 9 : 0)
                        : b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : 9;
  }
  return m;
}

void vnx_matcher_free(vnx_matcher *m) {
  if (!m) return;
  vnx_gaz_memo_free(m->gmemo);
  pcre2_match_data_free(m->md);
  pcre2_match_context_free(m->mc);
  pcre2_match_context_free(m->mclim);
  pcre2_match_context_free(m->mcat);
  pcre2_match_data_free(m->md2);
  pcre2_match_context_free(m->mc2);
  pcre2_jit_stack_free(m->js2);
  pcre2_match_data_free(m->md3);
  pcre2_match_context_free(m->mc3);
  pcre2_jit_stack_free(m->js3);
  free(m->shm);
  free(m->ends);
  for (int k = 0; k < VNX_SCAN_LINES; k++) {
    if (m->sl[k].sb.sp)
      for (size_t i = 0; i < 2 * m->rs->n; i++) free(m->sl[k].sb.sp[i].v);
    free(m->sl[k].sb.sp);
    free(m->sl[k].fold);
    free(m->sl[k].memo);
  }
  if (m->cs)
    for (size_t i = 0; i < 2 * m->rs->n; i++) free(m->cs[i].v);
  if (m->al)
    for (size_t i = 0; i < m->rs->n; i++) free(m->al[i].v);
  free(m->cs);
  free(m->al);
  free(m->order);
  free(m->kmask);
  free(m->lscope);
  free(m->bodyr);
  free(m->bodyp);
  free(m->bl);
  for (size_t i = 0; i < m->nlw; i++) free(m->lw[i].msg);
  free(m->lw);
  free(m->cnt);
  free(m->c2);

  free(m->cpsafe);
  free(m->lower);
  pcre2_jit_stack_free(m->js);
  free(m->hits);
  free(m->ns);
  free(m->c);
  free(m->ov);
  free(m->occ);
  free(m->ulit);
  free(m->ulen);
  free(m->nid);
  free(m->nidoff);
  free(m->noneeds);
  free(m->other);
  free(m->uoff);
  free(m->users);
  for (int k = 0; k < VNX_SCAN_LINES; k++) {
    free(m->sl[k].sb.touched);
    free(m->sl[k].sb.found);
    free(m->sl[k].sb.xs);
  }
  free(m->memo0);
  clear_claims(m);
  free(m->claims);
  free(m);
}

const vnx_ruleset *vnx_matcher_rules(const vnx_matcher *m) { return m ? m->rs : NULL; }

size_t vnx_matcher_hits(const vnx_matcher *m, size_t i) {
  return m && m->rs && i < m->rs->n ? m->hits[i] : 0;
}

void vnx_matcher_profile(vnx_matcher *m) {
  if (m && m->rs && !m->ns) m->ns = vnx_xcalloc(m->rs->n ? m->rs->n : 1, sizeof *m->ns);
  if (m) m->lazy = m->scoped = false; /* coverage counts every match */
}

uint64_t vnx_matcher_ns(const vnx_matcher *m, size_t i) {
  return m && m->ns && i < m->rs->n ? m->ns[i] : 0;
}

/* ---- one line ---------------------------------------------------------- */

/* The normaliser has validated the UTF-8; pcre2's own check would rescan
 * the rest of the line on every call (quadratic on a long line). With JIT
 * code, pcre2_jit_match skips the checks pcre2_match makes on every call. */
static inline int run(const pcre2_code *code, bool jit, const char *subj, size_t ll, size_t off,
                      pcre2_match_data *md, pcre2_match_context *mc) {
  if (jit) return pcre2_jit_match(code, (PCRE2_SPTR)subj, ll, off, 0, md, mc);
  return pcre2_match(code, (PCRE2_SPTR)subj, ll, off, PCRE2_NO_UTF_CHECK, md, mc);
}

/* ---- shared fragments ------------------------------------------------------
 *
 * A rule split around a shared fragment (rules.c, split_shared) is its
 * head, then a callout: at each place q its head ends, on_callout takes
 * the ends of the fragment at q in the order pcre2 reaches them and tries
 * the tail at each; the first that matches makes the match (match_rule
 * then writes the fragment's group and the end into the ovector). A rule
 * without a tail needs only the first end. The ends depend on the line
 * and q alone, so they are kept per (variant, line of the block, q) for
 * the block: every body rule reads the body at a place once, and a
 * listing cut short where a tail matched goes on only if another rule
 * needs more. Not exact where a limit is hit: the whole pattern has one
 * match limit per try, the fragment and the tail one each. */

/* At most this many ends of a fragment at one place (each new one is
 * checked against those before it): more is taken as a limit (on real text
 * a body has a few ends). And at most this many ends kept per block in the
 * memo; past it a place's ends are listed, used and dropped. */
#define VNX_MAX_ENDS 1024
#define VNX_MAX_BLOCK_ENDS (1u << 20)

static struct shmemo *shm_find(vnx_matcher *m, uint64_t key) {
  if (!m->shcap) return NULL;
  size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (m->shcap - 1);
  while (m->shm[h].gen == m->shgen) {
    if (m->shm[h].key == key) return &m->shm[h];
    h = (h + 1) & (m->shcap - 1);
  }
  return NULL;
}

/* The entry of key, made if new (which may move the others) */
static struct shmemo *shm_get(vnx_matcher *m, uint64_t key) {
  struct shmemo *f = shm_find(m, key);
  if (f) return f;
  if (2 * (m->shcount + 1) > m->shcap) {
    size_t ncap = m->shcap ? 2 * m->shcap : 4096;
    struct shmemo *n = vnx_xcalloc(ncap, sizeof *n);
    for (size_t i = 0; i < m->shcap; i++) {
      struct shmemo *o = &m->shm[i];
      if (o->gen != m->shgen) continue;
      size_t h = (size_t)((o->key * 0x9E3779B97F4A7C15ull) >> 20) & (ncap - 1);
      while (n[h].gen == m->shgen) h = (h + 1) & (ncap - 1);
      n[h] = *o;
    }
    free(m->shm);
    m->shm = n;
    m->shcap = ncap;
  }
  size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (m->shcap - 1);
  while (m->shm[h].gen == m->shgen) h = (h + 1) & (m->shcap - 1);
  struct shmemo e = {key, m->shgen, -2, 0, 0, false};
  m->shm[h] = e;
  m->shcount++;
  return &m->shm[h];
}

/* A new block: the memo is empty (gen 0 is never current: calloc'ed
 * entries are free) */
static void shm_clear(vnx_matcher *m) {
  if (++m->shgen == 0) {
    m->shgen = 1;
    if (m->shm) memset(m->shm, 0, m->shcap * sizeof *m->shm);
  }
  m->shcount = 0;
  m->nends = 0;
}

/* The tail of rule r at end e of its fragment (read from q): 1 and the
 * match in co_* if it matches, 0 if not, or pcre2's error. Runs inside the
 * fragment's match (its end callout): its own match data and stack. */
static int try_tail(vnx_matcher *m, const vnx_rule *r, const char *subj, size_t ll, size_t q,
                    size_t e) {
  int rc = run(r->tail, r->tail_jit, subj, ll, e, m->md3, m->mc3);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc < 0) return rc;
  m->co_q = q;
  m->co_e = e;
  m->co_end = pcre2_get_ovector_pointer(m->md3)[1];
  return 1;
}

static void push_end(vnx_matcher *m, uint32_t e) {
  if (m->nends == m->capends) {
    m->capends = m->capends ? 2 * m->capends : 256;
    m->ends = vnx_xrealloc(m->ends, m->capends * sizeof *m->ends);
  }
  m->ends[m->nends++] = e;
}

/* The memo's entry for the fragment at q (a new one: nothing known), or
 * scratch for what is not kept: a line or place the key cannot hold, or
 * ends past the block's budget. */
static struct shmemo *shared_entry(vnx_matcher *m, int v, size_t ll, size_t q,
                                   struct shmemo *scratch) {
  bool keep = m->cur_bl < 0xFFFF && ll < 0x7FFFFFFF && (unsigned)v < 0xFFFF &&
              m->nends < VNX_MAX_BLOCK_ENDS;
  uint64_t key = (uint64_t)(v + 1) << 48 | (uint64_t)m->cur_bl << 32 | q;
  if (keep) return shm_get(m, key);
  struct shmemo z = {0, 0, -2, 0, 0, false};
  *scratch = z;
  return scratch;
}

/* Rule r without a tail: the fragment's first end at q. 1 (co_* set), 0
 * (none) or pcre2's error. */
static int shared_first(vnx_matcher *m, const vnx_rule *r, const char *subj, size_t ll,
                        size_t q) {
  struct shmemo scratch, *e = shared_entry(m, r->sh, ll, q, &scratch);
  if (e->first == -2) {
    if (e->n) {
      e->first = (int32_t)m->ends[e->off];
    } else if (e->complete) {
      e->first = -1;
    } else {
      const vnx_shared *s = &m->rs->sh[r->sh];
      int rc = run(s->code, s->jit, subj, ll, q, m->md2, m->mc2);
      if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) return rc;
      e->first = rc >= 0 ? (int32_t)pcre2_get_ovector_pointer(m->md2)[1] : -1;
    }
  }
  if (e->first < 0) return 0;
  m->co_q = q;
  m->co_e = m->co_end = (size_t)e->first;
  return 1;
}

/* Rule r with a tail: the first end of the fragment at q, in pcre2's
 * order, where the tail matches. The ends already listed at q (by this
 * rule or another) are tried first; if the listing was cut short (a tail
 * matched), the fragment runs again from q, and the end callout skips the
 * listed ends and tries the tail at each new one as it comes, stopping at
 * the first that matches: the work the whole pattern would do. 1 (co_*
 * set), 0 or pcre2's error. */
static int shared_tail(vnx_matcher *m, const vnx_rule *r, const char *subj, size_t ll, size_t q) {
  struct shmemo scratch, *e = shared_entry(m, r->sh, ll, q, &scratch);
  for (uint32_t i = 0; i < e->n; i++) {
    int rc = try_tail(m, r, subj, ll, q, m->ends[e->off + i]);
    if (rc) return rc;
  }
  if (e->complete) return 0;
  /* the listed ends at the top of the array, where the new ones go */
  if ((size_t)e->off + e->n != m->nends) {
    size_t off = m->nends;
    for (uint32_t i = 0; i < e->n; i++) push_end(m, m->ends[e->off + i]);
    e->off = (uint32_t)off;
  }
  const vnx_shared *s = &m->rs->sh[r->sh];
  m->enumerating = true;
  m->enum_rule = r;
  m->enum_q = q;
  m->enum_base = e->off;
  m->enum_hit = 0;
  int rc = run(s->code_all, s->jit_all, subj, ll, q, m->md2, m->mc2);
  m->enumerating = false;
  e->n = (uint32_t)(m->nends - e->off);
  int hit = m->enum_hit;
  if (hit == 0 && rc < 0 && rc != PCRE2_ERROR_NOMATCH) hit = rc; /* a limit */
  if (hit == 0) e->complete = true; /* every end listed, none matched */
  if (e == &scratch) m->nends = e->off;
  return hit;
}

static int on_callout(pcre2_callout_block *cb, void *data) {
  vnx_matcher *m = data;
  const char *subj = (const char *)cb->subject;
  size_t ll = cb->subject_length;
  if (cb->callout_number == VNX_CALLOUT_END) {
    if (!m->enumerating) return 0; /* the first end: the match */
    uint32_t e = (uint32_t)cb->current_position;
    for (size_t i = m->enum_base; i < m->nends; i++)
      if (m->ends[i] == e) return 1; /* seen: pcre2 backtracks to the next end */
    if (m->nends - m->enum_base >= VNX_MAX_ENDS) {
      m->enum_hit = PCRE2_ERROR_MATCHLIMIT;
      return PCRE2_ERROR_MATCHLIMIT;
    }
    push_end(m, e);
    int rc = try_tail(m, m->enum_rule, subj, ll, m->enum_q, e);
    if (rc == 0) return 1;
    m->enum_hit = rc;
    /* a match (or an error): stop here. A negative value ends the
     * fragment's match at once; 0 would go on into the tails after the
     * callout (there for pcre2's auto-possessification only). */
    return rc > 0 ? PCRE2_ERROR_CALLOUT : rc;
  }
  const vnx_rule *r = m->cur;
  if (cb->callout_number != VNX_CALLOUT_SHARED || !r || r->sh < 0) return 0;
  size_t q = cb->current_position;
  int rc = r->tail ? shared_tail(m, r, subj, ll, q) : shared_first(m, r, subj, ll, q);
  if (rc < 0) return rc;
  return rc ? 0 : 1;
}

static bool needs_ok(vnx_matcher *m, signed char *memo, size_t ri, const char *fold, size_t n) {
  size_t a = m->nidoff[ri], b = m->nidoff[ri + 1];
  if (a == b) return true;
  for (size_t i = a; i < b; i++) {
    size_t u = m->nid[i];
    if (memo[u] < 0) {
      const unsigned char *l = (const unsigned char *)m->ulit[u];
      size_t ln = m->ulen[u];
      bool maybe = ln <= n;
      for (size_t j = 0; maybe && m->pairs_on && j + 1 < ln; j++) {
        unsigned k = (unsigned)l[j] << 8 | l[j + 1];
        if (!(m->pairs[k >> 6] >> (k & 63) & 1)) maybe = false;
      }
      memo[u] = maybe && vnx_contains(fold, n, m->ulit[u], ln);
    }
    if (memo[u]) return true;
  }
  return false;
}

static void add_cand(vnx_matcher *m, size_t rule, int kind, const PCRE2_SIZE *ov, uint32_t ncap,
                     uint32_t line) {
  size_t k = 2 * ((size_t)ncap + 1);
  if (m->nov + k > m->capov) {
    m->capov = (m->nov + k) * 2;
    m->ov = vnx_xrealloc(m->ov, m->capov * sizeof *m->ov);
  }
  memcpy(m->ov + m->nov, ov, k * sizeof *ov);
  cand c = {rule, kind, m->rs->rules[rule].priority, ov[0], ov[1], m->nov, line};
  m->nov += k;
  if (m->nc == m->capc) {
    m->capc = m->capc ? m->capc * 2 : 64;
    m->c = vnx_xrealloc(m->c, m->capc * sizeof *m->c);
  }
  m->c[m->nc++] = c;
}

/* The order of README "Overlapping matches": kind, then longest, then
 * priority, then the rule's place in the files, then the earlier start. */
static int cmp_cand(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
  size_t lx = x->e - x->s, ly = y->e - y->s;
  if (lx != ly) return lx > ly ? -1 : 1;
  if (x->prio != y->prio) return x->prio > y->prio ? -1 : 1;
  if (x->rule != y->rule) return x->rule < y->rule ? -1 : 1;
  if (x->s != y->s) return x->s < y->s ? -1 : 1;
  return 0;
}

static int cmp_start(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->s != y->s) return x->s < y->s ? -1 : 1;
  if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
  return 0;
}

/* First set group of a (possibly duplicated) name; false if none is set. */
static bool group_val(const vnx_gref *g, const PCRE2_SIZE *ov, size_t *s, size_t *e) {
  for (int i = 0; i < g->n; i++) {
    PCRE2_SIZE a = ov[2 * g->nums[i]], b = ov[2 * g->nums[i] + 1];
    if (a != PCRE2_UNSET && b >= a) {
      *s = a;
      *e = b;
      return true;
    }
  }
  return false;
}

static void emit(vnx_matcher *m, vnx_doc *doc, const cand *c, size_t ls, FILE *warn) {
  const vnx_ruleset *rs = m->rs;
  const vnx_rule *r = &rs->rules[c->rule];
  const PCRE2_SIZE *ov = m->ov + c->ov;
  const char *subj = doc->text.s + ls;
  size_t ss = c->s, se = c->e;
  if (r->span.n) group_val(&r->span, ov, &ss, &se);
  size_t nstart = ls + ss, nend = ls + se, ostart, oend;
  vnx_text_orig_span(&doc->text, nstart, nend, &ostart, &oend);
  unsigned line = vnx_doc_line_from(doc, ostart, &m->line_cur);

  /* _nocheck: a group is a span of the normalised text, valid UTF-8 cut at
   * character boundaries: jansson need not validate it again. The field
   * names are the ruleset's, which outlives the record (vnx_fields). */
  vnx_fields fields = {0};
  bool inferred = false;
  char *unresolved = NULL;
  for (size_t i = 0; i < r->nsets; i++) {
    const vnx_set *st = &r->sets[i];
    size_t a, b;
    switch (st->type) {
    case VNX_SET_LIT:
      /* a copy: the ruleset's value is shared by every thread, and
       * jansson's reference count is not safe to touch concurrently */
      vnx_fields_set(&fields, st->fields[0], json_copy(st->lit));
      break;
    case VNX_SET_GROUP:
      vnx_fields_set(&fields, st->fields[0],
                     group_val(&st->ref, ov, &a, &b) ? json_stringn_nocheck(subj + a, b - a)
                                                     : json_null());
      break;
    case VNX_SET_CONV: {
      vnx_carg args[VNX_MAX_ARGS];
      for (int k = 0; k < st->nargs; k++) {
        const vnx_carg_tpl *t = &st->args[k];
        if (!t->is_group) {
          args[k].s = t->text;
          args[k].n = strlen(t->text);
        } else if (group_val(&t->ref, ov, &a, &b)) {
          args[k].s = subj + a;
          args[k].n = b - a;
        } else {
          args[k].s = NULL;
          args[k].n = 0;
        }
      }
      json_t *vals[2] = {NULL, NULL};
      char why[200];
      if (vnx_conv_run(rs, st->conv, args, st->nargs, doc, m->gmemo, vals, &inferred, why,
                       sizeof why)) {
        for (int k = 0; k < st->nfields; k++)
          vnx_fields_set(&fields, st->fields[k], vals[k] ? vals[k] : json_null());
      } else {
        for (int k = 0; k < 2; k++) json_decref(vals[k]);
        for (int k = 0; k < st->nfields; k++)
          vnx_fields_set(&fields, st->fields[k], json_null());
        if (!unresolved) unresolved = vnx_xstrdup(why);
        if (warn)
          fprintf(warn, "%s:%u: warning: rule %s: %s\n", doc->path ? doc->path : "-", line, r->id,
                  why);
      }
      break;
    }
    }
  }
  if (inferred) vnx_fields_set(&fields, "year_inferred", json_true());
  if (unresolved) {
    vnx_fields_set(&fields, "unresolved", json_string(unresolved));
    free(unresolved);
  }
  vnx_record *rec = vnx_records_add(&doc->recs, rs->kinds[r->kind], r->id, &fields);
  rec->nstart = nstart;
  rec->nend = nend;
  rec->start = ostart;
  rec->end = oend;
  rec->line = line;
  vnx_record_set_text(rec, doc->text.s + nstart, nend - nstart);
}

/* vnx_fold_lower of the line into the slot's fold, and whether every code point is
 * one where the start strings are exact (vnx_start_cp_safe; the folded line
 * then has the same length and its positions are the line's). Well-formed
 * two- and three-byte sequences below CPSAFE_N are lowered from a table
 * (utf8proc_tolower, as vnx_fold_lower does); anything else goes through
 * vnx_fold_lower's own code path, so the bytes are the same. */
static size_t fold_line(vnx_matcher *m, struct lslot *L, const char *s, size_t n, bool *safe) {
  if (!m->lower) {
    *safe = false;
    return vnx_fold_lower(s, n, &L->fold, &L->foldcap);
  }
  if (L->foldcap < 3 * n + 1) { /* a code point lowers to at most 3 bytes here */
    L->foldcap = 3 * n + 1 > 64 ? 3 * n + 1 : 64;
    L->fold = vnx_xrealloc(L->fold, L->foldcap);
  }
  const unsigned char *u = (const unsigned char *)s;
  unsigned char *o = (unsigned char *)L->fold;
  size_t len = 0;
  bool ok = true;
  for (size_t i = 0; i < n;) {
    unsigned char c = u[i];
    if (c < 0x80) {
      /* \s is read as a space or a tab (rules_start.c) */
      if (c == '\v' || c == '\f' || c == '\r') ok = false;
      o[len++] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
      i++;
      continue;
    }
    uint32_t cp = CPSAFE_N;
    size_t k = 0;
    if (c >= 0xC2 && c < 0xE0 && i + 1 < n && (u[i + 1] & 0xC0) == 0x80) {
      cp = (uint32_t)(c & 0x1F) << 6 | (u[i + 1] & 0x3F);
      k = 2;
    } else if ((c == 0xE1 || c == 0xE2) && i + 2 < n && (u[i + 1] & 0xC0) == 0x80 &&
               (u[i + 2] & 0xC0) == 0x80) {
      cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(u[i + 1] & 0x3F) << 6 | (u[i + 2] & 0x3F);
      k = 3;
    }
    if (cp < CPSAFE_N && m->lower[cp]) {
      uint32_t lo = m->lower[cp];
      if (!(m->cpsafe[cp] & 1)) ok = false;
      if (lo < 0x80) {
        o[len++] = (unsigned char)lo;
      } else if (lo < 0x800) {
        o[len++] = (unsigned char)(0xC0 | lo >> 6);
        o[len++] = (unsigned char)(0x80 | (lo & 0x3F));
      } else {
        o[len++] = (unsigned char)(0xE0 | lo >> 12);
        o[len++] = (unsigned char)(0x80 | (lo >> 6 & 0x3F));
        o[len++] = (unsigned char)(0x80 | (lo & 0x3F));
      }
      i += k;
      continue;
    }
    /* the rest of the line the general way (same bytes as vnx_fold_lower) */
    char *rest = NULL;
    size_t rcap = 0, rl = vnx_fold_lower(s + i, n - i, &rest, &rcap);
    if (len + rl + 1 > L->foldcap) {
      L->foldcap = len + rl + 1;
      L->fold = vnx_xrealloc(L->fold, L->foldcap);
    }
    memcpy(L->fold + len, rest, rl);
    free(rest);
    len += rl;
    ok = false;
    break;
  }
  L->fold[len] = 0;
  *safe = ok && len == n;
  return len;
}

/* The leftmost match of code (rule ri's pattern, or its core) starting in
 * [off, lim] (lim >= ll: no limit). With candidate starts (cand) only
 * those are tried (v[0..nv), in order), one anchored try each (an offset
 * limit equal to the start): the first that matches is the match the
 * unanchored search finds, as no match starts elsewhere. *ci walks the
 * candidates of the line. */
static int find(vnx_matcher *m, const pcre2_code *code, bool jit, bool cand, const uint32_t *v,
                size_t nv, const char *subj, size_t ll, size_t off, size_t lim, size_t *ci) {
  if (!cand) {
    pcre2_match_context *mc = m->mc;
    if (lim < ll) {
      pcre2_set_offset_limit(m->mclim, lim);
      mc = m->mclim;
    }
    return run(code, jit, subj, ll, off, m->md, mc);
  }
  while (*ci < nv && v[*ci] < off) (*ci)++;
  for (; *ci < nv && v[*ci] <= lim; (*ci)++) {
    pcre2_set_offset_limit(m->mcat, v[*ci]);
    int rc = run(code, jit, subj, ll, v[*ci], m->md, m->mcat);
    if (rc != PCRE2_ERROR_NOMATCH) return rc;
  }
  return PCRE2_ERROR_NOMATCH;
}

/* ---- a block of lines ---------------------------------------------------
 *
 * The rules run rule by rule over a block of lines, not line by line: the
 * JIT code of one body rule is about 1.6 MB, and trying all the rules on
 * one line, then all on the next, kept evicting each rule's code from the
 * caches (rule by rule over ~800 lines was 1.4x faster in a benchmark of
 * the anchored tries alone). Three passes per block:
 *   1. per line: fold, start scan, prefilter -> for each rule, the lines
 *      it is tried on and its candidate starts there;
 *   2. per rule: its matches on those lines -> candidates, tagged by line;
 *   3. per line, in order: overlap resolution and records.
 * What a line gives depends only on that line, so the records, and the
 * warnings (kept per line in pass 2, printed in pass 3), come out as a
 * line-by-line run gives them. */
#define BLOCK_LINES 2048
#define BLOCK_BYTES (512 * 1024)

/* Whether every code point of the line is one where the document's
 * lowered text (segment.c, same offsets) is what fold_line would write and
 * the start strings are exact: then the line's fold is that slice. */
static bool plain_line(const vnx_matcher *m, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
#if defined(__SSE2__)
    /* to the next byte that is not plain ASCII (a lead byte, a
     * continuation byte or \v \f \r = 0x0B..0x0D), sixteen at a time: a
     * byte at a time, the branch on its kind was mispredicted at every
     * letter with a tone mark */
    while (n - i >= 16) {
      __m128i v = _mm_loadu_si128((const __m128i *)(u + i));
      __m128i t = _mm_sub_epi8(v, _mm_set1_epi8(0x0B)); /* 0..2 for \v \f \r */
      __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(2)), t);
      unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(v, ctl));
      if (mask) {
        i += (unsigned)__builtin_ctz(mask);
        break;
      }
      i += 16;
    }
    if (i >= n) break;
#endif
    unsigned k = m->byte_kind[u[i]];
    if (k == 0) {
      i++;
      continue;
    }
    if (k == 9 || i + k > n) return false;
    uint32_t cp = k == 2 ? (uint32_t)(u[i] & 0x1F) << 6 | (u[i + 1] & 0x3F)
                         : (uint32_t)(u[i] & 0x0F) << 12 | (uint32_t)(u[i + 1] & 0x3F) << 6 |
                               (u[i + 2] & 0x3F);
    if (cp >= CPSAFE_N || !(m->cpsafe[cp] & 2)) return false;
    i += k;
  }
  return true;
}

/* pass 1, first half: fold line bl into slot L and ready its start scan
 * (the start automaton runs where the fold keeps every position: starts) */
static void scan_begin(vnx_matcher *m, struct lslot *L, uint32_t bl, vnx_doc *doc) {
  size_t ls = m->bl[bl].ls, ll = m->bl[bl].ll;
  const char *view = m->lower ? vnx_doc_lower_view(doc, ls, ls + ll) : NULL;
  bool safe;
  if (view && plain_line(m, doc->text.s + ls, ll)) {
    L->fv = view;
    L->fl = ll;
    safe = true;
  } else {
    L->fl = fold_line(m, L, doc->text.s + ls, ll, &safe);
    L->fv = L->fold;
  }
  L->starts = m->st && safe;
  m->bl[bl].starts = L->starts;
  L->sb.ntouched = L->sb.nfound = 0;
  if (L->starts) {
    if (m->nu) memcpy(L->memo, m->memo0, m->nu);
    bool off = m->scope && !m->lscope[bl];
    if (off != L->bodyoff) {
      for (size_t k = 0; k < m->nbodyp; k++) L->sb.sp[m->bodyp[k]].skip = off;
      L->bodyoff = off;
    }
  } else if (m->nu) {
    memset(L->memo, -1, m->nu);
  }
}

static void al_push(vnx_u32list *l, uint32_t bl) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->v = vnx_xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = bl;
}

/* pass 1, second half, once the scan has run: the prefilter, and the
 * candidates of each pattern on line bl kept for pass 2 where its rule
 * passes (else they are dropped). Where the scan did not run, the needs
 * literals are looked for in the line, after a check of the byte pairs
 * (pairs is all zero between lines: the bits set here are cleared below).
 * On a line out of the body scope the body rules are not kept: link.c
 * drops every body outside its scope, and what is dropped there changes
 * nothing it keeps (vnx_link_scope). */
static void scan_end(vnx_matcher *m, struct lslot *L, uint32_t bl) {
  const vnx_ruleset *rs = m->rs;
  const char *fold = L->fv;
  size_t fl = L->fl;
  if (!L->starts) {
    m->pairs_on = true;
    for (size_t i = 0; i + 1 < fl; i++) {
      unsigned k = (unsigned)(unsigned char)fold[i] << 8 | (unsigned char)fold[i + 1];
      m->pairs[k >> 6] |= (uint64_t)1 << (k & 63);
    }
  }
  if (L->starts) { /* the literals the scan found tell which rules pass */
    for (size_t k = 0; k < m->nnoneeds; k++) al_push(&m->al[m->noneeds[k]], bl);
    for (size_t k = 0; k < m->nother; k++)
      if (needs_ok(m, L->memo, m->other[k], fold, fl)) al_push(&m->al[m->other[k]], bl);
    for (size_t k = 0; k < L->sb.nfound; k++) {
      uint32_t u = L->sb.found[k];
      for (uint32_t i = m->uoff[u]; i < m->uoff[u + 1]; i++) {
        vnx_u32list *l = &m->al[m->users[i]];
        if (!l->n || l->v[l->n - 1] != bl) al_push(l, bl); /* once per line */
      }
    }
  } else {
    for (size_t ri = 0; ri < rs->n; ri++)
      if (needs_ok(m, L->memo, ri, fold, fl)) al_push(&m->al[ri], bl);
  }
  if (m->scope && !m->lscope[bl])
    for (size_t k = 0; k < m->nbodyr; k++) {
      vnx_u32list *l = &m->al[m->bodyr[k]];
      if (l->n && l->v[l->n - 1] == bl) l->n--;
    }
  for (size_t t = 0; L->starts && t < L->sb.ntouched; t++) {
    uint32_t pi = L->sb.touched[t];
    vnx_startlist *sp = &L->sb.sp[pi];
    const vnx_u32list *al = &m->al[pi < rs->n ? pi : pi - rs->n];
    if (!al->n || al->v[al->n - 1] != bl) { /* pass 2 does not run it here */
      sp->n = sp->base;
      continue;
    }
    vnx_u32list *l = &m->cs[pi];
    if (l->n + 3 > l->cap) {
      l->cap = l->cap ? 2 * l->cap + 3 : 48;
      l->v = vnx_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = bl;
    l->v[l->n++] = sp->base;
    l->v[l->n++] = sp->n - sp->base;
    sp->base = sp->n;
  }
  if (m->pairs_on) {
    for (size_t i = 0; i + 1 < fl; i++) {
      unsigned k = (unsigned)(unsigned char)fold[i] << 8 | (unsigned char)fold[i + 1];
      m->pairs[k >> 6] = 0;
    }
    m->pairs_on = false;
  }
}

/* pass 1 for the k lines from bl (a multiple of VNX_SCAN_LINES: line bl + j
 * in slot j): the start automaton walks them together
 * (vnx_starts_scan_lines) */
static void scan_lines(vnx_matcher *m, vnx_doc *doc, uint32_t bl, uint32_t k) {
  const char *line[VNX_SCAN_LINES], *fold[VNX_SCAN_LINES];
  size_t n[VNX_SCAN_LINES], ns = 0;
  vnx_startbuf *b[VNX_SCAN_LINES];
  for (uint32_t j = 0; j < k; j++) {
    struct lslot *L = &m->sl[j];
    scan_begin(m, L, bl + j, doc);
    if (!L->starts) continue;
    line[ns] = doc->text.s + m->bl[bl + j].ls;
    fold[ns] = L->fv;
    n[ns] = L->fl;
    b[ns++] = &L->sb;
  }
  if (ns) vnx_starts_scan_lines(m->st, ns, line, fold, n, b);
  for (uint32_t j = 0; j < k; j++) scan_end(m, &m->sl[j], bl + j);
}

/* The candidates of pattern list l on line bl ((line, offset, count)
 * triples in line order; *k is the cursor). */
static const uint32_t *cands_of(const vnx_matcher *m, size_t pi, size_t *k, uint32_t bl,
                                size_t *n) {
  const vnx_u32list *l = &m->cs[pi];
  while (*k < l->n && l->v[*k] < bl) *k += 3;
  if (*k < l->n && l->v[*k] == bl) {
    *n = l->v[*k + 2];
    return m->sl[bl % VNX_SCAN_LINES].sb.sp[pi].v + l->v[*k + 1];
  }
  *n = 0;
  return NULL;
}

/* A limit or an error of pcre2 on line bl, printed with the line's records
 * in pass 3. */
static void keep_warning(vnx_matcher *m, uint32_t bl, uint32_t rule, char *msg) {
  if (m->nlw == m->caplw) {
    m->caplw = m->caplw ? 2 * m->caplw : 8;
    m->lw = vnx_xrealloc(m->lw, m->caplw * sizeof *m->lw);
  }
  m->lw[m->nlw].line = bl;
  m->lw[m->nlw].rule = rule;
  m->lw[m->nlw].msg = msg;
  m->nlw++;
}

/* pass 2: rule ri on the lines of the block its prefilter let through */
static int match_rule(vnx_matcher *m, vnx_doc *doc, size_t ri, FILE *warn) {
  const vnx_ruleset *rs = m->rs;
  const vnx_rule *r = &rs->rules[ri];
  int limits = 0;
  size_t k1 = 0, k2 = 0; /* cursors in the candidate lists of pattern and core */
  const vnx_u32list *al = &m->al[ri];
  for (size_t a = 0; a < al->n; a++) {
    uint32_t bl = al->v[a];
    size_t ls = m->bl[bl].ls, ll = m->bl[bl].ll;
    const char *subj = doc->text.s + ls;
    bool starts = m->bl[bl].starts;
    bool cand = starts && vnx_starts_has(m->st, ri);
    bool ccand = starts && r->core && vnx_starts_has(m->st, rs->n + ri);
    size_t nv = 0, ncv = 0;
    const uint32_t *v = cand ? cands_of(m, ri, &k1, bl, &nv) : NULL;
    const uint32_t *cv = ccand ? cands_of(m, rs->n + ri, &k2, bl, &ncv) : NULL;
    size_t ci = 0, cci = 0;
    size_t off = 0;
    m->cur = r->sh >= 0 ? r : NULL;
    m->cur_bl = bl;
    /* A rule with a prefix (P, then the pattern lines C): a match of PC
     * starting at s has C matching where P ended, at or after s. So with
     * c the leftmost start of a match of C alone at or after off, the
     * leftmost match of PC at or after off starts in [off, c] or after c:
     * PC is tried with an offset limit c, and if nothing starts there the
     * search goes on from c + 1. No match of C: no match of PC. */
    bool core = r->core != NULL;
    size_t c = 0;
    bool have_c = false;
    while (off <= ll) {
      size_t lim = ll;
      if (core) {
        if (!have_c || c < off) {
          int crc = find(m, r->core, r->jit, ccand, cv, ncv, subj, ll, off, ll, &cci);
          if (crc == PCRE2_ERROR_NOMATCH) break;
          if (crc < 0) {
            core = false; /* a limit in C alone: the plain search decides */
            continue;
          }
          c = pcre2_get_ovector_pointer(m->md)[0];
          have_c = true;
        }
        lim = c;
        /* A match starting at s has its prefix run over [s, c) at least
         * (its pattern lines match at or after c): a byte the pattern never
         * consumes there rules out every start up to it. */
        if (r->has_stop && m->stops)
          for (size_t b = c; b > off; b--) {
            unsigned char x = (unsigned char)subj[b - 1];
            if (x < 128 && (r->stop[x >> 6] >> (x & 63) & 1)) {
              off = b;
              break;
            }
          }
      }
      int rc = find(m, r->code, r->jit, cand, v, nv, subj, ll, off, lim, &ci);
      if (rc == PCRE2_ERROR_NOMATCH && core) {
        off = c + 1;
        while (off < ll && ((unsigned char)subj[off] & 0xC0) == 0x80) off++;
        continue;
      }
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        PCRE2_UCHAR msg[200];
        pcre2_get_error_message(rc, msg, sizeof msg);
        size_t os, oe;
        vnx_text_orig_span(&doc->text, ls, ls, &os, &oe);
        bool lim = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
                   rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
        if (warn) {
          /* sized to fit: a path has no length limit */
          const char *path = doc->path ? doc->path : "-", *why = lim ? "hit the match limit" : "failed";
          unsigned line = vnx_doc_line_of(doc, os);
#define LIMIT_FMT "%s:%u: warning: rule %s %s (%s)\n"
          int k = snprintf(NULL, 0, LIMIT_FMT, path, line, r->id, why, (const char *)msg);
          char *buf = vnx_xmalloc(k > 0 ? (size_t)k + 1 : 1);
          buf[0] = 0;
          if (k > 0) snprintf(buf, (size_t)k + 1, LIMIT_FMT, path, line, r->id, why, (const char *)msg);
#undef LIMIT_FMT
          keep_warning(m, bl, (uint32_t)ri, buf);
        }
        limits++;
        break;
      }
      PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
      if (r->sh >= 0) { /* the fragment's group and the end, from the callout */
        ov[2 * r->sgroup] = m->co_q;
        ov[2 * r->sgroup + 1] = m->co_e;
        ov[1] = m->co_end;
      }
      if (ov[1] > ov[0]) {
        add_cand(m, ri, r->kind, ov, r->ncap, bl);
        off = ov[1];
      } else {
        /* an empty match gives nothing; step one code point past it */
        off = (ov[0] > off ? ov[0] : off) + 1;
        while (off < ll && ((unsigned char)subj[off] & 0xC0) == 0x80) off++;
      }
    }
  }
  return limits;
}

/* qsort's order for the candidates of a line, which are few: glibc's qsort
 * is a merge sort, stable, and so is an insertion sort, without a call per
 * comparison; many candidates go to qsort still */
static inline void sort_cands(cand *v, size_t n, int (*cmp)(const void *, const void *)) {
  if (n > 32) {
    qsort(v, n, sizeof *v, cmp);
    return;
  }
  for (size_t i = 1; i < n; i++) {
    cand x = v[i];
    size_t j = i;
    for (; j > 0 && cmp(&v[j - 1], &x) > 0; j--) v[j] = v[j - 1];
    v[j] = x;
  }
}

/* pass 3: the candidates of line bl (m->c[a..b)): per kind, the greedy
 * choice without overlaps, then records in the order of the line */
static void resolve_line(vnx_matcher *m, vnx_doc *doc, uint32_t bl, size_t a, size_t b,
                         FILE *warn) {
  const vnx_ruleset *rs = m->rs;
  size_t ls = m->bl[bl].ls, ll = m->bl[bl].ll;
  const char *subj = doc->text.s + ls;
  cand *cv = m->c + a;
  size_t nc = b - a;
  sort_cands(cv, nc, cmp_cand);
  if (m->occcap < ll) {
    m->occcap = ll;
    m->occ = vnx_xrealloc(m->occ, ll);
  }
  /* greedy per kind: a candidate is accepted if none of its bytes is taken */
  size_t nacc = 0;
  int kind = -1;
  for (size_t i = 0; i < nc; i++) {
    cand *c = &cv[i];
    if (c->kind != kind) {
      memset(m->occ, 0, ll);
      kind = c->kind;
    }
    if (c->e > c->s && memchr(m->occ + c->s, 1, c->e - c->s)) continue;
    memset(m->occ + c->s, 1, c->e - c->s);
    cv[nacc++] = *c;
  }
  sort_cands(cv, nacc, cmp_start);
  for (size_t i = 0; i < nacc; i++) {
    const cand *c = &cv[i];
    m->hits[c->rule]++;
    if (!rs->rules[c->rule].skip) {
      emit(m, doc, c, ls, warn);
    } else if (m->trace) {
      if (m->nclaims == m->capclaims) {
        m->capclaims = m->capclaims ? 2 * m->capclaims : 8;
        m->claims = vnx_xrealloc(m->claims, m->capclaims * sizeof *m->claims);
      }
      struct claim cl = {c->rule, vnx_xstrndup(subj + c->s, c->e - c->s)};
      m->claims[m->nclaims++] = cl;
    }
  }
}

/* kmask[bl]: the kinds of the candidates found so far on line bl (the rules
 * that make records have run) */
static void kinds_by_line(vnx_matcher *m, uint32_t nbl) {
  if (m->capkmask < nbl) {
    m->capkmask = nbl;
    m->kmask = vnx_xrealloc(m->kmask, m->capkmask * sizeof *m->kmask);
  }
  memset(m->kmask, 0, (size_t)nbl * sizeof *m->kmask);
  for (size_t i = 0; i < m->nc; i++) m->kmask[m->c[i].line] |= (uint32_t)1 << m->c[i].kind;
}

/* lscope[bl]: whether a body found on line bl can be kept by link.c (the
 * body_scope of the line's segment) */
static void body_lines(vnx_matcher *m, const vnx_doc *doc, uint32_t nbl) {
  if (m->caplscope < nbl) {
    m->caplscope = nbl;
    m->lscope = vnx_xrealloc(m->lscope, m->caplscope * sizeof *m->lscope);
  }
  const struct vnx_segments *S = doc->seg;
  /* the lines come in order: the segment of each is found by walking on
   * from the last one's (vnx_segment_index: the last starting at or before) */
  long si = vnx_segment_index(S, nbl ? m->bl[0].ls : 0);
  for (uint32_t bl = 0; bl < nbl; bl++) {
    size_t ls = m->bl[bl].ls;
    while (si >= 0 && (size_t)si + 1 < S->n && S->v[si + 1].start <= ls) si++;
    m->lscope[bl] = si < 0 || S->body_scope[si];
  }
}

static int match_block(vnx_matcher *m, vnx_doc *doc, FILE *warn) {
  const vnx_ruleset *rs = m->rs;
  int limits = 0;
  uint32_t nbl = (uint32_t)m->nbl;
  m->scope = m->scoped && m->body_kind >= 0 && doc->seg && doc->seg->body_scope;
  m->nc = m->nov = m->nlw = 0;
  shm_clear(m);
  for (size_t ri = 0; ri < 2 * rs->n; ri++) {
    m->cs[ri].n = 0;
    for (int k = 0; k < VNX_SCAN_LINES; k++) m->sl[k].sb.sp[ri].base = m->sl[k].sb.sp[ri].n = 0;
  }
  for (size_t ri = 0; ri < rs->n; ri++) m->al[ri].n = 0;
  if (m->scope) body_lines(m, doc, nbl);
  for (uint32_t bl = 0; bl < nbl; bl += VNX_SCAN_LINES)
    scan_lines(m, doc, bl, nbl - bl < VNX_SCAN_LINES ? nbl - bl : VNX_SCAN_LINES);
  for (size_t k = 0; k < rs->n; k++) {
    size_t ri = m->order[k];
    if (m->lazy && k == m->nkeep) kinds_by_line(m, nbl);
    if (m->lazy && k >= m->nkeep) {
      /* A skip rule's match only keeps candidates of its kind from being
       * accepted (resolve_line): on a line with none, it changes nothing. */
      vnx_u32list *al = &m->al[ri];
      uint32_t bit = (uint32_t)1 << rs->rules[ri].kind;
      size_t w = 0;
      for (size_t a = 0; a < al->n; a++)
        if (m->kmask[al->v[a]] & bit) al->v[w++] = al->v[a];
      al->n = w;
    }
    struct timespec t0;
    if (m->ns) clock_gettime(CLOCK_MONOTONIC, &t0);
    limits += match_rule(m, doc, ri, warn);
    if (m->ns) {
      struct timespec t1;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      m->ns[ri] += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
    }
  }
  /* the candidates by line, in the order they came (a counting sort):
   * the rule order within a line, as a line-by-line run makes them */
  if (m->capcnt < (size_t)nbl + 1) {
    m->capcnt = (size_t)nbl + 1;
    m->cnt = vnx_xrealloc(m->cnt, m->capcnt * sizeof *m->cnt);
  }
  memset(m->cnt, 0, ((size_t)nbl + 1) * sizeof *m->cnt);
  for (size_t i = 0; i < m->nc; i++) m->cnt[m->c[i].line + 1]++;
  for (uint32_t bl = 0; bl < nbl; bl++) m->cnt[bl + 1] += m->cnt[bl];
  if (m->capc2 < m->nc) {
    m->capc2 = m->nc;
    m->c2 = vnx_xrealloc(m->c2, m->capc2 * sizeof *m->c2);
  }
  for (size_t i = 0; i < m->nc; i++) m->c2[m->cnt[m->c[i].line]++] = m->c[i];
  cand *t = m->c;
  m->c = m->c2;
  m->c2 = t;
  size_t tc = m->capc;
  m->capc = m->capc2;
  m->capc2 = tc;
  /* cnt[bl] is now the end of line bl's candidates */
  /* the warnings of pass 2 came rule by rule (skip rules last): by line,
   * then rule, as a line-by-line run gives them (an insertion sort: there
   * are few; a rule warns at most once a line) */
  for (size_t i = 1; i < m->nlw; i++) {
    struct lwarn x = m->lw[i];
    size_t j = i;
    for (; j > 0 && (m->lw[j - 1].line > x.line ||
                     (m->lw[j - 1].line == x.line && m->lw[j - 1].rule > x.rule));
         j--)
      m->lw[j] = m->lw[j - 1];
    m->lw[j] = x;
  }
  size_t a = 0, w = 0;
  for (uint32_t bl = 0; bl < nbl; bl++) {
    size_t b = m->cnt[bl];
    for (; w < m->nlw && m->lw[w].line == bl; w++) fputs(m->lw[w].msg, warn);
    if (b > a) resolve_line(m, doc, bl, a, b, warn);
    a = b;
  }
  for (size_t i = 0; i < m->nlw; i++) free(m->lw[i].msg);
  m->nlw = 0;
  m->nbl = 0;
  return limits;
}

int vnx_rules_match(vnx_matcher *m, vnx_doc *doc, FILE *warn) {
  if (!m || !m->rs || !doc->text.s) return 0;
  int limits = 0;
  const char *s = doc->text.s;
  size_t len = doc->text.len, ls = 0, bytes = 0;
  m->nbl = 0;
  m->line_cur = 0;
  while (ls <= len) {
    const char *nl = memchr(s + ls, '\n', len - ls);
    size_t le = nl ? (size_t)(nl - s) : len;
    if (le > ls) {
      if (m->nbl == m->capbl) {
        m->capbl = m->capbl ? 2 * m->capbl : 256;
        m->bl = vnx_xrealloc(m->bl, m->capbl * sizeof *m->bl);
      }
      m->bl[m->nbl].ls = ls;
      m->bl[m->nbl].ll = le - ls;
      m->nbl++;
      bytes += le - ls;
      if (m->nbl == BLOCK_LINES || bytes >= BLOCK_BYTES) {
        limits += match_block(m, doc, warn);
        bytes = 0;
      }
    }
    if (!nl) break;
    ls = le + 1;
  }
  if (m->nbl) limits += match_block(m, doc, warn);
  return limits;
}

/* ---- rules test -------------------------------------------------------- */

/* A field value as the examples write it: strings bare, null, true/false,
 * numbers with %.15g. */
static char *render(const json_t *v) {
  char buf[64];
  if (!v) return vnx_xstrdup("(absent)");
  switch (json_typeof(v)) {
  case JSON_STRING: return vnx_xstrdup(json_string_value(v));
  case JSON_NULL: return vnx_xstrdup("null");
  case JSON_TRUE: return vnx_xstrdup("true");
  case JSON_FALSE: return vnx_xstrdup("false");
  case JSON_INTEGER:
  case JSON_REAL:
    snprintf(buf, sizeof buf, "%.15g", json_number_value(v));
    return vnx_xstrdup(buf);
  default: {
    char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *r = vnx_xstrdup(d ? d : "?");
    vnx_json_free(d);
    return r;
  }
  }
}

static bool record_has(const vnx_record *rec, const vnx_example *ex) {
  for (size_t k = 0; k < ex->n; k++) {
    char *got = strcmp(ex->keys[k], "text") == 0
                    ? vnx_xstrdup(rec->text ? rec->text : "")
                    : render(vnx_fields_get(&rec->fields, ex->keys[k]));
    bool eq = strcmp(got, ex->vals[k]) == 0;
    free(got);
    if (!eq) return false;
  }
  return true;
}

static void print_record(FILE *out, const char *lead, const vnx_record *rec) {
  fprintf(out, "%stext=\"%s\"", lead, rec->text ? rec->text : "");
  for (uint32_t i = 0; i < rec->fields.n; i++) {
    char *s = render(rec->fields.v[i].val);
    fprintf(out, strchr(s, ' ') ? " %s=\"%s\"" : " %s=%s", rec->fields.v[i].key, s);
    free(s);
  }
  fputc('\n', out);
}

int vnx_rules_test(const vnx_ruleset *rs, FILE *out) {
  vnx_matcher *m = vnx_matcher_new(rs);
  m->trace = true;
  m->lazy = m->scoped = false; /* the examples of a skip rule are its own matches */
  int fails = 0, passes = 0;
  for (size_t i = 0; i < rs->n; i++) {
    const vnx_rule *r = &rs->rules[i];
    for (size_t k = 0; k < r->nex; k++) {
      const vnx_example *ex = &r->ex[k];
      char label[300];
      snprintf(label, sizeof label, "<%s example>", r->id);
      vnx_options opt;
      memset(&opt, 0, sizeof opt);
      opt.norm.tone_style = rs->style;
      opt.norm.path = label;
      opt.doc_date = rs->src[r->src].doc_date;
      opt.keep_internal = true; /* examples may check internal kinds */
      vnx_doc doc;
      memset(&doc, 0, sizeof doc);
      vnx_error err;
      memset(&err, 0, sizeof err);
      char *wbuf = NULL;
      size_t wlen = 0;
      FILE *w = open_memstream(&wbuf, &wlen);
      clear_claims(m);
      int rc = vnx_process_buffer(label, ex->text, strlen(ex->text), &opt, m, &doc, &err, w);
      if (w) fclose(w);
      bool ok;
      size_t mine = 0, match = 0;
      for (size_t j = 0; rc == 0 && j < doc.recs.n; j++) {
        const vnx_record *rec = &doc.recs.v[j];
        if (!rec->rule || strcmp(rec->rule, r->id) != 0) continue;
        mine++;
        if (ex->expect && record_has(rec, ex)) match++;
      }
      /* a skip rule leaves no record: its examples are about what it
       * claims (only text= can be expected) */
      for (size_t j = 0; rc == 0 && r->skip && j < m->nclaims; j++) {
        if (m->claims[j].rule != i) continue;
        mine++;
        vnx_record fake;
        memset(&fake, 0, sizeof fake);
        fake.text = m->claims[j].text;
        if (ex->expect && record_has(&fake, ex)) match++;
      }
      ok = rc == 0 && (ex->expect ? match > 0 : mine == 0);
      if (ok) {
        passes++;
      } else {
        fails++;
        fprintf(out, "%s:%u: %s: %s failed\n", r->file, ex->line, r->id,
                ex->expect ? "expect" : "reject");
        fprintf(out, "  example:  \"%s\"\n", ex->text);
        if (rc != 0) {
          fprintf(out, "  error:    %s\n", err.msg);
        } else if (ex->expect) {
          fprintf(out, "  expected:");
          for (size_t f = 0; f < ex->n; f++) fprintf(out, " %s=\"%s\"", ex->keys[f], ex->vals[f]);
          fputc('\n', out);
          if (mine == 0)
            fprintf(out, "  actual:   no %s from %s\n", r->skip ? "claim" : "record", r->id);
          for (size_t j = 0; r->skip && j < m->nclaims; j++)
            fprintf(out, "  %s \"%s\"\n", m->claims[j].rule == i ? "actual:   claimed" : "other:    claimed by",
                    m->claims[j].rule == i ? m->claims[j].text : rs->rules[m->claims[j].rule].id);
        } else {
          fprintf(out, "  expected: no record from %s\n", r->id);
        }
        for (size_t j = 0; rc == 0 && j < doc.recs.n; j++) {
          const vnx_record *rec = &doc.recs.v[j];
          bool own = rec->rule && strcmp(rec->rule, r->id) == 0;
          if (own) {
            print_record(out, "  actual:   ", rec);
          } else if (strcmp(rec->kind, rs->kinds[r->kind]) == 0) {
            fprintf(out, "  other:    %s from %s: ", rec->kind, rec->rule ? rec->rule : "-");
            print_record(out, "", rec);
          }
        }
        if (wbuf && wlen) fprintf(out, "  warnings:\n%s", wbuf);
      }
      free(wbuf);
      vnx_doc_free(&doc);
    }
  }
  fprintf(out, "%d passed, %d failed\n", passes, fails);
  vnx_matcher_free(m);
  return fails;
}
