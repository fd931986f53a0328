/* segment.c - the document's structure (issue 6): one segment per line of
 * the normalised text (headings, list items, paragraphs, table rows and
 * headers, footnotes, the "Nơi nhận:" list, the signature block), each with
 * its section path; tables with their column headers and logical rows (a
 * row split by a page break is joined to the row it continues).
 *
 * The normaliser has already joined hard-wrapped lines into one paragraph
 * per line and kept tabs between table cells, so the segmenter works line
 * by line. See segment.h for the data structure. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- UTF-8 helpers ------------------------------------------------------ */

static unsigned utf8_dec(const unsigned char *p, const unsigned char *e, int *len) {
  unsigned c = p[0];
  if (c < 0x80 || p + 1 >= e) { *len = 1; return c; }
  if ((c & 0xE0) == 0xC0) { *len = 2; return ((c & 0x1F) << 6) | (p[1] & 0x3F); }
  if ((c & 0xF0) == 0xE0 && p + 2 < e) {
    *len = 3;
    return ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  }
  if ((c & 0xF8) == 0xF0 && p + 3 < e) {
    *len = 4;
    return ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  }
  *len = 1;
  return c;
}

static int utf8_enc(unsigned c, char *out) {
  if (c < 0x80) { out[0] = (char)c; return 1; }
  if (c < 0x800) { out[0] = (char)(0xC0 | (c >> 6)); out[1] = (char)(0x80 | (c & 0x3F)); return 2; }
  if (c < 0x10000) {
    out[0] = (char)(0xE0 | (c >> 12));
    out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (c >> 18));
  out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
  out[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

static unsigned lower_cp(unsigned c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x17F && !(c & 1)) return c + 1; /* Ă Đ Ĩ Ũ ... (even upper) */
  if (c == 0x1A0 || c == 0x1AF) return c + 1;                /* Ơ Ư */
  if (c >= 0x1EA0 && c <= 0x1EF9 && !(c & 1)) return c + 1;  /* Vietnamese block */
  return c;
}

unsigned vnx_lower_cp(unsigned c) { return lower_cp(c); }

static bool is_letter_cp(unsigned c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x1E00 && c <= 0x1EFF);
}

char *vnx_utf8_lower(const char *s, size_t n) {
  char *out = vnx_xmalloc(n * 2 + 1);
  vnx_utf8_lower_into(s, n, out);
  return out;
}

size_t vnx_utf8_lower_into(const char *s, size_t n, char *out) {
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)s, *e = p + n;
  while (p < e) {
    int len;
    unsigned c = utf8_dec(p, e, &len);
    unsigned l = lower_cp(c);
    if (l == c) {
      memcpy(out + o, p, (size_t)len);
      o += (size_t)len;
    } else {
      o += (size_t)utf8_enc(l, out + o);
    }
    p += len;
  }
  out[o] = 0;
  return o;
}

/* The whole normalised text lower-cased once, for the later stages that
 * test many spans of it (vnx_doc_lower). Only kept when every character
 * keeps its byte length and the text splits into characters at exactly
 * its non-continuation bytes (valid UTF-8 does): then the lowered copy of
 * a span starting and ending at such bytes is that span of this text. */
/* the offset of the first byte with its high bit set in a word read with
 * memcpy (m: only such bits, not 0) */
static inline unsigned first_high_byte(uint64_t m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return (unsigned)__builtin_ctzll(m) >> 3;
#else
  unsigned char b[8];
  memcpy(b, &m, 8);
  unsigned k = 0;
  while (!b[k]) k++;
  return k;
#endif
}

/* lower_text for the usual text, of ASCII and well-formed two- and
 * three-byte characters: all ASCII lowered eight bytes at a time, then only
 * the other characters visited (the ASCII between them skipped by words),
 * which is what costs in the general loop (a branch per character). Returns
 * false, out half done, on anything else: the general loop decides then. */
static bool lower_text_fast(const unsigned char *p, size_t n, unsigned char *out) {
  const uint64_t high = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    /* on the low seven bits (no carry between bytes): >= 'A' and > 'Z';
     * bytes with the high bit set are not ASCII and stay */
    uint64_t x = w & ~high;
    uint64_t upper = (x + 0x3f3f3f3f3f3f3f3full) & ~(x + 0x2525252525252525ull) & ~w & high;
    w |= upper >> 2;
    memcpy(out + i, &w, 8);
  }
  for (; i < n; i++) out[i] = (unsigned char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
  i = 0;
  while (i < n) {
    if (n - i >= 8) {
      uint64_t w;
      memcpy(&w, p + i, 8);
      if (!(w & high)) {
        i += 8;
        continue;
      }
      i += first_high_byte(w & high);
    } else if (p[i] < 0x80) {
      i++;
      continue;
    }
    unsigned char a = p[i];
    if (a >= 0xC2 && a < 0xE0) {
      if (n - i < 2 || (p[i + 1] & 0xC0) != 0x80) return false;
      /* what lower_cp changes below U+0800 (see lower_text) */
      unsigned char b = p[i + 1];
      if (a == 0xC3) {
        if (b <= 0x9E && b != 0x97) out[i + 1] = (unsigned char)(b + 0x20);
      } else if (a == 0xC4 || a == 0xC5) {
        out[i + 1] = (unsigned char)(b | 1);
      } else if (a == 0xC6 && (b == 0xA0 || b == 0xAF)) {
        out[i + 1] = (unsigned char)(b + 1);
      }
      i += 2;
    } else if (a >= 0xE0 && a < 0xF0) {
      if (n - i < 3 || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80) return false;
      unsigned char b = p[i + 1], c = p[i + 2];
      if (a == 0xE0 && b < 0xA0) return false; /* overlong */
      if (a == 0xE1 && ((b == 0xBA && c >= 0xA0) || (b == 0xBB && c <= 0xB9))) out[i + 2] = (unsigned char)(c | 1);
      i += 3;
    } else {
      return false;
    }
  }
  out[n] = 0;
  return true;
}

