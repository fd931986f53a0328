/* rules_start.c - where a rule's match can start, read off its pattern.
 *
 * pcre2 tries a pattern at every position whose first byte is in its start
 * bitmap; for a rule like body.name that is most letters of a Vietnamese
 * text, and each try walks a long alternation. Here each compiled pattern
 * is read once more, as text, to compute its start strings: a set S of
 * short lower-cased strings (up to START_CP code points) such that every
 * match begins with one of them. The set only over-approximates: what the
 * reader does not model exactly (\p{..}, \w, \d, back references,
 * subroutine calls, `.`, big or negated classes) stands for "any text from
 * here on"; lookaheads and most lookbehinds stand for the empty string; a
 * quantified atom is written out for a few copies, then "any text"; a set
 * that grows too big is cut to shorter strings. A pattern that can start
 * with "any text" (it is nullable, or begins with \p{Lu}) gets no start
 * strings and is searched as before.
 *
 * Two refinements keep the strings cheap and exact: `^` is a marker byte
 * before the line, and a negative lookbehind of one class at a string's
 * start ({BD_L}, "(?<![\p{L}\p{N}/\-.,])") records the ASCII characters
 * that may not stand just before it.
 *
 * The start strings of all rules (and of the cores of rules with a prefix)
 * go into one Aho-Corasick automaton. match.c runs it once over the
 * lower-cased line and tries each rule only at its candidate positions (an
 * offset limit equal to the start: an anchored try). The leftmost position
 * where the anchored try succeeds is where the unanchored search would
 * have found its match, with the same groups. The rules' `needs` literals
 * are in the same automaton: one scan also says which of them the line
 * contains (each found one compared byte for byte, as digits share a
 * class), and match.c's prefilter reads that.
 *
 * Case: the strings are lower-cased the way the line is (utf8proc_tolower
 * per code point), so "Sở" in a case-sensitive pattern becomes "sở". The
 * case of a string's first code point is kept beside it (sstr.cx): "Sở"
 * outside (?i) starts only where the line has a capital there, and the
 * scan tells a capital by the folded byte differing from the line's. In
 * the rest of the string case is not kept: more candidates, never fewer
 * (most failing tries of the body rules were at a lower-case "ban",
 * "bộ", "phòng", "báo", "hội" that only a capital begins). That is exact
 * only where pcre2's caseless matching agrees with utf8proc_tolower and
 * lower-casing keeps the byte length (positions in the folded line are then
 * positions in the line). vnx_start_cp_safe says where: ASCII but \v, \f,
 * \r, Latin-1 to Latin Extended-B, combining marks, Latin Extended
 * Additional and U+2000..U+2BFF, minus the few code points with a third case
 * variant (ſ, µ, ı, ẛ, U+0345) or a length change (İ, ẞ), and minus
 * non-ASCII white space (\s is read as a space or a tab; the normaliser
 * turns such space into ' ' anyway). A pattern character outside it stands
 * for "any text" (or for nothing if it has no case: only a line that is
 * matched the plain way can contain it); a line with a text character
 * outside it is matched the plain way. Digits are one class of the automaton ("0"). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rules_int.h"

#define START_CP 8     /* code points of a start string */
#define START_MAX 1024 /* strings of one set before they are shortened */
#define CONCAT_MAX 1024 /* strings a concatenation may make */
#define QUANT_LIM 4     /* copies of a quantified atom written out */
#define CLASS_MAX 64   /* a class with more code points stands for any text */
#define START_BOL 0xFF /* `^`: never a byte of UTF-8 text */
#define START_OUT 0x8000 /* in a transition: the target state has outputs */

typedef struct sstr {
  unsigned char b[START_CP * 4];
  unsigned char len, ncp;
  bool open; /* the match may go on after it; else it is the whole match */
  /* ASCII bytes that cannot come just before the start: a negative
   * lookbehind at the start, "(?<![\p{L}\p{N}])" (bit c of nb[c >> 6]) */
  uint64_t nb[2];
  /* what the first code point of the text cannot be: CX_UPPER (a capital:
   * one utf8proc_tolower changes), CX_OTHER (anything else); 0: either */
  unsigned char cx;
} sstr;

#define CX_UPPER 1
#define CX_OTHER 2

static bool nb_has(const uint64_t *nb, unsigned char c) {
  return c < 128 && (nb[c >> 6] >> (c & 63) & 1);
}

typedef struct sset {
  sstr *v;
  size_t n, cap;
} sset;

/* bytes of the code point that starts with c (START_BOL counts as one) */
static int utf8_len(unsigned char c) {
  return c < 0x80 || c == START_BOL ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

bool vnx_start_cp_safe(uint32_t cp) {
  if (cp < 0x80) return true;
  bool in = (cp >= 0xA0 && cp < 0x250) || (cp >= 0x300 && cp < 0x370) ||
            (cp >= 0x1E00 && cp < 0x1F00) || (cp >= 0x2000 && cp < 0x2C00);
  if (!in || cp == 0xB5 || cp == 0x130 || cp == 0x131 || cp == 0x17F || cp == 0x345 ||
      cp == 0x1E9B || cp == 0x1E9E)
    return false;
  /* white space other than ASCII (\s stands for ' ' alone; the normaliser
   * turns these into spaces anyway) */
  if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
      cp == 0x202F || cp == 0x205F)
    return false;
  /* the lower-case form must have the same UTF-8 length */
  uint32_t lo = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
  int a = cp < 0x800 ? 2 : 3, b = lo < 0x80 ? 1 : lo < 0x800 ? 2 : 3;
  return a == b;
}

/* ---- sets of start strings ---------------------------------------------- */

static void set_push(sset *s, const sstr *x) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 8;
    s->v = vnx_xrealloc(s->v, s->cap * sizeof *s->v);
  }
  s->v[s->n++] = *x;
}

static sset set_eps(void) {
  sset s = {0};
  sstr e = {{0}, 0, 0, false, {0, 0}, 0};
  set_push(&s, &e);
  return s;
}

static sset set_any(void) {
  sset s = {0};
  sstr e = {{0}, 0, 0, true, {0, 0}, 0};
  set_push(&s, &e);
  return s;
}

static void set_open(sset *s) {
  for (size_t i = 0; i < s->n; i++) s->v[i].open = true;
}

static int cmp_sstr(const void *a, const void *b) {
  const sstr *x = a, *y = b;
  int c = memcmp(x->b, y->b, x->len < y->len ? x->len : y->len);
  if (c) return c;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return (int)x->open - (int)y->open;
}

/* Sorted, without duplicates; an open string also covers every longer
 * string it begins, and a set too big is cut to shorter strings. */
static void set_norm(sset *s) {
  for (;;) {
    if (s->n <= 1) return;
    if (s->n <= 16) { /* most sets: insertion sort beats qsort's set-up */
      for (size_t i = 1; i < s->n; i++) {
        sstr x = s->v[i];
        size_t j = i;
        while (j && cmp_sstr(&s->v[j - 1], &x) > 0) {
          s->v[j] = s->v[j - 1];
          j--;
        }
        s->v[j] = x;
      }
    } else {
      qsort(s->v, s->n, sizeof *s->v, cmp_sstr);
    }
    size_t o = 0;
    long cover = -1; /* the last open string kept: it covers its extensions */
    for (size_t i = 0; i < s->n; i++) {
      sstr x = s->v[i];
      /* covered only by a string that allows at least the same starts */
      const sstr *cv = cover >= 0 ? &s->v[cover] : NULL;
      if (cv && cv->len <= x.len && memcmp(cv->b, x.b, cv->len) == 0 &&
          (cv->nb[0] & ~x.nb[0]) == 0 && (cv->nb[1] & ~x.nb[1]) == 0 && (cv->cx & ~x.cx) == 0)
        continue;
      if (o > 0 && s->v[o - 1].len == x.len && memcmp(s->v[o - 1].b, x.b, x.len) == 0) {
        sstr *y = &s->v[o - 1]; /* one string for both: the weaker of each */
        y->nb[0] &= x.nb[0];
        y->nb[1] &= x.nb[1];
        y->cx &= x.cx;
        if (x.open) y->open = true;
        if (y->open) cover = (long)o - 1;
        continue;
      }
      s->v[o++] = x;
      if (x.open) cover = (long)o - 1;
    }
    s->n = o;
    if (s->n <= START_MAX) return;
    /* shorten every string by one code point */
    unsigned char maxcp = 0;
    for (size_t i = 0; i < s->n; i++)
      if (s->v[i].ncp > maxcp) maxcp = s->v[i].ncp;
    for (size_t i = 0; i < s->n; i++) {
      sstr *x = &s->v[i];
      if (x->ncp < maxcp) continue;
      unsigned char k = 0, len = 0;
      while (k + 1 < x->ncp) {
        len += (unsigned char)utf8_len(x->b[len]);
        k++;
      }
      x->len = len;
      x->ncp = k;
      x->open = true;
    }
  }
}

/* a gets the strings of b (set_norm is up to the caller); frees b */
static void set_union(sset *a, sset *b) {
  for (size_t i = 0; i < b->n; i++) set_push(a, &b->v[i]);
  free(b->v);
  b->v = NULL;
  b->n = b->cap = 0;
}

static sset set_copy(const sset *s) {
  sset r = {0};
  for (size_t i = 0; i < s->n; i++) set_push(&r, &s->v[i]);
  return r;
}

