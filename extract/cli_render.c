/* cli_render.c - STUB; the explain/render work (issue 10) replaces it. */
#include "internal.h"
int vnx_cli_explain(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "vnextract explain: not built yet\n"); return 2; }
int vnx_cli_render(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "vnextract render: not built yet\n"); return 2; }
