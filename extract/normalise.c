/* normalise.c - canonical text with an offset map back to the original.
 *
 * The stage is a pipeline of passes over a (buffer, map) pair: every pass
 * reads one nbuf and writes the next, and every output byte carries the
 * original byte range [ms, me) it came from. All passes are order
 * preserving, so the map stays monotonic (the footnote offsets rely on it).
 * The map is kept as runs (mrun), in the result too (vnx_text.runs).
 * Passes copy unchanged text in runs, and a pass that changes nothing
 * copies nothing (nb_copy's copy on write); line joining works in place.
 *
 *   1. decode       validate UTF-8, BOM, CRLF/CR -> LF, NUL (lossy: U+FFFD)
 *   2. nfc          utf8proc NFC, per starter + combining marks cluster
 *                   (skipped when decode saw no code point it could change)
 *   3. tone         Vietnamese tone mark placement per syllable (classic or
 *                   modern style), see tone_word()
 *   4. markup       markdown residue: emphasis, headings, tables, superscript
 *                   footnote markers (recorded in vnx_text.marks)
 *   5. layout       spaces/dashes/quotes/ellipsis, then hard-wrapped lines
 *                   joined into paragraphs
 *
 * vnx_normalise_string() runs passes 1-3 only.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#ifndef VNX_NORM_CHUNK
#define VNX_NORM_CHUNK (256u * 1024u)
#endif

/* ---- buffer with map ---------------------------------------------------- */

/* The map of a buffer is kept as runs, not per byte (writing, copying and
 * reading two uint32 per byte cost more than the passes themselves, and
 * a document's lookups are a few per record). A run covers its
 * bytes from at to the next run's at. In a verbatim run (end ==
 * RUN_VERBATIM) the bytes are a copy of the original from orig on, each
 * byte mapping to its code point there; in any other run every byte maps
 * to [orig, end). Runs start on code point boundaries (the passes copy
 * whole code points). */
#define RUN_VERBATIM UINT32_MAX
typedef struct vnx_map_run {
  uint32_t at, orig, end;
} mrun;

/* bytes of slack after a buffer's text (finish reads a little past it) */
#define NB_SLACK 32

typedef struct nbuf {
  char *s;
  size_t len, cap;
  mrun *r;
  size_t nr, rcap;
  size_t hint; /* the run the last lookup found: most go forward a little */
  /* Copy on write: while src is set, the output so far is src[0, lazy)
   * and nothing has been written. A pass that changes nothing costs no
   * copy (most documents are NFC, many need no tone or markup change). */
  struct nbuf *src;
  size_t lazy;
} nbuf;

static void nb_init(nbuf *b, size_t cap) {
  if (cap < 16) cap = 16;
  b->s = vnx_xmalloc(cap + NB_SLACK);
  b->len = 0;
  b->cap = cap;
  b->rcap = 64;
  b->r = vnx_xmalloc(b->rcap * sizeof *b->r);
  b->nr = 0;
  b->hint = 0;
  b->src = NULL;
  b->lazy = 0;
}

static void nb_free(nbuf *b) {
  free(b->s);
  free(b->r);
  memset(b, 0, sizeof *b);
}

static void nb_grow(nbuf *b, size_t extra);
static inline void nb_reserve(nbuf *b, size_t extra) {
  if (b->len + extra > b->cap) nb_grow(b, extra);
}

static void nb_grow(nbuf *b, size_t extra) {
  size_t cap = b->cap * 2;
  if (cap < b->len + extra) cap = b->len + extra;
  b->s = vnx_xrealloc(b->s, cap + NB_SLACK);
  b->cap = cap;
}

/* Output bytes from b->len on come from orig as a run (see mrun); joined
 * to the last run when it goes on from there. */
static inline void run_add(nbuf *b, uint32_t orig, uint32_t end) {
  uint32_t at = (uint32_t)b->len;
  if (b->nr) {
    const mrun *l = &b->r[b->nr - 1];
    if (end == RUN_VERBATIM ? l->end == RUN_VERBATIM && l->orig + (at - l->at) == orig
                            : l->end == end && l->orig == orig)
      return;
  }
  if (b->nr == b->rcap) {
    b->rcap *= 2;
    b->r = vnx_xrealloc(b->r, b->rcap * sizeof *b->r);
  }
  b->r[b->nr++] = (mrun){at, orig, end};
}

/* The run of in holding byte j (j < in->len). */
static inline size_t run_find(nbuf *in, size_t j) {
  size_t k = in->hint;
  if (k >= in->nr) k = in->nr - 1;
  while (k > 0 && in->r[k].at > j) k--;
  while (k + 1 < in->nr && in->r[k + 1].at <= j) k++;
  in->hint = k;
  return k;
}

static inline size_t run_stop(const nbuf *in, size_t k) {
  return k + 1 < in->nr ? in->r[k + 1].at : in->len;
}

/* The original range byte j of in maps to: [nb_ms, nb_me). */
static uint32_t nb_ms(nbuf *in, size_t j) {
  const mrun *r = &in->r[run_find(in, j)];
  if (r->end != RUN_VERBATIM) return r->orig;
  size_t c = j;
  while (c > r->at && ((unsigned char)in->s[c] & 0xC0) == 0x80) c--;
  return r->orig + (uint32_t)(c - r->at);
}
static uint32_t nb_me(nbuf *in, size_t j) {
  size_t k = run_find(in, j);
  const mrun *r = &in->r[k];
  if (r->end != RUN_VERBATIM) return r->end;
  size_t c = j + 1, stop = run_stop(in, k);
  while (c < stop && ((unsigned char)in->s[c] & 0xC0) == 0x80) c++;
  return r->orig + (uint32_t)(c - r->at);
}

/* Appends bytes [i, i+n) of in with their map (n > 0). */
static void copy_mapped(nbuf *b, nbuf *in, size_t i, size_t n) {
  nb_reserve(b, n);
  size_t k = run_find(in, i), end = i + n;
  size_t base = b->len;
  for (;;) {
    const mrun *r = &in->r[k];
    size_t from = r->at > i ? r->at : i;
    b->len = base + (from - i);
    run_add(b, r->end == RUN_VERBATIM ? r->orig + (uint32_t)(from - r->at) : r->orig, r->end);
    if (run_stop(in, k) >= end) break;
    k++;
  }
  in->hint = k;
  memcpy(b->s + base, in->s + i, n);
  b->len = base + n;
}

static void nb_materialise(nbuf *b) {
  nbuf *in = b->src;
  size_t n = b->lazy;
  b->src = NULL;
  b->len = 0;
  b->nr = 0;
  b->hint = 0;
  if (n) copy_mapped(b, in, 0, n);
}

/* n bytes that all come from original range [s, e). */
static void nb_put(nbuf *b, const char *p, size_t n, uint32_t s, uint32_t e) {
  if (b->src) nb_materialise(b);
  nb_reserve(b, n);
  run_add(b, s, e);
  memcpy(b->s + b->len, p, n);
  b->len += n;
}

/* Bytes [i, i+n) of in, with their own map. */
static inline void nb_copy(nbuf *b, nbuf *in, size_t i, size_t n) {
  if (b->src) {
    if (b->src == in && b->lazy == i) {
      b->lazy += n;
      return;
    }
    nb_materialise(b);
  }
  if (n) copy_mapped(b, in, i, n);
}

/* Bytes [i, i+n) of the original input, verbatim, as they are in text. */
static void nb_put_verbatim(nbuf *b, const char *text, size_t i, size_t n) {
  if (!n) return;
  nb_reserve(b, n);
  run_add(b, (uint32_t)i, RUN_VERBATIM);
  memcpy(b->s + b->len, text + i, n);
  b->len += n;
}

/* ---- sixteen bytes at a time -------------------------------------------- */

/* The passes look for a few byte values in long stretches of text that
 * have none. Bit k of the result is set when byte p[k] (k < 16) is one of
 * set[0, n); SSE2 compares all sixteen bytes at once. */
static inline unsigned bytes_in16(const char *p, const unsigned char *set, int n) {
#if defined(__SSE2__)
  __m128i v = _mm_loadu_si128((const __m128i *)p);
  __m128i m = _mm_cmpeq_epi8(v, _mm_set1_epi8((char)set[0]));
  for (int k = 1; k < n; k++) m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8((char)set[k])));
  return (unsigned)_mm_movemask_epi8(m);
#else
  unsigned r = 0;
  for (int i = 0; i < 16; i++)
    for (int k = 0; k < n; k++)
      if ((unsigned char)p[i] == set[k]) r |= 1u << i;
  return r;
#endif
}

/* Bit k set when p[k] (k < 16) has its high bit set (is not ASCII). */
static inline unsigned high_in16(const char *p) {
#if defined(__SSE2__)
  return (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)p));
#else
  unsigned r = 0;
  for (int i = 0; i < 16; i++) r |= (unsigned)((unsigned char)p[i] >> 7) << i;
  return r;
#endif
}

/* The index of the lowest set bit of m (not 0). */
static inline unsigned lowest_bit(unsigned m) {
#if defined(__GNUC__)
  return (unsigned)__builtin_ctz(m);
#else
  unsigned k = 0;
  while (!(m & 1)) m >>= 1, k++;
  return k;
#endif
}

