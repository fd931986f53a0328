/* convert.c - date and number primitives and the fixed converter set of
 * rules/README.md ("set end = date(d, m, y)"). */
#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "rules_int.h"

/* ---- dates ------------------------------------------------------------- */

int vnx_days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return d[m - 1];
}

bool vnx_date_valid(int y, int m, int d) {
  return y >= 1 && y <= 9999 && d >= 1 && d <= vnx_days_in_month(y, m);
}

void vnx_iso_date(char out[11], int y, int m, int d) {
  /* The modulo keeps the compiler's truncation analysis quiet; callers pass
   * valid dates. */
  int v[3] = {((y % 10000) + 10000) % 10000, ((m % 100) + 100) % 100, ((d % 100) + 100) % 100};
  /* "%04d-%02d-%02d" digit by digit (the values are in range, so always
   * ten characters) */
  static const int width[3] = {4, 2, 2};
  char *o = out;
  for (int k = 0; k < 3; k++) {
    if (k) *o++ = '-';
    for (int i = width[k] - 1; i >= 0; i--) {
      o[i] = (char)('0' + v[k] % 10);
      v[k] /= 10;
    }
    o += width[k];
  }
  *o = 0;
}

/* ---- roman numerals ---------------------------------------------------- */

/* Strict canonical form: M{0,4}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3}),
 * case-insensitive. "IIII" and "VX" are not roman numerals. */
int vnx_roman_value(const char *s, size_t n) {
  static const struct { char one, five, ten; int unit; } pos[] = {
      {'C', 'D', 'M', 100}, {'X', 'L', 'C', 10}, {'I', 'V', 'X', 1}};
  size_t i = 0;
  int v = 0;
  if (n == 0) return 0;
  while (i < n && toupper((unsigned char)s[i]) == 'M' && v < 4000) { v += 1000; i++; }
  if (v > 4000) return 0;
  for (int p = 0; p < 3; p++) {
    char one = pos[p].one, five = pos[p].five, ten = pos[p].ten;
    int u = pos[p].unit;
#define AT(k) (i + (k) < n ? (char)toupper((unsigned char)s[i + (k)]) : 0)
    if (AT(0) == one && AT(1) == ten) { v += 9 * u; i += 2; continue; }
    if (AT(0) == one && AT(1) == five) { v += 4 * u; i += 2; continue; }
    if (AT(0) == five) { v += 5 * u; i++; }
    int k = 0;
    while (AT(0) == one && k < 3) { v += u; i++; k++; }
#undef AT
  }
  return i == n && v <= 4000 ? v : 0;
}

/* ---- numbers ----------------------------------------------------------- */

/* Hand-parsed rather than with ICU unum_parseDouble("vi_VN"): ICU's parser
 * is lenient about grouping (it reads "1.00" or "12.34.567" as numbers) and
 * its strict mode depends on the CLDR data shipped, while we need one fixed,
 * documented reading. The value is built exactly: a mantissa of at most 15
 * digits and a power of ten <= 22 are both exact doubles, so one division is
 * correctly rounded (Clinger's fast path); longer inputs go through strtod
 * under the C locale. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static double digits_value(const char *intd, size_t ni, const char *frac, size_t nf) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  while (ni > 1 && intd[0] == '0') { intd++; ni--; }
  while (nf > 0 && frac[nf - 1] == '0') nf--;
  if (ni + nf <= 15) {
    double m = 0;
    for (size_t i = 0; i < ni; i++) m = m * 10 + (intd[i] - '0');
    for (size_t i = 0; i < nf; i++) m = m * 10 + (frac[i] - '0');
    return m / p10[nf];
  }
  char *buf = vnx_xmalloc(ni + nf + 2);
  memcpy(buf, intd, ni);
  buf[ni] = '.';
  memcpy(buf + ni + 1, frac, nf);
  buf[ni + nf + 1] = 0;
  pthread_once(&c_locale_once, c_locale_init);
  locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
  double v = strtod(buf, NULL);
  if (c_locale) uselocale(old);
  free(buf);
  return v;
}

/* Shared grammar: [sign] INT [DEC FRAC], INT = digits | d{1,3}(GRP ddd)+.
 * grp/dec are the group and decimal separators of the style. */
