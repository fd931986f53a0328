/* grep_lines.c - what `pcre2grep -c -u -f PATFILE FILE...` does, for the
 * benchmark: per line, the patterns are tried in file order (JIT) until one
 * matches, and the matching lines are counted. pcre2grep refuses patterns
 * longer than 8192 bytes, and the body rules (their gazetteer and name
 * grammar) are longer, so the benchmark runs this beside it with every
 * pattern. On the patterns pcre2grep accepts, run.sh checks that both count
 * the same lines.
 *   usage: grep_lines PATFILE FILE...    prints the number of matching lines */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: grep_lines PATFILE FILE...\n");
    return 2;
  }
  FILE *pf = fopen(argv[1], "r");
  if (!pf) {
    perror(argv[1]);
    return 2;
  }
  pcre2_code **codes = NULL;
  size_t n = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, pf)) >= 0) {
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    int err;
    PCRE2_SIZE eoff;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)line, (PCRE2_SIZE)len, PCRE2_UTF,
                                  &err, &eoff, NULL);
    if (!c) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      fprintf(stderr, "%s: pattern %zu: %s at offset %zu\n", argv[1], n + 1, (char *)msg,
              (size_t)eoff);
      return 2;
    }
    pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* as pcre2grep does when JIT is available */
    codes = realloc(codes, (n + 1) * sizeof *codes);
    if (!codes) return 2;
    codes[n++] = c;
  }
  fclose(pf);
  pcre2_match_data *md = pcre2_match_data_create(1, NULL);
  unsigned long long count = 0;
  for (int a = 2; a < argc; a++) {
    FILE *f = fopen(argv[a], "r");
    if (!f) {
      perror(argv[a]);
      return 2;
    }
    while ((len = getline(&line, &cap, f)) >= 0) {
      if (len > 0 && line[len - 1] == '\n') len--;
      for (size_t i = 0; i < n; i++) {
        if (pcre2_match(codes[i], (PCRE2_SPTR)line, (PCRE2_SIZE)len, 0, 0, md, NULL) >= 0) {
          count++;
          break;
        }
      }
    }
    fclose(f);
  }
  printf("%llu\n", count);
  free(line);
  pcre2_match_data_free(md);
  for (size_t i = 0; i < n; i++) pcre2_code_free(codes[i]);
  free(codes);
  return 0;
}