#if defined(__SSE2__)
/* 0xFF where lo <= v[k] <= hi (unsigned) */
static inline __m128i bytes_in(__m128i v, unsigned char lo, unsigned char hi) {
  __m128i d = _mm_sub_epi8(v, _mm_set1_epi8((char)lo));
  return _mm_cmpeq_epi8(_mm_subs_epu8(d, _mm_set1_epi8((char)(hi - lo))), _mm_setzero_si128());
}
static inline __m128i bytes_eq(__m128i v, unsigned char c) {
  return _mm_cmpeq_epi8(v, _mm_set1_epi8((char)c));
}
/* 0xFF where v[k] < c, both taken as unsigned, for c > 0x80: the bytes
 * 0x80 .. c - 1 (signed, ASCII is not below them) */
static inline __m128i high_below(__m128i v, unsigned char c) {
  return _mm_cmplt_epi8(v, _mm_set1_epi8((char)c));
}

/* The sixteen bytes v lowered as lower_text_fast lowers them, v1 and v2
 * being the bytes one and two before each. *ok is cleared unless every
 * byte is ASCII, a lead byte lower_text_fast takes (C2..DF, E1..EF) or a
 * continuation byte where one is due after such a lead. */
static inline __m128i lower16(__m128i v, __m128i v1, __m128i v2, bool *ok) {
  __m128i cont = high_below(v, 0xC0);
  __m128i lead2 = bytes_in(v, 0xC2, 0xDF), lead3 = bytes_in(v, 0xE1, 0xEF);
  __m128i due = _mm_or_si128(_mm_or_si128(bytes_in(v1, 0xC2, 0xDF), bytes_in(v1, 0xE1, 0xEF)),
                             bytes_in(v2, 0xE1, 0xEF));
  int high = _mm_movemask_epi8(v);
  int known = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(cont, lead2), lead3));
  if (high != known || _mm_movemask_epi8(cont) != _mm_movemask_epi8(due)) *ok = false;
  /* what lower_text_fast changes: A..Z and C3 80..9E but 97, +0x20; C4 xx
   * and C5 xx, |1; C6 A0 and C6 AF, +1; E1 BA A0..BF and E1 BB 80..B9, |1
   * (after a lead byte the tests take the byte for a continuation byte:
   * if it is not one, *ok is cleared and the result not used) */
  __m128i plus20 = _mm_or_si128(bytes_in(v, 'A', 'Z'),
                                _mm_andnot_si128(bytes_eq(v, 0x97), _mm_and_si128(bytes_eq(v1, 0xC3), high_below(v, 0x9F))));
  __m128i plus1 = _mm_and_si128(bytes_eq(v1, 0xC6), _mm_or_si128(bytes_eq(v, 0xA0), bytes_eq(v, 0xAF)));
  __m128i e1 = _mm_or_si128(_mm_andnot_si128(high_below(v, 0xA0), bytes_eq(v1, 0xBA)),
                            _mm_and_si128(bytes_eq(v1, 0xBB), high_below(v, 0xBA)));
  __m128i or1 = _mm_or_si128(bytes_in(v1, 0xC4, 0xC5), _mm_and_si128(bytes_eq(v2, 0xE1), e1));
  __m128i add = _mm_or_si128(_mm_and_si128(plus20, _mm_set1_epi8(0x20)), _mm_and_si128(plus1, _mm_set1_epi8(1)));
  return _mm_or_si128(_mm_add_epi8(v, add), _mm_and_si128(or1, _mm_set1_epi8(1)));
}

/* lower_text_fast sixteen bytes at a time, without a branch per
 * character. Returns false (out half done) where lower_text_fast could
 * return false, and for short texts. */
static bool lower_text_sse2(const unsigned char *p, size_t n, unsigned char *out) {
  if (n < 32) return false;
  bool ok = true;
  /* the first block: the bytes before the text count as ASCII */
  __m128i v = _mm_loadu_si128((const __m128i *)p);
  _mm_storeu_si128((__m128i *)out, lower16(v, _mm_slli_si128(v, 1), _mm_slli_si128(v, 2), &ok));
  size_t i = 16;
  for (; i + 16 <= n && ok; i += 16) {
    v = _mm_loadu_si128((const __m128i *)(p + i));
    __m128i v1 = _mm_loadu_si128((const __m128i *)(p + i - 1)), v2 = _mm_loadu_si128((const __m128i *)(p + i - 2));
    _mm_storeu_si128((__m128i *)(out + i), lower16(v, v1, v2, &ok));
  }
  if (i < n && ok) { /* the last sixteen bytes (some again) */
    i = n - 16;
    v = _mm_loadu_si128((const __m128i *)(p + i));
    __m128i v1 = _mm_loadu_si128((const __m128i *)(p + i - 1)), v2 = _mm_loadu_si128((const __m128i *)(p + i - 2));
    _mm_storeu_si128((__m128i *)(out + i), lower16(v, v1, v2, &ok));
  }
  /* a character cut by the end of the text */
  unsigned char z1 = p[n - 1], z2 = p[n - 2];
  if ((z1 >= 0xC2 && z1 <= 0xEF) || (z2 >= 0xE0 && z2 <= 0xEF)) ok = false;
  out[n] = 0;
  return ok;
}
#endif