/* nothing after it can change the set: every string is open or full */
static bool set_full(const sset *s) {
  for (size_t i = 0; i < s->n; i++)
    if (!s->v[i].open && s->v[i].ncp < START_CP) return false;
  return true;
}

/* Every string of a followed by every string of b, cut at START_CP code
 * points; frees a and b. */
static sset set_concat(sset *a, sset *b) {
  size_t grow = 0; /* non-empty strings of a that b extends */
  for (size_t i = 0; i < a->n; i++) grow += !a->v[i].open && a->v[i].len && a->v[i].ncp < START_CP;
  /* too many: the non-empty strings of a end here (the empty one takes b) */
  bool cut = grow * b->n > CONCAT_MAX;
  sset r = {0};
  for (size_t i = 0; i < a->n; i++) {
    const sstr *x = &a->v[i];
    if (x->open || x->ncp >= START_CP || (cut && x->len)) {
      sstr y = *x;
      y.open = true;
      set_push(&r, &y);
      continue;
    }
    for (size_t j = 0; j < b->n; j++) {
      const sstr *z = &b->v[j];
      sstr y = *x;
      if (x->len == 0) { /* b starts where x does: both lookbehinds hold */
        y.nb[0] |= z->nb[0];
        y.nb[1] |= z->nb[1];
        y.cx |= z->cx; /* and the first code point is b's */
      }
      size_t k = 0;
      while (k < z->len && y.ncp < START_CP) {
        int l = utf8_len(z->b[k]);
        memcpy(y.b + y.len, z->b + k, (size_t)l);
        y.len = (unsigned char)(y.len + l);
        y.ncp++;
        k += (size_t)l;
      }
      y.open = k < z->len || z->open;
      set_push(&r, &y);
    }
  }
  /* one string before b: r is b's order, duplicates at most (harmless) */
  bool sorted = a->n == 1;
  free(a->v);
  free(b->v);
  if (!sorted) set_norm(&r);
  return r;
}

/* ---- reading a pattern -------------------------------------------------- */

/* The set of a group depends on its text alone (case is folded anyway), and
 * the rules repeat big fragments ({BD_BODY} in every body rule): the sets
 * of long groups are kept by text. A group is balanced, so text equal to a
 * kept group's is that group. */
#define MEMO_MIN 64 /* bytes of a group worth keeping */
#define MEMO_KEY 64  /* bytes hashed */

typedef struct memo {
  const char *text;
  size_t len;
  uint64_t key;
  bool icase; /* the set also depends on (?i) where the group begins */
  sset set;
} memo;

typedef struct memos {
  memo *v;
  size_t n, cap;
} memos;

static uint64_t memo_key(const char *p, const char *end) {
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < MEMO_KEY && p + i < end; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
  return h;
}

typedef struct reader {
  const char *p, *end;
  bool err; /* a construct the reader does not know: no start strings */
  int skip; /* > 0: only read, the sets do not matter (after a full set) */
  memos *memo;
  bool icase; /* caseless here: the pattern's options and (?i) so far */
  int set_icase; /* the group just read was (?i) or (?-i): 1 or 0, else -1 */
} reader;

static uint32_t take_cp(reader *R) {
  utf8proc_int32_t cp;
  utf8proc_ssize_t k =
      utf8proc_iterate((const utf8proc_uint8_t *)R->p, (utf8proc_ssize_t)(R->end - R->p), &cp);
  if (k <= 0) {
    R->err = true;
    R->p = R->end;
    return 0;
  }
  R->p += k;
  return (uint32_t)cp;
}

/* no case at all: pcre2 matches it, caseless or not, only by itself */
static bool caseless_cp(uint32_t cp) {
  return utf8proc_tolower((utf8proc_int32_t)cp) == (utf8proc_int32_t)cp &&
         utf8proc_toupper((utf8proc_int32_t)cp) == (utf8proc_int32_t)cp;
}

/* A code point of the pattern; icase: matched caselessly. */
static sset set_cp(uint32_t cp, bool icase) {
  sset s = {0};
  if (!vnx_start_cp_safe(cp)) {
    /* a character without case matches only itself, so only in a line
     * the start strings do not serve: it starts nothing there */
    if (cp >= 0x80 && caseless_cp(cp)) return s;
    return set_any();
  }
  /* a line has no \n, and one with \v, \f or \r is matched the plain way */
  if (cp == '\n' || cp == '\v' || cp == '\f' || cp == '\r') return s;
  /* digits are one class of the automaton: [0-9] is one string, not ten */
  if (cp >= '0' && cp <= '9') cp = '0';
  sstr x = {{0}, 0, 1, false, {0, 0}, 0};
  uint32_t lo = cp < 0x80 ? (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp)
                          : (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
  x.len = (unsigned char)utf8proc_encode_char((utf8proc_int32_t)lo, x.b);
  /* matched as written, a letter with case is matched by itself alone:
   * a capital by a capital, anything else by no capital */
  if (!icase && !caseless_cp(cp)) x.cx = lo != cp ? CX_OTHER : CX_UPPER;
  set_push(&s, &x);
  return s;
}

/* \x{HHH} or \xHH after the x; false if malformed */
static bool hex_escape(reader *R, uint32_t *cp) {
  uint32_t v = 0;
  if (R->p < R->end && *R->p == '{') {
    R->p++;
    int n = 0;
    while (R->p < R->end && *R->p != '}') {
      char c = *R->p++;
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0 || ++n > 6) return false;
      v = v * 16 + (uint32_t)d;
    }
    if (R->p >= R->end) return false;
    R->p++;
  } else {
    for (int n = 0; n < 2 && R->p < R->end; n++) {
      char c = *R->p;
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) break;
      v = v * 16 + (uint32_t)d;
      R->p++;
    }
  }
  *cp = v;
  return true;
}

/* skips {..} after \p, \g, \k (or the single letter of \pL) */
static void skip_braced(reader *R) {
  if (R->p < R->end && (*R->p == '{' || *R->p == '<' || *R->p == '\'')) {
    char close = *R->p == '{' ? '}' : *R->p == '<' ? '>' : '\'';
    while (R->p < R->end && *R->p != close) R->p++;
    if (R->p < R->end) R->p++;
  } else if (R->p < R->end) {
    R->p++;
  }
}

/* One escaped code point (in or out of a class): 1 with *cp set, 2 for
 * white space (\s, \h, \v: a space or a tab on a line the start strings
 * serve), 0 for a class escape that stands for any text, -1 for an
 * assertion (\b, \K, ..., outside classes only), -2 unknown. */
static int escape(reader *R, bool in_class, uint32_t *cp) {
  if (R->p >= R->end) return -2;
  char c = *R->p++;
  switch (c) {
  case 'x': return hex_escape(R, cp) ? 1 : -2;
  case 't': *cp = '\t'; return 1;
  case 'n': *cp = '\n'; return 1;
  case 'r': *cp = '\r'; return 1;
  case 'f': *cp = '\f'; return 1;
  case 'e': *cp = 0x1B; return 1;
  case 'a': *cp = 0x07; return 1;
  case 'p':
  case 'P':
  case 'g':
  case 'k':
    skip_braced(R);
    return 0;
  case 's': case 'h': case 'v':
    /* white space: on a line the start strings serve, a space or a tab */
    return 2;
  case 'd': case 'D': case 'S': case 'w': case 'W': case 'H':
  case 'V': case 'R': case 'X': case 'N': case 'C':
    return 0;
  case 'b':
    if (in_class) {
      *cp = 0x08;
      return 1;
    }
    return -1;
  case 'B': case 'A': case 'z': case 'Z': case 'K':
    return in_class ? -2 : -1;
  case 'G': /* true only where the search began: an anchored try there
             * differs from the unanchored search, so no start strings */
    return -2;
  default:
    if (c >= '1' && c <= '9') { /* a back reference */
      while (R->p < R->end && *R->p >= '0' && *R->p <= '9') R->p++;
      return in_class ? -2 : 0;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '0') return -2;
    R->p--;
    *cp = take_cp(R); /* escaped punctuation is itself */
    return 1;
  }
}

static sset read_alt(reader *R);

static sset read_class(reader *R) {
  bool neg = false, any = false;
  uint32_t cps[CLASS_MAX];
  int n = 0;
  if (R->p < R->end && *R->p == '^') {
    neg = true;
    R->p++;
  }
  bool first = true;
  while (R->p < R->end && (*R->p != ']' || first)) {
    first = false;
    uint32_t lo;
    if (R->p + 1 < R->end && R->p[0] == '[' && R->p[1] == ':') { /* [:alpha:] */
      const char *e = strstr(R->p + 2, ":]");
      if (!e || e >= R->end) {
        R->err = true;
        break;
      }
      R->p = e + 2;
      any = true;
      continue;
    }
    if (*R->p == '\\') {
      R->p++;
      int k = escape(R, true, &lo);
      if (k == 0) {
        any = true;
        continue;
      }
      if (k == 2) { /* no range can follow ("[\s-x]" is literal) */
        if (n + 2 > CLASS_MAX) {
          any = true;
        } else {
          cps[n++] = ' ';
          cps[n++] = '\t';
        }
        continue;
      }
      if (k < 0) {
        R->err = true;
        break;
      }
    } else {
      lo = take_cp(R);
    }
    uint32_t hi = lo;
    if (R->p + 1 < R->end && *R->p == '-' && R->p[1] != ']') {
      R->p++;
      if (*R->p == '\\') {
        R->p++;
        if (escape(R, true, &hi) != 1) {
          R->err = true;
          break;
        }
      } else {
        hi = take_cp(R);
      }
    }
    if (hi < lo) {
      R->err = true;
      break;
    }
    if (hi - lo >= CLASS_MAX || n + (int)(hi - lo) >= CLASS_MAX) {
      any = true;
      continue;
    }
    for (uint32_t c = lo; c <= hi; c++) cps[n++] = c;
  }
  if (R->p >= R->end) R->err = true;
  else R->p++; /* ] */
  if (R->err || neg || any) return set_any();
  sset s = {0};
  for (int i = 0; i < n; i++) {
    sset one = set_cp(cps[i], R->icase);
    for (size_t j = 0; j < one.n; j++) set_push(&s, &one.v[j]);
    free(one.v);
  }
  set_norm(&s);
  return s;
}