/* Decodes one code point of text already known to be valid UTF-8. */
static inline int32_t dec(const char *s, size_t len, size_t i, size_t *n) {
  const unsigned char *p = (const unsigned char *)s + i;
  if (p[0] < 0x80) { *n = 1; return p[0]; }
  if (p[0] < 0xE0 && i + 1 < len) { *n = 2; return ((p[0] & 0x1F) << 6) | (p[1] & 0x3F); }
  if (p[0] < 0xF0 && i + 2 < len) {
    *n = 3;
    return ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  }
  if (i + 3 < len) {
    *n = 4;
    return ((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  }
  *n = 1;
  return 0xFFFD;
}

static size_t enc(int32_t c, char *o) {
  return (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)o);
}

/* Code point facts for U+0000..U+2FFF (all of Vietnamese text, Latin,
 * Greek, Cyrillic, the punctuation and symbol blocks), looked up instead of
 * asking utf8proc per code point: the general category, whether it
 * continues a combining cluster (canonical combining class != 0 or a mark),
 * and whether alone it is its own NFC. Higher code points ask utf8proc. */
#define CP_TABLE 0x3000
enum { CPF_CAT = 0x1F, CPF_CONT = 0x20, CPF_NFC_SELF = 0x40 };
static unsigned char cp_table[CP_TABLE];

static void cp_table_init(void) {
  for (int32_t c = 0; c < CP_TABLE; c++) {
    const utf8proc_property_t *p = utf8proc_get_property(c);
    unsigned f = p->category;
    if (p->combining_class != 0 || (p->category >= UTF8PROC_CATEGORY_MN && p->category <= UTF8PROC_CATEGORY_ME))
      f |= CPF_CONT;
    /* Without a canonical decomposition a lone code point is its own NFC;
     * with one, utf8proc says (composition exclusions, singletons). */
    bool self = true;
    bool forced = c < 0x300 || (c >= 0x1E00 && c <= 0x1EFF); /* see below */
    if (!forced && p->decomp_seqindex != UINT16_MAX) {
      utf8proc_uint8_t in[4], *r = NULL;
      utf8proc_ssize_t n = utf8proc_encode_char(c, in);
      utf8proc_ssize_t rn = utf8proc_map(in, n, &r, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
      self = rn < 0 || (rn == n && memcmp(r, in, (size_t)n) == 0);
      free(r);
    }
    /* (below U+0300 and Latin Extended Additional NFC was never applied
     * to a lone code point; kept so, whatever utf8proc says) */
    if (self || forced) f |= CPF_NFC_SELF;
    cp_table[c] = (unsigned char)f;
  }
}

static inline utf8proc_category_t cp_category(int32_t c) {
  if (c < CP_TABLE) return (utf8proc_category_t)(cp_table[c] & CPF_CAT);
  return utf8proc_category(c);
}
/* Does c continue the combining cluster before it? */
static inline bool cp_cont(int32_t c) {
  if (c < CP_TABLE) return cp_table[c] & CPF_CONT;
  utf8proc_category_t k = utf8proc_category(c);
  return utf8proc_get_property(c)->combining_class != 0 ||
         (k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME);
}

static inline bool ascii_letter(unsigned char c) { return (unsigned)((c | 0x20) - 'a') < 26u; }
static inline bool is_letter_cp(int32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  utf8proc_category_t k = cp_category(c);
  return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}
static inline bool is_mark_cp(int32_t c) {
  if (c < 0x300) return false;
  utf8proc_category_t k = cp_category(c);
  return k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME;
}
/* letter or mark: the characters of a word for the tone pass */
static inline bool is_word_cp(int32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  utf8proc_category_t k = cp_category(c);
  return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_ME;
}
static bool is_alnum_cp(int32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  utf8proc_category_t k = cp_category(c);
  return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO) || k == UTF8PROC_CATEGORY_ND ||
         (k >= UTF8PROC_CATEGORY_MN && k <= UTF8PROC_CATEGORY_ME);
}

/* ---- 1. decode ---------------------------------------------------------- */

/* Validates UTF-8 strictly (the decoder of RFC 3629 table 3-7: no overlongs,
 * no surrogates, nothing above U+10FFFF), because every later pass assumes
 * valid text. A bad sequence is its maximal invalid subpart (Unicode 15
 * 3.9, "U+FFFD substitution of maximal subparts") so lossy mode replaces
 * the same units browsers do. Also drops a leading BOM and turns CRLF and
 * lone CR into LF (a CRLF's LF maps to both bytes). */
/* Is code point c (from 2 or 3 bytes) one the NFC pass may change: one
 * that continues a cluster or is not its own NFC? */
static inline bool nfc_suspect(int32_t c) {
  return c >= CP_TABLE || (cp_table[c] & (CPF_CONT | CPF_NFC_SELF)) != CPF_NFC_SELF;
}

/* Line breaks in p[a, b): an LF, a CRLF and a lone CR are one each. The
 * decoder counts them only for an error message and for the next chunk. */
static unsigned count_lines(const unsigned char *p, size_t a, size_t b) {
  unsigned n = 0;
  for (const unsigned char *q = p + a; (q = memchr(q, '\n', (size_t)(p + b - q))) != NULL; q++) n++;
  for (const unsigned char *q = p + a; (q = memchr(q, '\r', (size_t)(p + b - q))) != NULL; q++)
    if (q + 1 == p + b || q[1] != '\n') n++;
  return n;
}

#if defined(__SSE2__)
/* Bit k set when p[k] (k < 16) is in [lo, hi]. */
static inline unsigned range16(__m128i v, unsigned char lo, unsigned char hi) {
  __m128i d = _mm_sub_epi8(v, _mm_set1_epi8((char)lo));
  return (unsigned)_mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_subs_epu8(d, _mm_set1_epi8((char)(hi - lo))), _mm_setzero_si128()));
}

/* Is p[i, i+16) (and i + 16 < len) all ASCII but CR and NUL, and valid
 * 2- and 3-byte sequences other than those the decoder looks at byte by
 * byte (lead bytes E0, ED)? Then *next is set after the block and the
 * sequence that runs over its end, and the code points NFC may change
 * are looked at. The continuation bytes must be exactly those the lead
 * bytes ask for. */
static inline bool block_valid16(const unsigned char *p, size_t i, size_t len, bool *all_nfc,
                                 size_t *next) {
  __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
  unsigned hi = (unsigned)_mm_movemask_epi8(v);
  __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_setzero_si128()));
  if (_mm_movemask_epi8(stop)) return false;
  if (!hi) {
    *next = i + 16;
    return true;
  }
  unsigned cont = (unsigned)_mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xC0)), _mm_set1_epi8((char)0x80)));
  unsigned l2 = range16(v, 0xC2, 0xDF);
  unsigned l3 = range16(v, 0xE1, 0xEF) & ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xED)));
  unsigned want = (l2 << 1) | (l3 << 1) | (l3 << 2);
  if ((want & 0xFFFF) != cont || (l2 | l3 | cont) != hi) return false;
  size_t end = i + 16;
  if (want & 0x10000) {
    if ((p[end] & 0xC0) != 0x80) return false;
    end++;
    if (want & 0x20000) {
      if (end >= len || (p[end] & 0xC0) != 0x80) return false;
      end++;
    }
  }
  if (*all_nfc) {
    /* lead bytes below CC (before U+0300) and E1 B8..BB (U+1E00..U+1EFF)
     * need no look */
    __m128i w = _mm_loadu_si128((const __m128i *)(p + i + 1));
    unsigned viet = (unsigned)_mm_movemask_epi8(_mm_and_si128(
        _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xE1)),
        _mm_cmpeq_epi8(_mm_and_si128(w, _mm_set1_epi8((char)0xFC)), _mm_set1_epi8((char)0xB8))));
    unsigned look = (l2 & range16(v, 0xCC, 0xDF)) | (l3 & ~viet);
    while (look) {
      unsigned j = lowest_bit(look);
      const unsigned char *q = p + i + j;
      int32_t c = q[0] < 0xE0 ? ((q[0] & 0x1F) << 6) | (q[1] & 0x3F)
                              : ((q[0] & 0x0F) << 12) | ((q[1] & 0x3F) << 6) | (q[2] & 0x3F);
      if (nfc_suspect(c)) {
        *all_nfc = false;
        break;
      }
      look &= look - 1;
    }
  }
  *next = end;
  return true;
}
#endif

/* *all_nfc is left false if the NFC pass may change something; *linep is
 * moved on over the chunk only when more_chunks (and not lossy: it is only
 * for error messages). */
