/* segment.c - sections, items, tables, footnotes (issue 6). For now the
 * segmenter records nothing beyond what the records need. */
#include "internal.h"
void vnx_segment(vnx_doc *d) { (void)d; }
void vnx_segments_free(struct vnx_segments *s) { (void)s; }
