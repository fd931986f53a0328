/* write_csv.c - STUB; the outputs work (issue 8) replaces it. */
#include <stdlib.h>
#include "internal.h"
struct vnx_csv { int dummy; };
vnx_csv *vnx_csv_open(const char *dir, vnx_error *err) {
  vnx_error_set(err, dir, 0, 0, "CSV output is not built yet");
  return NULL;
}
int vnx_csv_write_document(vnx_csv *c, const vnx_doc *d, vnx_error *err) { (void)c; (void)d; (void)err; return -1; }
int vnx_csv_close(vnx_csv *c, vnx_error *err) { (void)err; free(c); return 0; }
void vnx_csv_abort(vnx_csv *c) { free(c); }