/* The ASCII characters a negative lookbehind of one class or one character
 * excludes before the start: literal characters, ranges, \p{L} (ASCII
 * letters), \p{N} and \d (digits). Anything else adds nothing, which only
 * keeps more candidates. */
static void behind_set(const char *t, size_t n, uint64_t *nb) {
  const char *end = t + n;
  if (n == 1 || (n == 2 && t[0] == '\\' && !((t[1] >= 'a' && t[1] <= 'z') ||
                                             (t[1] >= 'A' && t[1] <= 'Z') ||
                                             (t[1] >= '0' && t[1] <= '9')))) {
    unsigned char c = (unsigned char)t[n - 1];
    if (c < 128 && (n == 2 || !strchr(".^$|()[]{}*+?\\", c))) nb[c >> 6] |= (uint64_t)1 << (c & 63);
    return;
  }
  if (n < 3 || t[0] != '[' || t[1] == '^' || t[n - 1] != ']') return;
  /* the whole body one class: its items, up to the closing bracket */
  uint64_t set[2] = {0, 0};
  const char *p = t + 1;
  while (p < end - 1) {
    unsigned char lo = (unsigned char)*p, hi;
    if (lo == '[') return; /* a POSIX class or nested: not read */
    if (lo == '\\') {
      char e = p[1];
      if (e == 'p' && p + 4 < end && p[2] == '{' && p[4] == '}' && (p[3] == 'L' || p[3] == 'N')) {
        for (int c = 0; c < 128; c++)
          if (p[3] == 'L' ? ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) : (c >= '0' && c <= '9'))
            set[c >> 6] |= (uint64_t)1 << (c & 63);
        p += 5;
        continue;
      }
      if (e == 'd') {
        for (int c = '0'; c <= '9'; c++) set[c >> 6] |= (uint64_t)1 << (c & 63);
        p += 2;
        continue;
      }
      if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9') ||
          (unsigned char)e >= 128)
        return; /* another escape: stop reading (what was read holds) */
      lo = (unsigned char)e;
      p += 2;
    } else if (lo >= 128) {
      return;
    } else {
      p++;
    }
    hi = lo;
    if (p + 1 < end - 1 && *p == '-' && (unsigned char)p[1] < 128 && p[1] != '\\' && p[1] != '[') {
      hi = (unsigned char)p[1];
      p += 2;
    }
    for (unsigned c = lo; c <= hi && c < 128; c++) set[c >> 6] |= (uint64_t)1 << (c & 63);
  }
  if (p != end - 1) return;
  nb[0] |= set[0];
  nb[1] |= set[1];
}

static bool expect_close(reader *R) {
  if (R->p < R->end && *R->p == ')') {
    R->p++;
    return true;
  }
  R->err = true;
  return false;
}

static sset read_group_text(reader *R);

static sset read_group(reader *R) {
  const char *start = R->p;
  uint64_t key = memo_key(start, R->end);
  memos *M = R->memo;
  for (size_t i = 0; M && i < M->n; i++) {
    const memo *x = &M->v[i];
    if (x->key == key && x->icase == R->icase && x->len <= (size_t)(R->end - start) &&
        memcmp(x->text, start, x->len) == 0) {
      R->p = start + x->len;
      return set_copy(&x->set);
    }
  }
  bool icase = R->icase;
  R->set_icase = -1;
  sset r = read_group_text(R);
  /* an option set inside a group ends with it; (?i) itself sets it for
   * the rest of the enclosing group (read_group of that one restores it),
   * alternatives after this one included, as in pcre2 */
  R->icase = R->set_icase >= 0 ? R->set_icase == 1 : icase;
  R->set_icase = -1;
  size_t len = (size_t)(R->p - start);
  if (M && !R->err && !R->skip && len >= MEMO_MIN) {
    if (M->n == M->cap) {
      M->cap = M->cap ? 2 * M->cap : 16;
      M->v = vnx_xrealloc(M->v, M->cap * sizeof *M->v);
    }
    M->v[M->n++] = (memo){start, len, key, icase, set_copy(&r)};
  }
  return r;
}

static sset read_group_text(reader *R) {
  R->p++; /* ( */
  if (R->p >= R->end || *R->p == '*') { /* (*VERB) */
    R->err = true;
    return set_any();
  }
  bool assertion = false, negbehind = false;
  if (*R->p == '?') {
    R->p++;
    char c = R->p < R->end ? *R->p : 0;
    if (c == '#') { /* comment */
      while (R->p < R->end && *R->p != ')') R->p++;
      expect_close(R);
      return set_eps();
    } else if (c == ':' || c == '|' || c == '>') {
      R->p++;
    } else if (c == '=' || c == '!') {
      R->p++;
      assertion = true;
    } else if (c == '<' && R->p + 1 < R->end && (R->p[1] == '=' || R->p[1] == '!')) {
      negbehind = R->p[1] == '!';
      R->p += 2;
      assertion = true;
    } else if (c == '<' || c == '\'' || (c == 'P' && R->p + 1 < R->end && R->p[1] == '<')) {
      /* a named group: a name, then its closing > or '; anything else
       * ((?<*...), a non-atomic lookbehind) is not read */
      char close = c == '\'' ? '\'' : '>';
      const char *n = R->p + (c == 'P' ? 2 : 1), *e = n;
      if (e < R->end && ((*e >= 'A' && *e <= 'Z') || (*e >= 'a' && *e <= 'z') || *e == '_'))
        while (e < R->end && ((*e >= 'A' && *e <= 'Z') || (*e >= 'a' && *e <= 'z') ||
                              (*e >= '0' && *e <= '9') || *e == '_'))
          e++;
      if (e == n || e >= R->end || *e != close) {
        R->err = true;
        return set_any();
      }
      R->p = e + 1;
    } else if (c == '&' || c == 'R' || c == 'P' || c == '+' || (c >= '0' && c <= '9') ||
               (c == '-' && R->p + 1 < R->end && R->p[1] >= '0' && R->p[1] <= '9')) {
      /* a subroutine call or recursion: any text */
      while (R->p < R->end && *R->p != ')') R->p++;
      expect_close(R);
      return set_any();
    } else if (c == '(') { /* conditional: (?(name)yes|no) */
      R->p++;
      if (R->p < R->end && *R->p == '?') {
        R->err = true;
        return set_any();
      }
      while (R->p < R->end && *R->p != ')') R->p++;
      if (!expect_close(R)) return set_any();
      sset b = read_alt(R);
      expect_close(R);
      sset e = set_eps();
      set_union(&b, &e);
      set_norm(&b);
      return b;
    } else { /* option letters: (?i) or (?i: */
      bool on = true, icase = R->icase;
      while (R->p < R->end && ((*R->p >= 'a' && *R->p <= 'z') || (*R->p >= 'A' && *R->p <= 'Z') ||
                               *R->p == '-' || *R->p == '^')) {
        if (*R->p == 'x') R->err = true; /* extended syntax: not read */
        if (*R->p == '-') on = false;
        if (*R->p == '^') icase = false; /* (?^): the options unset */
        if (*R->p == 'i') icase = on;
        R->p++;
      }
      if (R->p < R->end && *R->p == ')') { /* (?i) */
        R->p++;
        R->set_icase = icase;
        return set_eps();
      }
      R->icase = icase; /* (?i:...): read_group restores it after */
      if (R->p >= R->end || *R->p != ':') {
        R->err = true;
        return set_any();
      }
      R->p++;
    }
  }
  const char *body = R->p;
  sset b = read_alt(R);
  size_t blen = (size_t)(R->p - body);
  expect_close(R);
  if (assertion) {
    free(b.v);
    sset e = set_eps();
    if (negbehind) behind_set(body, blen, e.v[0].nb);
    return e;
  }
  return b;
}

static sset read_atom(reader *R) {
  char c = *R->p;
  if (c == '(') return read_group(R);
  if (c == '[') {
    R->p++;
    return read_class(R);
  }
  if (c == '.') {
    R->p++;
    return set_any();
  }
  if (c == '^') { /* the start of the line: a marker byte no text has */
    R->p++;
    sset s = {0};
    sstr x = {{START_BOL}, 1, 1, false, {0, 0}, 0};
    set_push(&s, &x);
    return s;
  }
  if (c == '$') {
    R->p++;
    return set_eps();
  }
  if (c == '\\') {
    R->p++;
    if (R->p < R->end && *R->p == 'Q') { /* \Q...\E: literal text */
      R->p++;
      sset s = set_eps();
      while (R->p < R->end && !(R->p + 1 < R->end && R->p[0] == '\\' && R->p[1] == 'E')) {
        sset one = set_cp(take_cp(R), R->icase);
        s = set_concat(&s, &one);
      }
      if (R->p < R->end) R->p += 2;
      return s;
    }
    uint32_t cp;
    int k = escape(R, false, &cp);
    if (k == 1) return set_cp(cp, R->icase);
    if (k == 2) {
      sset s = set_cp(' ', false), t = set_cp('\t', false);
      set_union(&s, &t);
      return s;
    }
    if (k == -1) return set_eps();
    if (k == -2) R->err = true;
    return set_any();
  }
  if (c == '*' || c == '+' || c == '?') { /* a quantifier with nothing before it */
    R->err = true;
    return set_any();
  }
  return set_cp(take_cp(R), R->icase);
}

