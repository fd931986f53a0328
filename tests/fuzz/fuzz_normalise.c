/* Fuzz target: the UTF-8 decoder and the whole normaliser, both tone
 * styles, strict and lossy, and the rule-string form. Checks the offset
 * map's invariants on every input that normalises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (int mode = 0; mode < 4; mode++) {
    vnx_norm_options o = {.tone_style = mode & 1 ? VNX_TONE_MODERN : VNX_TONE_CLASSIC,
                          .lossy = mode >= 2, .path = "fuzz"};
    vnx_text t;
    vnx_error err;
    if (vnx_normalise((const char *)data, size, &o, &t, &err) == 0) {
      if (vnx_text_map_start(&t, t.len) != size || strlen(t.s) != t.len) abort();
      for (size_t i = 0; i < t.len; i++)
        if (vnx_text_map_start(&t, i) > vnx_text_map_end(&t, i) || vnx_text_map_end(&t, i) > size) abort();
      vnx_text_free(&t);
    } else if (o.lossy) {
      abort(); /* lossy mode never refuses a document */
    }
  }
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = '\0';
  free(vnx_normalise_string(s, VNX_TONE_CLASSIC));
  free(vnx_normalise_string(s, VNX_TONE_MODERN));
  free(s);
  return 0;
}
