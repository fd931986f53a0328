/* internal.h - interfaces between the stages that are not part of the
 * public API (vnx.h). */
#ifndef VNX_INTERNAL_H
#define VNX_INTERNAL_H

#include "vnx.h"

/* xmalloc & co: out of memory is not an input error we can report per
 * document, so these abort with a message (as cmark and jq do). */
/* They abort rather than return NULL: the compiler is told so. */
#if defined(__GNUC__)
#define VNX_NONNULL_RET __attribute__((returns_nonnull))
#else
#define VNX_NONNULL_RET
#endif
/* Reports that n bytes could not be had and aborts (as vnx_xmalloc does). */
_Noreturn void *vnx_oom(size_t n);
VNX_NONNULL_RET void *vnx_xmalloc(size_t n);
VNX_NONNULL_RET void *vnx_xcalloc(size_t n, size_t size);
VNX_NONNULL_RET void *vnx_xrealloc(void *p, size_t n);
VNX_NONNULL_RET char *vnx_xstrdup(const char *s);
VNX_NONNULL_RET char *vnx_xstrndup(const char *s, size_t n);
/* Does h[0..hn) contain nd[0..nn)? (memmem, which is GNU only) */
bool vnx_contains(const char *h, size_t hn, const char *nd, size_t nn);

/* records.c: where jansson's blocks come from. While an arena is in use
 * on a thread (vnx_json_arena_use returns the one before, to put back),
 * the JSON values made there are blocks of it, freed only with it
 * (vnx_doc_free frees the document's). Strings from json_dumps are freed
 * with vnx_json_free, not free(). */
typedef struct vnx_json_arena vnx_json_arena;
vnx_json_arena *vnx_json_arena_new(void);
vnx_json_arena *vnx_json_arena_use(vnx_json_arena *a);
void vnx_json_arena_free(vnx_json_arena *a);
void vnx_json_free(void *p);

/* records.c: json_stringn and json_string (NULL for invalid UTF-8) with a
 * faster check of the UTF-8, for the strings made per record. */
json_t *vnx_json_stringn(const char *s, size_t n);
json_t *vnx_json_string(const char *s);
/* Does a character of the normalised text start at i (or i is its end)?
 * vnx_json_spans: s made of spans of that text, whole_chars when every span
 * was cut where vnx_text_cut holds (valid then, not checked again). */
bool vnx_text_cut(const vnx_doc *d, size_t i);
json_t *vnx_json_spans(const char *s, bool whole_chars);
/* Sets every member of object o in f, in o's order (a reference each). The
 * keys are o's own: o must outlive f (for tests that build fields with
 * json_pack). */
void vnx_fields_add_json(vnx_fields *f, const json_t *o);

/* pipeline.c: vnx_doc_line_of for offsets that mostly come in order (a
 * stage's records): *cur is the line index found last (0 to start). */
unsigned vnx_doc_line_from(const vnx_doc *d, size_t byte, size_t *cur);

/* pipeline.c: CPU time per stage, summed over every document and thread,
 * when the environment has VNX_STAGE_TIMES=1 (vnx_stage_times_enabled);
 * vnx_stage_times_print writes one line of them. For profiling: which
 * stage a change should go after, without perf. */
enum vnx_stage {
  VNX_ST_READ, VNX_ST_NORMALISE, VNX_ST_SEGMENT, VNX_ST_MATCH, VNX_ST_RESOLVE,
  VNX_ST_LINK, VNX_ST_RECORDS, VNX_ST_WRITE, VNX_ST_N
};
bool vnx_stage_times_enabled(void);
uint64_t vnx_stage_clock(void); /* thread CPU ns, 0 when disabled */
void vnx_stage_add(enum vnx_stage st, uint64_t t0);
void vnx_stage_times_print(FILE *out);

/* read.c: whole file into memory. Directories, FIFOs and other non-regular
 * files are refused with a message. Returns 0 or -1 with err set. */
int vnx_read_file(const char *path, char **buf, size_t *len, vnx_error *err);
/* Expands PATH... (files, directories recursively: *.txt, *.md) into a
 * sorted list of files. Missing paths are reported to err_out and counted. */
typedef struct vnx_pathlist {
  char **v;
  size_t n, cap;
} vnx_pathlist;
int vnx_collect_inputs(char **paths, int npaths, vnx_pathlist *out, FILE *err_out);
void vnx_pathlist_free(vnx_pathlist *pl);
/* File name without directory and extension (malloc'd). */
char *vnx_path_stem(const char *path);

/* batch.c: documents in parallel, handed to the sink in input order on
 * the calling thread. doc and prep are NULL when the document failed (err
 * says why); warnings is what the pipeline reported about it (may be
 * NULL). A sink
 * returning non-zero stops the batch; vnx_batch_run returns that value.
 *
 * prepare (may be NULL) runs on the worker thread right after a document
 * succeeded, before it waits for its turn: the sink's per-document work
 * that needs no order (serialising the records), so that the calling
 * thread only has to write bytes. What it leaves in *prep reaches the sink
 * (prep is NULL for a failed document); the batch frees prep->s and
 * prep->aux afterwards, whether the sink saw them or not. If prepare sets
 * doc_done, the sink needs nothing more of the document: the worker frees
 * it (in its own malloc arena) and the sink gets doc == NULL with prep. */
