/* Unit tests of the normaliser (extract/normalise.c).
 *
 * - table_cases: every case of tests/unit/normalise_cases.tsv (expected
 *   values written from Vietnamese orthography, not from this code's
 *   output); every failing case is printed with its TSV line.
 * - the offset map over the corpus, UTF-8 / NUL errors, lossy mode, BOM,
 *   line ends, footnote marks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "internal.h"

/* ---- helpers ------------------------------------------------------------ */

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *b = vnx_xmalloc(cap + 1);
  size_t r;
  while ((r = fread(b + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) b = vnx_xrealloc(b, (cap *= 2) + 1);
  }
  fclose(f);
  b[n] = 0;
  *len = n;
  return b;
}

/* TSV escapes: \n \t \r \\ \u{XXXX}. Returns malloc'd string, *len set. */
static char *unescape(const char *s, size_t *len) {
  size_t n = strlen(s);
  char *o = vnx_xmalloc(n * 4 + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\' || i + 1 >= n) { o[k++] = s[i]; continue; }
    char c = s[++i];
    if (c == 'n') o[k++] = '\n';
    else if (c == 't') o[k++] = '\t';
    else if (c == 'r') o[k++] = '\r';
    else if (c == '\\') o[k++] = '\\';
    else if (c == 'u' && i + 1 < n && s[i + 1] == '{') {
      char *end;
      long cp = strtol(s + i + 2, &end, 16);
      if (*end == '}') {
        k += (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)o + k);
        i = (size_t)(end - s);
      } else {
        o[k++] = '\\';
        o[k++] = c;
      }
    } else {
      o[k++] = '\\';
      o[k++] = c;
    }
  }
  o[k] = 0;
  *len = k;
  return o;
}

/* Shows control characters of a string for failure messages. */
static void show(FILE *f, const char *s, size_t n) {
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n') fputs("\\n", f);
    else if (c == '\t') fputs("\\t", f);
    else if (c == '\r') fputs("\\r", f);
    else if (c < 0x20) fprintf(f, "\\x%02x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static char *norm(const char *in, size_t len, vnx_tone_style st, size_t *olen) {
  vnx_norm_options opt = {st, false, "test"};
  vnx_text t;
  vnx_error err;
  if (vnx_normalise(in, len, &opt, &t, &err) != 0) return NULL;
  char *r = vnx_xstrndup(t.s, t.len);
  *olen = t.len;
  vnx_text_free(&t);
  return r;
}

/* ---- the table ---------------------------------------------------------- */

static void table_cases(void **state) {
  (void)state;
  const char *path = VNX_TEST_DATA "/unit/normalise_cases.tsv";
  size_t len;
  char *buf = read_all(path, &len);
  assert_non_null(buf);
  unsigned lineno = 0, ncases = 0, nfail = 0;
  char *next = buf;
  while (next && *next) {
    char *line = next;
    char *nl = strchr(line, '\n');
    if (nl) { *nl = 0; next = nl + 1; } else next = NULL;
    lineno++;
    size_t ll = strlen(line);
    if (ll && line[ll - 1] == '\r') line[--ll] = 0;
    if (ll == 0 || line[0] == '#') continue;
    char *cols[4] = {0};
    int nc = 0;
    char *p = line;
    while (nc < 4) {
      cols[nc++] = p;
      char *tab = strchr(p, '\t');
      if (!tab) break;
      *tab = 0;
      p = tab + 1;
    }
    if (nc < 3) {
      fprintf(stderr, "normalise_cases.tsv:%u: malformed line (%d columns)\n", lineno, nc);
      nfail++;
      continue;
    }
    size_t il, el, gl = 0;
    char *in = unescape(cols[1], &il), *exp = unescape(cols[2], &el);
    char *got = NULL;
    const char *mode = cols[0];
    if (strcmp(mode, "classic") == 0 || strcmp(mode, "modern") == 0) {
      got = norm(in, il, mode[0] == 'm' ? VNX_TONE_MODERN : VNX_TONE_CLASSIC, &gl);
    } else if (strcmp(mode, "string-classic") == 0 || strcmp(mode, "string-modern") == 0) {
      got = vnx_normalise_string(in, mode[7] == 'm' ? VNX_TONE_MODERN : VNX_TONE_CLASSIC);
      if (got) gl = strlen(got);
    } else {
      fprintf(stderr, "normalise_cases.tsv:%u: unknown mode '%s'\n", lineno, mode);
      nfail++;
      free(in);
      free(exp);
      continue;
    }
    ncases++;
    if (!got || gl != el || memcmp(got, exp, el) != 0) {
      nfail++;
      fprintf(stderr, "normalise_cases.tsv:%u: %s (%s)\n  input:    ", lineno, mode,
              nc > 3 ? cols[3] : "");
      show(stderr, in, il);
      fputs("\n  expected: ", stderr);
      show(stderr, exp, el);
      fputs("\n  got:      ", stderr);
      if (got) show(stderr, got, gl);
      else fputs("(error)", stderr);
      fputc('\n', stderr);
    }
    free(got);
    free(in);
    free(exp);
  }
  free(buf);
  fprintf(stderr, "normalise_cases.tsv: %u cases, %u failed\n", ncases, nfail);
  assert_true(ncases > 0);
  assert_int_equal(nfail, 0);
}

/* ---- offset map over the corpus ----------------------------------------- */

static bool is_word_byte(const char *s, size_t len, size_t i, size_t *n) {
  utf8proc_int32_t c;
  utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &c);
  *n = r > 0 ? (size_t)r : 1;
  if (r <= 0) return false;
  utf8proc_category_t k = utf8proc_category(c);
  return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_ND);
}