/* a quantifier after an atom; false if none. max < 0: unbounded */
static bool read_quant(reader *R, long *min, long *max) {
  if (R->p >= R->end) return false;
  char c = *R->p;
  if (c == '?' || c == '*' || c == '+') {
    R->p++;
    *min = c == '+';
    *max = c == '?' ? 1 : -1;
  } else if (c == '{') {
    const char *q = R->p + 1;
    long a = 0, b;
    bool digits = false;
    while (q < R->end && *q >= '0' && *q <= '9') {
      a = a * 10 + (*q++ - '0');
      digits = true;
    }
    /* "{" is then a literal; "{,n}" is one in pcre2 10.42 but a quantifier
     * from 10.43 on: no start strings rather than a guess */
    if (!digits) {
      if (q < R->end && *q == ',') R->err = true;
      return false;
    }
    b = a;
    if (q < R->end && *q == ',') {
      q++;
      b = -1;
      if (q < R->end && *q >= '0' && *q <= '9') {
        b = 0;
        while (q < R->end && *q >= '0' && *q <= '9') b = b * 10 + (*q++ - '0');
      }
    }
    if (q >= R->end || *q != '}') return false;
    R->p = q + 1;
    *min = a;
    *max = b;
  } else {
    return false;
  }
  if (R->p < R->end && (*R->p == '?' || *R->p == '+')) R->p++; /* lazy, possessive */
  return true;
}

/* X{min,max} (max < 0: unbounded): X^j for min <= j <= lim, and when more
 * copies are allowed, X^lim open (a longer run begins with it). Frees x. */
static sset set_repeat(sset *x, long min, long max) {
  /* a single string (a digit: "[0-9]{1,3}") is written out further than a
   * set (white space: a space or a tab), whose powers only multiply */
  long q = x->n == 1 ? QUANT_LIM : 2;
  long lim = max < 0 || max > q ? q : max;
  sset r = {0}, pw = set_eps(); /* pw = X^j */
  for (long j = 0; j <= lim; j++) {
    if (j >= min) {
      sset c = set_copy(&pw);
      if (j == lim && (max < 0 || max > lim)) set_open(&c);
      set_union(&r, &c);
    }
    if (j < lim) {
      sset xc = set_copy(x);
      pw = set_concat(&pw, &xc);
    }
  }
  if (min > lim) { /* only runs longer than lim: they begin with X^lim */
    set_open(&pw);
    set_union(&r, &pw);
  } else {
    free(pw.v);
  }
  free(x->v);
  set_norm(&r);
  return r;
}

static sset read_seq(reader *R) {
  sset acc = set_eps();
  while (!R->err && R->p < R->end && *R->p != '|' && *R->p != ')') {
    bool full = R->skip || set_full(&acc);
    R->skip += full;
    sset a = read_atom(R);
    R->skip -= full;
    if (full) { /* read for its length only */
      long min, max;
      while (!R->err && read_quant(R, &min, &max)) {}
      free(a.v);
      set_open(&acc);
      continue;
    }
    long min, max;
    while (!R->err && read_quant(R, &min, &max)) {
      a = set_repeat(&a, min, max);
    }
    acc = set_concat(&acc, &a);
  }
  return acc;
}

static sset read_alt(reader *R) {
  sset r = read_seq(R);
  while (!R->err && R->p < R->end && *R->p == '|') {
    R->p++;
    sset b = read_seq(R);
    set_union(&r, &b);
  }
  set_norm(&r);
  return r;
}

/* ---- the automaton -------------------------------------------------------- */

/* The start strings of all rules in one Aho-Corasick automaton over bytes:
 * one table step per byte of the folded line finds every start string
 * that ends there. Bytes that occur in no string share class 0. */

typedef struct tedge {
  unsigned char byte;
  uint32_t to;
} tedge;

typedef struct tnode { /* the trie the automaton is built from */
  tedge *e;
  uint32_t ne, cap;
  struct sout *out;
  uint32_t nout, capout;
} tnode;

typedef struct sout {
  uint32_t rule;     /* 2 * rules + u: needs literal u (vnx_needs_index) */
  uint16_t len;      /* bytes of the string */
  bool bol;          /* it begins with START_BOL */
  unsigned char cx;  /* sstr.cx */
  uint64_t nb[2];    /* sstr.nb */
} sout;

/* The outputs of a state as the scan reads them: in groups of start
 * strings that begin at the same place and have the same checks (most
 * states have one), so that a group is checked once; the needs literals
 * in a group of their own. A group is a head word, back | bits << 8
 * (back: len - bol, the string begins at e + 1 - back; bits: the nb as an
 * index in nbs, GROUP_LIT, cx << 6 where not bol), a count, and that many
 * patterns (or literals). 2 bytes a word, so that the outputs of the
 * states a scan meets stay in the caches (a sout is 24). */
#define NB_SETS 32
#define GROUP_LIT 0x20

struct vnx_starts {
  bool *has;                 /* per rule: start strings known */
  uint32_t nr2;              /* 2 * rules: outputs from here on are needs literals */
  const char **lit;          /* needs literal u (borrowed from the rules) */
  uint16_t *litlen;          /* its length; 0: not in the automaton */
  unsigned char cls[256];    /* byte -> class */
  uint32_t ncls, nstates;
  uint16_t *delta;           /* nstates x ncls */
  uint32_t *outoff;          /* nstates + 1: outputs of state s in out[outoff[s]..] */
  sout *out;                 /* (while building) */
  uint32_t *goff;            /* nstates + 1: output groups of state s in groups[goff[s]..] */
  uint16_t *groups;
  uint64_t nbs[NB_SETS][2];  /* the distinct sout.nb; nbs[0] is empty */
};

typedef struct trie {
  tnode *nodes;
  size_t n, cap;
} trie;

static uint32_t node_new(trie *t) {
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 256;
    t->nodes = vnx_xrealloc(t->nodes, t->cap * sizeof *t->nodes);
  }
  memset(&t->nodes[t->n], 0, sizeof t->nodes[0]);
  return (uint32_t)t->n++;
}

static uint32_t child(const trie *t, uint32_t n, unsigned char b) {
  const tnode *x = &t->nodes[n];
  for (uint32_t i = 0; i < x->ne; i++)
    if (x->e[i].byte == b) return x->e[i].to;
  return 0;
}

static void add_out(tnode *x, sout o) {
  for (uint32_t i = 0; i < x->nout; i++)
    if (x->out[i].rule == o.rule && x->out[i].len == o.len) { /* the weaker */
      x->out[i].nb[0] &= o.nb[0];
      x->out[i].nb[1] &= o.nb[1];
      x->out[i].cx &= o.cx;
      return;
    }
  if (x->nout == x->capout) {
    x->capout = x->capout ? 2 * x->capout : 2;
    x->out = vnx_xrealloc(x->out, x->capout * sizeof *x->out);
  }
  x->out[x->nout++] = o;
}

static uint32_t insert_bytes(trie *t, const unsigned char *s, size_t len) {
  uint32_t n = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char b = s[i];
    uint32_t c = child(t, n, b);
    if (!c) {
      c = node_new(t);
      tnode *nd = &t->nodes[n];
      if (nd->ne == nd->cap) {
        nd->cap = nd->cap ? 2 * nd->cap : 4;
        nd->e = vnx_xrealloc(nd->e, nd->cap * sizeof *nd->e);
      }
      nd->e[nd->ne++] = (tedge){b, c};
    }
    n = c;
  }
  return n;
}

static void insert(trie *t, const sstr *x, uint32_t rule) {
  uint32_t n = insert_bytes(t, x->b, x->len);
  add_out(&t->nodes[n], (sout){rule, x->len, x->b[0] == START_BOL, x->cx, {x->nb[0], x->nb[1]}});
}

/* A needs literal: found by the same scan, then compared byte for byte (the
 * automaton reads all digits as "0"). */
static void insert_lit(trie *t, const char *lit, size_t len, uint32_t id) {
  unsigned char *b = vnx_xcalloc(len, 1);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)lit[i];
    b[i] = c >= '0' && c <= '9' ? '0' : c;
  }
  uint32_t n = insert_bytes(t, b, len);
  free(b);
  add_out(&t->nodes[n], (sout){id, (uint16_t)len, false, 0, {0, 0}});
}

size_t vnx_needs_index(const vnx_ruleset *rs, const char **ulit, size_t *nid, size_t *nidoff) {
  size_t nu = 0, k = 0;
  for (size_t i = 0; i < rs->n; i++) {
    nidoff[i] = k;
    for (size_t j = 0; j < rs->rules[i].nneeds; j++) {
      const char *lit = rs->rules[i].needs[j];
      size_t u = 0;
      while (u < nu && strcmp(ulit[u], lit) != 0) u++;
      if (u == nu) ulit[nu++] = lit;
      nid[k++] = u;
    }
  }
  nidoff[rs->n] = k;
  return nu;
}

