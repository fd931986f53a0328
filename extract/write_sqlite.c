/* write_sqlite.c - `extract --db FILE.sqlite`: the records in an embedded
 * database that can be queried and updated in place.
 *
 *   documents    one row per document (doc = file stem), its header fields
 *   records      one row per record, the document record included: the
 *                common fields, the fields queries filter on as columns,
 *                and the whole record as JSON (`json`, as in the JSONL)
 *   task_bodies  task -> body links with their role, from the task
 *                records' lead/support/director/report_to id arrays
 *
 * A task row's start/end are those of its linked deadline, so "tasks due
 * before D" is one indexed range scan on records(kind, "end").
 *
 * Each document is written in one transaction (BEGIN IMMEDIATE ... COMMIT):
 * a document whose stored sha256 is the same, and whose records are the
 * same (records_sha256: the digest of its JSON Lines, which changes with
 * the rules or the program), is left alone (returns 1); otherwise its rows
 * are deleted (ON DELETE CASCADE) and written again. A
 * run killed at any point leaves every document either as it was or
 * complete. WAL with synchronous=NORMAL: a commit survives the process
 * being killed, not necessarily a power cut (the next run redoes what was
 * lost, sha256 being different or absent). No timestamps are stored, so
 * the same input gives the same database content. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "internal.h"

/* PRAGMA user_version of the layout below; an older or newer database is
 * refused rather than guessed at. */