/* Normalising the original bytes of [a, b) gives s[a, b). */
static bool span_round_trips(vnx_text *t, const char *orig, size_t a, size_t b,
                             const char *doc) {
  size_t os, oe;
  vnx_text_orig_span(t, a, b, &os, &oe);
  size_t gl;
  char *g = norm(orig + os, oe - os, VNX_TONE_CLASSIC, &gl);
  bool ok = g && gl == b - a && memcmp(g, t->s + a, gl) == 0;
  if (!ok) {
    fprintf(stderr, "%s: span [%zu,%zu) orig [%zu,%zu)\n  normalised: ", doc, a, b, os, oe);
    show(stderr, t->s + a, b - a);
    fputs("\n  renormalised original: ", stderr);
    if (g) show(stderr, g, gl);
    fputc('\n', stderr);
  }
  free(g);
  return ok;
}

static void corpus_offset_map(void **state) {
  (void)state;
  DIR *d = opendir(VNX_CORPUS_DIR);
  assert_non_null(d);
  struct dirent *e;
  int ndocs = 0;
  size_t nbad = 0, nspans = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", VNX_CORPUS_DIR, e->d_name);
    size_t len;
    char *orig = read_all(path, &len);
    if (!orig) continue;
    ndocs++;
    vnx_norm_options opt = {VNX_TONE_CLASSIC, false, path};
    vnx_text t;
    vnx_error err;
    assert_int_equal(vnx_normalise(orig, len, &opt, &t, &err), 0);
    assert_int_equal(t.orig_len, len);
    assert_int_equal(vnx_text_map_start(&t, t.len), len);
    assert_int_equal(vnx_text_map_end(&t, t.len), len);
    assert_int_equal(t.s[t.len], 0);
    /* every normalised byte maps into the original, monotonically */
    for (size_t i = 0; i < t.len; i++) {
      assert_true(vnx_text_map_start(&t, i) < vnx_text_map_end(&t, i));
      assert_true(vnx_text_map_end(&t, i) <= len);
      if (i) assert_true(vnx_text_map_start(&t, i - 1) <= vnx_text_map_start(&t, i));
    }
    /* spans: every word, and every line that is not a table row */
    size_t i = 0;
    while (i < t.len) {
      size_t n;
      if (!is_word_byte(t.s, t.len, i, &n)) { i += n; continue; }
      size_t j = i + n;
      while (j < t.len && is_word_byte(t.s, t.len, j, &n)) j += n;
      /* the number of a footnote line label "[12] " stands for superscripts */
      if (i > 0 && t.s[i - 1] == '[' && (i == 1 || t.s[i - 2] == '\n') && t.s[j] == ']') {
        i = j;
        continue;
      }
      nspans++;
      if (!span_round_trips(&t, orig, i, j, e->d_name)) nbad++;
      i = j;
    }
    for (size_t a = 0; a < t.len;) {
      const char *nl = memchr(t.s + a, '\n', t.len - a);
      size_t b = nl ? (size_t)(nl - t.s) : t.len;
      if (b > a && !memchr(t.s + a, '\t', b - a)) {
        nspans++;
        if (!span_round_trips(&t, orig, a, b, e->d_name)) nbad++;
      }
      a = b + 1;
    }
    vnx_text_free(&t);
    free(orig);
  }
  closedir(d);
  fprintf(stderr, "corpus: %d documents, %zu spans, %zu differ\n", ndocs, nspans, nbad);
  assert_true(ndocs >= 5);
  assert_int_equal(nbad, 0);
}

