/* rules_int.h - the compiled ruleset as rules.c builds it and match.c,
 * convert.c and cli_rules.c read it. Private to the rule engine. */
#ifndef VNX_RULES_INT_H
#define VNX_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "internal.h"

/* A named group: with PCRE2_DUPNAMES one name may stand for several group
 * numbers (alternatives of a fragment); the first one set is used. */
#define VNX_MAX_DUP 16
typedef struct vnx_gref {
  int n;
  int nums[VNX_MAX_DUP];
} vnx_gref;

/* One argument of a converter call: a group or a literal text. */
typedef struct vnx_carg_tpl {
  bool is_group;
  char *text; /* group name or literal (normalised) */
  vnx_gref ref;
} vnx_carg_tpl;

typedef enum { VNX_SET_LIT, VNX_SET_GROUP, VNX_SET_CONV } vnx_set_type;

#define VNX_MAX_ARGS 4
typedef struct vnx_set {
  char *fields[2];
  int nfields;
  vnx_set_type type;
  json_t *lit;          /* VNX_SET_LIT */
  vnx_gref ref;         /* VNX_SET_GROUP */
  int conv;             /* VNX_SET_CONV: index in the converter table */
  vnx_carg_tpl args[VNX_MAX_ARGS];
  int nargs;
} vnx_set;

typedef struct vnx_example {
  bool expect;
  char *text; /* normalised */
  unsigned line;
  char **keys, **vals; /* expected fields, values normalised */
  size_t n;
} vnx_example;

typedef struct vnx_rule {
  char *id;
  int kind; /* index in vnx_ruleset.kinds */
  int priority;
  bool caseless, skip;
  char **needs; /* normalised + lower-cased literals */
  size_t nneeds;
  pcre2_code *code;
  pcre2_code *core; /* with a `prefix`: the pattern lines alone, else NULL */
  bool jit;         /* code (and core) have JIT code */
  /* A rule that reads a shared fragment (`shared` in a rule file; match.c):
   * sh is its variant in vnx_ruleset.sh (-1: none). code is then only the
   * part before the fragment, ending in an empty group (number sgroup)
   * and a callout; tail, anchored, the part after it (NULL: nothing). */
  int sh;
  uint32_t sgroup;
  pcre2_code *tail;
  bool tail_jit;
  char *expanded; /* the pattern after fragment expansion, as compiled */
  char *core_expanded; /* the same for core, or NULL */
  uint32_t ncap;
  /* with a prefix: the ASCII bytes the pattern never consumes outside
   * lookarounds (vnx_pattern_stops), if known */
  bool has_stop;
  uint64_t stop[2];
  vnx_gref span; /* n == 0: whole match */
  vnx_set *sets;
  size_t nsets;
  vnx_example *ex;
  size_t nex;
  const char *file; /* borrowed from vnx_ruleset.src[].path */
  size_t src;       /* index in vnx_ruleset.src */
  unsigned line;
} vnx_rule;

/* A fragment read once per position and line by every rule that holds it
 * (`shared NAME`): compiled alone, anchored, with a callout at its end.
 * One variant per fragment and caseless option. */
#define VNX_CALLOUT_SHARED 254 /* a rule's code: the fragment starts here */
#define VNX_CALLOUT_END 255    /* the fragment's code: one of its ends */
typedef struct vnx_shared {
  char *name;
  bool caseless;
  char *text; /* as compiled */
  pcre2_code *code; /* for its first end */
  /* for all its ends (NULL: no rule with a tail reads it): followed, after
   * the callout, by the tails of all the rules that read it, which never
   * run (the callout fails, or ends the match where a tail matched) but
   * tell pcre2's auto-possessification what can follow. With nothing after the callout pcre2 takes it for the end
   * of the pattern and makes a repeat before it give nothing back, and an
   * end a tail needs is lost; with the tails there, a repeat is made
   * possessive only where no tail can follow its give-backs. */
  char *text_all;
  pcre2_code *code_all;
  bool jit, jit_all;
  bool reported; /* the loader said it does not compile alone */
} vnx_shared;

/* Gazetteer: canonical forms with aliases; lookup keys are folded. */
typedef struct vnx_gaz_entry {
  char *key;       /* folded alias or canonical form */
  const char *canon; /* borrowed from canons */
} vnx_gaz_entry;

typedef struct vnx_gazetteer {
  char *name;   /* file stem */
  char **forms; /* every canonical form and alias (normalised), longest first */
  size_t nforms;
  char **canons;
  size_t ncanons;
  vnx_gaz_entry *idx; /* sorted by key */
  size_t nidx;
} vnx_gazetteer;

typedef struct vnx_starts vnx_starts;

typedef struct vnx_srcfile {
  char *path;
  char *data;   /* file content, lines NUL-separated */
  char **lines; /* without the newline */
  size_t nlines;
  char doc_date[11]; /* examples-doc-date, default 2026-05-15 */
} vnx_srcfile;

struct vnx_ruleset {
  vnx_rule *rules;
  size_t n;
  char **kinds;
  size_t nkinds;
  vnx_gazetteer *gaz;
  size_t ngaz;
  struct vnx_srcfile *src; /* rule files, kept for diagnostics (lint) */
  size_t nsrc;
  vnx_tone_style style;
  uint32_t max_cap; /* largest capture count over all rules */
  vnx_shared *sh;   /* shared fragments, by variant */
  size_t nsh;
  struct vnx_starts *starts; /* where matches can start (rules_start.c) */
  struct vnx_blkcache *blocks; /* pcre2's allocators for the patterns, one per */
  size_t nblocks;              /* loading thread (rules.c) */
};