enum { SCHEMA_VERSION = 1 };

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS documents (\n"
    "  doc TEXT PRIMARY KEY,\n"
    "  file TEXT NOT NULL,\n"
    "  sha256 TEXT NOT NULL,\n"
    "  records_sha256 TEXT NOT NULL,  -- of the document's JSON Lines\n"
    "  type TEXT, title TEXT, number TEXT, date TEXT, place TEXT, issuer TEXT,\n"
    "  signer TEXT, signer_title TEXT,\n"
    "  recipients TEXT NOT NULL DEFAULT '[]'  -- JSON array\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS records (\n"
    "  id TEXT PRIMARY KEY,\n"
    "  doc TEXT NOT NULL REFERENCES documents(doc) ON DELETE CASCADE,\n"
    "  kind TEXT NOT NULL,\n"
    "  line INTEGER NOT NULL, span_start INTEGER NOT NULL, span_end INTEGER NOT NULL,\n"
    "  text TEXT NOT NULL, rule TEXT,\n"
    "  role TEXT,             -- body\n"
    "  start TEXT, \"end\" TEXT, -- deadline; task: of its deadline\n"
    "  value REAL, value_max REAL, unit TEXT,  -- indicator\n"
    "  canonical TEXT,        -- body\n"
    "  type TEXT,             -- document, deadline; reference: ref_type\n"
    "  json TEXT NOT NULL     -- the whole record\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS task_bodies (\n"
    "  task_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,\n"
    "  body_id TEXT NOT NULL,\n"
    "  role TEXT NOT NULL,\n"
    "  PRIMARY KEY (task_id, body_id, role)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX IF NOT EXISTS records_doc ON records(doc);\n"
    "CREATE INDEX IF NOT EXISTS records_kind_end ON records(kind, \"end\");\n"
    "CREATE INDEX IF NOT EXISTS task_bodies_body ON task_bodies(body_id, role);\n";

enum { ST_SHA, ST_DELETE, ST_DOC, ST_REC, ST_LINK, NST };

static const char *const SQL[NST] = {
    [ST_SHA] = "SELECT sha256, records_sha256 FROM documents WHERE doc = ?1",
    [ST_DELETE] = "DELETE FROM documents WHERE doc = ?1",
    [ST_DOC] = "INSERT INTO documents (doc, file, sha256, type, title, number, date, place, issuer,"
               " signer, signer_title, recipients, records_sha256)"
               " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    [ST_REC] = "INSERT INTO records (id, doc, kind, line, span_start, span_end, text, rule, role,"
               " start, \"end\", value, value_max, unit, canonical, type, json)"
               " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
    [ST_LINK] = "INSERT OR IGNORE INTO task_bodies (task_id, body_id, role) VALUES (?1,?2,?3)",
};

struct vnx_db {
  sqlite3 *db;
  char *path;
  sqlite3_stmt *st[NST]; /* prepared once, reset after each use */
};

static void db_error(vnx_db *h, vnx_error *err, const char *what) {
  vnx_error_set(err, h->path, 0, 0, "%s: %s", what, sqlite3_errmsg(h->db));
}

static int exec(vnx_db *h, const char *sql, vnx_error *err) {
  char *msg = NULL;
  if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
  vnx_error_set(err, h->path, 0, 0, "sqlite: %s", msg ? msg : sqlite3_errmsg(h->db));
  sqlite3_free(msg);
  return -1;
}

static int user_version(vnx_db *h) {
  sqlite3_stmt *st;
  int v = -1;
  if (sqlite3_prepare_v2(h->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

static bool has_tables(vnx_db *h) {
  sqlite3_stmt *st;
  bool any = false;
  if (sqlite3_prepare_v2(h->db, "SELECT 1 FROM sqlite_master LIMIT 1", -1, &st, NULL) != SQLITE_OK)
    return true; /* not an SQLite file: refused below */
  any = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return any;
}

static void free_db(vnx_db *h) {
  for (int i = 0; i < NST; i++) sqlite3_finalize(h->st[i]);
  sqlite3_close(h->db);
  free(h->path);
  free(h);
}

vnx_db *vnx_db_open(const char *path, vnx_error *err) {
  vnx_db *h = vnx_xcalloc(1, sizeof *h);
  h->path = vnx_xstrdup(path);
  if (sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    db_error(h, err, "cannot open database");
    free_db(h);
    return NULL;
  }
  /* another writer (a second run) waits instead of failing at once */
  sqlite3_busy_timeout(h->db, 10000);
  if (exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", err) != 0) {
    free_db(h);
    return NULL;
  }
  int v = user_version(h);
  if (v == 0 && has_tables(h)) {
    vnx_error_set(err, path, 0, 0, "not a vnextract database (tables without a schema version)");
    free_db(h);
    return NULL;
  }
  if (v != 0 && v != SCHEMA_VERSION) {
    vnx_error_set(err, path, 0, 0, "database schema version %d, this vnextract writes version %d", v,
                  SCHEMA_VERSION);
    free_db(h);
    return NULL;
  }
  if (v == 0) {
    char sql[sizeof SCHEMA + 64];
    snprintf(sql, sizeof sql, "BEGIN IMMEDIATE; %s PRAGMA user_version=%d; COMMIT;", SCHEMA,
             SCHEMA_VERSION);
    if (exec(h, sql, err) != 0) {
      sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
      free_db(h);
      return NULL;
    }
  }
  for (int i = 0; i < NST; i++)
    if (sqlite3_prepare_v3(h->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &h->st[i], NULL) != SQLITE_OK) {
      db_error(h, err, "sqlite prepare");
      free_db(h);
      return NULL;
    }
  return h;
}

/* Binds a JSON value: strings as text, numbers as numbers, null/absent as
 * NULL, anything else as its JSON text. */
static void bind_json(sqlite3_stmt *st, int i, const json_t *v) {
  if (!v || json_is_null(v)) sqlite3_bind_null(st, i);
  else if (json_is_string(v))
    sqlite3_bind_text(st, i, json_string_value(v), (int)json_string_length(v), SQLITE_TRANSIENT);
  else if (json_is_integer(v)) sqlite3_bind_int64(st, i, json_integer_value(v));
  else if (json_is_real(v)) sqlite3_bind_double(st, i, json_real_value(v));
  else if (json_is_boolean(v)) sqlite3_bind_int(st, i, json_is_true(v));
  else {
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    sqlite3_bind_text(st, i, s ? s : "null", -1, SQLITE_TRANSIENT);
    vnx_json_free(s);
  }
}

static void bind_text(sqlite3_stmt *st, int i, const char *s) {
  if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(st, i);
}

static bool is_kind(const vnx_record *r, const char *k) { return r->kind && strcmp(r->kind, k) == 0; }

/* Runs a prepared statement that returns no rows. */
static int step_done(vnx_db *h, sqlite3_stmt *st, vnx_error *err, const char *what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc == SQLITE_DONE) return 0;
  db_error(h, err, what);
  return -1;
}

/* The document's deadline ids, computed once and sorted (by id, then
 * record order): tasks look their dates up. */
typedef struct deadline_ids {
  char (*id)[40];
  const vnx_record **rec;
  size_t *ord; /* positions in id/rec, sorted */
  size_t n;
} deadline_ids;

static _Thread_local const deadline_ids *g_sort_di;
static int cmp_deadline_ord(const void *pa, const void *pb) {
  size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
  int c = strcmp(g_sort_di->id[a], g_sort_di->id[b]);
  if (c) return c;
  return a < b ? -1 : a > b;
}

static void deadline_ids_build(const vnx_doc *d, deadline_ids *di) {
  di->id = vnx_xmalloc((d->recs.n + 1) * sizeof *di->id);
  di->rec = vnx_xmalloc((d->recs.n + 1) * sizeof *di->rec);
  di->ord = vnx_xmalloc((d->recs.n + 1) * sizeof *di->ord);
  di->n = 0;
  for (size_t i = 0; i < d->recs.n; i++) {
    if (!is_kind(&d->recs.v[i], "deadline")) continue;
    vnx_record_id(d->stem, &d->recs.v[i], di->id[di->n]);
    di->rec[di->n] = &d->recs.v[i];
    di->ord[di->n] = di->n;
    di->n++;
  }
  g_sort_di = di;
  qsort(di->ord, di->n, sizeof *di->ord, cmp_deadline_ord);
}

/* the first deadline (in record order) with this id, or NULL */
static const vnx_record *find_deadline(const deadline_ids *di, const char *id) {
  if (!id) return NULL;
  size_t lo = 0, hi = di->n; /* first id >= id */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(di->id[di->ord[mid]], id) < 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo < di->n && strcmp(di->id[di->ord[lo]], id) == 0) return di->rec[di->ord[lo]];
  return NULL;
}

static int insert_record(vnx_db *h, const vnx_doc *d, const deadline_ids *di, const vnx_record *r,
                         vnx_error *err) {
  sqlite3_stmt *st = h->st[ST_REC];
  json_t *o = vnx_record_json(d, r);
  const vnx_fields *f = &r->fields;
  char *js = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
  bind_json(st, 1, json_object_get(o, "id"));
  bind_text(st, 2, d->stem);
  bind_text(st, 3, r->kind);
  sqlite3_bind_int64(st, 4, r->line);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)r->start);
  sqlite3_bind_int64(st, 6, (sqlite3_int64)r->end);
  bind_text(st, 7, r->text ? r->text : "");
  bind_text(st, 8, r->rule);
  bind_json(st, 9, vnx_fields_get(f, "role"));
  const vnx_fields *dates = f;
  if (is_kind(r, "task")) {
    const vnx_record *dl = find_deadline(di, json_string_value(vnx_fields_get(f, "deadline")));
    dates = dl ? &dl->fields : NULL;
  }
  bind_json(st, 10, vnx_fields_get(dates, "start"));
  bind_json(st, 11, vnx_fields_get(dates, "end"));
  bind_json(st, 12, vnx_fields_get(f, "value"));
  bind_json(st, 13, vnx_fields_get(f, "value_max"));
  bind_json(st, 14, vnx_fields_get(f, "unit"));
  bind_json(st, 15, vnx_fields_get(f, "canonical"));
  json_t *type = vnx_fields_get(f, "type");
  bind_json(st, 16, type ? type : vnx_fields_get(f, "ref_type"));
  bind_text(st, 17, js ? js : "{}");
  int rc = step_done(h, st, err, "insert record");
  if (rc == 0 && is_kind(r, "task")) {
    static const char *const roles[] = {"lead", "support", "director", "report_to"};
    for (size_t k = 0; k < 4 && rc == 0; k++) {
      size_t i;
      json_t *b;
      json_array_foreach(vnx_fields_get(f, roles[k]), i, b) {
        if (!json_is_string(b)) continue;
        bind_json(h->st[ST_LINK], 1, json_object_get(o, "id"));
        bind_json(h->st[ST_LINK], 2, b);
        bind_text(h->st[ST_LINK], 3, roles[k]);
        if ((rc = step_done(h, h->st[ST_LINK], err, "insert task body")) != 0) break;
      }
    }
  }
  vnx_json_free(js);
  json_decref(o);
  return rc;
}

static int insert_document(vnx_db *h, const vnx_doc *d, const vnx_fields *f, const char *rsha,
                           vnx_error *err) {
  sqlite3_stmt *st = h->st[ST_DOC];
  static const char *const cols[] = {"file", "sha256", "type", "title", "number", "date",
                                     "place", "issuer", "signer", "signer_title", "recipients"};
  bind_text(st, 1, d->stem);
  for (int i = 0; i < 11; i++) bind_json(st, i + 2, vnx_fields_get(f, cols[i]));
  if (!vnx_fields_get(f, "recipients")) bind_text(st, 12, "[]");
  bind_text(st, 13, rsha);
  return step_done(h, st, err, "insert document");
}

int vnx_db_write_document(vnx_db *h, const vnx_doc *d, vnx_error *err) {
  const vnx_record *docrec = NULL;
  for (size_t i = 0; i < d->recs.n && !docrec; i++)
    if (is_kind(&d->recs.v[i], "document")) docrec = &d->recs.v[i];
  const char *sha = docrec ? json_string_value(vnx_fields_get(&docrec->fields, "sha256")) : NULL;
  if (!sha) {
    vnx_error_set(err, d->path, 0, 0, "no document record to write to the database");
    return -1;
  }
  /* the records as JSON Lines, digested: a rule change shows up here */
  char rsha[65];
  {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) abort(); /* out of memory, as vnx_xmalloc */
    vnx_write_jsonl(d, m);
    fclose(m);
    vnx_sha256_hex(buf, len, rsha);
    free(buf);
  }
  /* IMMEDIATE: take the write lock now, so that the sha256 read and the
   * rewrite cannot interleave with another writer */
  if (exec(h, "BEGIN IMMEDIATE", err) != 0) return -1;
  sqlite3_stmt *q = h->st[ST_SHA];
  bind_text(q, 1, d->stem);
  int rc = sqlite3_step(q);
  bool same = rc == SQLITE_ROW && sqlite3_column_text(q, 0) && sqlite3_column_text(q, 1) &&
              strcmp((const char *)sqlite3_column_text(q, 0), sha) == 0 &&
              strcmp((const char *)sqlite3_column_text(q, 1), rsha) == 0;
  sqlite3_reset(q);
  sqlite3_clear_bindings(q);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    db_error(h, err, "read document");
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  if (same) return exec(h, "COMMIT", err) == 0 ? 1 : -1;

  bind_text(h->st[ST_DELETE], 1, d->stem);
  int r = step_done(h, h->st[ST_DELETE], err, "delete document");
  if (r == 0) r = insert_document(h, d, &docrec->fields, rsha, err);
  deadline_ids di;
  deadline_ids_build(d, &di);
  for (size_t i = 0; i < d->recs.n && r == 0; i++) r = insert_record(h, d, &di, &d->recs.v[i], err);
  free(di.id);
  free(di.rec);
  free(di.ord);
  if (r == 0 && exec(h, "COMMIT", err) == 0) return 0;
  sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

int vnx_db_close(vnx_db *h, vnx_error *err) {
  if (!h) return 0;
  for (int i = 0; i < NST; i++) {
    sqlite3_finalize(h->st[i]);
    h->st[i] = NULL;
  }
  /* fold the WAL back into the file, so that FILE alone is the database */
  sqlite3_exec(h->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  int rc = 0;
  if (sqlite3_close(h->db) != SQLITE_OK) {
    vnx_error_set(err, h->path, 0, 0, "cannot close database: %s", sqlite3_errmsg(h->db));
    rc = -1;
  }
  h->db = NULL;
  free(h->path);
  free(h);
  return rc;
}