/* Text the passes leave as it is: every byte maps to its own code point,
 * and a bad byte is reported at its offset and line, wherever the
 * sequences fall in the sixteen-byte blocks the decoder and the map
 * expansion work in (a sequence may run over a block's end). */
static void verbatim_map_blocks(void **state) {
  (void)state;
  const char *pieces[] = {"a", "\xC6\xB0" /* ư */, "\xE1\xBB\x87" /* ệ */, "\xF0\x9F\x98\x80",
                          ".\n" /* (not joined) */};
  vnx_norm_options opt = {VNX_TONE_CLASSIC, false, "blocks.txt"};
  for (int pad = 0; pad < 20; pad++) {
    for (int rot = 0; rot < 5; rot++) {
      char buf[160];
      size_t n = 0;
      unsigned lines = 1;
      for (int k = 0; k < pad; k++) buf[n++] = 'x';
      for (int k = 0; n < 120; k++) {
        const char *p = pieces[(k + rot) % 5];
        lines += p[0] == '.';
        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
      }
      vnx_text t;
      vnx_error err;
      assert_int_equal(vnx_normalise(buf, n, &opt, &t, &err), 0);
      assert_int_equal(t.len, n);
      assert_memory_equal(t.s, buf, n);
      for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)buf[i];
        size_t cl = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        for (size_t q = i; q < i + cl; q++) {
          assert_int_equal(vnx_text_map_start(&t, q), i);
          assert_int_equal(vnx_text_map_end(&t, q), i + cl);
        }
        i += cl;
      }
      vnx_text_free(&t);
      /* a stray continuation byte after it all */
      buf[n] = (char)0x80;
      memset(&err, 0, sizeof err);
      assert_int_equal(vnx_normalise(buf, n + 1, &opt, &t, &err), -1);
      assert_int_equal(err.byte, n);
      assert_int_equal(err.line, lines);
      /* a sequence cut short by an ASCII byte, at each place of a block */
      for (size_t at = (size_t)pad; at + 3 < n; at++) {
        if (((unsigned char)buf[at] & 0xC0) != 0x80) continue;
        char cut[160];
        memcpy(cut, buf, n);
        cut[at] = 'z';
        size_t lead = at;
        while (((unsigned char)cut[lead] & 0xC0) != 0xC0) lead--;
        memset(&err, 0, sizeof err);
        assert_int_equal(vnx_normalise(cut, n, &opt, &t, &err), -1);
        assert_int_equal(err.byte, lead);
      }
    }
  }
}

/* ---- errors, lossy, BOM, line ends, marks ------------------------------- */

static void invalid_utf8_error(void **state) {
  (void)state;
  const char in[] = "Dòng một\nDòng hai \x9c tiếp\n";
  vnx_norm_options opt = {VNX_TONE_CLASSIC, false, "doc.txt"};
  vnx_text t;
  vnx_error err;
  memset(&err, 0, sizeof err);
  assert_int_equal(vnx_normalise(in, sizeof in - 1, &opt, &t, &err), -1);
  assert_string_equal(err.path, "doc.txt");
  assert_int_equal(err.line, 2);
  assert_int_equal(err.byte, (size_t)(strchr(in, '\x9c') - in));
  assert_non_null(strstr(err.msg, "stray continuation byte 0x9c"));

  /* truncated, overlong, surrogate, above U+10FFFF, on line 3 */
  const char *bad[] = {"\xE1\x80", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                       "\xFF"};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "a\r\nb\rc %s d", bad[k]);
    memset(&err, 0, sizeof err);
    assert_int_equal(vnx_normalise(buf, (size_t)n, &opt, &t, &err), -1);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.byte, 7);
    assert_non_null(strstr(err.msg, "invalid UTF-8"));
  }
  assert_null(vnx_normalise_string("a\xC3", VNX_TONE_CLASSIC));
}