static bool parse_number(const char *s, size_t n, char grp, char dec, double *out) {
  while (n && (s[0] == ' ' || s[0] == '\t')) { s++; n--; }
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  bool neg = false;
  if (n && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; s++; n--; }
  if (n == 0 || !isdigit((unsigned char)s[0])) return false;
  char small[64]; /* the integer digits: numbers are short */
  char *intd = n < sizeof small ? small : vnx_xmalloc(n + 1);
  size_t ni = 0, i = 0, lead = 0;
  while (i < n && isdigit((unsigned char)s[i])) intd[ni++] = s[i++];
  lead = ni;
  bool grouped = false;
  /* a separator followed by exactly three digits (and no fourth) groups */
  while (i + 3 < n && s[i] == grp && isdigit((unsigned char)s[i + 1]) &&
         isdigit((unsigned char)s[i + 2]) && isdigit((unsigned char)s[i + 3]) &&
         (i + 4 >= n || !isdigit((unsigned char)s[i + 4]))) {
    if (!grouped && lead > 3) break; /* "1234.567": not a grouping */
    grouped = true;
    memcpy(intd + ni, s + i + 1, 3);
    ni += 3;
    i += 4;
  }
  const char *frac = "";
  size_t nf = 0;
  bool ok = true;
  if (i < n) {
    /* Vietnamese texts sometimes write "1.5" for 1,5: a dot that is not a
     * thousands group and stands alone is read as the decimal point. The
     * English style has no such fallback needed (a comma not followed by a
     * group is an error). */
    size_t nd = 0;
    while (i + 1 + nd < n && isdigit((unsigned char)s[i + 1 + nd])) nd++;
    bool alt = grp == '.' && !grouped && s[i] == '.' && nd != 3 &&
               !memchr(s + i + 1, dec, n - i - 1);
    if (s[i] == dec || alt) {
      frac = s + i + 1;
      nf = n - i - 1;
      if (nf == 0) ok = false;
      for (size_t k = 0; k < nf; k++)
        if (!isdigit((unsigned char)frac[k])) ok = false;
    } else {
      ok = false;
    }
  }
  if (ok) {
    double v = digits_value(intd, ni, frac, nf);
    *out = neg ? -v : v;
  }
  if (intd != small) free(intd);
  return ok;
}

bool vnx_parse_number_vi(const char *s, size_t n, double *out) {
  return parse_number(s, n, '.', ',', out);
}

bool vnx_parse_number_en(const char *s, size_t n, double *out) {
  return parse_number(s, n, ',', '.', out);
}

/* ---- converters -------------------------------------------------------- */

enum {
  C_DATE, C_MONTH, C_MONTHS, C_QUARTER, C_QUARTERS, C_YEAR, C_YEAR_START,
  C_YEAR_END, C_FIRST_MONTHS, C_NUMBER, C_NUMBER_EN, C_UNIT, C_CANONICAL,
  C_LOWER, C_COUNT
};

static const vnx_conv_info convs[C_COUNT] = {
    [C_DATE] = {"date", 2, 3, 1},
    [C_MONTH] = {"month", 1, 2, 2},
    [C_MONTHS] = {"months", 2, 3, 2},
    [C_QUARTER] = {"quarter", 1, 2, 2},
    [C_QUARTERS] = {"quarters", 4, 4, 2},
    [C_YEAR] = {"year", 1, 1, 2},
    [C_YEAR_START] = {"year_start", 1, 1, 1},
    [C_YEAR_END] = {"year_end", 1, 1, 1},
    [C_FIRST_MONTHS] = {"first_months", 1, 2, 2},
    [C_NUMBER] = {"number", 1, 1, 1},
    [C_NUMBER_EN] = {"number_en", 1, 1, 1},
    [C_UNIT] = {"unit", 1, 1, 1},
    [C_CANONICAL] = {"canonical", 2, 2, 1},
    [C_LOWER] = {"lower", 1, 1, 1},
};