/* Lint: static checks beyond what load already enforces (examples present,
 * expect texts pass the prefilter). Errors/warnings to diag; returns the
 * number of errors. */
int vnx_rules_lint(const vnx_ruleset *rs, FILE *diag);
size_t vnx_rules_examples(const vnx_ruleset *rs);

/* Simple full-string lower-casing (utf8proc_tolower per code point).
 * Appends to *buf (grown as needed); returns the new length. */
size_t vnx_fold_lower(const char *s, size_t n, char **buf, size_t *cap);

/* Canonical form of s in gazetteer g (NULL if absent). */
const vnx_gazetteer *vnx_rules_gaz(const vnx_ruleset *rs, const char *name);
/* The ruleset a matcher runs (NULL for none). */
const vnx_ruleset *vnx_matcher_rules(const vnx_matcher *m);
const char *vnx_gaz_lookup(const vnx_gazetteer *g, const char *s, size_t n);

/* ---- start strings (rules_start.c) ---- */
/* Where each rule's match can start: short lower-cased strings read off its
 * pattern, in one automaton. A rule without them may start anywhere. Index
 * ri < n is rule ri's pattern, n + ri the core of a rule with a prefix. */
vnx_starts *vnx_starts_new(const vnx_ruleset *rs);
void vnx_starts_free(vnx_starts *st);
bool vnx_starts_has(const vnx_starts *st, size_t rule);
/* The distinct needs literals in the order of first use (ulit, sized by the
 * caller for all needs); rule ri's are nid[nidoff[ri] .. nidoff[ri + 1]).
 * Returns their number. */
size_t vnx_needs_index(const vnx_ruleset *rs, const char **ulit, size_t *nid, size_t *nidoff);
/* Whether the scan reports needs literal u (else the caller looks for it). */
bool vnx_starts_lit(const vnx_starts *st, size_t u);
/* Whether pcre2's caseless matching of cp agrees with utf8proc_tolower and
 * lower-casing keeps its UTF-8 length. */
bool vnx_start_cp_safe(uint32_t cp);
/* The candidate starts of one pattern: v[base .. n) are those of the line
 * being scanned, ascending, no duplicates; v[0 .. base) is the caller's
 * (the pattern's starts on earlier lines, kept there so that they need no
 * copy). skip: the caller wants none on this line (its scan drops them). */
typedef struct vnx_startlist {
  uint32_t *v;
  uint32_t base, n, cap;
  bool skip;
} vnx_startlist;
/* The candidate starts of one line, per pattern, and which needs literals
 * the folded line contains. */
typedef struct vnx_startbuf {
  signed char *lit; /* set to 1 for each literal found (vnx_starts_lit) */
  vnx_startlist *sp;
  /* the patterns whose n went from base to base + 1, and the literals set
   * to 1, in the order found: so that the caller visits only those (room
   * for every pattern and every literal) */
  uint32_t *touched, *found;
  size_t ntouched, nfound;
  uint16_t *xs; /* the scan's own scratch (the caller frees it) */
  size_t xscap;
} vnx_startbuf;
/* Adds to b every position of the folded line where a start string of a
 * pattern begins (into v[base .. n), empty before), and marks the needs
 * literals in it. line is the line itself (same length: only lines where
 * vnx_start_cp_safe holds everywhere). */
void vnx_starts_scan(const vnx_starts *st, const char *line, const char *fold, size_t n,
                     vnx_startbuf *b);
/* The same for k lines, each with its own b (what each gets is what
 * vnx_starts_scan gives it): a few walks interleave, so that the table
 * lookups of one overlap those of the others (one walk alone waits on each
 * lookup). match.c scans the lines of a block VNX_SCAN_LINES at a time. */
#define VNX_SCAN_LINES 8
void vnx_starts_scan_lines(const vnx_starts *st, size_t k, const char *const *line,
                           const char *const *fold, const size_t *n, vnx_startbuf *const *b);

/* The ASCII bytes pattern pat can never consume outside lookarounds (an
 * over-approximation of what it consumes, complemented); false if none or
 * if the pattern has what this does not follow (backreferences,
 * conditions, verbs). A match that must run over such a byte is not there. */
bool vnx_pattern_stops(const char *pat, size_t n, uint64_t stop[2]);

/* ---- converters (convert.c) ---- */
typedef struct vnx_conv_info {
  const char *name;
  int min_args, max_args;
  int nvals;
} vnx_conv_info;
/* Index of a converter or -1. */
int vnx_conv_find(const char *name);
const vnx_conv_info *vnx_conv_get(int conv);

/* An argument value at match time: s == NULL for an unset group. */
typedef struct vnx_carg {
  const char *s;
  size_t n;
} vnx_carg;

/* What the gazetteer lookups of canonical() and unit() found for a text
 * (one per thread: a matcher's). Documents name the same few bodies, units
 * and document types over and over: 10,948 lookups of 462 texts on 2 MB. */
typedef struct vnx_gaz_memo vnx_gaz_memo;
vnx_gaz_memo *vnx_gaz_memo_new(void);
void vnx_gaz_memo_free(vnx_gaz_memo *m);

/* Runs converter conv. On success fills out[0..nvals) (new references) and
 * returns true; *year_inferred is set when the document date was used.
 * On failure returns false with a reason in why. memo may be NULL. */
bool vnx_conv_run(const vnx_ruleset *rs, int conv, const vnx_carg *args, int nargs,
                  const vnx_doc *doc, vnx_gaz_memo *memo, json_t **out, bool *year_inferred,
                  char *why, size_t whylen);

#endif