static void nul_byte_error(void **state) {
  (void)state;
  const char in[] = "một\nhai\nba\0bốn";
  vnx_norm_options opt = {VNX_TONE_CLASSIC, false, "nul.txt"};
  vnx_text t;
  vnx_error err;
  assert_int_equal(vnx_normalise(in, sizeof in - 1, &opt, &t, &err), -1);
  assert_int_equal(err.line, 3);
  assert_int_equal(err.byte, 12);
  assert_non_null(strstr(err.msg, "NUL byte"));
}

static void lossy_replacement(void **state) {
  (void)state;
  const char in[] = "Hòa \x9c\x9d bình\n\xE1\x80 x \0 y\xF0\x9F\x98";
  vnx_norm_options opt = {VNX_TONE_CLASSIC, true, "lossy.txt"};
  vnx_text t;
  vnx_error err;
  assert_int_equal(vnx_normalise(in, sizeof in - 1, &opt, &t, &err), 0);
  /* 0x9c, 0x9d: one each; E1 80: one (maximal subpart); NUL; F0 9F 98 */
  assert_int_equal(t.replaced, 5);
  assert_string_equal(t.s, "Hòa \xEF\xBF\xBD\xEF\xBF\xBD bình\n\xEF\xBF\xBD x \xEF\xBF\xBD y\xEF\xBF\xBD");
  vnx_text_free(&t);
}

static void bom_and_line_ends(void **state) {
  (void)state;
  const char in[] = "\xEF\xBB\xBF" "Điều 1.\r\nĐiều 2.\rĐiều 3.\n";
  vnx_text t;
  vnx_error err;
  vnx_norm_options opt = {VNX_TONE_CLASSIC, false, "x"};
  assert_int_equal(vnx_normalise(in, sizeof in - 1, &opt, &t, &err), 0);
  assert_string_equal(t.s, "Điều 1.\nĐiều 2.\nĐiều 3.\n");
  assert_int_equal(vnx_text_map_start(&t, 0), 3); /* after the BOM */
  size_t nl = (size_t)(strchr(t.s, '\n') - t.s);
  assert_int_equal(vnx_text_map_end(&t, nl) - vnx_text_map_start(&t, nl), 2); /* CRLF */
  assert_int_equal(t.replaced, 0);
  vnx_text_free(&t);
  char *s = vnx_normalise_string("\xEF\xBB\xBFthuỷ", VNX_TONE_CLASSIC);
  assert_string_equal(s, "thủy");
  free(s);
}

static void footnote_marks(void **state) {
  (void)state;
  const char in[] = "Ban Thường vụ Thành ủy⁹; kiện toàn¹⁰.\n\n¹⁰ Luân chuyển 10 đồng chí.\n";
  vnx_text t;
  vnx_error err;
  vnx_norm_options opt = {VNX_TONE_CLASSIC, false, "x"};
  assert_int_equal(vnx_normalise(in, sizeof in - 1, &opt, &t, &err), 0);
  assert_string_equal(t.s, "Ban Thường vụ Thành ủy; kiện toàn.\n\n[10] Luân chuyển 10 đồng chí.\n");
  assert_int_equal(t.nmarks, 3);
  assert_int_equal(t.marks[0].number, 9);
  assert_int_equal(t.marks[0].offset, (size_t)(strchr(t.s, ';') - t.s));
  assert_int_equal(t.marks[0].orig, (size_t)(strstr(in, "⁹") - in));
  assert_int_equal(t.marks[1].number, 10);
  assert_int_equal(t.marks[1].offset, (size_t)(strchr(t.s, '.') - t.s));
  assert_int_equal(t.marks[2].number, 10);
  assert_int_equal(t.marks[2].offset, (size_t)(strchr(t.s, '[') - t.s));
  assert_int_equal(t.marks[2].orig, (size_t)(strstr(in, "\n¹⁰") + 1 - in));
  vnx_text_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(table_cases),
    cmocka_unit_test(corpus_offset_map),
    cmocka_unit_test(verbatim_map_blocks),
    cmocka_unit_test(invalid_utf8_error),
    cmocka_unit_test(nul_byte_error),
    cmocka_unit_test(lossy_replacement),
    cmocka_unit_test(bom_and_line_ends),
    cmocka_unit_test(footnote_marks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