static char *lower_text(const char *s, size_t n) {
  char *out = vnx_xmalloc(n + 1);
#if defined(__SSE2__)
  if (lower_text_sse2((const unsigned char *)s, n, (unsigned char *)out)) return out;
#endif
  if (lower_text_fast((const unsigned char *)s, n, (unsigned char *)out)) return out;
  const unsigned char *p = (const unsigned char *)s, *e = p + n;
  size_t o = 0;
  while (p < e) {
    uint64_t w;
    if (e - p >= 8 && (memcpy(&w, p, 8), (w & 0x8080808080808080ull) == 0)) {
      /* eight ASCII bytes at once: a byte's high bit set in ge_a when it
       * is >= 'A', in gt_z when it is > 'Z'; 0x20 added to the others */
      uint64_t ge_a = w + 0x3f3f3f3f3f3f3f3full; /* 0x80 - 'A' */
      uint64_t gt_z = w + 0x2525252525252525ull; /* 0x7f - 'Z' */
      w |= (ge_a & ~gt_z & 0x8080808080808080ull) >> 2;
      memcpy(out + o, &w, 8);
      o += 8;
      p += 8;
      continue;
    }
    if (*p < 0x80) { /* ASCII: most of the text */
      out[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
      p++;
      continue;
    }
    if (p + 1 < e && (p[0] & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
      /* two bytes: what lower_cp changes below U+0800, on the bytes
       * (it keeps them two bytes): À..Þ but × are C3 80..9E, +0x20 on the
       * second byte; Ā..ſ at even code points are C4/C5 with an even
       * second byte, +1; Ơ and Ư are C6 A0 and C6 AF, +1 */
      unsigned char a = p[0], b = p[1];
      if (a < 0xC2) break; /* overlong (never in valid UTF-8): give up */
      if (a == 0xC3) {
        if (b <= 0x9E && b != 0x97) b += 0x20;
      } else if (a == 0xC4 || a == 0xC5) {
        b |= 1;
      } else if (a == 0xC6 && (b == 0xA0 || b == 0xAF)) {
        b++;
      }
      out[o++] = (char)a;
      out[o++] = (char)b;
      p += 2;
      continue;
    }
    if (p + 2 < e && (p[0] & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
      /* three bytes: lower_cp changes only U+1EA0..U+1EF9 (E1 BA A0 ..
       * E1 BB B9) at even code points (even last byte), +1 */
      unsigned char a = p[0], b = p[1], c = p[2];
      if (a == 0xE0 && b < 0xA0) break; /* overlong */
      if (a == 0xE1 && ((b == 0xBA && c >= 0xA0) || (b == 0xBB && c <= 0xB9))) c |= 1;
      out[o++] = (char)a;
      out[o++] = (char)b;
      out[o++] = (char)c;
      p += 3;
      continue;
    }
    int len;
    unsigned c = utf8_dec(p, e, &len);
    bool ok = (p[0] & 0xC0) != 0x80;
    for (int k = 1; k < len; k++) ok = ok && (p[k] & 0xC0) == 0x80;
    unsigned l = lower_cp(c);
    if (l != c) {
      char enc[4];
      ok = ok && utf8_enc(l, enc) == len;
      if (ok) memcpy(out + o, enc, (size_t)len);
    } else if (ok) {
      memcpy(out + o, p, (size_t)len);
    }
    if (!ok) {
      free(out);
      return NULL;
    }
    o += (size_t)len;
    p += len;
  }
  if (p < e) { /* left the loop on an overlong sequence */
    free(out);
    return NULL;
  }
  out[o] = 0;
  return out;
}

static bool char_start(const vnx_doc *d, size_t i) {
  return i >= d->text.len || ((unsigned char)d->text.s[i] & 0xC0) != 0x80;
}

const char *vnx_doc_lower_view(const vnx_doc *d, size_t a, size_t b) {
  if (!d->seg || !d->seg->lower || a > b || b > d->text.len) return NULL;
  if (!char_start(d, a) || !char_start(d, b)) return NULL;
  return d->seg->lower + a;
}

char *vnx_doc_lower(const vnx_doc *d, size_t a, size_t b) {
  /* a span cut inside its last character ("the first 60 bytes"): the
   * characters before the cut from the lowered text, the cut one as
   * vnx_utf8_lower gives it (it lowers character by character) */
  size_t c = b;
  while (c > a && c < d->text.len && !char_start(d, c)) c--;
  const char *v = vnx_doc_lower_view(d, a, c);
  if (!v) return vnx_utf8_lower(d->text.s + a, b - a);
  char *tail = c < b ? vnx_utf8_lower(d->text.s + c, b - c) : NULL;
  size_t nt = tail ? strlen(tail) : 0;
  char *out = vnx_xmalloc(c - a + nt + 1);
  memcpy(out, v, c - a);
  if (tail) memcpy(out + (c - a), tail, nt);
  out[c - a + nt] = 0;
  free(tail);
  return out;
}

/* No lower-case letter in s[0..n) and at least min_up upper-case ones
 * (stops at the first lower-case letter: most lines have one early). */
static bool caps_only(const char *s, size_t n, int min_up) {
  const unsigned char *p = (const unsigned char *)s, *e = p + n;
  int up = 0;
  while (p < e) {
    int len;
    unsigned c = utf8_dec(p, e, &len);
    if (is_letter_cp(c)) {
      if (lower_cp(c) == c) return false;
      up++;
    }
    p += len;
  }
  return up >= min_up;
}

static bool starts_lower(const char *s, size_t n) {
  if (!n) return false;
  int len;
  unsigned c = utf8_dec((const unsigned char *)s, (const unsigned char *)s + n, &len);
  return is_letter_cp(c) && lower_cp(c) == c;
}

static bool starts_with(const char *s, size_t n, const char *pre) {
  size_t k = strlen(pre);
  return n >= k && memcmp(s, pre, k) == 0;
}

static bool is_sp(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* ---- labels ------------------------------------------------------------- */

/* Recognises a heading or item label at s[0..n). Sets *level, copies the
 * label, returns the label's length (including the separator) or 0. */
static size_t parse_label(const char *s, size_t n, int *level, char label[32]) {
  size_t i = 0;
  label[0] = 0;
  if (starts_with(s, n, "PHỤ LỤC") || starts_with(s, n, "Phụ lục ")) {
    i = strlen("PHỤ LỤC");
    while (i < n && s[i] == ' ') i++;
    size_t j = i;
    while (j < n && (strchr("IVXLC0123456789", s[j]) != NULL)) j++;
    size_t len = j;
    if (len > 31) len = 31;
    memcpy(label, s, len);
    label[len] = 0;
    while (len && label[len - 1] == ' ') label[--len] = 0;
    /* canonical spelling */
    if (starts_with(s, n, "Phụ lục")) memcpy(label, "PHỤ LỤC", strlen("PHỤ LỤC"));
    *level = VNX_LVL_APPENDIX;
    while (j < n && (s[j] == ' ' || s[j] == '.' || s[j] == ':')) j++;
    return j;
  }
  if (starts_with(s, n, "Điều ")) {
    i = strlen("Điều ");
    size_t j = i;
    while (j < n && s[j] >= '0' && s[j] <= '9') j++;
    if (j > i && j < n && (s[j] == '.' || s[j] == ':' || s[j] == ' ')) {
      size_t len = j < 31 ? j : 31;
      memcpy(label, s, len);
      label[len] = 0;
      *level = VNX_LVL_NUM1;
      j++;
      while (j < n && s[j] == ' ') j++;
      return j;
    }
    return 0;
  }
  /* roman: "IV. " */
  i = 0;
  while (i < n && i < 6 && strchr("IVX", s[i]) && s[i]) i++;
  if (i > 0 && i + 1 < n && s[i] == '.' && s[i + 1] == ' ') {
    memcpy(label, s, i + 1);
    label[i + 1] = 0;
    *level = VNX_LVL_ROMAN;
    i += 1;
    while (i < n && s[i] == ' ') i++;
    return i;
  }
  /* numbers: "1. ", "1.1. ", "1.1 ", "2.2.1. " */
  i = 0;
  int parts = 0;
  for (;;) {
    size_t j = i;
    while (j < n && j - i < 3 && s[j] >= '0' && s[j] <= '9') j++;
    if (j == i || (j < n && s[j] >= '0' && s[j] <= '9')) break;
    parts++;
    i = j;
    if (i < n && s[i] == '.' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') {
      i++;
      continue;
    }
    break;
  }
  if (parts >= 1 && parts <= 3) {
    bool dot = i < n && s[i] == '.';
    size_t k = i + (dot ? 1 : 0);
    bool space = k < n && s[k] == ' ';
    if (space && (dot || parts >= 2)) {
      size_t len = k < 31 ? k : 31;
      memcpy(label, s, len);
      label[len] = 0;
      *level = VNX_LVL_NUM1 + parts - 1;
      while (k < n && s[k] == ' ') k++;
      return k;
    }
  }
  /* "a) " and "đ) " */
  {
    int len;
    unsigned c = utf8_dec((const unsigned char *)s, (const unsigned char *)s + n, &len);
    if (((c >= 'a' && c <= 'z') || c == 0x111) && (size_t)len + 1 < n && s[len] == ')' &&
        s[len + 1] == ' ') {
      memcpy(label, s, (size_t)len + 1);
      label[len + 1] = 0;
      *level = VNX_LVL_LETTER;
      size_t k = (size_t)len + 1;
      while (k < n && s[k] == ' ') k++;
      return k;
    }
  }
  /* "(1) ", "(ii) " */
  if (n > 2 && s[0] == '(') {
    size_t j = 1;
    bool digits = s[1] >= '0' && s[1] <= '9';
    while (j < n && j < 6 && (digits ? (s[j] >= '0' && s[j] <= '9') : strchr("ivx", s[j]) && s[j])) j++;
    if (j > 1 && j < n && s[j] == ')') {
      memcpy(label, s, j + 1);
      label[j + 1] = 0;
      *level = VNX_LVL_PAREN;
      j++;
      while (j < n && s[j] == ' ') j++;
      return j;
    }
  }
  /* bullets */
  if (n >= 2 && (s[0] == '-' || s[0] == '+' || s[0] == '*')) {
    if (s[1] == ' ' || !(s[1] == '-' || (s[1] >= '0' && s[1] <= '9'))) {
      label[0] = s[0] == '+' ? '+' : '-';
      label[1] = 0;
      *level = s[0] == '+' ? VNX_LVL_PLUS : VNX_LVL_DASH;
      size_t k = 1;
      while (k < n && s[k] == ' ') k++;
      return k;
    }
  }
  if (starts_with(s, n, "• ")) {
    strcpy(label, "-");
    *level = VNX_LVL_DASH;
    return strlen("• ");
  }
  return 0;
}

/* ---- tables ------------------------------------------------------------- */

/* with their lengths: header_like_cell looks for all of them in every
 * table cell */
#define HW(w) {w, sizeof w - 1}
static const struct {
  const char *w;
  size_t n;
} HEADER_WORDS[] = {
    HW("tt"), HW("stt"), HW("nội dung"), HW("nhiệm vụ"), HW("cơ quan"), HW("thời gian"),
    HW("đơn vị tính"), HW("đvt"), HW("kh năm"), HW("kế hoạch"), HW("kết quả"), HW("sản phẩm"),
    HW("ghi chú"), HW("chỉ tiêu"), HW("phân công"), HW("kỳ báo cáo"), HW("quý"), HW("ước"),
    HW("so với"), HW("đánh giá"), HW("tên"), HW("tổng mức"), HW("kiến nghị"), HW("tiến độ"),
    HW("chủ đầu tư"), HW("địa điểm"), HW("đơn vị"), HW("năm"), HW("tháng"), HW("số lượng"),
    HW("tỷ lệ"), HW("lũy kế"), HW("thực hiện"), HW("chủ trì"), HW("phối hợp"), HW("chỉ đạo"),
    HW("tóm tắt"), HW("giá trị"), HW("khó khăn"), {NULL, 0}};
#undef HW

/* lower: the text's lower-cased copy (S->lower) or NULL; the cell is
 * text[a..b), cut where characters start */
static bool header_like_cell(const char *text, const char *lower, size_t a, size_t b) {
  size_t n = b - a;
  if (n == 0) return true;
  if (n > 260) return false;
  if (lower) {
    /* the cell's span of the lowered text is what vnx_utf8_lower gives it
     * (as far as a NUL, where strstr would stop) */
    const char *l = lower + a;
    n = strnlen(l, n);
    for (int i = 0; HEADER_WORDS[i].w; i++)
      if (vnx_contains(l, n, HEADER_WORDS[i].w, HEADER_WORDS[i].n)) return true;
    return false;
  }
  char *l = vnx_utf8_lower(text + a, n);
  bool ok = false;
  for (int i = 0; HEADER_WORDS[i].w; i++)
    if (strstr(l, HEADER_WORDS[i].w)) { ok = true; break; }
  free(l);
  return ok;
}

static bool is_label_cell(const char *s, size_t n) {
  if (n == 0 || n > 8) return false;
  if (s[0] == '(' && n >= 3) return true;
  for (size_t i = 0; i < n; i++)
    if (!strchr("0123456789IVXabcdđefghi.-", s[i]) && (unsigned char)s[i] < 0x80) return false;
  return true;
}

static void split_cells(const char *text, vnx_seg *sg) {
  size_t cap = 8, n = 0;
  vnx_cell *c = vnx_xmalloc(cap * sizeof *c);
  size_t p = sg->start;
  for (;;) {
    const char *tab = memchr(text + p, '\t', sg->end - p);
    size_t q = tab ? (size_t)(tab - text) : sg->end;
    size_t a = p, b = q;
    while (a < b && (text[a] == ' ' || text[a] == '\r')) a++;
    while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\r')) b--;
    if (n == cap) { cap *= 2; c = vnx_xrealloc(c, cap * sizeof *c); }
    c[n].start = a;
    c[n].end = b;
    n++;
    if (q >= sg->end) break;
    p = q + 1;
  }
  sg->cells = c;
  sg->ncells = n;
}

static bool row_is_header(const char *text, const char *lower, const vnx_seg *sg, bool after_header,
                          char **seen, size_t nseen) {
  size_t n = sg->ncells;
  if (!n) return false;
  /* identical to a header row seen before in this table (page-break repeat;
   * the text has no NUL) */
  size_t len = sg->end - sg->start;
  for (size_t i = 0; i < nseen; i++)
    if (strncmp(seen[i], text + sg->start, len) == 0 && seen[i][len] == 0) return true;
  const vnx_cell *c0 = &sg->cells[0];
  size_t l0 = c0->end - c0->start;
  const char *s0 = text + c0->start;
  bool tt = (l0 == 2 && memcmp(s0, "TT", 2) == 0) || (l0 == 3 && memcmp(s0, "STT", 3) == 0) ||
            starts_with(s0, l0, "Số TT") || starts_with(s0, l0, "Số thứ tự");
  if (!tt && l0 && !(after_header && l0 == 0)) {
    if (is_label_cell(s0, l0)) return false;
  }
  int nonempty = 0, good = 0;
  for (size_t i = 0; i < n; i++) {
    size_t a = sg->cells[i].start, b = sg->cells[i].end;
    if (a == b) continue;
    nonempty++;
    if (!tt && b - a > 80) return false; /* a header cell is short */
    if (header_like_cell(text, lower, a, b)) good++;
    else if (b - a > (tt ? 260u : 110u)) return false;
  }
  if (nonempty == 0) return false;
  if (tt) return good >= 1;
  if (after_header && l0 == 0) return good == nonempty;
  return good == nonempty && good >= 3;
}

/* ---- section paths ------------------------------------------------------ */

static void strip_dot(char *dst, const char *src) {
  size_t n = strlen(src);
  while (n && (src[n - 1] == '.' || src[n - 1] == ':')) n--;
  memcpy(dst, src, n);
  dst[n] = 0;
}

/* The section path of the heading stack. built: the stack the last path
 * was built from; while the stack is the same (most lines), so is the
 * path. */
static char *build_path(struct vnx_segments *S, char stack[VNX_NLEVELS][32],
                        char built[VNX_NLEVELS][32]) {
  if (S->npaths && memcmp(stack, built, VNX_NLEVELS * 32) == 0) return S->paths[S->npaths - 1];
  memcpy(built, stack, VNX_NLEVELS * 32);
  char buf[256];
  buf[0] = 0;
  char tmp[40];
  if (stack[VNX_LVL_APPENDIX][0]) strcat(buf, stack[VNX_LVL_APPENDIX]);
  char core[96];
  core[0] = 0;
  if (stack[VNX_LVL_ROMAN][0]) {
    strip_dot(tmp, stack[VNX_LVL_ROMAN]);
    strcat(core, tmp);
  }
  for (int l = VNX_LVL_NUM3; l >= VNX_LVL_NUM1; l--) {
    if (!stack[l][0]) continue;
    strip_dot(tmp, stack[l]);
    if (core[0]) strcat(core, ".");
    strcat(core, tmp);
    break;
  }
  if (core[0]) {
    if (buf[0]) strcat(buf, "/");
    strcat(buf, core);
  }
  for (int l = VNX_LVL_LETTER; l <= VNX_LVL_PAREN; l++) {
    if (!stack[l][0]) continue;
    if (buf[0]) strcat(buf, "/");
    strcat(buf, stack[l]);
  }
  /* the same path as the segment before, most often: shared, not copied */
  if (S->npaths && strcmp(S->paths[S->npaths - 1], buf) == 0) return S->paths[S->npaths - 1];
  if (S->npaths == S->cappaths) {
    S->cappaths = S->cappaths ? 2 * S->cappaths : 16;
    S->paths = vnx_xrealloc(S->paths, S->cappaths * sizeof *S->paths);
  }
  return S->paths[S->npaths++] = vnx_xstrdup(buf);
}

/* dst = the first n bytes of src, as far as a NUL and at most 31 (what
 * snprintf(dst, 32, "%.*s", n, src) gives, without its cost per line). */
static void copy_label(char dst[32], const char *src, size_t n) {
  n = strnlen(src, n < 31 ? n : 31);
  memcpy(dst, src, n);
  dst[n] = 0;
}

static void set_level(char stack[VNX_NLEVELS][32], int level, const char *label) {
  copy_label(stack[level], label, 31);
  for (int l = level + 1; l < VNX_NLEVELS; l++) stack[l][0] = 0;
}

/* ---- the segmenter ------------------------------------------------------ */

static bool is_signature_start(const char *s, size_t n) {
  static const char *const pre[] = {"T/M ", "TM. ", "TM ", "T/L ", "TL. ", "TL ", "K/T ",
                                    "KT. ", "KT ", "Q. ", "TUQ. ", "Q.", NULL};
  if (n == 0 || (s[0] != 'T' && s[0] != 'K' && s[0] != 'Q')) return false; /* (all of pre) */
  for (int i = 0; pre[i]; i++)
    if (starts_with(s, n, pre[i])) return caps_only(s, n, 2);
  return false;
}

static bool all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return n > 0;
}

/* The text line g stops in the middle of a sentence, on a word that cannot
 * end one ("... giải pháp theo", "... trong tháng"): the paragraph after a
 * blank line or a page break continues it even when it starts with a
 * capital ("Kế hoạch công tác ...") or a digit ("4/2026 làm cơ sở ..."). */
static bool ends_mid_sentence(const char *t, const vnx_seg *g) {
  if (g->kind != VNX_SEG_PARA && g->kind != VNX_SEG_ITEM &&
      !(g->kind == VNX_SEG_HEADING && g->level >= VNX_LVL_NUM1))
    return false;
  size_t b = g->end;
  while (b > g->body && is_sp(t[b - 1])) b--;
  size_t a = b;
  while (a > g->body && t[a - 1] != ' ') a--;
  if (a == g->body) return false; /* a one-word line */
  static const char *const W[] = {"theo", "của", "và", "các", "với", "về", "tại", "cho", "để",
                                  "được", "những", "trong", "từ", "đến", "nhằm", "thuộc", "hoặc",
                                  "gồm", "tháng", "quý", "đối", "–", "-", NULL};
  for (int i = 0; W[i]; i++)
    if (W[i][0] == t[a] && strlen(W[i]) == b - a && memcmp(t + a, W[i], b - a) == 0) return true;
  /* a line that ends with a comma ("... Cộng hoà Liên bang Nga,") */
  return g->kind == VNX_SEG_PARA && t[b - 1] == ',';
}

void vnx_segment(vnx_doc *d) {
  struct vnx_segments *S = vnx_xcalloc(1, sizeof *S);
  d->seg = S;
  S->lower = lower_text(d->text.s, d->text.len);
  const char *t = d->text.s;
  size_t len = d->text.len;
  size_t cap = 64;
  S->v = vnx_xmalloc(cap * sizeof *S->v);

  char stack[VNX_NLEVELS][32], built[VNX_NLEVELS][32];
  memset(stack, 0, sizeof stack);
  enum { ST_BODY, ST_RECIPIENTS, ST_SIGNATURE, ST_ADDRESSEES } state = ST_BODY;
  bool recip_items = false;
  bool recip_gap = false; /* a blank line ended a list of recipients */
  long last_text = -1;  /* last non-blank, non-footnote, non-table segment */
  long cur_table = -1;  /* table being built */
  bool last_was_header = false;
  char **seen = NULL; /* header row texts of the current table */
  size_t nseen = 0;

  size_t p = 0;
  while (p <= len) {
    const char *nl = p < len ? memchr(t + p, '\n', len - p) : NULL;
    size_t e = nl ? (size_t)(nl - t) : len;
    if (S->n == cap) { cap *= 2; S->v = vnx_xrealloc(S->v, cap * sizeof *S->v); }
    vnx_seg *sg = &S->v[S->n];
    memset(sg, 0, sizeof *sg);
    sg->start = p;
    sg->end = e;
    sg->level = -1;
    sg->table = -1;
    sg->row = -1;
    sg->prev_text = -1;
    size_t a = p, b = e;
    while (a < b && (t[a] == ' ' || t[a] == '\r')) a++;
    while (b > a && is_sp(t[b - 1])) b--;
    const char *s = t + a;
    size_t n = b - a;
    sg->body = a;
    bool has_tab = memchr(t + p, '\t', e - p) != NULL;

    if (n == 0 && !has_tab) {
      sg->kind = VNX_SEG_BLANK;
      if (state == ST_RECIPIENTS && recip_items) recip_gap = true;
      if ((state == ST_RECIPIENTS && recip_items) || state == ST_ADDRESSEES) state = ST_BODY;
    } else if (has_tab && state == ST_BODY) {
      if (cur_table < 0) {
        S->tables = vnx_xrealloc(S->tables, (S->ntables + 1) * sizeof *S->tables);
        vnx_table *tb = &S->tables[S->ntables];
        memset(tb, 0, sizeof *tb);
        tb->first = S->n;
        cur_table = (long)S->ntables++;
        for (size_t i = 0; i < nseen; i++) free(seen[i]);
        nseen = 0;
        last_was_header = false;
      }
      vnx_table *tb = &S->tables[cur_table];
      tb->last = S->n;
      sg->table = (int)cur_table;
      split_cells(t, sg);
      if (sg->ncells > tb->ncols) tb->ncols = sg->ncells;
      if (row_is_header(t, S->lower, sg, last_was_header, seen, nseen)) {
        sg->kind = VNX_SEG_TABLE_HEADER;
        seen = vnx_xrealloc(seen, (nseen + 1) * sizeof *seen);
        seen[nseen++] = vnx_xstrndup(t + sg->start, sg->end - sg->start);
        last_was_header = true;
      } else {
        sg->kind = VNX_SEG_TABLE_ROW;
        last_was_header = false;
        const vnx_cell *c0 = &sg->cells[0];
        if (c0->start == c0->end && tb->nrows > 0) {
          vnx_table_row *r = &tb->rows[tb->nrows - 1];
          r->conts = vnx_xrealloc(r->conts, (r->nconts + 1) * sizeof *r->conts);
          r->conts[r->nconts++] = S->n;
          sg->row = (int)tb->nrows - 1;
          sg->cont = true;
          sg->section = S->v[r->seg].section;
          copy_label(sg->label, S->v[r->seg].label, 31);
        } else {
          if ((tb->nrows & (tb->nrows - 1)) == 0) /* room for 1, 2, 4, 8, ... rows */
            tb->rows = vnx_xrealloc(tb->rows, (tb->nrows ? 2 * tb->nrows : 1) * sizeof *tb->rows);
          tb->rows[tb->nrows].seg = S->n;
          tb->rows[tb->nrows].conts = NULL;
          tb->rows[tb->nrows].nconts = 0;
          sg->row = (int)tb->nrows++;
          size_t l0 = c0->end - c0->start;
          if (l0 && l0 < 24 && is_label_cell(t + c0->start, l0)) {
            memcpy(sg->label, t + c0->start, l0);
            sg->label[l0] = 0;
            sg->level = VNX_LVL_PAREN;
            set_level(stack, VNX_LVL_PAREN, sg->label);
          }
          sg->body = sg->ncells > 1 ? sg->cells[1].start : c0->start;
        }
      }
    } else {
      /* a text line ends the table */
      if (cur_table >= 0) {
        cur_table = -1;
        stack[VNX_LVL_PAREN][0] = 0;
      }
      int level = -1;
      char label[32];
      size_t ll = 0;
      if (s[0] == '[' && n > 2 && s[1] >= '0' && s[1] <= '9') {
        size_t j = 1;
        while (j < n && s[j] >= '0' && s[j] <= '9') j++;
        if (j < n && s[j] == ']') {
          sg->kind = VNX_SEG_FOOTNOTE;
          copy_label(sg->label, s, j + 1);
          goto done;
        }
      }
      /* "Nơi nhận:" items go on after a blank line ("- VPUB: CVP, PCVP ...",
       * "- Lưu: VT"): an item right after the gap is still a recipient */
      if (recip_gap && (starts_with(s, n, "- ") || starts_with(s, n, "+ ")))
        state = ST_RECIPIENTS;
      recip_gap = false;
      if (starts_with(s, n, "Nơi nhận") || starts_with(s, n, "NƠI NHẬN")) {
        state = ST_RECIPIENTS;
        recip_items = false;
        sg->kind = VNX_SEG_RECIPIENTS;
        goto done;
      }
      /* the address block of a letter: "Kính gửi:" and its items, up to a
       * blank line or an item that ends the list with "." — addressees,
       * not bodies a task is given to in the text */
      if (state == ST_BODY && (starts_with(s, n, "Kính gửi") || starts_with(s, n, "KÍNH GỬI"))) {
        sg->kind = VNX_SEG_RECIPIENTS;
        if (s[n - 1] == ':') state = ST_ADDRESSEES;
        goto done;
      }
      if (state == ST_ADDRESSEES) {
        sg->kind = VNX_SEG_RECIPIENTS;
        if (s[n - 1] == '.') state = ST_BODY;
        goto done;
      }
      if (state == ST_RECIPIENTS) {
        if (is_signature_start(s, n)) {
          state = ST_SIGNATURE;
          sg->kind = VNX_SEG_SIGNATURE;
          goto done;
        }
        sg->kind = VNX_SEG_RECIPIENTS;
        recip_items = true;
        goto done;
      }
      ll = parse_label(s, n, &level, label);
      if (state == ST_SIGNATURE) {
        if (level == VNX_LVL_APPENDIX || n > 120) {
          state = ST_BODY;
        } else {
          sg->kind = VNX_SEG_SIGNATURE;
          goto done;
        }
      }
      if (is_signature_start(s, n)) {
        state = ST_SIGNATURE;
        sg->kind = VNX_SEG_SIGNATURE;
        goto done;
      }
      if (ll && level >= 0) {
        sg->level = level;
        copy_label(sg->label, label, 31);
        sg->body = a + ll;
        sg->kind = level <= VNX_LVL_LETTER ? VNX_SEG_HEADING : VNX_SEG_ITEM;
        if (level <= VNX_LVL_PAREN) set_level(stack, level, label);
      } else {
        if (n < 300 && caps_only(s, n, 4)) {
          sg->kind = VNX_SEG_HEADING;
          sg->level = VNX_LVL_ROMAN;
          set_level(stack, VNX_LVL_ROMAN, "");
        } else {
          sg->kind = VNX_SEG_PARA;
          if (last_text >= 0 && (starts_lower(s, n) || ends_mid_sentence(t, &S->v[last_text]))) {
            sg->cont = true;
            sg->prev_text = (int)last_text;
          } else {
            /* an unlabelled paragraph closes a run of "(1)" items */
            stack[VNX_LVL_PAREN][0] = 0;
          }
        }
      }
    done:
      /* a page number alone on its line ("10") is not the text a paragraph
       * after the page break continues */
      if (sg->kind != VNX_SEG_FOOTNOTE && !(sg->kind == VNX_SEG_PARA && n <= 3 && all_digits(s, n)))
        last_text = (long)S->n;
    }
    if (!sg->section) {
      if (sg->cont && sg->prev_text >= 0 && S->v[sg->prev_text].section)
        sg->section = S->v[sg->prev_text].section;
      else
        sg->section = build_path(S, stack, built);
    }
    S->n++;
    if (e >= len) break;
    p = e + 1;
  }
  for (size_t i = 0; i < nseen; i++) free(seen[i]);
  free(seen);
  S->starts = vnx_xmalloc((S->n ? S->n : 1) * sizeof *S->starts);
  for (size_t i = 0; i < S->n; i++) S->starts[i] = S->v[i].start;

  /* column headers: the header rows at the top of each table */
  for (size_t ti = 0; ti < S->ntables; ti++) {
    vnx_table *tb = &S->tables[ti];
    tb->header = vnx_xcalloc(tb->ncols ? tb->ncols : 1, sizeof *tb->header);
    tb->header_full = vnx_xcalloc(tb->ncols ? tb->ncols : 1, sizeof *tb->header_full);
    for (size_t c = 0; c < tb->ncols; c++) {
      tb->header[c] = vnx_xstrdup("");
      tb->header_full[c] = vnx_xstrdup("");
    }
    bool started = false;
    for (size_t i = tb->first; i <= tb->last; i++) {
      vnx_seg *sg = &S->v[i];
      if (sg->kind == VNX_SEG_BLANK) continue;
      if (sg->kind != VNX_SEG_TABLE_HEADER) {
        if (started) break;
        continue;
      }
      started = true;
      for (size_t c = 0; c < sg->ncells && c < tb->ncols; c++) {
        size_t ca = sg->cells[c].start, cb = sg->cells[c].end;
        if (ca == cb) continue;
        free(tb->header[c]);
        tb->header[c] = vnx_xstrndup(t + ca, cb - ca);
        size_t ol = strlen(tb->header_full[c]);
        char *f = vnx_xmalloc(ol + (cb - ca) + 4);
        if (ol) snprintf(f, ol + (cb - ca) + 4, "%s / %.*s", tb->header_full[c], (int)(cb - ca), t + ca);
        else snprintf(f, (cb - ca) + 1, "%.*s", (int)(cb - ca), t + ca);
        free(tb->header_full[c]);
        tb->header_full[c] = f;
      }
    }
    /* once here, not on every column lookup */
    tb->header_lower = vnx_xcalloc(tb->ncols ? tb->ncols : 1, sizeof *tb->header_lower);
    for (size_t c = 0; c < tb->ncols; c++)
      tb->header_lower[c] = vnx_utf8_lower(tb->header[c], strlen(tb->header[c]));
  }
}

void vnx_segments_free(struct vnx_segments *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) free(s->v[i].cells);
  for (size_t i = 0; i < s->npaths; i++) free(s->paths[i]);
  free(s->paths);
  free(s->directive);
  free(s->body_scope);
  free(s->starts);
  free(s->v);
  for (size_t i = 0; i < s->ntables; i++) {
    vnx_table *tb = &s->tables[i];
    for (size_t c = 0; c < tb->ncols; c++) {
      if (tb->header) free(tb->header[c]);
      if (tb->header_full) free(tb->header_full[c]);
      if (tb->header_lower) free(tb->header_lower[c]);
    }
    free(tb->header);
    free(tb->header_full);
    free(tb->header_lower);
    for (size_t r = 0; r < tb->nrows; r++) free(tb->rows[r].conts);
    free(tb->rows);
  }
  free(s->tables);
  free(s->lower);
  free(s);
}

long vnx_segment_index(const struct vnx_segments *s, size_t off) {
  if (!s || !s->n) return -1;
  size_t lo = 0, hi = s->n;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->starts[mid] <= off) lo = mid;
    else hi = mid;
  }
  return (long)lo;
}

