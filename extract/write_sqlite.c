/* write_sqlite.c - STUB; the outputs work (issue 8) replaces it. */
#include <stdlib.h>
#include "internal.h"
struct vnx_db { int dummy; };
vnx_db *vnx_db_open(const char *path, vnx_error *err) {
  vnx_error_set(err, path, 0, 0, "SQLite output is not built yet");
  return NULL;
}
int vnx_db_write_document(vnx_db *db, const vnx_doc *d, vnx_error *err) { (void)db; (void)d; (void)err; return -1; }
int vnx_db_close(vnx_db *db, vnx_error *err) { (void)err; free(db); return 0; }
