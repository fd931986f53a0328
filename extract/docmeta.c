/* docmeta.c - STUB; the document metadata work (issue 8) replaces it. */
#include "internal.h"
void vnx_document_fields(const vnx_doc *d, json_t *fields) { (void)d; (void)fields; }
