/* Unit tests for convert.c (numbers, dates, roman numerals, converters) and
 * a small end-to-end check of the rule engine (rules.c, match.c) on a rule
 * directory written to a temp dir. Expected values are worked out by hand
 * from the rules of rules/README.md, not copied from the code's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <utf8proc.h>

#include "rules_int.h"

/* ---- numbers ----------------------------------------------------------- */

typedef struct {
  const char *s;
  double v;
} numcase;

/* Vietnamese style: '.' groups thousands (exactly three digits follow),
 * ',' is the decimal separator. */
static const numcase vi_ok[] = {
    {"0", 0},
    {"7", 7},
    {"78", 78},
    {"100", 100},
    {"1234", 1234},
    {"3800", 3800},
    {"78.461", 78461},
    {"1.000", 1000},
    {"7.056", 7056},
    {"234.539", 234539},
    {"2.525.000", 2525000},
    {"12.345.678", 12345678},
    {"999.999.999", 999999999},
    {"1.000.000.000", 1e9},
    {"13,25", 13.25},
    {"5,6", 5.6},
    {"0,5", 0.5},
    {"3,0", 3},
    {"10,05", 10.05},
    {"99,99", 99.99},
    {"0,001", 0.001},
    {"100,0", 100},
    {"2,5", 2.5},
    {"2,500", 2.5},
    {"68.398,723", 68398.723},
    {"1.000,5", 1000.5},
    {"1.234.567,89", 1234567.89},
    {"10.023", 10023},
    {"45.000,25", 45000.25},
    {"-5,2", -5.2},
    {"-1.000", -1000},
    {"+7", 7},
    {" 42 ", 42},
    {"007", 7},
    {"0,10", 0.1},
    {"187,76660", 187.7666},
    {"1.5", 1.5},     /* a lone dot not followed by three digits: decimal */
    {"12.5", 12.5},
    {"1.50", 1.5},
    {"1.0000", 1},   /* four digits: not a group, so the fallback decimal */
    {"6.7", 6.7},
    {"11.81", 11.81},
    {"123.456.789.012.345.678", 123456789012345678.0}, /* 18 digits: strtod path */
    {"1,23456789012345678", 1.23456789012345678},
    {"4.000", 4000},
    {"20,1", 20.1},
    {"8,35", 8.35},
    {"1.100,75", 1100.75},
    {"65.000", 65000},
    {"18.450,5", 18450.5},   /* seed 001: Tổng chi NSĐP */
    {"156.168,8", 156168.8}, /* dev 05: tấn */
    {"2.112,5", 2112.5},
};

static const char *vi_bad[] = {
    "", ",5", "1.00.000", "1234.567", "1,2,3", "1.000.00", "abc", "1,", "1.", "12a",
    "1.000,", "--1", "1 000", "1.2.3", "-", "1.000.0000", "1.000.5", "12.34.567",
};

/* English style: ',' groups thousands, '.' is the decimal point. */
static const numcase en_ok[] = {
    {"187,766.60", 187766.6},
    {"11.81", 11.81},
    {"7,056.0", 7056},
    {"234,539", 234539},
    {"3800", 3800},
    {"1,000", 1000},
    {"1,000,000", 1e6},
    {"0.5", 0.5},
    {"12.345", 12.345},
    {"1,234.5", 1234.5},
    {"-3.25", -3.25},
    {"99", 99},
    {"2,525,000", 2525000},
    {"68,398.723", 68398.723},
    {"0.001", 0.001},
    {"100.00", 100},
    {"5.6", 5.6},
    {"13.25", 13.25},
    {"78,461", 78461},
    {"999,999,999.99", 999999999.99},
    {"0", 0},
    {"42", 42},
    {"1.5", 1.5},
    {"10,023", 10023},
    {"6.25", 6.25},
    {"45,000.25", 45000.25},
    {"3.14159", 3.14159},
    {"1,100.75", 1100.75},
    {" 8 ", 8},
    {"2,000.5", 2000.5},
    {"50,495.96", 50495.96},   /* PHỤ LỤC II cells */
    {"100,000.00", 100000},
    {"0.8", 0.8},
};

