/* vnx.h - public API of libvnextract.
 *
 * One pass per document, in this order (one file per stage):
 *   read (read.c) -> normalise (normalise.c) -> segment (segment.c)
 *   -> match rules (rules.c, match.c) -> resolve values (resolve.c)
 *   -> link tasks (link.c) -> write records (write.c)
 * pipeline.c strings the stages together; check.c compares with golden files.
 *
 * Ownership: every *_new/_load has a matching *_free; *_free(NULL) is a no-op.
 * Records carry their kind-specific fields as an ordered list of jansson
 * values they own (vnx_fields); the keys are borrowed (see there).
 */
#ifndef VNX_H
#define VNX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* ---- diagnostics ------------------------------------------------------- */

/* Where something went wrong in an input file, and what. */
typedef struct vnx_error {
  char path[512];
  unsigned line;  /* 1-based line in the original file, 0 if unknown */
  size_t byte;    /* 0-based byte offset in the original file */
  char msg[512];
} vnx_error;

void vnx_error_set(vnx_error *err, const char *path, unsigned line, size_t byte,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "path:line:byte: message" on one line. */
void vnx_error_print(const vnx_error *err, FILE *out);

/* ---- normalise --------------------------------------------------------- */

typedef enum { VNX_TONE_CLASSIC = 0, VNX_TONE_MODERN = 1 } vnx_tone_style;

typedef struct vnx_norm_options {
  vnx_tone_style tone_style;
  bool lossy;       /* replace invalid UTF-8 / NUL with U+FFFD and warn */
  const char *path; /* for messages only */
} vnx_norm_options;

/* A superscript footnote marker removed from the text flow. */
typedef struct vnx_footnote_mark {
  unsigned number; /* the footnote number the superscript digits spell */
  size_t offset;   /* byte offset in the normalised text where it stood */
  size_t orig;     /* byte offset of the marker in the original file */
} vnx_footnote_mark;

/* Canonical text with a map back to the original bytes: normalised byte i
 * came from original bytes [vnx_text_map_start(i), vnx_text_map_end(i));
 * both give orig_len at i == len. The map is kept as runs (normalise.c),
 * not per byte: eight bytes of map per text byte cost more to write and
 * to read than the lookups a document makes. */
struct vnx_map_run;
typedef struct vnx_text {
  char *s; /* NUL-terminated UTF-8 */
  size_t len;
  struct vnx_map_run *runs; /* the map (opaque: use the functions) */
  size_t nruns;
  size_t cursor; /* the run vnx_text_orig_span found last */
  size_t orig_len;
  vnx_footnote_mark *marks;
  size_t nmarks;
  unsigned replaced; /* invalid sequences replaced (lossy mode) */
} vnx_text;

/* Runs decode -> NFC -> tone placement -> markup residue -> layout.
 * Returns 0, or -1 with err filled (invalid UTF-8, NUL byte, out of memory). */
int vnx_normalise(const char *in, size_t len, const vnx_norm_options *opt,
                  vnx_text *out, vnx_error *err);
void vnx_text_free(vnx_text *t);

/* NFC + tone placement only, for rule patterns, examples and gazetteer
 * entries, so that "hoà" in a rule matches "hòa" in a document. Markup and
 * layout steps are not applied (a pattern's '*' is not markdown).
 * Returns a malloc'd string or NULL on invalid UTF-8. */
char *vnx_normalise_string(const char *s, vnx_tone_style style);

/* Original byte range of normalised span [nstart, nend). Moves t's
 * cursor (so one thread at a time per text). */
void vnx_text_orig_span(vnx_text *t, size_t nstart, size_t nend,
                        size_t *start, size_t *end);

/* The original range [start, end) normalised byte i (<= len) came from. */
size_t vnx_text_map_start(const vnx_text *t, size_t i);
size_t vnx_text_map_end(const vnx_text *t, size_t i);

/* ---- records ----------------------------------------------------------- */

/* A record's kind-specific fields, in the order they were first set, one
 * value per key: what a jansson object gives (a set replaces the value in
 * place, a del keeps the order of the rest), without its hashtable, the
 * copy of every key and the mallocs per field; records have about ten.
 * Values are owned. Keys are borrowed, not copied: string literals or the
 * field names of the ruleset (vnx_set.fields). So a ruleset must outlive
 * the records made with it, as their rule ids already require: free the
 * documents before vnx_rules_free (every caller here does). A key built at
 * run time must be kept alive by whoever sets it, as long as the record.
 * Set while a document is processed, the list and its values are blocks of
 * the document's arena (records.c): only vnx_fields_free frees them, and
 * none of them is to be used after vnx_doc_free. */
typedef struct vnx_field {
  const char *key;
  json_t *val;
} vnx_field;

typedef struct vnx_fields {
  vnx_field *v;
  uint32_t n, cap;
} vnx_fields;

/* Sets key to val, taking ownership of val (json_object_set_new): an
 * existing key keeps its place. A NULL val (a failed json_string) changes
 * nothing, as in jansson. */
void vnx_fields_set(vnx_fields *f, const char *key, json_t *val);
/* The value of key (borrowed), or NULL. */
json_t *vnx_fields_get(const vnx_fields *f, const char *key);
/* Removes key, keeping the order of the rest; -1 if it was not there. */
int vnx_fields_del(vnx_fields *f, const char *key);
/* Drops every value and the list. */
void vnx_fields_free(vnx_fields *f);

typedef struct vnx_record {
  const char *kind;    /* static string: "document", "deadline", "body", ... */
  size_t nstart, nend; /* span in the normalised text */
  size_t start, end;   /* span in the original file, [start, end) */
  unsigned line;       /* 1-based line of start in the original file */
  bool text_in_arena;  /* text is a block of the document's arena (records.c) */
  const char *rule;    /* rule id; borrowed from the ruleset or static */
  char *text;          /* normalised surface of the span (owned: malloc'd, or
                        * text_in_arena; vnx_record_set_text replaces it) */
  vnx_fields fields;   /* kind-specific fields */
} vnx_record;

typedef struct vnx_records {
  vnx_record *v;
  size_t n, cap;
} vnx_records;

/* Appends a record; takes over the fields (left empty; NULL: none).
 * Returns it. */
vnx_record *vnx_records_add(vnx_records *rs, const char *kind, const char *rule,
                            vnx_fields *fields);
/* Sets r->text to a copy of s[0..n), from the arena of the document being
 * processed on this thread if there is one, and frees the text before. */
void vnx_record_set_text(vnx_record *r, const char *s, size_t n);
/* Frees r->text (whichever way it was made) and leaves it NULL. */
void vnx_record_text_free(vnx_record *r);
void vnx_records_sort(vnx_records *rs); /* span start, then kind */
void vnx_records_free(vnx_records *rs);

/* ---- documents --------------------------------------------------------- */

/* One document in flight. Everything here is freed by vnx_doc_free. */
typedef struct vnx_doc {
  char *path;
  char *stem;         /* file name without directory and extension */
  char *orig;         /* original bytes, NUL-terminated */
  size_t orig_len;
  size_t *line_starts; /* byte offset of each original line start */
  size_t nlines;
  vnx_text text;
  int year, month, day; /* document date (0 if unknown) */
  bool date_forced;     /* --doc-date */
  vnx_records recs;
  struct vnx_segments *seg; /* filled by the segmenter (segment.c) */
  struct vnx_json_arena *json_arena; /* the JSON values made for it (records.c) */
} vnx_doc;

/* 1-based line of an original byte offset. */
unsigned vnx_doc_line_of(const vnx_doc *d, size_t byte);

/* ---- rules ------------------------------------------------------------- */

typedef struct vnx_ruleset vnx_ruleset;
typedef struct vnx_matcher vnx_matcher;

/* Loads and compiles every rules/ *.rules file and gazetteer in dir (sorted
 * by name). Diagnostics go to diag in compiler style
 * ("FILE:LINE:COL: error: ..." + source line + caret). Returns NULL if any
 * error was reported; *nerrors gets the count. */
vnx_ruleset *vnx_rules_load(const char *dir, vnx_tone_style style, FILE *diag,
                            int *nerrors);
/* Threads that later loads compile the patterns on (default 0: the online
 * CPUs; 1: serially). */
void vnx_rules_set_threads(int n);
void vnx_rules_free(vnx_ruleset *rs);
size_t vnx_rules_count(const vnx_ruleset *rs);

/* Per-thread match state over a shared read-only ruleset. */
vnx_matcher *vnx_matcher_new(const vnx_ruleset *rs);
void vnx_matcher_free(vnx_matcher *m);

/* Runs every rule on doc->text, resolves overlaps, converts fields, and
 * appends records to doc->recs. Limit hits are reported to warn (rule id,
 * document, line) and the run goes on. Returns the number of limit hits. */
int vnx_rules_match(vnx_matcher *m, vnx_doc *doc, FILE *warn);

/* rules test: runs every inline example; failures printed to out.
 * Returns the number of failures. */
int vnx_rules_test(const vnx_ruleset *rs, FILE *out);

/* Hit count per rule (indexed like the ruleset), after matching docs. */
size_t vnx_matcher_hits(const vnx_matcher *m, size_t rule_index);
/* Time spent per rule, in nanoseconds, once profiling is switched on
 * (rules coverage does); without it the matcher reads no clock. */
void vnx_matcher_profile(vnx_matcher *m);
uint64_t vnx_matcher_ns(const vnx_matcher *m, size_t rule_index);
const char *vnx_rules_id(const vnx_ruleset *rs, size_t rule_index);

/* ---- pipeline ---------------------------------------------------------- */

typedef struct vnx_options {
  vnx_norm_options norm;
  const char *doc_date; /* "YYYY-MM-DD" or NULL */
  bool keep_internal;   /* keep records of internal kinds ("_metric"): rules test */
} vnx_options;

/* Reads, normalises, segments, matches, resolves, links. On failure returns
 * -1 with err set; doc is then safe to free. */
int vnx_process_file(const char *path, const vnx_options *opt,
                     vnx_matcher *m, vnx_doc *doc, vnx_error *err,
                     FILE *warn);
/* Same, from a buffer already in memory (takes a copy). */
int vnx_process_buffer(const char *path, const char *buf, size_t len,
                       const vnx_options *opt, vnx_matcher *m, vnx_doc *doc,
                       vnx_error *err, FILE *warn);
void vnx_doc_free(vnx_doc *d);

/* ---- write ------------------------------------------------------------- */

/* Stable id from document + span + kind ("deadline-1a2b3c4d5e6f7a8b"). */
void vnx_record_id(const char *doc, const vnx_record *r, char out[40]);
/* A record as a JSON object with the common fields first. Caller decrefs,
 * before vnx_doc_free: its values are the record's own (json_incref does
 * not keep them past the document, whose arena holds them). */
json_t *vnx_record_json(const vnx_doc *d, const vnx_record *r);
/* Appends the document's records as JSON Lines to out. */
int vnx_write_jsonl(const vnx_doc *d, FILE *out);

#endif