typedef struct vnx_prepared {
  char *s; /* malloc'd bytes, or NULL */
  size_t len;
  int rc;        /* what prepare returned */
  void *aux;     /* anything else the sink wants (one malloc'd block) */
  bool doc_done; /* free the document on the worker */
} vnx_prepared;
typedef int (*vnx_batch_prepare)(void *ctx, const vnx_doc *doc, vnx_prepared *prep);
typedef int (*vnx_batch_sink)(void *ctx, const char *path, vnx_doc *doc,
                              const vnx_prepared *prep, const vnx_error *err,
                              const char *warnings);
int vnx_batch_run(const vnx_pathlist *inputs, const vnx_options *opt,
                  const vnx_ruleset *rules, int jobs, vnx_batch_prepare prepare,
                  vnx_batch_sink sink, void *ctx);
int vnx_default_jobs(void);

/* encoding.c: "Windows-1258", "TCVN3 (ABC)" or NULL when a buffer that is
 * not UTF-8 does not look like a legacy Vietnamese encoding. */
const char *vnx_guess_legacy_encoding(const char *buf, size_t len);

/* segment.c: sections, items, tables, footnotes. */
void vnx_segment(vnx_doc *d);
void vnx_segments_free(struct vnx_segments *s);

/* resolve.c: the document date (from the text unless forced) and values
 * that need the whole document. */
void vnx_resolve_doc_date(vnx_doc *d);
void vnx_resolve(vnx_doc *d);

/* link.c: task records and their links. issuer: the document's (the
 * "issuer" of vnx_document_fields), or NULL; bodies: the gazetteer a body
 * named in a table cell takes its canonical name from (NULL: none). */
struct vnx_gazetteer;
void vnx_link(vnx_doc *d, const char *issuer, const struct vnx_gazetteer *bodies);
/* link.c: the parts that assign work and the segments where link can keep
 * a body (d->seg->directive, d->seg->body_scope), from the segments alone:
 * run before the rules, so that the body rules skip the rest (match.c). */
void vnx_link_scope(vnx_doc *d);

/* convert.c: date and number primitives shared by converters and tests. */
int vnx_days_in_month(int y, int m);
bool vnx_date_valid(int y, int m, int d);
void vnx_iso_date(char out[11], int y, int m, int d);
int vnx_roman_value(const char *s, size_t n); /* 0 if not a roman numeral */
bool vnx_parse_number_vi(const char *s, size_t n, double *out);
bool vnx_parse_number_en(const char *s, size_t n, double *out);

/* sha256.c: hex digest of a buffer (document checksum). */
void vnx_sha256_hex(const void *data, size_t len, char out[65]);

/* check.c: golden regression. Returns 0 identical, 1 differences, 2 usage
 * or input errors. */
typedef struct vnx_check_options {
  const char *corpus_dir;
  const char *golden_dir;
  bool update;
  const vnx_options *opt;
  const vnx_ruleset *rules;
} vnx_check_options;
int vnx_check(const vnx_check_options *co, FILE *out);

/* write.c: the document's JSON Lines in a malloc'd buffer (*s is NULL
 * when there are no records), exactly what vnx_write_jsonl writes.
 * Returns 0, or -1 (*s then NULL). */
int vnx_jsonl_bytes(const vnx_doc *d, char **s, size_t *len);
/* vnx_record_id in two steps, for loops over one document's records: the
 * hash state after the document's name, then the id of a record from it */
uint64_t vnx_record_id_seed(const char *doc);
void vnx_record_id_seeded(uint64_t seed, const vnx_record *r, char out[40]);

/* write.c: write to path atomically (temp file in the same directory,
 * fsync, rename). The callback writes the content. Returns 0 or -1. */
int vnx_write_atomic(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx,
                     vnx_error *err);

/* write.c: streaming form of the same: write to the FILE, then commit
 * (fsync + rename) or abort (unlink). Both free tmp. */
FILE *vnx_atomic_open(const char *path, char **tmp, vnx_error *err);
int vnx_atomic_commit(FILE *f, char *tmp, const char *path, vnx_error *err);
void vnx_atomic_abort(FILE *f, char *tmp);

/* docmeta.c: the document record's fields read from the text (type,
 * title, number, date, place, issuer, signer, signer_title, recipients). */
void vnx_document_fields(const vnx_doc *d, vnx_fields *fields);

/* write_csv.c: one RFC 4180 file per record kind in a directory, each
 * written to a temporary file and renamed on close. */
typedef struct vnx_csv vnx_csv;
vnx_csv *vnx_csv_open(const char *dir, vnx_error *err);
int vnx_csv_write_document(vnx_csv *c, const vnx_doc *d, vnx_error *err);
int vnx_csv_close(vnx_csv *c, vnx_error *err); /* commit; NULL-safe */
void vnx_csv_abort(vnx_csv *c);

/* write_sqlite.c: the embedded database. One transaction per document;
 * a changed document replaces all of its rows, an unchanged one (same
 * sha256) is a no-op. */
typedef struct vnx_db vnx_db;
vnx_db *vnx_db_open(const char *path, vnx_error *err);
/* Returns 0 written, 1 unchanged (skipped), -1 error. */
int vnx_db_write_document(vnx_db *db, const vnx_doc *d, vnx_error *err);
int vnx_db_close(vnx_db *db, vnx_error *err); /* NULL-safe */

/* cli_render.c: `vnextract explain` and `vnextract render`. */
int vnx_cli_explain(int argc, char **argv);
int vnx_cli_render(int argc, char **argv);

/* cli_rules.c: `vnextract rules test|lint|coverage`. Returns exit status. */
int vnx_cli_rules(int argc, char **argv, const char *rules_dir_default);
/* main.c helper shared with cli_rules.c: the rules directory to use. */
const char *vnx_default_rules_dir(void);

#include "segment.h"

#endif