const vnx_seg *vnx_segment_at(const struct vnx_segments *s, size_t off) {
  long i = vnx_segment_index(s, off);
  return i < 0 ? NULL : &s->v[i];
}

int vnx_segment_column(const struct vnx_segments *s, const vnx_seg *sg, size_t off,
                       const char **header) {
  if (header) *header = "";
  if (!sg || sg->table < 0 || !sg->ncells) return -1;
  int col = -1;
  for (size_t c = 0; c < sg->ncells; c++) {
    size_t cend = c + 1 < sg->ncells ? sg->cells[c + 1].start : sg->end + 1;
    if (off >= sg->cells[c].start && off < cend) { col = (int)c; break; }
  }
  if (col < 0) return -1;
  const vnx_table *tb = &s->tables[sg->table];
  if (header && (size_t)col < tb->ncols) *header = tb->header[col];
  return col;
}

const char *vnx_section_at(const struct vnx_segments *s, size_t off) {
  const vnx_seg *sg = vnx_segment_at(s, off);
  return sg && sg->section ? sg->section : "";
}

int vnx_table_find_column(const vnx_table *t, const char *needle) {
  for (size_t c = 0; c < t->ncols; c++)
    if (strstr(t->header_lower[c], needle)) return (int)c;
  return -1;
}
