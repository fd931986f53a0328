/* Fuzz target: the rule engine's start strings against the plain search.
 * match.c tries a rule only where one of its start strings (read off the
 * pattern by rules_start.c) occurs, and a rule with a prefix not from
 * starts that would run over a byte it never consumes (vnx_pattern_stops);
 * VNX_NO_STARTS=1 VNX_NO_STOPS=1 searches every rule the plain way. Both
 * must give the same records for any input; a
 * difference aborts with both outputs. The one allowed difference: a
 * pattern that hits pcre2's match limit (counted per search in one mode,
 * per anchored try in the other) — such inputs are skipped. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static vnx_ruleset *rules;
static vnx_matcher *with_starts, *plain;

/* The records as JSON Lines, and the warnings, in memory. */
static char *run(vnx_matcher *m, const uint8_t *data, size_t size, char **warnings) {
  char *out = NULL, *w = NULL;
  size_t outn = 0, wn = 0;
  FILE *o = open_memstream(&out, &outn), *wf = open_memstream(&w, &wn);
  if (!o || !wf) abort();
  vnx_options opt = {.norm = {.lossy = size & 1}};
  vnx_doc d;
  vnx_error err;
  if (vnx_process_buffer("fuzz.txt", (const char *)data, size, &opt, m, &d, &err, wf) == 0)
    vnx_write_jsonl(&d, o);
  else
    fprintf(o, "error: %s\n", err.msg);
  vnx_doc_free(&d);
  fclose(o);
  fclose(wf);
  *warnings = w;
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!rules) {
    int nerr = 0;
    rules = vnx_rules_load(VNX_SOURCE_RULES_DIR, VNX_TONE_CLASSIC, stderr, &nerr);
    if (!rules) abort();
    with_starts = vnx_matcher_new(rules);
    setenv("VNX_NO_STARTS", "1", 1); /* read when a matcher is made */
    setenv("VNX_NO_STOPS", "1", 1);
    plain = vnx_matcher_new(rules);
    unsetenv("VNX_NO_STARTS");
    unsetenv("VNX_NO_STOPS");
  }
  char *wa, *wb;
  char *a = run(with_starts, data, size, &wa), *b = run(plain, data, size, &wb);
  bool limit = strstr(wa, "match limit") || strstr(wb, "match limit");
  if (!limit && strcmp(a, b) != 0) {
    fprintf(stderr, "start strings and the plain search disagree\n--- with start strings:\n%s"
                    "--- plain:\n%s", a, b);
    abort();
  }
  free(a);
  free(b);
  free(wa);
  free(wb);
  return 0;
}