/* The start strings of one pattern; false if it may start anywhere. */
static bool pattern_starts(const char *pat, bool caseless, memos *M, sset *out) {
  reader R = {pat, pat + strlen(pat), false, 0, M, caseless, -1};
  sset s = read_alt(&R);
  if (R.err || R.p != R.end) {
    free(s.v);
    return false;
  }
  for (size_t i = 0; i < s.n; i++)
    if (s.v[i].len == 0) {
      free(s.v);
      return false;
    }
  *out = s;
  return true;
}

/* Goto and failure function into one table (breadth first: a state's
 * failure state is complete before the state), outputs merged along the
 * failure links. States are numbered breadth first, so that the shallow
 * ones, where most of a scan stays, share a few cache lines. */
static void build(vnx_starts *st, trie *t) {
  bool used[256] = {false};
  for (size_t i = 0; i < t->n; i++)
    for (uint32_t k = 0; k < t->nodes[i].ne; k++) used[t->nodes[i].e[k].byte] = true;
  st->ncls = 1;
  for (int b = 0; b < 256; b++) st->cls[b] = used[b] ? (unsigned char)st->ncls++ : 0;
  for (int b = '1'; b <= '9'; b++) st->cls[b] = st->cls['0']; /* set_cp writes digits as 0 */
  st->nstates = (uint32_t)t->n;
  size_t nc = st->ncls;
  /* order[k]: the trie node of state k; id[node]: its state */
  uint32_t *order = vnx_xcalloc(t->n, sizeof *order);
  uint32_t *id = vnx_xcalloc(t->n, sizeof *id);
  size_t qt = 1;
  for (size_t qh = 0; qh < qt; qh++) {
    const tnode *x = &t->nodes[order[qh]];
    for (uint32_t k = 0; k < x->ne; k++) {
      id[x->e[k].to] = (uint32_t)qt;
      order[qt++] = x->e[k].to;
    }
  }
  st->delta = vnx_xcalloc(t->n * nc, sizeof *st->delta);
  uint32_t *fail = vnx_xcalloc(t->n, sizeof *fail); /* by state */
  for (size_t s = 0; s < t->n; s++) {
    tnode *x = &t->nodes[order[s]];
    if (s) { /* outputs and transitions of the failure state (complete) */
      tnode *f = &t->nodes[order[fail[s]]];
      for (uint32_t i = 0; i < f->nout; i++) add_out(x, f->out[i]);
      memcpy(st->delta + s * nc, st->delta + fail[s] * nc, nc * sizeof *st->delta);
    }
    for (uint32_t k = 0; k < x->ne; k++) {
      uint32_t c = id[x->e[k].to];
      unsigned char cl = st->cls[x->e[k].byte];
      fail[c] = s ? st->delta[fail[s] * nc + cl] : 0;
      st->delta[s * nc + cl] = (uint16_t)c;
    }
  }
  free(fail);
  /* a target state with outputs is marked in the table itself: the scan
   * reads outoff only there (most steps have none) */
  for (size_t k = 0; k < t->n * nc; k++)
    if (t->nodes[order[st->delta[k]]].nout) st->delta[k] |= START_OUT;
  st->outoff = vnx_xcalloc(t->n + 1, sizeof *st->outoff);
  size_t tot = 0;
  for (size_t s = 0; s < t->n; s++) {
    st->outoff[s] = (uint32_t)tot;
    tot += t->nodes[order[s]].nout;
  }
  st->outoff[t->n] = (uint32_t)tot;
  st->out = vnx_xcalloc(tot ? tot : 1, sizeof *st->out);
  for (size_t s = 0; s < t->n; s++)
    if (t->nodes[order[s]].nout) /* a state without outputs has no array (memcpy of NULL is UB) */
      memcpy(st->out + st->outoff[s], t->nodes[order[s]].out,
             t->nodes[order[s]].nout * sizeof *st->out);
  free(order);
  free(id);
}

/* The table is about 2 MB, and a scan stays in a few hundred of its states
 * most of the time; breadth-first numbering scatters those. So the states
 * are renumbered by how often a scan of the rules' example texts (a sample
 * of the documents' language at hand) visits them, the root staying 0. A
 * renumbering changes which row a state has, never what the scan finds. */
static void order_by_use(vnx_starts *st, const vnx_ruleset *rs) {
  size_t ns = st->nstates, nc = st->ncls;
  uint64_t *cnt = vnx_xcalloc(ns, sizeof *cnt);
  char *fold = NULL;
  size_t cap = 0;
  for (size_t i = 0; i < rs->n; i++)
    for (size_t k = 0; k < rs->rules[i].nex; k++) {
      const char *t = rs->rules[i].ex[k].text;
      size_t n = vnx_fold_lower(t, strlen(t), &fold, &cap);
      uint32_t q = st->delta[st->cls[START_BOL]] & ~START_OUT;
      for (size_t e = 0; e < n; e++) {
        q = st->delta[q * nc + st->cls[(unsigned char)fold[e]]] & ~START_OUT;
        cnt[q]++;
      }
    }
  free(fold);
  /* old states by use, then by their old number; the root first */
  uint32_t *old = vnx_xcalloc(ns, sizeof *old), *nw = vnx_xcalloc(ns, sizeof *nw);
  for (size_t i = 0; i < ns; i++) old[i] = (uint32_t)i;
  cnt[0] = UINT64_MAX;
  /* a stable counting-free sort: insertion by runs would be slow for 12k
   * states, so a merge sort on (count desc, index asc) */
  uint32_t *tmp = vnx_xcalloc(ns, sizeof *tmp);
  for (size_t w = 1; w < ns; w *= 2) {
    for (size_t lo = 0; lo < ns; lo += 2 * w) {
      size_t mid = lo + w < ns ? lo + w : ns, hi = lo + 2 * w < ns ? lo + 2 * w : ns;
      size_t a = lo, b = mid, o = lo;
      while (a < mid && b < hi) tmp[o++] = cnt[old[b]] > cnt[old[a]] ? old[b++] : old[a++];
      while (a < mid) tmp[o++] = old[a++];
      while (b < hi) tmp[o++] = old[b++];
    }
    memcpy(old, tmp, ns * sizeof *old);
  }
  free(tmp);
  for (size_t i = 0; i < ns; i++) nw[old[i]] = (uint32_t)i;
  uint16_t *d = vnx_xcalloc(ns * nc, sizeof *d);
  uint32_t *outoff = vnx_xcalloc(ns + 1, sizeof *outoff);
  sout *out = vnx_xcalloc(st->outoff[ns] ? st->outoff[ns] : 1, sizeof *out);
  size_t tot = 0;
  for (size_t r = 0; r < ns; r++) {
    uint32_t o = old[r];
    for (size_t c = 0; c < nc; c++) {
      uint16_t v = st->delta[o * nc + c];
      d[r * nc + c] = (uint16_t)(nw[v & ~START_OUT] | (v & START_OUT));
    }
    outoff[r] = (uint32_t)tot;
    uint32_t k = st->outoff[o + 1] - st->outoff[o];
    memcpy(out + tot, st->out + st->outoff[o], k * sizeof *out);
    tot += k;
  }
  outoff[ns] = (uint32_t)tot;
  free(st->delta);
  free(st->outoff);
  free(st->out);
  st->delta = d;
  st->outoff = outoff;
  st->out = out;
  free(old);
  free(nw);
  free(cnt);
}

/* The head word of output o: a lookbehind set past the first NB_SETS
 * distinct ones is left out (nbs[0]): it only rules starts out, so without
 * it there are more tries, never fewer. */
static uint16_t group_head(vnx_starts *st, const sout *o, size_t *nnb) {
  if (o->rule >= st->nr2) return GROUP_LIT << 8;
  size_t k = 0;
  if (o->nb[0] || o->nb[1]) {
    for (k = 1; k < *nnb; k++)
      if (st->nbs[k][0] == o->nb[0] && st->nbs[k][1] == o->nb[1]) break;
    if (k == *nnb && *nnb < NB_SETS) {
      st->nbs[k][0] = o->nb[0];
      st->nbs[k][1] = o->nb[1];
      (*nnb)++;
    }
    if (k == NB_SETS) k = 0;
  }
  unsigned bits = (unsigned)k | (o->bol ? 0u : o->cx) << 6;
  return (uint16_t)((o->len - o->bol) | bits << 8); /* len <= 4 * START_CP + 1 */
}

/* The outputs as the scan reads them (groups). The order of the outputs
 * of a state is free: each goes to its own pattern's starts. */
static void pack_outputs(vnx_starts *st) {
  size_t ns = st->nstates, tot = st->outoff[ns], nnb = 1, w = 0;
  st->goff = vnx_xcalloc(ns + 1, sizeof *st->goff);
  st->groups = vnx_xcalloc(3 * tot + 1, sizeof *st->groups); /* a group has one output or more */
  uint16_t *head = vnx_xcalloc(tot ? tot : 1, sizeof *head);
  for (size_t i = 0; i < tot; i++) head[i] = group_head(st, &st->out[i], &nnb);
  for (size_t s = 0; s < ns; s++) {
    st->goff[s] = (uint32_t)w;
    size_t a = st->outoff[s], b = st->outoff[s + 1];
    for (size_t i = a; i < b; i++) {
      bool first = true; /* the first output of its group here */
      for (size_t j = a; j < i && first; j++) first = head[j] != head[i];
      if (!first) continue;
      st->groups[w++] = head[i];
      size_t cnt = w++;
      for (size_t j = i; j < b; j++)
        if (head[j] == head[i]) st->groups[w++] = (uint16_t)st->out[j].rule;
      st->groups[cnt] = (uint16_t)(w - cnt - 1);
    }
  }
  st->goff[ns] = (uint32_t)w;
  free(head);
  free(st->out);
  free(st->outoff);
  st->out = NULL;
  st->outoff = NULL;
}