static const char *en_bad[] = {
    "", "1,23", "1234,567", "1,000.", ".5", "1.2.3", "5,6", "1,0000", "abc", "1,000,00", "1 000",
};

static void numbers_vi(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof vi_ok / sizeof *vi_ok; i++) {
    double v = -12345;
    if (!vnx_parse_number_vi(vi_ok[i].s, strlen(vi_ok[i].s), &v) || v != vi_ok[i].v)
      fail_msg("vi \"%s\": got %.17g, want %.17g", vi_ok[i].s, v, vi_ok[i].v);
  }
  for (size_t i = 0; i < sizeof vi_bad / sizeof *vi_bad; i++) {
    double v;
    if (vnx_parse_number_vi(vi_bad[i], strlen(vi_bad[i]), &v))
      fail_msg("vi \"%s\" should not parse, got %.17g", vi_bad[i], v);
  }
}

static void numbers_en(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof en_ok / sizeof *en_ok; i++) {
    double v = -12345;
    if (!vnx_parse_number_en(en_ok[i].s, strlen(en_ok[i].s), &v) || v != en_ok[i].v)
      fail_msg("en \"%s\": got %.17g, want %.17g", en_ok[i].s, v, en_ok[i].v);
  }
  for (size_t i = 0; i < sizeof en_bad / sizeof *en_bad; i++) {
    double v;
    if (vnx_parse_number_en(en_bad[i], strlen(en_bad[i]), &v))
      fail_msg("en \"%s\" should not parse, got %.17g", en_bad[i], v);
  }
  /* the length argument is honoured: "78.461xyz" cut after 6 bytes */
  double v;
  assert_true(vnx_parse_number_vi("78.461xyz", 6, &v));
  assert_true(v == 78461);
}

/* ---- dates ------------------------------------------------------------- */

static void dates(void **state) {
  (void)state;
  assert_int_equal(vnx_days_in_month(2024, 2), 29);
  assert_int_equal(vnx_days_in_month(2026, 2), 28);
  assert_int_equal(vnx_days_in_month(2000, 2), 29); /* divisible by 400 */
  assert_int_equal(vnx_days_in_month(1900, 2), 28); /* by 100, not 400 */
  assert_int_equal(vnx_days_in_month(2100, 2), 28);
  assert_int_equal(vnx_days_in_month(2026, 1), 31);
  assert_int_equal(vnx_days_in_month(2026, 4), 30);
  assert_int_equal(vnx_days_in_month(2026, 6), 30);
  assert_int_equal(vnx_days_in_month(2026, 9), 30);
  assert_int_equal(vnx_days_in_month(2026, 11), 30);
  assert_int_equal(vnx_days_in_month(2026, 12), 31);
  assert_int_equal(vnx_days_in_month(2026, 0), 0);
  assert_int_equal(vnx_days_in_month(2026, 13), 0);
  assert_true(vnx_date_valid(2024, 2, 29));
  assert_false(vnx_date_valid(2026, 2, 29));
  assert_false(vnx_date_valid(2026, 2, 31));
  assert_false(vnx_date_valid(2026, 4, 31));
  assert_true(vnx_date_valid(2026, 1, 31));
  assert_false(vnx_date_valid(2026, 1, 0));
  assert_false(vnx_date_valid(0, 1, 1));
  assert_false(vnx_date_valid(2026, 13, 1));
  char b[11];
  vnx_iso_date(b, 2026, 5, 3);
  assert_string_equal(b, "2026-05-03");
  vnx_iso_date(b, 1955, 12, 31);
  assert_string_equal(b, "1955-12-31");
}