int vnx_conv_find(const char *name) {
  for (int i = 0; i < C_COUNT; i++)
    if (strcmp(convs[i].name, name) == 0) return i;
  return -1;
}

const vnx_conv_info *vnx_conv_get(int conv) {
  return conv >= 0 && conv < C_COUNT ? &convs[conv] : NULL;
}

/* Small unsigned integer in decimal digits; -1 if not. */
static int small_int(const char *s, size_t n) {
  while (n && s[0] == ' ') { s++; n--; }
  while (n && s[n - 1] == ' ') n--;
  if (n == 0 || n > 6) return -1;
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* A month or quarter: digits or a roman numeral ("quý II", "tháng IV"). */
static int int_or_roman(const char *s, size_t n) {
  int v = small_int(s, n);
  if (v >= 0) return v;
  v = vnx_roman_value(s, n);
  return v > 0 ? v : -1;
}

static bool arg_set(const vnx_carg *a, int nargs, int i) {
  return i < nargs && a[i].s != NULL;
}

/* Year of argument i, or the document year (and *inferred) if it is absent.
 * Two-digit years are 20xx. */
static bool get_year(const vnx_carg *a, int nargs, int i, const vnx_doc *doc, int *y,
                     bool *inferred, char *why, size_t whylen) {
  if (arg_set(a, nargs, i)) {
    int v = small_int(a[i].s, a[i].n);
    if (v >= 0 && v < 100 && a[i].n == 2) v += 2000;
    if (v < 1 || v > 9999) {
      snprintf(why, whylen, "not a year: %.*s", (int)a[i].n, a[i].s);
      return false;
    }
    *y = v;
    return true;
  }
  if (!doc || doc->year <= 0) {
    snprintf(why, whylen, "no year and no document date");
    return false;
  }
  *y = doc->year;
  *inferred = true;
  return true;
}

static json_t *jdate(int y, int m, int d) {
  char b[11];
  vnx_iso_date(b, y, m, d);
  return json_stringn_nocheck(b, 10); /* ASCII digits and '-' */
}

static bool month_arg(const vnx_carg *a, int nargs, int i, int *m, char *why, size_t whylen) {
  int v = arg_set(a, nargs, i) ? int_or_roman(a[i].s, a[i].n) : -1;
  if (v < 1 || v > 12) {
    if (arg_set(a, nargs, i))
      snprintf(why, whylen, "not a month: %.*s", (int)a[i].n, a[i].s);
    else
      snprintf(why, whylen, "no month");
    return false;
  }
  *m = v;
  return true;
}

static bool quarter_arg(const vnx_carg *a, int nargs, int i, int *q, char *why, size_t whylen) {
  int v = arg_set(a, nargs, i) ? int_or_roman(a[i].s, a[i].n) : -1;
  if (v < 1 || v > 4) {
    snprintf(why, whylen, "not a quarter: %.*s", arg_set(a, nargs, i) ? (int)a[i].n : 0,
             arg_set(a, nargs, i) ? a[i].s : "");
    return false;
  }
  *q = v;
  return true;
}

static json_t *jnumber(double v) {
  if (v == floor(v) && fabs(v) < 9007199254740992.0) return json_integer((json_int_t)v);
  return json_real(v);
}

/* ---- gazetteer memo ------------------------------------------------------
 * Open addressing over (gazetteer, text) -> canonical form or NULL; the
 * gazetteers do not change while a matcher lives, so an answer stays
 * right. Bounded: past MEMO_MAX texts, or for a long one, the lookup is
 * simply made again. */
#define MEMO_MAX 8192
#define MEMO_TEXT_MAX 256

struct vnx_gaz_memo {
  struct memo_slot {
    uint64_t h;
    const vnx_gazetteer *g; /* NULL: empty */
    char *s;
    size_t n;
    const char *canon;
  } *v;
  size_t cap, n; /* cap: a power of two */
};

vnx_gaz_memo *vnx_gaz_memo_new(void) {
  vnx_gaz_memo *m = vnx_xcalloc(1, sizeof *m);
  m->cap = 256;
  m->v = vnx_xcalloc(m->cap, sizeof *m->v);
  return m;
}

void vnx_gaz_memo_free(vnx_gaz_memo *m) {
  if (!m) return;
  for (size_t i = 0; i < m->cap; i++) free(m->v[i].s);
  free(m->v);
  free(m);
}

static uint64_t memo_hash(const vnx_gazetteer *g, const char *s, size_t n) {
  uint64_t h = (uint64_t)(uintptr_t)g * 0x9E3779B97F4A7C15ULL ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  for (; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
  h ^= h >> 29;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 32);
}

static void memo_put(vnx_gaz_memo *m, const struct memo_slot *e) {
  size_t mask = m->cap - 1;
  size_t p = (size_t)e->h & mask;
  while (m->v[p].g) p = (p + 1) & mask;
  m->v[p] = *e;
  m->n++;
}

static const char *gaz_lookup(vnx_gaz_memo *m, const vnx_gazetteer *g, const char *s, size_t n) {
  if (!m || n > MEMO_TEXT_MAX) return vnx_gaz_lookup(g, s, n);
  uint64_t h = memo_hash(g, s, n);
  size_t mask = m->cap - 1;
  for (size_t p = (size_t)h & mask; m->v[p].g; p = (p + 1) & mask) {
    const struct memo_slot *e = &m->v[p];
    if (e->h == h && e->g == g && e->n == n && memcmp(e->s, s, n) == 0) return e->canon;
  }
  const char *canon = vnx_gaz_lookup(g, s, n);
  if (m->n >= MEMO_MAX) return canon;
  if (2 * (m->n + 1) > m->cap) {
    struct memo_slot *old = m->v;
    size_t ocap = m->cap;
    m->cap *= 2;
    m->n = 0;
    m->v = vnx_xcalloc(m->cap, sizeof *m->v);
    for (size_t i = 0; i < ocap; i++)
      if (old[i].g) memo_put(m, &old[i]);
    free(old);
  }
  struct memo_slot e = {h, g, vnx_xstrndup(s, n), n, canon};
  memo_put(m, &e);
  return canon;
}

bool vnx_conv_run(const vnx_ruleset *rs, int conv, const vnx_carg *a, int nargs,
                  const vnx_doc *doc, vnx_gaz_memo *memo, json_t **out, bool *year_inferred,
                  char *why, size_t whylen) {
  int y = 0, m = 0, d = 0, q = 0;
  bool inf = false;
  why[0] = 0;
  switch (conv) {
  case C_DATE:
    d = arg_set(a, nargs, 0) ? small_int(a[0].s, a[0].n) : -1;
    if (!month_arg(a, nargs, 1, &m, why, whylen)) return false;
    if (!get_year(a, nargs, 2, doc, &y, &inf, why, whylen)) return false;
    if (!vnx_date_valid(y, m, d)) {
      snprintf(why, whylen, "invalid date %d/%d/%d", d, m, y);
      return false;
    }
    out[0] = jdate(y, m, d);
    break;
  case C_MONTH:
    if (!month_arg(a, nargs, 0, &m, why, whylen)) return false;
    if (!get_year(a, nargs, 1, doc, &y, &inf, why, whylen)) return false;
    out[0] = jdate(y, m, 1);
    out[1] = jdate(y, m, vnx_days_in_month(y, m));
    break;
  case C_MONTHS: {
    int m2;
    if (!month_arg(a, nargs, 0, &m, why, whylen)) return false;
    if (!month_arg(a, nargs, 1, &m2, why, whylen)) return false;
    if (!get_year(a, nargs, 2, doc, &y, &inf, why, whylen)) return false;
    if (m2 < m) {
      snprintf(why, whylen, "month range reversed: %d-%d", m, m2);
      return false;
    }
    out[0] = jdate(y, m, 1);
    out[1] = jdate(y, m2, vnx_days_in_month(y, m2));
    break;
  }
  case C_QUARTER:
    if (!quarter_arg(a, nargs, 0, &q, why, whylen)) return false;
    if (!get_year(a, nargs, 1, doc, &y, &inf, why, whylen)) return false;
    out[0] = jdate(y, 3 * q - 2, 1);
    out[1] = jdate(y, 3 * q, vnx_days_in_month(y, 3 * q));
    break;
  case C_QUARTERS: {
    int q2, y2;
    if (!quarter_arg(a, nargs, 0, &q, why, whylen)) return false;
    if (!quarter_arg(a, nargs, 2, &q2, why, whylen)) return false;
    if (!get_year(a, nargs, 3, doc, &y2, &inf, why, whylen)) return false;
    if (arg_set(a, nargs, 1)) {
      bool dummy = false;
      if (!get_year(a, nargs, 1, doc, &y, &dummy, why, whylen)) return false;
    } else {
      y = y2;
    }
    if (y * 4 + q > y2 * 4 + q2) {
      snprintf(why, whylen, "quarter range reversed");
      return false;
    }
    out[0] = jdate(y, 3 * q - 2, 1);
    out[1] = jdate(y2, 3 * q2, vnx_days_in_month(y2, 3 * q2));
    break;
  }
  case C_YEAR:
  case C_YEAR_START:
  case C_YEAR_END:
    if (!get_year(a, nargs, 0, doc, &y, &inf, why, whylen)) return false;
    if (conv == C_YEAR) {
      out[0] = jdate(y, 1, 1);
      out[1] = jdate(y, 12, 31);
    } else {
      out[0] = conv == C_YEAR_START ? jdate(y, 1, 1) : jdate(y, 12, 31);
    }
    break;
  case C_FIRST_MONTHS:
    if (!month_arg(a, nargs, 0, &m, why, whylen)) return false;
    if (!get_year(a, nargs, 1, doc, &y, &inf, why, whylen)) return false;
    out[0] = jdate(y, 1, 1);
    out[1] = jdate(y, m, vnx_days_in_month(y, m));
    break;
  case C_NUMBER:
  case C_NUMBER_EN: {
    double v;
    if (!arg_set(a, nargs, 0)) { snprintf(why, whylen, "no number"); return false; }
    bool ok = conv == C_NUMBER ? vnx_parse_number_vi(a[0].s, a[0].n, &v)
                               : vnx_parse_number_en(a[0].s, a[0].n, &v);
    if (!ok) {
      snprintf(why, whylen, "not a number: %.*s", (int)a[0].n, a[0].s);
      return false;
    }
    out[0] = jnumber(v);
    break;
  }
  case C_UNIT:
  case C_CANONICAL: {
    const char *gname = conv == C_UNIT ? "units" : (nargs > 1 && a[1].s ? a[1].s : "");
    const vnx_gazetteer *g = vnx_rules_gaz(rs, gname);
    if (!arg_set(a, nargs, 0)) {
      if (conv == C_CANONICAL) { out[0] = json_null(); break; }
      snprintf(why, whylen, "no unit");
      return false;
    }
    const char *c = g ? gaz_lookup(memo, g, a[0].s, a[0].n) : NULL;
    if (c) {
      /* a canonical form was normalised when the gazetteer was loaded, and
       * the loader rejects a form that is not valid UTF-8 */
      out[0] = json_stringn_nocheck(c, strlen(c));
    } else if (conv == C_CANONICAL) {
      out[0] = json_null(); /* "or null": not an error */
    } else {
      snprintf(why, whylen, "unknown unit: %.*s", (int)a[0].n, a[0].s);
      return false;
    }
    break;
  }
  case C_LOWER: {
    if (!arg_set(a, nargs, 0)) { out[0] = json_null(); break; }
    char *buf = NULL;
    size_t cap = 0, len = vnx_fold_lower(a[0].s, a[0].n, &buf, &cap);
    out[0] = vnx_json_stringn(buf ? buf : "", len);
    free(buf);
    break;
  }
  default:
    snprintf(why, whylen, "unknown converter");
    return false;
  }
  if (inf) *year_inferred = true;
  return true;
}

/* utf8proc_tolower of the code points below FOLD_N (two- and three-byte
 * UTF-8 up to U+2BFF: every letter of Vietnamese), tabled once: folding is
 * on the path of every gazetteer lookup (canonical, unit). */
#define FOLD_N 0x2C00
static uint32_t g_fold[FOLD_N];
static pthread_once_t g_fold_once = PTHREAD_ONCE_INIT;

static void fold_init(void) {
  for (uint32_t cp = 0; cp < FOLD_N; cp++) {
    utf8proc_int32_t lo = utf8proc_tolower((utf8proc_int32_t)cp);
    g_fold[cp] = lo >= 0 ? (uint32_t)lo : cp;
  }
}

/* utf8proc_encode_char for the folded code points of the table, without
 * a library call; it writes U+FFFE and U+FFFF as one byte each, so those
 * and anything above stay with it */
static inline size_t put_folded(unsigned char *o, uint32_t c) {
  if (c < 0x80) {
    o[0] = (unsigned char)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (unsigned char)(0xC0 | c >> 6);
    o[1] = (unsigned char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0xFFFE) {
    o[0] = (unsigned char)(0xE0 | c >> 12);
    o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    o[2] = (unsigned char)(0x80 | (c & 0x3F));
    return 3;
  }
  return (size_t)utf8proc_encode_char((utf8proc_int32_t)c, o);
}

/* Lower-cases s code point by code point; bytes that are not valid UTF-8
 * are copied (the normaliser has made the text valid anyway). A code point
 * lowers to at most 3 bytes from 2 and to as many from 3 or 4, so 3n + 1
 * bytes are room enough. */
size_t vnx_fold_lower(const char *s, size_t n, char **buf, size_t *cap) {
  pthread_once(&g_fold_once, fold_init);
  if (*cap < 3 * n + 1) {
    *cap = 3 * n + 1 > 64 ? 3 * n + 1 : 64;
    *buf = vnx_xrealloc(*buf, *cap);
  }
  unsigned char *o = (unsigned char *)*buf;
  const unsigned char *u = (const unsigned char *)s;
  size_t len = 0, i = 0;
  while (i < n) {
    unsigned char c0 = u[i];
    if (c0 < 0x80) { /* ASCII without a decoder call */
      o[len++] = (unsigned char)(c0 >= 'A' && c0 <= 'Z' ? c0 + 32 : c0);
      i++;
      continue;
    }
    utf8proc_int32_t cp = -1;
    size_t k = 0;
    /* well-formed two- and three-byte sequences below FOLD_N: the table */
    if (c0 >= 0xC2 && c0 < 0xE0 && i + 1 < n && (u[i + 1] & 0xC0) == 0x80) {
      cp = (utf8proc_int32_t)((c0 & 0x1F) << 6 | (u[i + 1] & 0x3F));
      k = 2;
    } else if ((c0 == 0xE1 || (c0 == 0xE0 && i + 1 < n && u[i + 1] >= 0xA0) ||
                (c0 == 0xE2 && i + 1 < n && u[i + 1] < 0xB0)) &&
               i + 2 < n && (u[i + 1] & 0xC0) == 0x80 && (u[i + 2] & 0xC0) == 0x80) {
      cp = (utf8proc_int32_t)((c0 & 0x0F) << 12 | (u[i + 1] & 0x3F) << 6 | (u[i + 2] & 0x3F));
      k = 3;
    }
    if (k) {
      len += put_folded(o + len, g_fold[cp]);
      i += k;
      continue;
    }
    utf8proc_ssize_t r = utf8proc_iterate(u + i, (utf8proc_ssize_t)(n - i), &cp);
    if (r <= 0) {
      o[len++] = u[i++];
      continue;
    }
    len += (size_t)utf8proc_encode_char(utf8proc_tolower(cp), o + len);
    i += (size_t)r;
  }
  o[len] = 0;
  return len;
}