vnx_starts *vnx_starts_new(const vnx_ruleset *rs) {
  vnx_starts *st = vnx_xcalloc(1, sizeof *st);
  st->has = vnx_xcalloc(2 * rs->n + 1, sizeof *st->has);
  trie t = {0};
  node_new(&t); /* the root, node 0 */
  memos M = {0};
  /* rule ri is pattern ri, its core (prefix rules) pattern n + ri */
  for (size_t ri = 0; ri < 2 * rs->n; ri++) {
    const vnx_rule *r = &rs->rules[ri % rs->n];
    const char *pat = ri < rs->n ? r->expanded : r->core_expanded;
    sset s;
    if (!pat || !pattern_starts(pat, r->caseless, &M, &s)) continue;
    st->has[ri] = true;
    for (size_t i = 0; i < s.n; i++) insert(&t, &s.v[i], (uint32_t)ri);
    free(s.v);
  }
  /* the needs literals, numbered as the matcher numbers them */
  size_t tot = 0;
  for (size_t i = 0; i < rs->n; i++) tot += rs->rules[i].nneeds;
  st->nr2 = (uint32_t)(2 * rs->n);
  st->lit = vnx_xcalloc(tot ? tot : 1, sizeof *st->lit);
  st->litlen = vnx_xcalloc(tot ? tot : 1, sizeof *st->litlen);
  size_t *nid = vnx_xcalloc(tot ? tot : 1, sizeof *nid);
  size_t *nidoff = vnx_xcalloc(rs->n + 1, sizeof *nidoff);
  size_t nu = vnx_needs_index(rs, st->lit, nid, nidoff);
  free(nid);
  free(nidoff);
  for (size_t u = 0; u < nu; u++) {
    size_t len = strlen(st->lit[u]);
    if (len == 0 || len > UINT16_MAX) continue; /* the matcher checks these itself */
    st->litlen[u] = (uint16_t)len;
    insert_lit(&t, st->lit[u], len, st->nr2 + (uint32_t)u);
  }
  for (size_t i = 0; i < M.n; i++) free(M.v[i].set.v);
  free(M.v);
  if (t.n < START_OUT && 2 * rs->n + nu <= UINT16_MAX) {
    build(st, &t);
    order_by_use(st, rs);
    pack_outputs(st);
  } else { /* too many states for the table (or patterns for a spout): no start strings at all */
    memset(st->has, 0, (2 * rs->n + 1) * sizeof *st->has);
    memset(st->litlen, 0, (tot ? tot : 1) * sizeof *st->litlen);
  }
  for (size_t i = 0; i < t.n; i++) {
    free(t.nodes[i].e);
    free(t.nodes[i].out);
  }
  free(t.nodes);
  return st;
}

void vnx_starts_free(vnx_starts *st) {
  if (!st) return;
  free(st->has);
  free(st->lit);
  free(st->litlen);
  free(st->delta);
  free(st->outoff);
  free(st->out);
  free(st->goff);
  free(st->groups);
  free(st);
}

bool vnx_starts_has(const vnx_starts *st, size_t rule) { return st->has[rule]; }

bool vnx_starts_lit(const vnx_starts *st, size_t u) { return st->litlen[u] > 0; }

/* A start that does not come after the line's last one so far: in its
 * place, unless it is there already. */
static void insert_start(vnx_startlist *l, uint32_t pos) {
  uint32_t n = l->n, *v = l->v;
  uint32_t k = n;
  while (k > l->base && v[k - 1] > pos) k--;
  if (k > l->base && v[k - 1] == pos) return;
  memmove(v + k + 1, v + k, (n - k) * sizeof *v);
  v[k] = pos;
  l->n = n + 1;
}

static void grow_starts(vnx_startlist *l) {
  if (l->cap == UINT32_MAX) { /* positions are u32: more than any block gives */
    fprintf(stderr, "vnextract: too many candidate positions in one block\n");
    abort();
  }
  l->cap = l->cap ? (l->cap > UINT32_MAX / 2 ? UINT32_MAX : 2 * l->cap) : 16;
  l->v = vnx_xrealloc(l->v, l->cap * sizeof *l->v);
}

static inline void add_start(vnx_startbuf *b, uint32_t rule, size_t pos) {
  vnx_startlist *l = &b->sp[rule];
  if (l->skip) return;
  uint32_t n = l->n;
  if (n == l->cap) grow_starts(l);
  if (n == l->base) {
    b->touched[b->ntouched++] = rule;
  } else if (l->v[n - 1] >= pos) {
    /* starts come by the end of their string: nearly in order */
    insert_start(l, (uint32_t)pos);
    return;
  }
  l->v[n] = (uint32_t)pos;
  l->n = n + 1;
}

/* The outputs of state s, reached after byte e of the folded line f (u:
 * the line). */
static inline void scan_out(const vnx_starts *st, const unsigned char *u, const unsigned char *f,
                            uint32_t s, size_t e, vnx_startbuf *b) {
  const uint16_t *g = st->groups + st->goff[s], *end = st->groups + st->goff[s + 1];
  while (g < end) {
    unsigned back = g[0] & 0xFF, bits = g[0] >> 8, cnt = g[1];
    const uint16_t *r = g + 2;
    g = r + cnt;
    if (bits & GROUP_LIT) { /* a needs literal ends at e, if its bytes are there */
      for (unsigned i = 0; i < cnt; i++) {
        uint32_t lu = r[i] - st->nr2;
        size_t len = st->litlen[lu];
        if (!b->lit[lu] && memcmp(f + e + 1 - len, st->lit[lu], len) == 0) {
          b->lit[lu] = 1;
          b->found[b->nfound++] = lu;
        }
      }
      continue;
    }
    /* strings that end at e; the marker stands before 0 */
    size_t p = e + 1 - back;
    /* their lookbehind fails (the line's byte: the class is read as written) */
    if (p > 0 && nb_has(st->nbs[bits & (NB_SETS - 1)], u[p - 1])) continue;
    /* the case of their first code point: a capital is where the folded
     * line differs from the line (the lines scanned keep their length) */
    unsigned cx = bits >> 6;
    if (cx) {
      size_t k = (size_t)utf8_len(u[p]);
      bool upper = memcmp(u + p, f + p, k) != 0;
      if (cx & (upper ? CX_UPPER : CX_OTHER)) continue;
    }
    for (unsigned i = 0; i < cnt; i++) add_start(b, r[i], p);
  }
}

/* the line start: the marker byte, before position 0 */
static inline uint32_t scan_bol(const vnx_starts *st, vnx_startbuf *b) {
  uint32_t s = st->delta[st->cls[START_BOL]] & ~START_OUT;
  const uint16_t *g = st->groups + st->goff[s], *end = st->groups + st->goff[s + 1];
  while (g < end) {
    unsigned cnt = g[1];
    for (unsigned i = 0; i < cnt; i++) add_start(b, g[2 + i], 0);
    g += 2 + cnt;
  }
  return s;
}

/* The walks note the table entry they read at each byte (b->xs, with
 * START_OUT where the state reached has outputs) and the outputs are read
 * after: the walk then has no branch that depends on the text, and the
 * next lookups are not undone by a mispredicted one. Room for a line of n
 * bytes. */
static uint16_t *steps_for(vnx_startbuf *b, size_t n) {
  if (b->xscap < n) {
    b->xscap = n > 256 ? n : 256;
    b->xs = vnx_xrealloc(b->xs, b->xscap * sizeof *b->xs);
  }
  return b->xs;
}

/* The outputs of a line (f folded, u itself, n bytes) from its steps. */
static void line_outputs(const vnx_starts *st, const unsigned char *u, const unsigned char *f,
                         size_t n, vnx_startbuf *b) {
  const uint16_t *xs = b->xs;
  size_t e = 0;
#if defined(__SSE2__)
  for (; e + 8 <= n; e += 8) { /* the high byte of each entry, START_OUT its top bit */
    unsigned mask = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(xs + e))) & 0xAAAAu;
    while (mask) {
      unsigned k = (unsigned)__builtin_ctz(mask) >> 1;
      mask &= mask - 1;
      scan_out(st, u, f, xs[e + k] & ~START_OUT, e + k, b);
    }
  }
#endif
  for (; e < n; e++)
    if (xs[e] & START_OUT) scan_out(st, u, f, xs[e] & ~START_OUT, e, b);
}

void vnx_starts_scan(const vnx_starts *st, const char *line, const char *fold, size_t n,
                     vnx_startbuf *b) {
  vnx_starts_scan_lines(st, 1, &line, &fold, &n, &b);
}

/* One walk through lines: its line, position and state, its steps. */
typedef struct swalk {
  const unsigned char *f;
  size_t e, n;
  uint16_t *xs;
  uint32_t s;
  vnx_startbuf *b;
} swalk;
/* Three or more walks were as fast as four (and eight); two were slower. */
#define SCAN_WALKS 4

