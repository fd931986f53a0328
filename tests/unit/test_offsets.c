/* The offset-map property over the whole corpus: for every record of every
 * corpus document, normalising the original bytes of its span gives the
 * record's text (up to white space, which layout joining may fold), and its
 * line is the line of the span start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Collapse every run of white space to one space and trim the ends. */
static char *fold_space(const char *s, size_t n) {
  char *o = vnx_xmalloc(n + 1);
  size_t k = 0;
  bool space = false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = k > 0;
      continue;
    }
    if (space) o[k++] = ' ';
    space = false;
    o[k++] = c;
  }
  o[k] = '\0';
  return o;
}

static void corpus_spans_round_trip(void **state) {
  (void)state;
  int nerr = 0;
  vnx_ruleset *rs = vnx_rules_load(VNX_SOURCE_RULES_DIR, VNX_TONE_CLASSIC, stderr, &nerr);
  assert_non_null(rs);
  vnx_matcher *m = vnx_matcher_new(rs);
  vnx_pathlist docs = {0};
  char *dirs[] = {VNX_CORPUS_DIR};
  assert_int_equal(vnx_collect_inputs(dirs, 1, &docs, stderr), 0);
  assert_true(docs.n >= 5);
  size_t checked = 0, bad = 0;
  vnx_options opt = {0};
  for (size_t i = 0; i < docs.n; i++) {
    vnx_doc d;
    vnx_error err;
    assert_int_equal(vnx_process_file(docs.v[i], &opt, m, &d, &err, stderr), 0);
    for (size_t r = 0; r < d.recs.n; r++) {
      const vnx_record *rec = &d.recs.v[r];
      if (strcmp(rec->kind, "document") == 0) continue;
      checked++;
      assert_true(rec->start <= rec->end && rec->end <= d.orig_len);
      if (vnx_doc_line_of(&d, rec->start) != rec->line) {
        fprintf(stderr, "%s: record at %zu: line %u, span starts on line %u\n", d.stem,
                rec->start, rec->line, vnx_doc_line_of(&d, rec->start));
        bad++;
      }
      vnx_text t;
      vnx_norm_options no = {0};
      if (vnx_normalise(d.orig + rec->start, rec->end - rec->start, &no, &t, &err) != 0) {
        fprintf(stderr, "%s:%u: span does not normalise: %s\n", d.stem, rec->line, err.msg);
        bad++;
        continue;
      }
      char *want = fold_space(rec->text, strlen(rec->text));
      char *got = fold_space(t.s, t.len);
      if (strcmp(want, got) != 0) {
        fprintf(stderr, "%s:%u: %s record text \"%s\" but its span normalises to \"%s\"\n",
                d.stem, rec->line, rec->kind, want, got);
        bad++;
      }
      free(want);
      free(got);
      vnx_text_free(&t);
    }
    vnx_doc_free(&d);
  }
  fprintf(stderr, "offset map: %zu records checked, %zu bad\n", checked, bad);
  vnx_pathlist_free(&docs);
  vnx_matcher_free(m);
  vnx_rules_free(rs);
  assert_int_equal(bad, 0);
}

/* Every normalised byte maps into the original, and maps are monotone. */
static void corpus_maps_are_monotone(void **state) {
  (void)state;
  vnx_pathlist docs = {0};
  char *dirs[] = {VNX_CORPUS_DIR};
  assert_int_equal(vnx_collect_inputs(dirs, 1, &docs, stderr), 0);
  for (size_t i = 0; i < docs.n; i++) {
    char *buf;
    size_t len;
    vnx_error err;
    assert_int_equal(vnx_read_file(docs.v[i], &buf, &len, &err), 0);
    vnx_text t;
    vnx_norm_options no = {0};
    assert_int_equal(vnx_normalise(buf, len, &no, &t, &err), 0);
    assert_int_equal(vnx_text_map_start(&t, t.len), len);
    for (size_t k = 0; k < t.len; k++) {
      assert_true(vnx_text_map_start(&t, k) <= vnx_text_map_end(&t, k));
      assert_true(vnx_text_map_end(&t, k) <= len);
      if (k) assert_true(vnx_text_map_start(&t, k - 1) <= vnx_text_map_start(&t, k));
    }
    vnx_text_free(&t);
    free(buf);
  }
  vnx_pathlist_free(&docs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(corpus_maps_are_monotone),
      cmocka_unit_test(corpus_spans_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