static int pass_decode(const char *in, size_t start, size_t len, bool lossy, bool more_chunks,
                       const char *path, nbuf *out, unsigned *replaced, unsigned *linep,
                       bool *all_nfc, vnx_error *err) {
  const unsigned char *p = (const unsigned char *)in;
  size_t i = start;
  if (i == 0 && len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) i = 3;
  size_t run = i; /* [run, i) is valid text not yet written: it is copied as it is */
  nb_reserve(out, len - i);
  while (i < len) {
    /* Fast path: ASCII other than CR and NUL, and valid 2- and 3-byte
     * sequences, stay in the verbatim run. Sixteen bytes at a time: each
     * non-ASCII byte of the block must start such a sequence or be one of
     * its continuation bytes; the first byte that is none of these (or a
     * CR or NUL) ends the block and is looked at below. */
    while (i + 16 <= len) {
#if defined(__SSE2__)
      /* the whole block at once, when it is all valid (the usual case) */
      if (i + 17 <= len && block_valid16(p, i, len, all_nfc, &i)) continue;
#endif
      static const unsigned char stops[] = {'\r', 0};
      unsigned stop = bytes_in16(in + i, stops, 2);
      unsigned lim = stop ? lowest_bit(stop) : 16;
      unsigned hi = high_in16(in + i) & ((1u << lim) - 1);
      size_t next = i + lim; /* after the block (or at its stop byte) */
      while (hi) {
        unsigned j = lowest_bit(hi);
        size_t q = i + j;
        unsigned char c = p[q];
        if (c >= 0xC2 && c < 0xE0 && q + 1 < len && (p[q + 1] & 0xC0) == 0x80) {
          if (c >= 0xCC && nfc_suspect(((c & 0x1F) << 6) | (p[q + 1] & 0x3F))) *all_nfc = false;
          hi &= ~(3u << j);
          if (q + 2 > next) next = q + 2;
        } else if (c >= 0xE1 && c < 0xF0 && c != 0xED && q + 2 < len && (p[q + 1] & 0xC0) == 0x80 &&
                   (p[q + 2] & 0xC0) == 0x80) {
          if ((c != 0xE1 || (p[q + 1] & 0xFC) != 0xB8) &&
              nfc_suspect(((c & 0x0F) << 12) | ((p[q + 1] & 0x3F) << 6) | (p[q + 2] & 0x3F)))
            *all_nfc = false;
          hi &= ~(7u << j);
          if (q + 3 > next) next = q + 3;
        } else {
          next = q; /* (valid before q) */
          lim = 0;
          break;
        }
      }
      i = next;
      if (lim < 16) break;
    }
    if (i >= len) break;
    unsigned char c = p[i];
    if (c < 0x80 && c != '\r' && c != 0) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c < 0xE0 && i + 1 < len && (p[i + 1] & 0xC0) == 0x80) {
      if (c >= 0xCC && nfc_suspect(((c & 0x1F) << 6) | (p[i + 1] & 0x3F))) *all_nfc = false;
      i += 2;
      continue;
    }
    if (c >= 0xE1 && c < 0xF0 && c != 0xED && i + 2 < len && (p[i + 1] & 0xC0) == 0x80 &&
        (p[i + 2] & 0xC0) == 0x80) {
      /* (E0 overlongs and ED surrogates take the slow path) */
      if ((c != 0xE1 || (p[i + 1] & 0xFC) != 0xB8) &&
          nfc_suspect(((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F)))
        *all_nfc = false;
      i += 3;
      continue;
    }
    if (c == '\r') {
      size_t e = (i + 1 < len && p[i + 1] == '\n') ? i + 2 : i + 1;
      nb_put_verbatim(out, in, run, i - run);
      nb_put(out, "\n", 1, (uint32_t)i, (uint32_t)e);
      i = run = e;
      continue;
    }
    const char *why = NULL;
    char whybuf[64];
    size_t n = 1, need = 0;
    if (c == 0) {
      why = "NUL byte";
    } else if (c < 0xC0) {
      snprintf(whybuf, sizeof whybuf, "invalid UTF-8 (stray continuation byte 0x%02x)", c);
      why = whybuf;
    } else if (c < 0xC2) {
      why = "invalid UTF-8 (overlong encoding)";
    } else if (c > 0xF4) {
      snprintf(whybuf, sizeof whybuf, "invalid UTF-8 (invalid byte 0x%02x)", c);
      why = whybuf;
    } else {
      need = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
      unsigned char lo = 0x80, hi = 0xBF;
      if (c == 0xE0) lo = 0xA0;
      else if (c == 0xED) hi = 0x9F;
      else if (c == 0xF0) lo = 0x90;
      else if (c == 0xF4) hi = 0x8F;
      for (size_t k = 1; k <= need; k++) {
        if (i + k >= len) { why = "invalid UTF-8 (truncated sequence)"; break; }
        unsigned char d = p[i + k];
        unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (d < l || d > h) {
          if (k == 1 && d >= 0x80 && d <= 0xBF) {
            why = c == 0xED ? "invalid UTF-8 (surrogate code point)"
                : c == 0xF4 ? "invalid UTF-8 (code point above U+10FFFF)"
                            : "invalid UTF-8 (overlong encoding)";
          } else {
            why = "invalid UTF-8 (truncated sequence)";
          }
          break;
        }
        n = k + 1;
      }
      if (!why) n = need + 1;
    }
    if (why) {
      if (!lossy) {
        vnx_error_set(err, path, *linep + count_lines(p, start, i), i, "%s", why);
        return -1;
      }
      nb_put_verbatim(out, in, run, i - run);
      nb_put(out, "\xEF\xBF\xBD", 3, (uint32_t)i, (uint32_t)(i + n));
      *all_nfc = false; /* (not worth a look) */
      (*replaced)++;
      i = run = i + n;
      continue;
    }
    /* E0, ED and 4-byte sequences: valid, and copied as they are.
     * U+FEFF at the very start only is a BOM; later it is a zero-width
     * no-break space, folded by the layout pass. */
    *all_nfc = false;
    i += n;
  }
  nb_put_verbatim(out, in, run, i - run);
  if (more_chunks && !lossy) *linep += count_lines(p, start, len);
  return 0;
}

/* ---- 2. NFC ------------------------------------------------------------- */

/* Documents come in NFC, NFD or half composed (a precomposed vowel plus a
 * combining tone mark). NFC is applied per cluster (a starter and the
 * combining marks after it), so the output of a cluster maps to the whole
 * cluster. A lone code point that is its own NFC (cp_table) is copied
 * as it is, in runs. Starter-starter compositions (Hangul jamo) are not
 * joined across clusters; documents in scope do not have them. */