/* m more bytes of each of k walks (k a constant where inlined) */
static inline void walk_steps(const vnx_starts *st, swalk *w, size_t k, size_t m) {
  const uint16_t *d = st->delta;
  size_t nc = st->ncls;
  for (size_t t = 0; t < m; t++)
    for (size_t j = 0; j < k; j++) {
      uint16_t x = d[w[j].s * nc + st->cls[w[j].f[w[j].e]]];
      w[j].xs[w[j].e++] = x;
      w[j].s = x & ~START_OUT;
    }
}

static void walk_begin(const vnx_starts *st, swalk *w, const char *fold, size_t n, vnx_startbuf *b) {
  w->f = (const unsigned char *)fold;
  w->e = 0;
  w->n = n;
  w->b = b;
  w->s = scan_bol(st, b);
  w->xs = steps_for(b, n);
}

/* SCAN_WALKS walks at once, each through lines in turn: when the line of
 * one ends, it goes on with the next line not begun (so that they stay
 * busy together until the last lines). Then the outputs, line by line. */
void vnx_starts_scan_lines(const vnx_starts *st, size_t k, const char *const *line,
                           const char *const *fold, const size_t *n, vnx_startbuf *const *b) {
  if (!st->delta || !k) return;
  swalk w[SCAN_WALKS];
  size_t nw = 0, next = 0;
  while (nw < SCAN_WALKS && next < k) {
    walk_begin(st, &w[nw++], fold[next], n[next], b[next]);
    next++;
  }
  while (nw) {
    size_t m = w[0].n - w[0].e;
    for (size_t j = 1; j < nw; j++) m = w[j].n - w[j].e < m ? w[j].n - w[j].e : m;
    switch (nw) { /* a case for each number of walks up to SCAN_WALKS */
    case 4: walk_steps(st, w, 4, m); break;
    case 3: walk_steps(st, w, 3, m); break;
    case 2: walk_steps(st, w, 2, m); break;
    default: walk_steps(st, w, 1, m); break;
    }
    for (size_t j = 0; j < nw;) {
      if (w[j].e < w[j].n) {
        j++;
        continue;
      }
      if (next < k) {
        walk_begin(st, &w[j], fold[next], n[next], b[next]);
        next++;
      } else {
        w[j] = w[--nw];
      }
    }
  }
  for (size_t j = 0; j < k; j++)
    line_outputs(st, (const unsigned char *)line[j], (const unsigned char *)fold[j], n[j], b[j]);
}

/* ---- bytes a pattern never consumes ---------------------------------------
 *
 * A rule with a prefix is tried at each candidate start before the place
 * where its pattern lines match (match.c). Its prefix runs {BD_BODY} from
 * every such start, and when a full stop or a semicolon lies between the
 * start and that place, the body can never reach it: about half of those
 * tries (and the dearest, as the body matches and then fails) are spent so.
 * The ASCII bytes the pattern can consume outside lookarounds are read off
 * its text, over-approximated; any other byte between a start and the place
 * rules the start out. */

typedef struct ereader {
  const char *p, *end;
  uint64_t eat[2];     /* ASCII bytes the pattern may consume */
  int look;            /* depth of lookarounds around the current point */
  bool unknown;        /* something this reader does not follow */
  bool calls;          /* a subroutine call: (?&name), (?1), (?R) */
  bool group_in_look;  /* a capture group inside a lookaround */
} ereader;

static void set_bit(uint64_t s[2], unsigned c) { s[c >> 6] |= (uint64_t)1 << (c & 63); }

/* c, and its other case: the reader does not follow (?i), so it takes both */
static void add_ci(uint64_t s[2], unsigned c) {
  if (c >= 128) return;
  set_bit(s, c);
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') set_bit(s, c ^ 0x20);
}

static void add_range(uint64_t s[2], unsigned a, unsigned b) {
  for (unsigned c = a; c <= b && c < 128; c++) set_bit(s, c);
}

static void add_all(uint64_t s[2]) { s[0] = s[1] = ~(uint64_t)0; }

/* Under (?i) the Kelvin sign U+212A matches k and K, and the long s U+017F
 * s and S (pcre2's case folding): the only characters beyond ASCII that
 * match ASCII letters. Where a set lists what a negated class excludes, they
 * add nothing (listing less keeps the complement a superset). */
static void add_kelvin_long_s(uint64_t s[2], bool listing) {
  if (listing) return;
  add_ci(s, 'k');
  add_ci(s, 's');
}

static void add_multibyte(uint64_t s[2], const char *p, size_t n, bool listing) {
  if ((n == 3 && memcmp(p, "\xE2\x84\xAA", 3) == 0) || (n == 2 && memcmp(p, "\xC5\xBF", 2) == 0))
    add_kelvin_long_s(s, listing);
}

/* The ASCII set of the escape at R->p (just after the backslash), added to
 * s; exact: the set is exactly right (classes \d \s \w \p{L} \p{N} and
 * literal escapes), else s gets a superset. A literal escape adds both
 * cases of a letter, except where the set lists what a negated class
 * excludes (listing: its own byte only). Returns the code point of a
 * literal escape (for a range), or -1. */
static long escape_set(ereader *R, uint64_t s[2], bool *exact, bool in_class, bool listing) {
  *exact = true;
  if (R->p >= R->end) {
    R->unknown = true;
    return -1;
  }
  char c = *R->p++;
  switch (c) {
  case 'd': add_range(s, '0', '9'); return -1;
  case 's': add_range(s, '\t', '\r'); set_bit(s, ' '); return -1;
  case 'w': add_range(s, '0', '9'); add_range(s, 'a', 'z'); add_range(s, 'A', 'Z'); set_bit(s, '_'); return -1;
  case 'h': set_bit(s, '\t'); set_bit(s, ' '); return -1;
  case 'n': set_bit(s, '\n'); return '\n';
  case 't': set_bit(s, '\t'); return '\t';
  case 'r': set_bit(s, '\r'); return '\r';
  case 'f': set_bit(s, '\f'); return '\f';
  case 'e': set_bit(s, 27); return 27;
  case 'a': set_bit(s, 7); return 7;
  case 'b':
    if (in_class) { /* [\b] is a backspace */
      set_bit(s, 8);
      return 8;
    }
    return -1; /* a word boundary: no byte */
  case 'x': {
    unsigned long v = 0;
    if (R->p < R->end && *R->p == '{') {
      const char *q = memchr(R->p, '}', (size_t)(R->end - R->p));
      if (!q) {
        R->unknown = true;
        return -1;
      }
      v = strtoul(R->p + 1, NULL, 16);
      R->p = q + 1;
    } else {
      int k = 0;
      while (k < 2 && R->p < R->end && isxdigit((unsigned char)*R->p)) {
        v = v * 16 + (unsigned long)(isdigit((unsigned char)*R->p) ? *R->p - '0' : (*R->p | 0x20) - 'a' + 10);
        R->p++;
        k++;
      }
    }
    if (v < 128) {
      if (listing) set_bit(s, (unsigned)v);
      else add_ci(s, (unsigned)v);
    } else if (v == 0x212A || v == 0x17F) {
      add_kelvin_long_s(s, listing);
    }
    return (long)v;
  }
  case 'p':
  case 'P': {
    const char *name = R->p;
    size_t nl = 1;
    if (R->p < R->end && *R->p == '{') {
      const char *q = memchr(R->p, '}', (size_t)(R->end - R->p));
      if (!q) {
        R->unknown = true;
        return -1;
      }
      name = R->p + 1;
      nl = (size_t)(q - name);
      R->p = q + 1;
    } else if (R->p < R->end) {
      R->p++;
    }
    bool L = nl == 1 && name[0] == 'L', N = nl == 1 && name[0] == 'N';
    if (c == 'p' && (L || N)) {
      if (L) {
        add_range(s, 'a', 'z');
        add_range(s, 'A', 'Z');
      } else {
        add_range(s, '0', '9');
      }
      return -1;
    }
    *exact = false;
    if (c == 'p' && nl == 2 && name[0] == 'L') { /* \p{Lu}, \p{Ll} ...: letters, either case */
      add_range(s, 'a', 'z');
      add_range(s, 'A', 'Z');
    } else if (c == 'p' && nl == 2 && name[0] == 'N') {
      add_range(s, '0', '9');
    } else { /* \P{..} and other properties: any */
      add_all(s);
    }
    return -1;
  }
  default:
    if (isdigit((unsigned char)c) || c == 'g' || c == 'k') { /* a backreference */
      R->unknown = true;
      return -1;
    }
    if (isalnum((unsigned char)c)) { /* \B \A \z \Z \G \K: no byte; \D \S \W \N \R \X \C ...: any */
      if (strchr("BAzZGK", c)) return -1;
      *exact = false;
      add_all(s);
      return -1;
    }
    if (listing) set_bit(s, (unsigned char)c); /* an escaped punctuation mark is itself */
    else add_ci(s, (unsigned char)c);
    return (unsigned char)c;
  }
}

static void ereader_eat(ereader *R, const uint64_t s[2]) {
  if (R->look) return;
  R->eat[0] |= s[0];
  R->eat[1] |= s[1];
}

/* [...] at R->p (after the '['). A negated class consumes every ASCII byte
 * it does not list: listed only what is surely excluded (exact sets, no
 * case folding), so the complement is a superset. */
