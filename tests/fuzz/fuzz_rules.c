/* Fuzz target: the rule-file parser and compiler. The input becomes one
 * .rules file in a private directory; loading must report, never crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static char dir[64];
static char path[96];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/vnx-fuzz-rules-%ld", (long)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/fuzz.rules", dir);
  }
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  FILE *sink = fopen("/dev/null", "w");
  int nerr = 0;
  vnx_ruleset *rs = vnx_rules_load(dir, VNX_TONE_CLASSIC, sink, &nerr);
  if (rs) {
    /* A rule set that loads must also run its examples without crashing. */
    vnx_rules_test(rs, sink);
    vnx_rules_free(rs);
  }
  fclose(sink);
  return 0;
}