static void pass_nfc(nbuf *in, nbuf *out) {
  size_t i = 0, len = in->len, run = 0;
  const char *s = in->s;
  while (i < len) {
    /* Code points below U+0300 (lead byte < 0xCC) and in Latin Extended
     * Additional (the Vietnamese letters) are their own NFC and combine
     * with nothing before them: only other lead bytes >= 0xCC need a
     * look, and the code point before one if it is a combining mark. */
    size_t k = i;
    for (;;) {
      if (k == len) break;
      unsigned char b = (unsigned char)s[k];
      if (b < 0xCC) k++;
      else if (b == 0xE1 && ((unsigned char)s[k + 1] & 0xFC) == 0xB8) k += 3; /* U+1E00..U+1EFF */
      else break;
    }
    if (k == len) break;
    size_t n;
    size_t st = k; /* the cluster's starter */
    if (k > i && cp_cont(dec(s, len, k, &n))) {
      st = k - 1;
      while (st > i && ((unsigned char)s[st] & 0xC0) == 0x80) st--;
    }
    int32_t c = dec(s, len, st, &n);
    size_t e = st + n;
    bool marks = false;
    /* combining marks are U+0300 and up: lead byte 0xCC or more */
    while (e < len && (unsigned char)s[e] >= 0xCC) {
      size_t m;
      int32_t d = dec(s, len, e, &m);
      if (!cp_cont(d)) break;
      marks = true;
      e += m;
    }
    i = e;
    if (!marks && c < CP_TABLE && (cp_table[c] & CPF_NFC_SELF)) continue; /* in the unchanged run */
    if (st > run) nb_copy(out, in, run, st - run);
    utf8proc_uint8_t *r = NULL;
    utf8proc_ssize_t rn = utf8proc_map((const utf8proc_uint8_t *)s + st, (utf8proc_ssize_t)(e - st), &r,
                                       UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (rn < 0) {
      nb_copy(out, in, st, e - st);
    } else if ((size_t)rn == e - st && memcmp(r, s + st, e - st) == 0) {
      nb_copy(out, in, st, e - st);
    } else {
      nb_put(out, (const char *)r, (size_t)rn, nb_ms(in, st), nb_me(in, e - 1));
    }
    free(r);
    run = e;
  }
  if (len > run) nb_copy(out, in, run, len - run);
}

/* ---- 3. tone placement -------------------------------------------------- */

/* What a code point is as a Vietnamese letter: base (lower-case ASCII),
 * modifier (circumflex, breve, horn; 'đ' is d + stroke) and tone. Built
 * once from utf8proc's canonical decompositions, so no hand-typed table of
 * 134 letters can be wrong. */
enum { MOD_NONE, MOD_CIRC, MOD_BREVE, MOD_HORN, MOD_STROKE };
enum { TONE_NONE, TONE_GRAVE, TONE_ACUTE, TONE_TILDE, TONE_HOOK, TONE_DOT, NTONES };

typedef struct vletter {
  unsigned char base;  /* 'a'..'z', 0 = not a Vietnamese letter */
  unsigned char upper;
  unsigned char mod;
  unsigned char tone;
} vletter;

#define VL_MAX 0x1F00
static vletter vl_table[VL_MAX];
/* The same, as bits a quick look at a word needs (vl_info). */
enum { VI_WORD = 1, VI_MARK = 2, VI_LETTER = 4, VI_VOWEL = 8, VI_TONE = 16, VI_MOD = 32 };
static unsigned char vl_info[VL_MAX];
static int32_t vl_compose[6][5][NTONES][2]; /* [vowel][mod][tone][upper] */
static pthread_once_t vl_once = PTHREAD_ONCE_INIT;

static inline int vowel_index(unsigned char b) {
  switch (b) {
  case 'a': return 0;
  case 'e': return 1;
  case 'i': return 2;
  case 'o': return 3;
  case 'u': return 4;
  case 'y': return 5;
  default: return -1;
  }
}

static int mark_mod(int32_t m) {
  switch (m) {
  case 0x302: return MOD_CIRC;
  case 0x306: return MOD_BREVE;
  case 0x31B: return MOD_HORN;
  default: return -1;
  }
}
static int mark_tone(int32_t m) {
  switch (m) {
  case 0x300: case 0x340: return TONE_GRAVE;
  case 0x301: case 0x341: return TONE_ACUTE;
  case 0x303: return TONE_TILDE;
  case 0x309: return TONE_HOOK;
  case 0x323: return TONE_DOT;
  default: return -1;
  }
}

static bool mod_allowed(unsigned char b, int mod) {
  switch (mod) {
  case MOD_NONE: return true;
  case MOD_CIRC: return b == 'a' || b == 'e' || b == 'o';
  case MOD_BREVE: return b == 'a';
  case MOD_HORN: return b == 'o' || b == 'u';
  default: return false;
  }
}

static void sets_init(void);
static void dangling_init(void);
/* All the tables of this file, built once (vl_once) before the first
 * document. */
static void vl_init(void) {
  sets_init();
  cp_table_init();
  dangling_init();
  for (int32_t c = 0; c < VL_MAX; c++) {
    utf8proc_int32_t d[8];
    int last = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(c, d, 8, UTF8PROC_DECOMPOSE, &last);
    if (n < 1 || n > 3) continue;
    int32_t b = d[0];
    if (c == 0x111 || c == 0x110) {
      vl_table[c] = (vletter){'d', c == 0x110, MOD_STROKE, TONE_NONE};
      continue;
    }
    if (!((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z'))) continue;
    unsigned char base = (unsigned char)(b | 0x20), upper = b < 'a';
    int mod = MOD_NONE, tone = TONE_NONE;
    bool ok = true;
    for (utf8proc_ssize_t k = 1; k < n && ok; k++) {
      int m = mark_mod(d[k]), t = mark_tone(d[k]);
      if (m > 0 && mod == MOD_NONE) mod = m;
      else if (t > 0 && tone == TONE_NONE) tone = t;
      else ok = false;
    }
    if (!ok || !mod_allowed(base, mod)) continue;
    int vi = vowel_index(base);
    if (vi < 0 && (mod || tone)) continue;
    vl_table[c] = (vletter){base, upper, (unsigned char)mod, (unsigned char)tone};
    if (vi >= 0 && !vl_compose[vi][mod][tone][upper]) vl_compose[vi][mod][tone][upper] = c;
  }
  for (int32_t c = 0; c < VL_MAX; c++) {
    const vletter *v = &vl_table[c];
    unsigned f = 0;
    if (is_letter_cp(c) || is_mark_cp(c)) f |= VI_WORD;
    if (is_mark_cp(c)) f |= VI_MARK;
    if (v->base) f |= VI_LETTER;
    if (v->base && vowel_index(v->base) >= 0) f |= VI_VOWEL;
    if (v->tone) f |= VI_TONE;
    if (v->mod && v->mod != MOD_STROKE) f |= VI_MOD;
    vl_info[c] = (unsigned char)f;
  }
}

/* Vowel key: one ASCII char per vowel with its modifier, for the nucleus
 * table. a ă â e ê i o ô ơ u ư y -> a 1 2 e 3 i o 4 5 u 6 y. */
static char vkey(unsigned char b, int mod) {
  if (b == 'a') return mod == MOD_BREVE ? '1' : mod == MOD_CIRC ? '2' : 'a';
  if (b == 'e') return mod == MOD_CIRC ? '3' : 'e';
  if (b == 'o') return mod == MOD_CIRC ? '4' : mod == MOD_HORN ? '5' : 'o';
  if (b == 'u') return mod == MOD_HORN ? '6' : 'u';
  return (char)b;
}

/* Vowel nuclei (with glides) of Vietnamese syllables, after the onset (so
 * the u of qu and the i of gi are not in them). */
static const char *const NUCLEI[] = {
  "a", "1", "2", "e", "3", "i", "o", "4", "5", "u", "6", "y",
  "ai", "ao", "au", "ay", "2u", "2y", "eo", "3u", "ia", "i3", "iu", "oa", "o1", "oe",
  "oi", "4i", "5i", "oo", "ua", "u2", "u3", "ui", "u4", "u5", "uy", "6a", "6i", "6u",
  "65", "y3", "ya",
  "i3u", "oai", "oay", "oeo", "u2y", "u4i", "65i", "65u", "y3u", "uya", "uy3", "uyu",
  NULL};

static uint32_t key32(const char *k) {
  uint32_t v = 0;
  for (int i = 0; k[i]; i++) v = (v << 8) | (unsigned char)k[i];
  return v;
}

static uint32_t nuclei32[64], onsets32[32], finals32[16];
static int nnuclei, nonsets, nfinals;

static bool in32(const uint32_t *set, int n, const char *k) {
  uint32_t v = key32(k);
  for (int i = 0; i < n; i++)
    if (set[i] == v) return true;
  return false;
}

static bool nucleus_ok(const char *k) { return in32(nuclei32, nnuclei, k); }

static const char *const ONSETS[] = {
  "", "b", "c", "d", "\x01", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
  "ch", "gh", "kh", "nh", "ng", "ngh", "ph", "th", "tr", NULL};
static const char *const FINALS[] = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t", NULL};

static void sets_init(void) {
  for (nnuclei = 0; NUCLEI[nnuclei]; nnuclei++) nuclei32[nnuclei] = key32(NUCLEI[nnuclei]);
  for (nonsets = 0; ONSETS[nonsets]; nonsets++) onsets32[nonsets] = key32(ONSETS[nonsets]);
  for (nfinals = 0; FINALS[nfinals]; nfinals++) finals32[nfinals] = key32(FINALS[nfinals]);
}

#define TW_MAX 12

/* Where the tone of a syllable goes, or -1 if the word is not a plausible
 * Vietnamese syllable (foreign words, acronyms, typos are left alone).
 * Rules (one index into the letters):
 *  - onset from the Vietnamese set; "qu" and "gi" (before another vowel)
 *    are onsets, their u / i never carry the tone (quý, già, giữ);
 *  - a vowel with a modifier (â ă ê ô ơ ư) carries it, the last one if
 *    there are two (người, rượu);
 *  - closed syllable (final consonant): the last vowel (toàn, hoạch);
 *  - open syllable: one vowel -> it; three -> the middle one (hoài, khuya);
 *    two -> the first (mùa, kìa, hái), except the rising diphthongs oa, oe,
 *    uy: first in classic style (hòa, khỏe, thủy), second in modern (hoà,
 *    khoẻ, thuỷ). */
static int tone_target(const vletter *L, int n, vnx_tone_style style) {
  char on[8], nk[8], fin[8];
  int k = 0, no = 0;
  while (k < n && vowel_index(L[k].base) < 0) {
    if (no >= 3) return -1;
    on[no++] = L[k].mod == MOD_STROKE ? '\x01' : (char)L[k].base;
    k++;
  }
  on[no] = 0;
  if (strcmp(on, "q") == 0) {
    if (k + 1 < n && L[k].base == 'u' && L[k].mod == MOD_NONE && vowel_index(L[k + 1].base) >= 0) k++;
    else return -1;
  } else if (strcmp(on, "g") == 0 && k + 1 < n && L[k].base == 'i' && L[k].mod == MOD_NONE &&
             vowel_index(L[k + 1].base) >= 0) {
    k++;
  } else if (!in32(onsets32, nonsets, on)) {
    return -1;
  }
  int v0 = k, nv = 0;
  while (k < n && vowel_index(L[k].base) >= 0) {
    if (nv >= 3) return -1;
    nk[nv++] = vkey(L[k].base, L[k].mod);
    k++;
  }
  nk[nv] = 0;
  if (nv == 0) return -1;
  int nf = 0;
  while (k < n) {
    if (vowel_index(L[k].base) >= 0 || L[k].mod || nf >= 2) return -1;
    fin[nf++] = (char)L[k].base;
    k++;
  }
  fin[nf] = 0;
  if (!in32(finals32, nfinals, fin) || !nucleus_ok(nk)) return -1;
  int last_mod = -1;
  for (int i = 0; i < nv; i++)
    if (L[v0 + i].mod) last_mod = i;
  if (last_mod >= 0) return v0 + last_mod;
  if (nf > 0) return v0 + nv - 1;
  if (nv == 1) return v0;
  if (nv == 3) return v0 + 1;
  if (strcmp(nk, "oa") == 0 || strcmp(nk, "oe") == 0 || strcmp(nk, "uy") == 0)
    return v0 + (style == VNX_TONE_MODERN ? 1 : 0);
  return v0;
}

/* The word starting at a (letters and combining marks); returns its end
 * b. If its tone mark sits on a non-canonical vowel or combining marks
 * were left over by NFC (a tone typed before the circumflex), rewrites it
 * (*rewritten) by writing in[*run, a) and the word to out and setting
 * *run to b; otherwise writes nothing. Each output
 * letter maps to the original range of its input letter. */
static size_t tone_word(nbuf *in, size_t a, vnx_tone_style style, nbuf *out, size_t *run,
                        bool *rewritten) {
  vletter L[TW_MAX];
  size_t ls[TW_MAX], le[TW_MAX];
  bool stray[TW_MAX];
  int n = 0, ntone = 0, tpos = -1;
  bool any_stray = false, ok = true;
  const char *s = in->s;
  size_t i = a, len = in->len;
  /* one walk finds the end of the word and, while the word still looks
   * Vietnamese (ok), its letters */
  while (i < len) {
    size_t m = 1;
    unsigned char ch = (unsigned char)s[i];
    int32_t c = ch;
    if (ch < 0x80) {
      if (!ascii_letter(ch)) break;
    } else {
      c = dec(s, len, i, &m);
      if (!is_word_cp(c)) break;
    }
    if (!ok) {
      i += m;
      continue;
    }
    if (is_mark_cp(c)) {
      int md = mark_mod(c), t = mark_tone(c);
      if (n == 0) ok = false;
      else if (md > 0 && L[n - 1].mod == MOD_NONE && mod_allowed(L[n - 1].base, md)) L[n - 1].mod = (unsigned char)md;
      else if (t > 0 && L[n - 1].tone == TONE_NONE && vowel_index(L[n - 1].base) >= 0) L[n - 1].tone = (unsigned char)t;
      else ok = false;
      if (ok) {
        stray[n - 1] = any_stray = true;
        le[n - 1] = i + m;
      }
      i += m;
      continue;
    }
    if (c >= VL_MAX || n == TW_MAX || !vl_table[c].base) {
      ok = false;
    } else {
      L[n] = vl_table[c];
      ls[n] = i;
      le[n] = i + m;
      stray[n] = false;
      n++;
    }
    i += m;
  }
  size_t b = i;
  if (!ok) return b;
  for (int k = 0; k < n; k++)
    if (L[k].tone) { ntone++; tpos = k; }
  if (ntone > 1) return b;
  int target = tpos;
  bool settled = false; /* tone where every rule would put it */
  if (ntone == 1) {
    int nvow = 0, later_mod = 0;
    for (int k = 0; k < n; k++) {
      if (vowel_index(L[k].base) >= 0) nvow++;
      if (k > tpos && L[k].mod && L[k].mod != MOD_STROKE) later_mod++;
    }
    settled = nvow == 1 || (L[tpos].mod && !later_mod);
  }
  if (ntone == 1 && !settled) {
    target = tone_target(L, n, style);
    if (target < 0) {
      if (!any_stray) return b;
      target = tpos; /* not a syllable we know: only compose */
    }
  }
  if (target == tpos && !any_stray) return b;
  int tone = ntone ? L[tpos].tone : TONE_NONE;
  int32_t cp[TW_MAX];
  bool changed[TW_MAX];
  for (int k = 0; k < n; k++) {
    vletter v = L[k];
    bool ch = stray[k];
    if (k == tpos && k != target) { v.tone = TONE_NONE; ch = true; }
    if (k == target && k != tpos) { v.tone = (unsigned char)tone; ch = true; }
    changed[k] = ch;
    cp[k] = 0;
    if (!ch) continue;
    int vi = vowel_index(v.base);
    if (vi < 0) {
      if (v.mod == MOD_STROKE) cp[k] = v.upper ? 0x110 : 0x111;
      else if (v.tone == TONE_NONE && v.mod == MOD_NONE) cp[k] = v.upper ? (v.base - 32) : v.base;
    } else if (v.mod <= MOD_HORN) {
      cp[k] = vl_compose[vi][v.mod][v.tone][v.upper];
    }
    if (!cp[k]) return b;
  }
  /* the word as rewritten: an unchanged letter with its own map, a
   * changed one mapping to its input letter's range */
  *rewritten = true;
  if (a > *run) nb_copy(out, in, *run, a - *run);
  for (int k = 0; k < n; k++) {
    if (!changed[k]) {
      nb_copy(out, in, ls[k], le[k] - ls[k]);
    } else {
      char u[4];
      nb_put(out, u, enc(cp[k], u), nb_ms(in, ls[k]), nb_me(in, le[k] - 1));
    }
  }
  *run = b;
  return b;
}

/* vl_info for any code point. */
static inline unsigned tone_info(int32_t c) {
  if (c < VL_MAX) return vl_info[c];
  return is_mark_cp(c) ? VI_WORD | VI_MARK : is_letter_cp(c) ? VI_WORD : 0;
}

/* tone_info of the non-ASCII code point at p (valid text: its bytes are
 * all there), and its length *n. */
static inline unsigned tone_info_at(const char *s, size_t *n) {
  const unsigned char *p = (const unsigned char *)s;
  if (p[0] < 0xE0) {
    *n = 2;
    return vl_info[((p[0] & 0x1F) << 6) | (p[1] & 0x3F)];
  }
  if (p[0] < 0xF0) {
    *n = 3;
    int32_t c = ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return c < VL_MAX ? vl_info[c] : tone_info(c);
  }
  *n = 4;
  return tone_info(((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F));
}

/* The word starting at a; returns its end. A quick look first: most
 * words need no change (no tone mark, or one on the only vowel or on the
 * last vowel with a modifier, and no combining mark). The others go
 * through tone_word. */
/* Words the full analysis left unchanged, in this pass: most such words
 * (của, hoà, quả) come back many times. Direct mapped, by a hash of the
 * bytes. */
#define MEMO_SLOTS 256
#define MEMO_WORD 15
typedef struct tone_memo {
  unsigned char len[MEMO_SLOTS]; /* 0: empty */
  char w[MEMO_SLOTS][MEMO_WORD];
} tone_memo;

static unsigned memo_slot(const char *w, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t k = 0; k < n; k++) h = (h ^ (unsigned char)w[k]) * 16777619u;
  return (h ^ (h >> 16)) % MEMO_SLOTS;
}

static size_t tone_scan(nbuf *in, size_t a, vnx_tone_style style, nbuf *out, size_t *run,
                        tone_memo *memo) {
  const char *s = in->s;
  size_t i = a, len = in->len;
  int n = 0, ntone = 0, tpos = -1, nvow = 0, lastmod = -1;
  bool ok = true, mark = false;
  while (i < len) {
    unsigned char ch = (unsigned char)s[i];
    size_t m = 1;
    unsigned f = ch < 0x80 ? vl_info[ch] : tone_info_at(s + i, &m);
    if (!(f & VI_WORD)) break;
    i += m;
    if (f & VI_MARK) {
      mark = true;
    } else if (!(f & VI_LETTER) || n == TW_MAX) {
      ok = false; /* not Vietnamese: tone_word would leave it */
    } else {
      if (f & VI_VOWEL) nvow++;
      if (f & VI_TONE) { ntone++; tpos = n; }
      if (f & VI_MOD) lastmod = n;
      n++;
    }
  }
  if (!ok || (!mark && (ntone != 1 || nvow == 1 || lastmod == tpos))) return i;
  size_t wl = i - a;
  unsigned slot = 0;
  if (wl <= MEMO_WORD) {
    slot = memo_slot(s + a, wl);
    if (memo->len[slot] == wl && memcmp(memo->w[slot], s + a, wl) == 0) return i;
  }
  bool rewritten = false;
  size_t b = tone_word(in, a, style, out, run, &rewritten);
  if (!rewritten && wl <= MEMO_WORD) {
    memo->len[slot] = (unsigned char)wl;
    memcpy(memo->w[slot], s + a, wl);
  }
  return b;
}

/* The offset of the first byte of s[i, len) with its high bit set, or len. */
static size_t next_high(const char *s, size_t i, size_t len) {
  for (; i + 16 <= len; i += 16) {
    unsigned m = high_in16(s + i);
    if (m) return i + lowest_bit(m);
  }
  while (i < len && (unsigned char)s[i] < 0x80) i++;
  return i;
}

/* Is the code point that ends before byte q a vowel letter? */
static inline bool vowel_before(const char *s, size_t q) {
  if (q == 0) return false;
  unsigned char b = (unsigned char)s[q - 1];
  if (b < 0x80) return vl_info[b] & VI_VOWEL;
  size_t k = q - 1, n;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  return tone_info_at(s + k, &n) & VI_VOWEL;
}

/* Is the code point at byte i a vowel letter? */
static inline bool vowel_at(const char *s, size_t len, size_t i) {
  if (i >= len) return false;
  unsigned char b = (unsigned char)s[i];
  if (b < 0x80) return vl_info[b] & VI_VOWEL;
  size_t n;
  return tone_info_at(s + i, &n) & VI_VOWEL;
}

/* Does a vowel with a modifier follow in the vowels starting at byte i?
 * A word whose tone sits on a modified vowel with none after it in its
 * vowel group needs no move: either it is settled (no later modified
 * vowel, tone_word) or a later one is in another vowel group, which no
 * syllable has. Combining marks are looked at on their own. */
static inline bool modded_vowel_after(const char *s, size_t len, size_t i) {
  while (i < len) {
    unsigned char b = (unsigned char)s[i];
    size_t n = 1;
    unsigned f = b < 0x80 ? vl_info[b] : tone_info_at(s + i, &n);
    if (!(f & VI_VOWEL)) return false;
    if (f & VI_MOD) return true;
    i += n;
  }
  return false;
}

/* The start of the word holding the word character at q: back over word
 * characters, not before lo (a word boundary). */
static size_t word_start(const char *s, size_t lo, size_t q) {
  size_t w = q;
  while (w > lo) {
    size_t k = w - 1, n;
    unsigned char b = (unsigned char)s[k];
    if (b < 0x80) {
      if (!ascii_letter(b)) break;
    } else {
      while (k > lo && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
      if (!(tone_info_at(s + k, &n) & VI_WORD)) break;
    }
    w = k;
  }
  return w;
}

/* Canonical tone placement, word by word (a word: letters and combining
 * marks). Only two kinds of word can change: one with a combining mark,
 * and one whose tone mark sits on a vowel next to another vowel. A word
 * whose one toned vowel has no vowel beside it is either a syllable with
 * that one vowel (the tone is where it goes) or has its vowels in
 * separate groups, which no syllable has (tone_target gives up); with two
 * toned vowels tone_word gives up too. So the pass goes from one non-ASCII
 * code point to the next (ASCII carries no mark), looks at a whole word
 * only for such a code point, and copies unchanged text in runs. */
static void pass_tone(nbuf *in, vnx_tone_style style, nbuf *out) {
  size_t i = 0, len = in->len, run = 0;
  tone_memo memo;
  memset(memo.len, 0, sizeof memo.len);
  const char *s = in->s;
  while (i < len) {
    size_t q = next_high(s, i, len);
    if (q == len) break;
    size_t n;
    unsigned f = tone_info_at(s + q, &n);
    if (!(f & (VI_TONE | VI_MARK))) {
      i = q + n;
      continue;
    }
    if ((f & (VI_TONE | VI_MOD)) == (VI_TONE | VI_MOD) && !modded_vowel_after(s, len, q + n)) {
      i = q + n; /* người, được: the tone is on the last modified vowel */
      continue;
    }
    if (!(f & VI_MARK) && !((f & VI_TONE) && (vowel_at(s, len, q + n) || vowel_before(s, q)))) {
      i = q + n;
      continue;
    }
    /* run is a word boundary at or before this word */
    i = tone_scan(in, word_start(s, run, q), style, out, &run, &memo);
  }
  if (len > run) nb_copy(out, in, run, len - run);
}

/* ---- 4. markup residue -------------------------------------------------- */

typedef struct markv {
  vnx_footnote_mark *v;
  size_t n, cap;
} markv;

static void mark_add(markv *mv, unsigned number, size_t orig) {
  if (mv->n == mv->cap) {
    mv->cap = mv->cap ? mv->cap * 2 : 16;
    mv->v = vnx_xrealloc(mv->v, mv->cap * sizeof *mv->v);
  }
  mv->v[mv->n].number = number;
  mv->v[mv->n].offset = 0; /* filled at the end from the map */
  mv->v[mv->n].orig = orig;
  mv->n++;
}

/* Superscript digit value or -1. */
static int sup_digit(int32_t c) {
  switch (c) {
  case 0xB9: return 1;
  case 0xB2: return 2;
  case 0xB3: return 3;
  case 0x2070: return 0;
  default: return (c >= 0x2074 && c <= 0x2079) ? (int)(c - 0x2070) : -1;
  }
}

static bool is_hspace(int32_t c) { return c == ' ' || c == '\t'; }

/* Code point before byte i within [lo, i), or -1 at the start. */
static int32_t prev_cp(const char *s, size_t lo, size_t i) {
  if (i <= lo) return -1;
  size_t k = i - 1;
  while (k > lo && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  size_t n;
  return dec(s, i, k, &n);
}

/* Copy-on-change: [*run, upto) is unchanged input not yet written. */
static inline void run_flush(nbuf *out, nbuf *in, size_t *run, size_t upto) {
  if (upto > *run) nb_copy(out, in, *run, upto - *run);
}

/* bytes markup_inline looks at: '*', '_' and the lead bytes of the
 * superscript digits (U+00B2, U+00B3, U+00B9, U+2070..U+2079) */
static const bool markup_stop[256] = {['*'] = true, ['_'] = true, [0xC2] = true, [0xE2] = true};

/* The first markup_stop byte in s[i, b), or b. Most text has none: it is
 * passed sixteen bytes at a time. */
static size_t next_markup_stop(const char *s, size_t i, size_t b) {
  static const unsigned char stops[] = {'*', '_', 0xC2, 0xE2};
  for (; i + 16 <= b; i += 16) {
    unsigned m = bytes_in16(s + i, stops, 4);
    if (m) return i + lowest_bit(m);
  }
  while (i < b && !markup_stop[(unsigned char)s[i]]) i++;
  return i;
}

/* Inline markup in [a, b): emphasis runs of '*' and "__", superscript
 * footnote markers. A single '*' is emphasis when it touches a word on one
 * side only (CommonMark flanking, simplified); with spaces on both sides
 * (a lone bullet, "2 * 3") or alphanumerics on both sides ("2*3") it is
 * kept. Runs of 2+ '*' are always emphasis (also "THÔNG BÁO**Ý KIẾN" and
 * "***(" seen in converted PDFs); glued between two words ("THÔNG
 * BÁO**Ý KIẾN", "III***(Kèm") such a run stands for a lost line break and
 * becomes a space. Underscore runs other than "__" (form
 * blanks "____") are kept. Superscripts after m/km/cm/dm/hm (m², km³) are
 * units, turned into ASCII digits, not footnotes. */
static void markup_inline(nbuf *in, size_t a, size_t b, nbuf *out, markv *mv, size_t *run) {
  const char *s = in->s;
  size_t i = a;
  while (i < b) {
    i = next_markup_stop(s, i, b);
    if (i == b) break;
    unsigned char ch = (unsigned char)s[i];
    if (ch == '*' || ch == '_') {
      size_t j = i;
      while (j < b && s[j] == (char)ch) j++;
      size_t rl = j - i, n;
      int32_t pc = prev_cp(s, a, i);
      int32_t nc = j < b ? dec(s, b, j, &n) : -1;
      bool pws = pc < 0 || is_hspace(pc), nws = nc < 0 || is_hspace(nc);
      bool pan = pc >= 0 && is_alnum_cp(pc), nan_ = nc >= 0 && is_alnum_cp(nc);
      bool drop;
      if (ch == '*') drop = rl >= 2 || !((pws && nws) || (pan && nan_));
      else drop = rl == 2 && !((pws && nws) || (pan && nan_));
      if (drop) {
        run_flush(out, in, run, i);
        if (ch == '*' && rl >= 2 && (pan || pc == ')') && (nan_ || nc == '('))
          nb_put(out, " ", 1, nb_ms(in, i), nb_me(in, j - 1)); /* "THÔNG BÁO**Ý KIẾN": a lost break */
        *run = j;
      }
      i = j;
      continue;
    }
    size_t n; /* ch is 0xC2 or 0xE2 */
    {
      int32_t c = dec(s, b, i, &n);
      int d = sup_digit(c);
      if (d >= 0) {
        unsigned num = 0;
        size_t j = i;
        while (j < b) {
          size_t m;
          int dd = sup_digit(dec(s, b, j, &m));
          if (dd < 0) break;
          if (num < 100000) num = num * 10 + (unsigned)dd;
          j += m;
        }
        /* unit exponent? */
        size_t k = i;
        while (k > a && (unsigned char)s[k - 1] < 0x80 && is_letter_cp((unsigned char)s[k - 1])) k--;
        size_t wl = i - k;
        bool unit = (num == 2 || num == 3) && j - i == 2 && wl >= 1 && s[i - 1] == 'm' &&
                    (wl == 1 || (wl == 2 && strchr("kcdh", s[k])));
        if (unit) {
          if (k > a) {
            int32_t before = prev_cp(s, a, k);
            if (is_letter_cp(before)) unit = false;
          }
        }
        run_flush(out, in, run, i);
        if (unit) {
          char dg = (char)('0' + num);
          nb_put(out, &dg, 1, nb_ms(in, i), nb_me(in, j - 1));
        } else {
          mark_add(mv, num, nb_ms(in, i));
        }
        i = j;
        *run = j;
        continue;
      }
    }
    i += n;
  }
}

/* Line-level markup: ATX heading marks, markdown tables (separator row
 * dropped, cells joined by TAB, the TAB mapping to the '|'), a lone '*'
 * decoration line (dropped, the line stays as an empty line), and
 * footnote lines. A line starting with superscript digits ("¹ Từ ngày...")
 * is the footnote text itself: its mark is recorded like an inline one and
 * the number is kept visible as "[1] " (mapping to the superscript), so the
 * segmenter can still find the footnote by its number and the output has no
 * superscript digits. */
static void pass_markup(nbuf *in, nbuf *out, markv *mv) {
  const char *s = in->s;
  size_t len = in->len, ls = 0, run = 0;
  while (ls < len) {
    const char *nl = memchr(s + ls, '\n', len - ls);
    size_t le = nl ? (size_t)(nl - s) : len;
    size_t ts = ls, te = le;
    while (ts < te && is_hspace((unsigned char)s[ts])) ts++;
    while (te > ts && is_hspace((unsigned char)s[te - 1])) te--;
    if (te > ts && s[ts] == '|' && te - ts >= 2 && s[te - 1] == '|') {
      bool sep = true, dash = false;
      for (size_t k = ts; k < te; k++) {
        char c = s[k];
        if (c == '-') dash = true;
        else if (c != '|' && c != ':' && c != ' ' && c != '\t') { sep = false; break; }
      }
      run_flush(out, in, &run, ls);
      if (sep && dash) {
        run = nl ? le + 1 : le; /* the row and its newline dropped */
      } else {
        size_t c0 = ts + 1;
        bool first = true;
        while (c0 < te) {
          size_t c1 = c0;
          while (c1 < te && s[c1] != '|') c1++;
          if (c1 >= te) break; /* text after the last pipe: none (te is '|') */
          size_t a = c0, z = c1;
          while (a < z && is_hspace((unsigned char)s[a])) a++;
          while (z > a && is_hspace((unsigned char)s[z - 1])) z--;
          if (!first) nb_put(out, "\t", 1, nb_ms(in, c0 - 1), nb_me(in, c0 - 1));
          first = false;
          run = a;
          markup_inline(in, a, z, out, mv, &run);
          run_flush(out, in, &run, z);
          c0 = c1 + 1;
        }
        run = le;
      }
    } else if (te == ts + 1 && s[ts] == '*') {
      /* decoration line: dropped */
      run_flush(out, in, &run, ls);
      run = le;
    } else {
      size_t p = ts;
      size_t h = p;
      while (h < te && s[h] == '#' && h - p < 7) h++;
      if (h > p && h - p <= 6 && (h == te || is_hspace((unsigned char)s[h]))) {
        while (h < te && is_hspace((unsigned char)s[h])) h++;
        run_flush(out, in, &run, ls);
        run = h;
        markup_inline(in, h, le, out, mv, &run);
      } else {
        size_t n;
        int32_t c = ts < te ? dec(s, te, ts, &n) : -1;
        if (sup_digit(c) >= 0) {
          unsigned num = 0;
          size_t j = ts;
          while (j < te) {
            size_t m;
            int dd = sup_digit(dec(s, te, j, &m));
            if (dd < 0) break;
            if (num < 100000) num = num * 10 + (unsigned)dd;
            j += m;
          }
          mark_add(mv, num, nb_ms(in, ts));
          char tag[24];
          int tl = snprintf(tag, sizeof tag, "[%u] ", num);
          run_flush(out, in, &run, ts);
          nb_put(out, tag, (size_t)tl, nb_ms(in, ts), nb_me(in, j - 1));
          while (j < te && is_hspace((unsigned char)s[j])) j++;
          run = j;
          markup_inline(in, j, le, out, mv, &run);
        } else {
          markup_inline(in, ls, le, out, mv, &run);
        }
      }
    }
    ls = le + 1; /* the newline stays in the run */
  }
  run_flush(out, in, &run, len);
}

/* ---- 5. layout ---------------------------------------------------------- */

/* Horizontal white space folded to one ' ': space, NBSP, the U+2000 block
 * spaces, narrow NBSP, ideographic space, and the zero-width characters
 * (U+200B..U+200D, U+2060, U+FEFF after the start). */
static bool is_fold_space(int32_t c) {
  return c == ' ' || c == 0xA0 || (c >= 0x2000 && c <= 0x200D) || c == 0x202F || c == 0x205F ||
         c == 0x2060 || c == 0x3000 || c == 0xFEFF;
}

/* Character-level layout: white space runs -> one space, none at line
 * start or end (leading indentation is dropped too: later stages look for
 * list markers at line start); dashes -> '-', ellipsis -> "...", curly
 * quotes -> straight. trail[i] says whether output line i had trailing
 * white space in the input (a hint for joining). */
/* bytes that end a run pass_chars copies as it is: 1 a space (only when
 * another stop byte follows it), 3 the others (always) */
static const unsigned char chars_stop[256] = {[' '] = 1, ['\n'] = 3, [0xC2] = 3,
                                              [0xE2] = 3, [0xE3] = 3, [0xEF] = 3};

static void pass_chars(nbuf *in, nbuf *out, bool **trail, size_t *nlines) {
  const char *s = in->s;
  size_t len = in->len, i = 0, ln = 0, cap = 64;
  bool *tr = vnx_xcalloc(cap, sizeof(bool));
  size_t sp = SIZE_MAX; /* start of a pending white-space run */
  size_t run = 0;       /* start of the unchanged text not yet copied */
  bool line_start = true;
  while (i <= len) {
    if (i == len || s[i] == '\n') {
      if (sp != SIZE_MAX) {
        tr[ln] = true;
        if (sp > run) nb_copy(out, in, run, sp - run); /* trailing white space dropped */
        run = i;
      }
      sp = SIZE_MAX;
      if (i == len) break;
      if (++ln >= cap) {
        tr = vnx_xrealloc(tr, cap * 2 * sizeof(bool));
        memset(tr + cap, 0, cap * sizeof(bool));
        cap *= 2;
      }
      line_start = true;
      i++;
      continue;
    }
    size_t n = 1;
    unsigned char b = (unsigned char)s[i];
    int32_t c = b < 0x80 ? b : dec(s, len, i, &n);
    if (is_fold_space(c)) {
      if (sp == SIZE_MAX) sp = i;
      i += n;
      continue;
    }
    if (sp != SIZE_MAX) {
      /* one plain space between words stays as it is */
      if (line_start || i - sp != 1 || s[sp] != ' ') {
        if (sp > run) nb_copy(out, in, run, sp - run);
        if (!line_start) nb_put(out, " ", 1, nb_ms(in, sp), nb_me(in, i - 1));
        run = i;
      }
      sp = SIZE_MAX;
    }
    line_start = false;
    if (b < 0x80 || !(b == 0xC2 || b == 0xE2 || b == 0xE3 || b == 0xEF)) {
      /* a run without white space, newline or a lead byte of the folded
       * or replaced characters (U+00A0, U+2000..U+206F, U+3000, U+FEFF) */
      size_t j = i + 1;
      /* one space between two such runs is no change: go on. Sixteen
       * bytes at a time: a stop is a byte of class 3 or a space before a
       * stop byte (a space in the last lane stops too: stopping early at a
       * lone space costs a turn of the outer loop, it changes nothing) */
      static const unsigned char stop3[] = {'\n', 0xC2, 0xE2, 0xE3, 0xEF}, space[] = {' '};
      unsigned stops = 0;
      for (; j + 16 <= len; j += 16) {
        unsigned st = bytes_in16(s + j, stop3, 5), sp = bytes_in16(s + j, space, 1);
        stops = st | (sp & ((st | sp) >> 1 | 0x8000u));
        if (stops) {
          j += lowest_bit(stops);
          break;
        }
      }
      if (!stops) {
        /* the last bytes, one test per byte (without a branch at each
         * space) */
        const unsigned char *u = (const unsigned char *)s;
        while (j + 1 < len) {
          unsigned st = chars_stop[u[j]];
          if ((st & 2) | (st & chars_stop[u[j + 1]])) break;
          j++;
        }
        if (j + 1 == len && !chars_stop[u[j]]) j++; /* the last byte */
      }
      i = j;
      continue;
    }
    const char *rep = NULL;
    if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212) rep = "-";
    else if (c == 0x2026) rep = "...";
    else if (c == 0x201C || c == 0x201D || c == 0x201E || c == 0x201F) rep = "\"";
    else if (c == 0x2018 || c == 0x2019 || c == 0x201A || c == 0x201B) rep = "'";
    if (rep) {
      if (i > run) nb_copy(out, in, run, i - run);
      nb_put(out, rep, strlen(rep), nb_ms(in, i), nb_me(in, i + n - 1));
      run = i + n;
    }
    i += n;
  }
  if (len > run) nb_copy(out, in, run, len - run);
  *trail = tr;
  *nlines = ln + 1;
}

typedef struct linfo {
  size_t a, b;   /* [a, b) without the newline */
  size_t nchars; /* code points */
  bool blank, tab, caps, lower_start, final_punct, starts_item, full;
} linfo;

/* Does the line start a list item or a numbered heading? "-", "+", "•",
 * "(1)", "(i)", "(a)", "a)", "1.", "1)", "1.1.", "2.2.1", "II.", "IV)". Numbers
 * have at most 3 digits per level so "2025. ..." wrapped from a date does
 * not count. "Nơi nhận" and "Điều N" also start blocks. */
static bool starts_item(const char *s, size_t a, size_t b) {
  if (a >= b) return false;
  unsigned char c = (unsigned char)s[a];
  size_t rest = b - a;
  if ((c == '-' || c == '+' || c == '*') && (rest == 1 || s[a + 1] == ' ')) return true;
  if (rest >= 3 && memcmp(s + a, "\xE2\x80\xA2", 3) == 0) return true;  /* • */
  if (rest >= 3 && memcmp(s + a, "\xE2\x97\x8F", 3) == 0) return true;  /* ● */
  if (rest >= 2 && memcmp(s + a, "\xC2\xB7", 2) == 0) return true;      /* · */
  if (c == '(') {
    size_t k = a + 1;
    while (k < b && k - a <= 5 && ((s[k] >= '0' && s[k] <= '9') || strchr("ivxlcIVXLC", s[k]))) k++;
    if (k == a + 1 && k < b && s[k] >= 'a' && s[k] <= 'z') k++;
    return k > a + 1 && k < b && s[k] == ')';
  }
  if (c >= '0' && c <= '9') {
    size_t k = a;
    for (;;) {
      size_t d = k;
      while (k < b && s[k] >= '0' && s[k] <= '9') k++;
      if (k == d || k - d > 3) return false;
      if (k < b && s[k] == '.' && k + 1 < b && s[k + 1] >= '0' && s[k + 1] <= '9') { k++; continue; }
      break;
    }
    if (k < b && (s[k] == '.' || s[k] == ')')) k++;
    else return false;
    return k == b || s[k] == ' ';
  }
  if (strchr("IVXLC", c) && c) {
    size_t k = a;
    while (k < b && strchr("IVXLC", s[k]) && s[k]) k++;
    return k < b && (s[k] == '.' || s[k] == ')') && (k + 1 == b || s[k + 1] == ' ');
  }
  if (c >= 'a' && c <= 'z' && rest >= 2 && s[a + 1] == ')') return rest == 2 || s[a + 2] == ' ';
  if (rest >= 3 && memcmp(s + a, "\xC4\x91)", 3) == 0) return true; /* đ) */
  if (rest >= 11 && memcmp(s + a, "N\xC6\xA1i nh\xE1\xBA\xADn", 11) == 0) return true;
  if (rest >= 8 && memcmp(s + a, "\xC4\x90i\xE1\xBB\x81u ", 8) == 0) return true; /* Điều */
  return false;
}

/* The cheap facts about a line; line_full() adds the rest when needed. */
static void line_info(const char *s, linfo *L) {
  size_t a = L->a, b = L->b;
  L->blank = a == b;
  L->tab = memchr(s + a, '\t', b - a) != NULL;
  char last = b > a ? s[b - 1] : 0;
  L->final_punct = last && strchr(".:;!?", last);
  L->full = false;
}

static void line_full(const char *s, linfo *L) {
  if (L->full) return;
  L->full = true;
  size_t a = L->a, b = L->b;
  size_t nch = 0, up = 0, low = 0;
  bool first = true;
  L->lower_start = false;
  size_t i = a;
  /* until the first lower-case letter (then caps is false and the first
   * character seen): categories */
  while (i < b && low == 0) {
    size_t n = 1;
    unsigned char c = (unsigned char)s[i];
    int32_t cp = c < 0x80 ? c : dec(s, b, i, &n);
    nch++;
    utf8proc_category_t k = c < 0x80 ? ((c >= 'a' && c <= 'z') ? UTF8PROC_CATEGORY_LL
                                         : (c >= 'A' && c <= 'Z') ? UTF8PROC_CATEGORY_LU
                                                                  : UTF8PROC_CATEGORY_PO)
                                      : cp_category(cp);
    if (k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LT) up++;
    else if (k == UTF8PROC_CATEGORY_LL) low++;
    /* first character, after opening quotes and brackets */
    if (first && !(c == '"' || c == '\'' || c == '(' || c == '[')) {
      L->lower_start = k == UTF8PROC_CATEGORY_LL;
      first = false;
    }
    i += n;
  }
  /* then only the number of code points */
  for (; i < b; i++) nch += ((unsigned char)s[i] & 0xC0) != 0x80;
  L->nchars = nch;
  L->caps = up >= 2 && low == 0;
  L->starts_item = starts_item(s, a, b);
}

/* Joins hard-wrapped lines (PDF text where a sentence runs over several
 * lines) into their paragraph. Conservative: line L is joined to L+1 only
 * if both are non-blank, neither is a table row (TAB) or an all-caps line
 * (headings, signature block), L does not end with . : ; ! ?, L+1 does not
 * start a list item or heading, and
 *  - L is long (>= 50 characters: a short line ends where the author ended
 *    it) and either L+1 starts with a lower-case letter or L had trailing
 *    white space (PDF text extraction leaves one at a soft wrap: "Ban
 *    \nChấp hành" is joined, "tập trung\nChỉ đạo" is not); or
 *  - L had trailing white space and L+1 starts lower case (any length); or
 *  - L ends with ';' or ':' followed by trailing white space and is long
 *    (a soft wrap right after the punctuation: "năm 2025; \ntrong đó").
 *    Without the trailing space ';' and ':' end the line, as . ! ? always do;
 *  - L ends with a word no sentence ends on (ends_dangling, below: a
 *    conjunction at >= 20 characters, a name's head at >= 50), even when
 *    L+1 starts with a digit or a capital; or
 *  - L+1 starts lower case and L has >= 20 characters (resolutions
 *    converted with short wrapped lines), or L opens a list item, however
 *    short: an item cut after its first word ("- Chỉ\nđạo Ban Dân tộc
 *    tỉnh ...", "- Nhằm\ntiếp tục ...") goes on; a short item that ends
 *    there ends with punctuation or is followed by a capital or an item.
 * Documents with one paragraph per line and blank lines between paragraphs
 * are unchanged. The newline becomes one space mapping to the newline
 * byte(s). Blank lines stay, one "\n" each. */

/* Does the line end with a word that cannot end a sentence? 2 for a
 * conjunction or preposition ("và", "của", "với", "các": "kế hoạch của\nỦy
 * ban nhân dân tỉnh"), 1 for the head of a name whose rest is on the next
 * line ("Sở\nXây dựng", "UBND tỉnh\nĐiện Biên", "Công an\nThành phố"). Then a
 * capitalised next line goes on the same sentence (a head only after a long
 * line). */
/* 2: a word that always takes a complement; 1: a name's head.
 * Words no sentence ends on: prepositions, conjunctions, classifiers and
 * the date words that always take a number ("trước ngày 10 tháng\n5 năm
 * 2026", "của\nỦy ban nhân dân"). */
static const char *const DANGLING2[] = {"và", "của", "các", "với", "cho", "tại", "về", "theo", "trong",
                                        "những", "thuộc", "cùng", "giữa", "đối với", "bao gồm",
                                        "tháng", "ngày", "năm", "quý", "số", "để", "là", "từ",
                                        "đến", "trước", "sau", "hoặc", "nhưng", "mà", "thì", "bằng",
                                        "đối", "như", NULL};
static const char *const DANGLING1[] = {"tỉnh", "huyện", "quận", "xã", "phường", "Sở", "Bộ", "Ban",
                                        "Cục", "Đài", "Công an", "UBND", "HĐND", "Ủy ban nhân dân",
                                        "Tổng Công ty", "Công ty", "Trung tâm", NULL};
/* their lengths, counted once (by vl_init) */
static size_t dangling2_len[sizeof DANGLING2 / sizeof *DANGLING2];
static size_t dangling1_len[sizeof DANGLING1 / sizeof *DANGLING1];

static void dangling_init(void) {
  for (int i = 0; DANGLING2[i]; i++) dangling2_len[i] = strlen(DANGLING2[i]);
  for (int i = 0; DANGLING1[i]; i++) dangling1_len[i] = strlen(DANGLING1[i]);
}

static int ends_dangling(const char *s, size_t a, size_t b) {
  for (int pass = 0; pass < 2; pass++) {
    const char *const *W = pass == 0 ? DANGLING2 : DANGLING1;
    const size_t *N = pass == 0 ? dangling2_len : dangling1_len;
    for (int i = 0; W[i]; i++) {
      size_t k = N[i];
      if (b - a > k && s[b - 1] == W[i][k - 1] && memcmp(s + b - k, W[i], k) == 0 && s[b - k - 1] == ' ')
        return 2 - pass;
    }
  }
  return 0;
}

/* In place: a joined line's newline becomes a space with the same map
 * (the newline's bytes), so nothing moves. The lines still to look at all
 * start after the changed byte. */
static void pass_join(nbuf *in, const bool *trail, size_t nlines) {
  char *s = in->s;
  size_t len = in->len;
  linfo cur, nxt;
  size_t ln = 0;
  cur.a = 0;
  const char *nl = memchr(s, '\n', len);
  cur.b = nl ? (size_t)(nl - s) : len;
  line_info(s, &cur);
  for (;;) {
    if (cur.b >= len) break;
    nxt.a = cur.b + 1;
    nl = memchr(s + nxt.a, '\n', len - nxt.a);
    nxt.b = nl ? (size_t)(nl - s) : len;
    line_info(s, &nxt);
    bool tr = ln < nlines && trail[ln];
    bool join = !cur.blank && !nxt.blank && !cur.tab && !nxt.tab;
    if (join) {
      line_full(s, &cur);
      line_full(s, &nxt);
      join = !cur.caps && !nxt.caps && !nxt.starts_item;
    }
    if (join) {
      char last = s[cur.b - 1];
      bool soft_punct = last == ';' || last == ':';
      if (!cur.final_punct) {
        int dg = ends_dangling(s, cur.a, cur.b);
        join = (cur.nchars >= 50 && (nxt.lower_start || tr || dg)) ||
               (nxt.lower_start && (tr || cur.nchars >= 20 || cur.starts_item)) ||
               (dg == 2 && cur.nchars >= 20);
      } else
        join = soft_punct && tr && cur.nchars >= 50;
    }
    if (join) s[cur.b] = ' ';
    cur = nxt;
    ln++;
  }
}

/* ---- public ------------------------------------------------------------- */

/* Pass plumbing: *cur is the input; the pass writes to *spare lazily;
 * if it changed nothing, *cur stays, else the two are swapped. */
static void pass_begin(nbuf *out, nbuf *in) {
  out->len = 0;
  out->src = in;
  out->lazy = 0;
}
static void pass_end(nbuf **cur, nbuf **spare) {
  nbuf *out = *spare;
  if (out->src) {
    if (out->lazy == (*cur)->len) {
      out->src = NULL;
      return;
    }
    nb_materialise(out);
  }
  *spare = *cur;
  *cur = out;
}

/* Hands b's text and its map to out. */
static void finish(nbuf *b, size_t orig_len, vnx_text *out) {
  nb_reserve(b, 1);
  b->s[b->len] = '\0';
  out->s = b->s;
  out->len = b->len;
  out->runs = b->r;
  out->nruns = b->nr;
  out->orig_len = orig_len;
  b->r = NULL;
}

int vnx_normalise(const char *in, size_t len, const vnx_norm_options *opt, vnx_text *out,
                  vnx_error *err) {
  pthread_once(&vl_once, vl_init);
  vnx_norm_options dflt = {VNX_TONE_CLASSIC, false, NULL};
  if (!opt) opt = &dflt;
  memset(out, 0, sizeof *out);
  if (len > UINT32_MAX - 1) {
    vnx_error_set(err, opt->path ? opt->path : "", 0, 0, "file too large (4 GiB map limit)");
    return -1;
  }
  /* Large inputs go through the passes in chunks that end after a blank
   * line, so the working buffers stay in cache. No pass looks across a
   * blank line (tone: words; markup: lines; layout: never joins across a
   * blank line), so the result is the same as in one piece. */
  size_t chunk = len < VNX_NORM_CHUNK ? len : VNX_NORM_CHUNK;
  nbuf a, b, fin;
  nb_init(&a, chunk + chunk / 8 + 16);
  nb_init(&b, chunk + chunk / 8 + 16);
  nb_init(&fin, len <= VNX_NORM_CHUNK ? 16 : len + len / 16 + 16);
  unsigned replaced = 0, line = 1;
  markv mv = {0};
  size_t pos = 0;
  bool single = false;
  nbuf *cur = &a, *spare = &b;
  while (pos < len || (pos == 0 && len == 0)) {
    size_t end = len;
    if (len - pos > VNX_NORM_CHUNK) {
      const char *q = in + pos + VNX_NORM_CHUNK;
      end = len;
      while ((q = memchr(q, '\n', (size_t)(in + len - q))) != NULL) {
        if (q + 1 < in + len && (q[1] == '\n' || q[1] == '\r')) { end = (size_t)(q + 1 - in); break; }
        q++;
      }
    }
    cur = &a;
    spare = &b;
    a.len = b.len = a.nr = b.nr = a.hint = b.hint = 0;
    bool all_nfc = true;
    if (pass_decode(in, pos, end, opt->lossy, end < len, opt->path ? opt->path : "", cur, &replaced, &line, &all_nfc,
                    err) < 0) {
      nb_free(&a);
      nb_free(&b);
      nb_free(&fin);
      free(mv.v);
      return -1;
    }
    if (!all_nfc) { /* most documents: nothing for NFC to do */
      pass_begin(spare, cur);
      pass_nfc(cur, spare);
      pass_end(&cur, &spare);
    }
    pass_begin(spare, cur);
    pass_tone(cur, opt->tone_style, spare);
    pass_end(&cur, &spare);
    pass_begin(spare, cur);
    pass_markup(cur, spare, &mv);
    pass_end(&cur, &spare);
    bool *trail;
    size_t nlines;
    pass_begin(spare, cur);
    pass_chars(cur, spare, &trail, &nlines);
    pass_end(&cur, &spare);
    pass_join(cur, trail, nlines);
    free(trail);
    if (end == len && pos == 0) { single = true; break; } /* cur is the result */
    nb_copy(&fin, cur, 0, cur->len);
    pos = end;
    if (pos >= len) break;
  }
  if (!single) {
    nb_free(&a);
    nb_free(&b);
    finish(&fin, len, out);
  } else {
    nb_free(spare);
    nb_free(&fin);
    finish(cur, len, out);
  }
  /* Footnote marks: the normalised offset is the first output byte that
   * comes from at or after the marker (the map is monotonic). */
  for (size_t k = 0; k < mv.n; k++) {
    size_t lo = 0, hi = out->len;
    uint32_t o = (uint32_t)mv.v[k].orig;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (vnx_text_map_start(out, mid) < o) lo = mid + 1;
      else hi = mid;
    }
    mv.v[k].offset = lo;
  }
  out->marks = mv.v;
  out->nmarks = mv.n;
  out->replaced = replaced;
  return 0;
}

void vnx_text_free(vnx_text *t) {
  if (!t) return;
  free(t->s);
  free(t->runs);
  free(t->marks);
  memset(t, 0, sizeof *t);
}

char *vnx_normalise_string(const char *s, vnx_tone_style style) {
  if (!s) return NULL;
  pthread_once(&vl_once, vl_init);
  size_t len = strlen(s);
  nbuf a, b;
  nb_init(&a, len + 16);
  nb_init(&b, len + 16);
  unsigned replaced = 0, line = 1;
  vnx_error err;
  bool all_nfc = true;
  if (pass_decode(s, 0, len, false, false, "", &a, &replaced, &line, &all_nfc, &err) < 0) {
    nb_free(&a);
    nb_free(&b);
    return NULL;
  }
  nbuf *cur = &a, *spare = &b;
  if (!all_nfc) {
    pass_begin(spare, cur);
    pass_nfc(cur, spare);
    pass_end(&cur, &spare);
  }
  pass_begin(spare, cur);
  pass_tone(cur, style, spare);
  pass_end(&cur, &spare);
  char *r = vnx_xstrndup(cur->s, cur->len);
  nb_free(&a);
  nb_free(&b);
  return r;
}

/* The run of t holding byte i (i < t->len): the last that starts at or
 * before it. */
static const mrun *text_run(const vnx_text *t, size_t i) {
  size_t lo = 0, n = t->nruns;
  while (n > 1) {
    size_t half = n / 2;
    if (t->runs[lo + half].at <= i) lo += half;
    n -= half;
  }
  return &t->runs[lo];
}

/* The end of run r of t: the next run's start, or the end of the text. */
static size_t text_run_stop(const vnx_text *t, const mrun *r) {
  return r + 1 < t->runs + t->nruns ? r[1].at : t->len;
}

/* A verbatim run's byte maps to its code point (see mrun); the text is
 * valid UTF-8 and runs start on code point boundaries. */
static size_t run_map_start(const vnx_text *t, const mrun *r, size_t i) {
  if (r->end != RUN_VERBATIM) return r->orig;
  while (i > r->at && ((unsigned char)t->s[i] & 0xC0) == 0x80) i--;
  return r->orig + (i - r->at);
}
static size_t run_map_end(const vnx_text *t, const mrun *r, size_t i) {
  if (r->end != RUN_VERBATIM) return r->end;
  size_t stop = text_run_stop(t, r);
  for (i++; i < stop && ((unsigned char)t->s[i] & 0xC0) == 0x80;) i++;
  return r->orig + (i - r->at);
}

size_t vnx_text_map_start(const vnx_text *t, size_t i) {
  if (i >= t->len) return t->orig_len;
  return run_map_start(t, text_run(t, i), i);
}

size_t vnx_text_map_end(const vnx_text *t, size_t i) {
  if (i >= t->len) return t->orig_len;
  return run_map_end(t, text_run(t, i), i);
}

/* text_run from the run t->cursor, the one the last span found: the
 * records of a document come mostly in text order, often from one line. */
static const mrun *text_run_near(vnx_text *t, size_t i) {
  size_t k = t->cursor < t->nruns ? t->cursor : 0;
  const mrun *r = &t->runs[k];
  if (r->at <= i && i < text_run_stop(t, r)) return r;
  /* (i past the end of run k: run k + 1 exists) */
  if (r->at <= i && i < text_run_stop(t, r + 1)) r++;
  else r = text_run(t, i);
  t->cursor = (size_t)(r - t->runs);
  return r;
}

void vnx_text_orig_span(vnx_text *t, size_t nstart, size_t nend, size_t *start, size_t *end) {
  if (nstart > t->len) nstart = t->len;
  if (nend > t->len) nend = t->len;
  if (nend <= nstart) {
    *start = *end = nstart < t->len ? run_map_start(t, text_run_near(t, nstart), nstart) : t->orig_len;
    return;
  }
  const mrun *r = text_run_near(t, nstart);
  *start = run_map_start(t, r, nstart);
  if (nend - 1 >= text_run_stop(t, r)) r = text_run_near(t, nend - 1);
  *end = run_map_end(t, r, nend - 1);
}