static void read_eclass(ereader *R) {
  bool neg = R->p < R->end && *R->p == '^';
  if (neg) R->p++;
  uint64_t s[2] = {0, 0};
  bool first = true, inexact = false;
  long prev = -1;
  while (R->p < R->end && (*R->p != ']' || first)) {
    first = false;
    unsigned char c = (unsigned char)*R->p;
    long cp = -1;
    if (c == '[' && R->p + 1 < R->end && R->p[1] == ':') { /* [:alpha:]: any */
      const char *q = strstr(R->p, ":]");
      if (!q || q >= R->end) {
        R->unknown = true;
        return;
      }
      R->p = q + 2;
      inexact = true;
      add_all(s);
      prev = -1;
      continue;
    }
    if (c == '\\') {
      R->p++;
      bool exact;
      uint64_t es[2] = {0, 0};
      cp = escape_set(R, es, &exact, true, neg);
      if (!exact) inexact = true;
      s[0] |= es[0];
      s[1] |= es[1];
    } else if (c == '-' && prev >= 0 && R->p + 1 < R->end && R->p[1] != ']') {
      R->p++;
      long hi;
      if (*R->p == '\\') {
        R->p++;
        bool exact;
        uint64_t es[2] = {0, 0};
        hi = escape_set(R, es, &exact, true, neg);
      } else {
        hi = (unsigned char)*R->p++;
        if (hi >= 0x80) hi = 0x10FFFF; /* a multibyte end: up to it */
      }
      if (hi < 0) {
        R->unknown = true;
        return;
      }
      if (prev >= 0x80 || hi >= 0x80) /* a range beyond ASCII may hold ſ or the Kelvin sign */
        add_kelvin_long_s(s, neg);
      add_range(s, (unsigned)prev, (unsigned)(hi < 127 ? hi : 127));
      if (!neg) /* other case of the range (superset) */
        for (long k = prev; k <= hi && k < 128; k++) add_ci(s, (unsigned)k);
      prev = -1;
      continue;
    } else {
      R->p++;
      if (c < 0x80) {
        cp = c;
        if (neg) set_bit(s, c);
        else add_ci(s, c);
      } else {
        const char *mb = R->p - 1;
        while (R->p < R->end && ((unsigned char)*R->p & 0xC0) == 0x80) R->p++;
        add_multibyte(s, mb, (size_t)(R->p - mb), neg);
        cp = 0x80; /* a range from a multibyte character stays above ASCII */
      }
    }
    prev = cp;
  }
  if (R->p >= R->end) {
    R->unknown = true;
    return;
  }
  R->p++; /* ']' */
  if (neg) {
    if (inexact) { /* what it lists is not known exactly: it may take anything */
      add_all(s);
    } else {
      s[0] = ~s[0];
      s[1] = ~s[1];
    }
  }
  ereader_eat(R, s);
}

/* R->p just past the ')' that ends the item at q (a comment, a call); false
 * (unknown) if there is none */
static bool skip_past_close(ereader *R, const char *q) {
  const char *e = memchr(q, ')', (size_t)(R->end - q));
  if (!e) {
    R->unknown = true;
    return false;
  }
  R->p = e + 1;
  return true;
}

/* The whole pattern; false when the reader cannot tell. */
static bool read_eats(ereader *R) {
  bool stack[256]; /* per open group: is it a lookaround */
  int depth = 0;
  while (R->p < R->end && !R->unknown) {
    unsigned char c = (unsigned char)*R->p;
    if (c == '\\') {
      R->p++;
      if (R->p < R->end && *R->p == 'Q') { /* \Q...\E: literal */
        R->p++;
        while (R->p < R->end && !(R->p[0] == '\\' && R->p + 1 < R->end && R->p[1] == 'E')) {
          uint64_t s[2] = {0, 0};
          add_ci(s, (unsigned char)*R->p++);
          ereader_eat(R, s);
        }
        if (R->p < R->end) R->p += 2;
        continue;
      }
      uint64_t s[2] = {0, 0};
      bool exact;
      escape_set(R, s, &exact, false, false);
      ereader_eat(R, s);
    } else if (c == '[') {
      R->p++;
      read_eclass(R);
    } else if (c == '(') {
      R->p++;
      bool look = false;
      if (R->p < R->end && *R->p == '*') { /* (*VERB) and (*pla:...): not followed */
        R->unknown = true;
        break;
      }
      if (R->p < R->end && *R->p == '?') {
        const char *q = R->p + 1;
        if (q >= R->end) {
          R->unknown = true;
          break;
        }
        if (*q == '#') { /* a comment */
          if (!skip_past_close(R, q)) break;
          continue;
        }
        if (*q == '=' || *q == '!' || (*q == '<' && q + 1 < R->end && (q[1] == '=' || q[1] == '!'))) {
          look = true;
        } else if (*q == '&' || *q == 'R' || isdigit((unsigned char)*q) || *q == '+' ||
                   (*q == '-' && q + 1 < R->end && isdigit((unsigned char)q[1])) ||
                   (*q == 'P' && q + 1 < R->end && q[1] == '>')) {
          R->calls = true; /* a call: no bytes of its own here */
          if (!skip_past_close(R, q)) break;
          continue;
        } else if (*q == '(' || (*q == 'P' && q + 1 < R->end && q[1] == '=') || *q == 'C') {
          R->unknown = true; /* conditions, backreferences, callouts */
          break;
        } else if (*q == '<' || *q == '\'' || (*q == 'P' && q + 1 < R->end && q[1] == '<')) {
          /* a named group, only with a name and its closing > or ': else
           * something this reader does not follow ((?<*...), ...) */
          const char *n = q + (*q == 'P' ? 2 : 1), *e = n;
          if (e < R->end && (isalpha((unsigned char)*e) || *e == '_'))
            while (e < R->end && (isalnum((unsigned char)*e) || *e == '_')) e++;
          if (e == n || e >= R->end || *e != (*q == '\'' ? '\'' : '>')) {
            R->unknown = true;
            break;
          }
          if (R->look) R->group_in_look = true;
        } else if (*q != ':' && *q != '|' && *q != '>') {
          /* options: "(?i)" sets them, "(?i:" opens a group */
          const char *e = q;
          while (e < R->end && (isalpha((unsigned char)*e) || *e == '-' || *e == '^')) e++;
          if (e < R->end && *e == ')') {
            R->p = e + 1;
            continue;
          }
          if (e >= R->end || *e != ':') {
            R->unknown = true;
            break;
          }
        }
      } else if (R->look) {
        R->group_in_look = true; /* a numbered group */
      }
      if (depth == (int)(sizeof stack / sizeof *stack)) {
        R->unknown = true;
        break;
      }
      stack[depth++] = look;
      if (look) R->look++;
      /* step over the group's opening: "(", "(?:", "(?<name>", "(?i:" ... */
      if (*R->p == '?') {
        R->p++;
        if (*R->p == '<' && R->p + 1 < R->end && (R->p[1] == '=' || R->p[1] == '!')) R->p += 2;
        else if (*R->p == '=' || *R->p == '!' || *R->p == ':' || *R->p == '|' || *R->p == '>') R->p++;
        else if (*R->p == '<' || *R->p == '\'' || *R->p == 'P') { /* checked above */
          char close = *R->p == '\'' ? '\'' : '>';
          R->p++;
          while (*R->p != close) R->p++;
          R->p++;
        } else {
          while (R->p < R->end && *R->p != ':') R->p++;
          R->p++;
        }
      }
    } else if (c == ')') {
      R->p++;
      if (depth == 0) {
        R->unknown = true;
        break;
      }
      if (stack[--depth]) R->look--;
    } else if (c == '{') { /* a quantifier {n}, {n,}, {n,m}; else literal text */
      const char *q = R->p + 1, *d = q;
      while (q < R->end && isdigit((unsigned char)*q)) q++;
      bool quant = q > d;
      if (quant && q < R->end && *q == ',') {
        q++;
        while (q < R->end && isdigit((unsigned char)*q)) q++;
      }
      if (quant && q < R->end && *q == '}') {
        R->p = q + 1;
      } else {
        uint64_t s[2] = {0, 0};
        set_bit(s, '{');
        ereader_eat(R, s);
        R->p++;
      }
    } else if (c == '.') {
      uint64_t s[2];
      add_all(s);
      ereader_eat(R, s);
      R->p++;
    } else if (strchr("|*+?^$", c)) {
      R->p++;
    } else if (c >= 0x80) { /* a multibyte character: ASCII only by case (ſ, K) */
      const char *mb = R->p++;
      while (R->p < R->end && ((unsigned char)*R->p & 0xC0) == 0x80) R->p++;
      uint64_t s[2] = {0, 0};
      add_multibyte(s, mb, (size_t)(R->p - mb), false);
      ereader_eat(R, s);
    } else {
      uint64_t s[2] = {0, 0};
      add_ci(s, c);
      ereader_eat(R, s);
      R->p++;
    }
  }
  return !R->unknown && depth == 0 && !(R->calls && R->group_in_look);
}

bool vnx_pattern_stops(const char *pat, size_t n, uint64_t stop[2]) {
  ereader R = {pat, pat + n, {0, 0}, 0, false, false, false};
  if (!read_eats(&R)) return false;
  stop[0] = ~R.eat[0];
  stop[1] = ~R.eat[1];
  return (stop[0] | stop[1]) != 0;
}
