/* vnx_pattern_stops (rules_start.c): the ASCII bytes a pattern never
 * consumes outside lookarounds. match.c rules out the starts of a rule with
 * a prefix that would have to run over one, so the set must never hold a
 * byte the pattern can consume (that would lose matches); the differential
 * check of the same rule over the corpus is tests/rules/starts.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "rules_int.h"

static bool stops(const char *pat, uint64_t s[2]) {
  return vnx_pattern_stops(pat, strlen(pat), s);
}

static bool has(const uint64_t s[2], unsigned char c) { return s[c >> 6] >> (c & 63) & 1; }

/* the bytes of each must be consumable (not stops), of each of stopped stops */
static void check(const char *pat, const char *consumed, const char *stopped) {
  uint64_t s[2];
  assert_true(stops(pat, s));
  for (const char *c = consumed; *c; c++)
    if (has(s, (unsigned char)*c)) fail_msg("%s: '%c' is consumed, not a stop", pat, *c);
  for (const char *c = stopped; *c; c++)
    if (!has(s, (unsigned char)*c)) fail_msg("%s: '%c' should be a stop", pat, *c);
}

static void literals_and_case(void **state) {
  (void)state;
  /* letters in either case: (?i) is not followed, so both are taken */
  check("abc", "abcABC", ";.,:() dxyz");
  check("(?i)Sở\\s+Y", "SsYy \t", ";.d");
  check("x\\;y\\.z", "xyz;.", ",:");
  check("a\\x3Bb\\x{2E}", "ab;.", ",");
  check("\\Q;(\\Ez", ";(zZ", ".)");
}

static void classes(void **state) {
  (void)state;
  check("[;,]x", ";,x", ".:");
  check("[a-c]", "abcABC", "d;");
  /* a negated class consumes what it does not list */
  check("[^;]x", ".,:(x", ";");
  check("[\\p{L}\\p{N},\\-]+", "aZ09,-", ";.:");
  check("[ \\x{A0}]+", " ", ";.\t");
  /* a negated class with a property it cannot list exactly: any byte */
  uint64_t s[2];
  assert_false(stops("[^\\p{Lu}]", s));
  assert_false(stops("a.b", s)); /* the dot */
  assert_false(stops("\\S", s));
}

static void lookarounds_consume_nothing(void **state) {
  (void)state;
  check("(?=[^;]*;)ab", "ab", ";.");
  check("(?<![\\p{L}\\p{N}/.,])x(?![\\p{L}])", "x", "/.,;");
  check("(?<!;)(?:a|b(?!\\.))", "ab", ";.");
  /* groups and quantifiers: braces of a quantifier are not bytes */
  check("(?<n>[0-9]{1,5})\\s*%", "0123456789 %", "{},;");
  check("a{x", "a{x", "}");
  check("(?:(?i:các)\\s+)?(?#note;)b", "cCbB ", ";");
}

static void what_it_does_not_follow(void **state) {
  (void)state;
  uint64_t s[2];
  assert_false(stops("(a)\\1", s));              /* a backreference */
  assert_false(stops("(?<g>a)\\k<g>", s));
  assert_false(stops("(?(1)a|b)", s));           /* a condition */
  assert_false(stops("(*UTF)a", s));             /* a verb */
  assert_false(stops("(?=(?<g>;))(?&g)", s));    /* a call of a group in a lookaround */
  assert_false(stops("(a", s));                  /* unbalanced */
  assert_false(stops("a)", s));
  /* a call of a group outside lookarounds: its bytes are where it is */
  check("(?<g>x;)(?:,(?&g))?", "x;,", ".");
}

/* What a first version of the reader got wrong (a review found them): each
 * made a byte the pattern consumes a stop, and lost matches. */
static void review_cases(void **state) {
  (void)state;
  /* pcre2 10.42 reads "{,2}" and "{1,2,3}" as text, not as a quantifier */
  check("a{,2}bq", "a{,2}bq", ";");
  check("a{1,2,3}", "a{1,2,3}", ";");
  check("a{2}b{3,}c{1,4}", "abc", "{},;");
  /* a negated class lists an escaped letter as itself only: A is consumed */
  check("z[^\\x61]w", "zwA", "a");
  check("[^\\x41-\\x5a]", "az;", "AZ");
  /* a backspace in a class */
  uint64_t s[2];
  assert_true(stops("[\\b]x", s));
  assert_false(has(s, 8));
  /* "(?<" that is not a name: not followed */
  assert_false(stops("(?<*\\w)[^;]*;\\s*(?<span>xy)", s));
  assert_false(stops("(?<1a>x)", s));
  /* the Kelvin sign and the long s match k and s under (?i) */
  check("(?i)\xE2\x84\xAA", "kK", ";");
  check("(?i)\xC5\xBF", "sS", ";");
  check("(?i)\\x{212A}", "kK", ";");
  check("[\xC3\x80-\xE1\xBB\xB9]", "kKsS", ";.");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(literals_and_case),
      cmocka_unit_test(classes),
      cmocka_unit_test(lookarounds_consume_nothing),
      cmocka_unit_test(what_it_does_not_follow),
      cmocka_unit_test(review_cases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