static void roman(void **state) {
  (void)state;
  static const struct { const char *s; int v; } ok[] = {
      {"I", 1},     {"II", 2},   {"III", 3},    {"IV", 4},     {"V", 5},
      {"IX", 9},    {"X", 10},   {"XIV", 14},   {"XVI", 16},   {"XIX", 19},
      {"XL", 40},   {"XC", 90},  {"CD", 400},   {"CM", 900},   {"MCMXCIV", 1994},
      {"MMXXVI", 2026}, {"MMMM", 4000}, {"iv", 4}, {"xvi", 16}, {"Xiv", 14},
      {"MMMCMXCIX", 3999},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    if (vnx_roman_value(ok[i].s, strlen(ok[i].s)) != ok[i].v)
      fail_msg("roman %s: got %d want %d", ok[i].s, vnx_roman_value(ok[i].s, strlen(ok[i].s)), ok[i].v);
  static const char *bad[] = {"", "IIII", "VX", "IC", "IL", "VV", "XXXX", "MMMMI", "MMMMM", "ABC",
                              "1", "IVI", "XM"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (vnx_roman_value(bad[i], strlen(bad[i])) != 0) fail_msg("roman %s should be 0", bad[i]);
  assert_int_equal(vnx_roman_value("IVX", 2), 4); /* only n bytes are read */
}

/* ---- a rule directory in a temp dir ------------------------------------ */

static char tmpdir[64];

static void write_file(const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static const char *units_tsv =
    "# test units\n"
    "%\tphần trăm\n"
    "tỷ đồng\ttỉ đồng\ttỷ VNĐ\n"
    "nghìn tỷ đồng\tngàn tỷ đồng\n"
    "ha\thécta\n";

static const char *engine_rules =
    "define NUM (?<![0-9.,])[0-9]{1,3}(?:\\.[0-9]{3})+(?:,[0-9]+)?|[0-9]+(?:,[0-9]+)?\n"
    "rule e.short\n"
    "  kind      deadline\n"
    "  needs     tháng\n"
    "  pattern   tháng\\s+(?<m>[0-9]+)\n"
    "  set       m = number(m)\n"
    "rule e.long\n"
    "  kind      deadline\n"
    "  needs     tháng\n"
    "  pattern   tháng\\s+(?<m>[0-9]+)/(?<y>[0-9]{4})\n"
    "  set       start, end = month(m, y)\n"
    "rule e.skip\n"
    "  kind      deadline\n"
    "  action    skip\n"
    "  needs     kỳ\n"
    "  pattern   nhiệm\\s+kỳ\\s+[0-9]{4}\\s*-\\s*[0-9]{4}\n"
    "rule e.year\n"
    "  kind      deadline\n"
    "  needs     20\n"
    "  pattern   (?<y>20[0-9]{2})\n"
    "  set       start, end = year(y)\n"
    "rule e.unit\n"
    "  kind      indicator\n"
    "  options   caseless\n"
    "  needs     đạt\n"
    "  pattern   đạt\\s+(?<span>(?<v>{NUM})\\s+(?<u>{@units}))\n"
    "  set       value = number(v)\n"
    "  set       unit = unit(u)\n"
    "  set       canon = canonical(u, units)\n"
    "  set       low = lower(u)\n"
    "  set       source = \"báo cáo\"\n"
    "rule e.baddate\n"
    "  kind      deadline\n"
    "  needs     ngày\n"
    "  pattern   ngày\\s+(?<d>[0-9]+)/(?<m>[0-9]+)(?:/(?<y>[0-9]{4}))?\n"
    "  set       end = date(d, m, y)\n";

static vnx_ruleset *rs;

static int setup(void **state) {
  (void)state;
  strcpy(tmpdir, "/tmp/vnx-test-convert-XXXXXX");
  if (!mkdtemp(tmpdir)) return -1;
  write_file("units.tsv", units_tsv);
  write_file("engine.rules", engine_rules);
  int nerr = 0;
  rs = vnx_rules_load(tmpdir, VNX_TONE_CLASSIC, stderr, &nerr);
  return rs && nerr == 0 ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  vnx_rules_free(rs);
  char path[256];
  snprintf(path, sizeof path, "%s/units.tsv", tmpdir);
  unlink(path);
  snprintf(path, sizeof path, "%s/engine.rules", tmpdir);
  unlink(path);
  rmdir(tmpdir);
  return 0;
}

/* Runs converter name on string arguments (NULL = unset group); returns the
 * values rendered as "a|b" or "FAIL: reason". */
static char result[256];
static vnx_gaz_memo *memo; /* passed to vnx_conv_run (NULL: none) */
static const char *conv(const char *name, bool *inferred, int nargs, ...) {
  vnx_doc doc;
  memset(&doc, 0, sizeof doc);
  doc.year = 2026;
  doc.month = 5;
  doc.day = 15;
  vnx_carg a[VNX_MAX_ARGS];
  va_list ap;
  va_start(ap, nargs);
  for (int i = 0; i < nargs; i++) {
    a[i].s = va_arg(ap, const char *);
    a[i].n = a[i].s ? strlen(a[i].s) : 0;
  }
  va_end(ap);
  int c = vnx_conv_find(name);
  assert_true(c >= 0);
  json_t *out[2] = {NULL, NULL};
  char why[200];
  bool inf = false;
  if (!vnx_conv_run(rs, c, a, nargs, &doc, memo, out, &inf, why, sizeof why)) {
    snprintf(result, sizeof result, "FAIL: %s", why);
    return result;
  }
  if (inferred) *inferred = inf;
  result[0] = 0;
  for (int i = 0; i < vnx_conv_get(c)->nvals; i++) {
    char *d = json_dumps(out[i], JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (i) strcat(result, "|");
    strncat(result, d, sizeof result - strlen(result) - 1);
    vnx_json_free(d);
    json_decref(out[i]);
  }
  return result;
}

static void converters(void **state) {
  (void)state;
  bool inf = false;
  assert_string_equal(conv("date", &inf, 3, "13", "5", "2026"), "\"2026-05-13\"");
  assert_false(inf);
  assert_string_equal(conv("date", &inf, 3, "20", "6", NULL), "\"2026-06-20\"");
  assert_true(inf);
  assert_string_equal(conv("date", NULL, 2, "02", "09"), "\"2026-09-02\"");
  assert_string_equal(conv("date", NULL, 3, "31", "2", "2026"), "FAIL: invalid date 31/2/2026");
  assert_string_equal(conv("date", NULL, 3, "29", "2", "2024"), "\"2024-02-29\"");
  assert_string_equal(conv("date", NULL, 3, "1", "13", "2026"), "FAIL: not a month: 13");
  assert_string_equal(conv("month", NULL, 2, "2", "2024"), "\"2024-02-01\"|\"2024-02-29\"");
  assert_string_equal(conv("month", &inf, 1, "4"), "\"2026-04-01\"|\"2026-04-30\"");
  assert_true(inf);
  assert_string_equal(conv("month", NULL, 2, "IV", "2026"), "\"2026-04-01\"|\"2026-04-30\"");
  assert_string_equal(conv("months", NULL, 3, "4", "5", "2026"), "\"2026-04-01\"|\"2026-05-31\"");
  assert_string_equal(conv("months", NULL, 3, "7", "12", "2017"), "\"2017-07-01\"|\"2017-12-31\"");
  assert_string_equal(conv("months", NULL, 3, "5", "4", "2026"), "FAIL: month range reversed: 5-4");
  assert_string_equal(conv("quarter", NULL, 2, "II", "2026"), "\"2026-04-01\"|\"2026-06-30\"");
  assert_string_equal(conv("quarter", NULL, 2, "4", "2017"), "\"2017-10-01\"|\"2017-12-31\"");
  assert_string_equal(conv("quarter", NULL, 2, "i", "2026"), "\"2026-01-01\"|\"2026-03-31\"");
  assert_string_equal(conv("quarter", &inf, 1, "III"), "\"2026-07-01\"|\"2026-09-30\"");
  assert_true(inf);
  assert_string_equal(conv("quarter", NULL, 2, "V", "2026"), "FAIL: not a quarter: V");
  assert_string_equal(conv("quarters", NULL, 4, "II", "2026", "IV", "2029"),
                      "\"2026-04-01\"|\"2029-12-31\"");
  assert_string_equal(conv("quarters", &inf, 4, "I", NULL, "IV", "2026"),
                      "\"2026-01-01\"|\"2026-12-31\"");
  assert_false(inf);
  assert_string_equal(conv("year", NULL, 1, "2025"), "\"2025-01-01\"|\"2025-12-31\"");
  assert_string_equal(conv("year_start", NULL, 1, "2030"), "\"2030-01-01\"");
  assert_string_equal(conv("year_end", NULL, 1, "2017"), "\"2017-12-31\"");
  assert_string_equal(conv("year_end", &inf, 1, NULL), "\"2026-12-31\"");
  assert_true(inf);
  assert_string_equal(conv("first_months", NULL, 2, "6", "2026"), "\"2026-01-01\"|\"2026-06-30\"");
  assert_string_equal(conv("first_months", NULL, 2, "2", "2028"), "\"2028-01-01\"|\"2028-02-29\"");
  assert_string_equal(conv("number", NULL, 1, "78.461"), "78461");
  assert_string_equal(conv("number", NULL, 1, "13,25"), "13.25");
  assert_string_equal(conv("number", NULL, 1, "1,2,3"), "FAIL: not a number: 1,2,3");
  assert_string_equal(conv("number_en", NULL, 1, "187,766.60"), "187766.6");
  assert_string_equal(conv("unit", NULL, 1, "tỷ đồng"), "\"tỷ đồng\"");
  assert_string_equal(conv("unit", NULL, 1, "Tỉ  đồng"), "\"tỷ đồng\"");
  assert_string_equal(conv("unit", NULL, 1, "phần trăm"), "\"%\"");
  assert_string_equal(conv("unit", NULL, 1, "con"), "FAIL: unknown unit: con");
  assert_string_equal(conv("canonical", NULL, 2, "ngàn tỷ đồng", "units"), "\"nghìn tỷ đồng\"");
  assert_string_equal(conv("canonical", NULL, 2, "con", "units"), "null");
  assert_string_equal(conv("lower", NULL, 1, "ỦY BAN Nhân Dân"), "\"ủy ban nhân dân\"");
  assert_int_equal(vnx_conv_find("nope"), -1);
  /* the same answers with a memo: looked up the first time, remembered after */
  memo = vnx_gaz_memo_new();
  for (int k = 0; k < 2; k++) {
    assert_string_equal(conv("unit", NULL, 1, "Tỉ  đồng"), "\"tỷ đồng\"");
    assert_string_equal(conv("unit", NULL, 1, "tỷ đồng"), "\"tỷ đồng\"");
    assert_string_equal(conv("unit", NULL, 1, "con"), "FAIL: unknown unit: con");
    assert_string_equal(conv("canonical", NULL, 2, "ngàn tỷ đồng", "units"), "\"nghìn tỷ đồng\"");
    assert_string_equal(conv("canonical", NULL, 2, "con", "units"), "null");
  }
  vnx_gaz_memo_free(memo);
  memo = NULL;
}

/* ---- the engine end to end --------------------------------------------- */

static const vnx_record *find(const vnx_doc *d, const char *rule, size_t k) {
  for (size_t i = 0; i < d->recs.n; i++)
    if (d->recs.v[i].rule && strcmp(d->recs.v[i].rule, rule) == 0 && k-- == 0) return &d->recs.v[i];
  return NULL;
}

static const char *field(const vnx_record *r, const char *k) {
  json_t *v = vnx_fields_get(&r->fields, k);
  static char b[128];
  char *s = json_dumps(v, JSON_ENCODE_ANY);
  snprintf(b, sizeof b, "%s", s ? s : "(absent)");
  vnx_json_free(s);
  return b;
}

static void engine(void **state) {
  (void)state;
  const char *text =
      "Hoàn thành tháng 5/2026, nhiệm kỳ 2025 - 2030.\n"
      "Thu ngân sách đạt 78.461 Tỉ đồng; ngày 31/2/2026.\n"
      "trước ngày 20/6\n";
  vnx_options opt;
  memset(&opt, 0, sizeof opt);
  opt.doc_date = "2026-05-15";
  vnx_matcher *m = vnx_matcher_new(rs);
  vnx_doc doc;
  memset(&doc, 0, sizeof doc);
  vnx_error err;
  char *wb = NULL;
  size_t wl = 0;
  FILE *w = open_memstream(&wb, &wl);
  assert_int_equal(vnx_process_buffer("t.txt", text, strlen(text), &opt, m, &doc, &err, w), 0);
  fclose(w);

  /* the longer match wins: e.long, not e.short; "2026" inside it is taken */
  const vnx_record *r = find(&doc, "e.long", 0);
  assert_non_null(r);
  assert_string_equal(r->text, "tháng 5/2026");
  assert_string_equal(field(r, "start"), "\"2026-05-01\"");
  assert_string_equal(field(r, "end"), "\"2026-05-31\"");
  assert_int_equal(r->line, 1);
  assert_null(find(&doc, "e.short", 0));
  /* the skip rule claims "nhiệm kỳ 2025 - 2030": no year record inside it */
  assert_null(find(&doc, "e.year", 0));
  assert_null(find(&doc, "e.skip", 0));

  r = find(&doc, "e.unit", 0);
  assert_non_null(r);
  assert_string_equal(r->kind, "indicator");
  assert_string_equal(r->text, "78.461 Tỉ đồng");
  assert_string_equal(field(r, "value"), "78461");
  assert_string_equal(field(r, "unit"), "\"tỷ đồng\"");
  assert_string_equal(field(r, "canon"), "\"tỷ đồng\"");
  assert_string_equal(field(r, "low"), "\"tỉ đồng\"");
  assert_string_equal(field(r, "source"), "\"báo cáo\"");
  assert_int_equal(r->line, 2);
  assert_int_equal(r->nend - r->nstart, strlen("78.461 Tỉ đồng"));

  /* an impossible date: the record stays, the field is null */
  r = find(&doc, "e.baddate", 0);
  assert_non_null(r);
  assert_string_equal(field(r, "end"), "null");
  assert_string_equal(field(r, "unresolved"), "\"invalid date 31/2/2026\"");
  assert_non_null(strstr(wb, "t.txt:2: warning: rule e.baddate: invalid date 31/2/2026"));
  /* implicit year from the document date */
  r = find(&doc, "e.baddate", 1);
  assert_non_null(r);
  assert_string_equal(field(r, "end"), "\"2026-06-20\"");
  assert_string_equal(field(r, "year_inferred"), "true");

  assert_int_equal(vnx_matcher_hits(m, 1), 1); /* e.long */
  assert_int_equal(vnx_matcher_hits(m, 2), 1); /* e.skip */
  assert_int_equal(vnx_matcher_hits(m, 0), 0); /* e.short lost to e.long */
  vnx_doc_free(&doc);
  vnx_matcher_free(m);
  free(wb);
}

/* ---- folding ----------------------------------------------------------- */

/* vnx_fold_lower reads two- and three-byte characters from a table: each
 * code point of the planes it covers (and a few beyond) folds as
 * utf8proc_tolower says; bytes that are not UTF-8 are copied one by one. */
static void fold_lower(void **state) {
  (void)state;
  char *buf = NULL;
  size_t cap = 0;
  for (utf8proc_int32_t cp = 1; cp < 0x3000; cp++) {
    if (!utf8proc_codepoint_valid(cp)) continue;
    utf8proc_uint8_t in[8], want[8];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, in);
    utf8proc_ssize_t wn = utf8proc_encode_char(utf8proc_tolower(cp), want);
    size_t got = vnx_fold_lower((const char *)in, (size_t)n, &buf, &cap);
    if (got != (size_t)wn || memcmp(buf, want, (size_t)wn) != 0)
      fail_msg("U+%04X folds wrong", (unsigned)cp);
  }
  /* "Sở TÀI CHÍNH" and broken sequences: a lone lead, a lone continuation,
   * an overlong E0 80 80, a surrogate ED A0 80, a truncated E1 BB */
  const char *in = "S\xe1\xbb\x9f T\xc3\x80I \xc3 \x80 \xe0\x80\x80 \xed\xa0\x80 \xe1\xbb";
  const char *want = "s\xe1\xbb\x9f t\xc3\xa0i \xc3 \x80 \xe0\x80\x80 \xed\xa0\x80 \xe1\xbb";
  size_t got = vnx_fold_lower(in, strlen(in), &buf, &cap);
  assert_int_equal(got, strlen(want));
  assert_memory_equal(buf, want, got);
  free(buf);
}

int main(void) {
  const struct CMUnitTest t[] = {
      cmocka_unit_test(numbers_vi), cmocka_unit_test(numbers_en), cmocka_unit_test(dates),
      cmocka_unit_test(roman),      cmocka_unit_test(converters), cmocka_unit_test(engine),
      cmocka_unit_test(fold_lower),
  };
  return cmocka_run_group_tests(t, setup, teardown);
}
