/* link.c - task records and their links to bodies, deadlines, indicators
 * (issue 6). Not built yet: no task records are produced. */
#include "internal.h"
void vnx_link(vnx_doc *d) { (void)d; }
