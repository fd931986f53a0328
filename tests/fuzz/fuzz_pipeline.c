/* Fuzz target: the whole pipeline on one document, with the project's
 * rules (loaded once per process, as the CLI does). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static vnx_ruleset *rules;
static vnx_matcher *matcher;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!rules) {
    int nerr = 0;
    rules = vnx_rules_load(VNX_SOURCE_RULES_DIR, VNX_TONE_CLASSIC, stderr, &nerr);
    if (!rules) abort();
    matcher = vnx_matcher_new(rules);
  }
  FILE *sink = fopen("/dev/null", "w");
  vnx_options opt = {.norm = {.lossy = size & 1}};
  vnx_doc d;
  vnx_error err;
  if (vnx_process_buffer("fuzz.txt", (const char *)data, size, &opt, matcher, &d, &err, sink) == 0)
    vnx_write_jsonl(&d, sink);
  vnx_doc_free(&d);
  fclose(sink);
  return 0;
}
