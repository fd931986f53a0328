/* sha256.c - FIPS 180-4 SHA-256 for the document record's checksum.
 * None of the project's dependencies exports a hash (ICU, pcre2, utf8proc,
 * jansson, SQLite's library API), and pulling in a crypto library for one
 * checksum is not worth it; this is the textbook algorithm. */
#include <pthread.h>
#include <string.h>

#include "internal.h"

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* One round, the variables named in place instead of shifted down: eight
 * rounds bring them back to their first names (a third fewer instructions
 * than moving eight values each round). */
#define S0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define S1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define ROUND(a, b, c, d, e, f, g, k, i)                                   \
  do {                                                                     \
    uint32_t t1 = k + S1(e) + (g ^ (e & (f ^ g))) + K[i] + w[i];           \
    uint32_t t2 = S0(a) + ((a & b) | (c & (a | b)));                       \
    d += t1;                                                               \
    k = t1 + t2;                                                           \
  } while (0)

static void block(uint32_t h[8], const unsigned char *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i += 8) {
    ROUND(a, b, c, d, e, f, g, k, i);
    ROUND(k, a, b, c, d, e, f, g, i + 1);
    ROUND(g, k, a, b, c, d, e, f, i + 2);
    ROUND(f, g, k, a, b, c, d, e, i + 3);
    ROUND(e, f, g, k, a, b, c, d, i + 4);
    ROUND(d, e, f, g, k, a, b, c, i + 5);
    ROUND(c, d, e, f, g, k, a, b, i + 6);
    ROUND(b, c, d, e, f, g, k, a, i + 7);
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The x86 SHA extensions (most x86-64 CPUs since 2017) hash the document
 * about ten times faster than block(); the digest is the same. The state
 * is kept as the instructions want it (ABEF, CDGH); message words are
 * computed four at a time (W[16..19] from W[0..15], and so on). */
#include <cpuid.h>
#include <immintrin.h>

__attribute__((target("sha,ssse3,sse4.1"))) static void blocks_shani(uint32_t h[8],
                                                                   const unsigned char *p,
                                                                   size_t nblocks) {
  const __m128i BSWAP = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1); /* CDAB */
  __m128i st1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B); /* EFGH */
  __m128i st0 = _mm_alignr_epi8(tmp, st1, 8);                                     /* ABEF */
  st1 = _mm_blend_epi16(st1, tmp, 0xF0);                                          /* CDGH */
  for (; nblocks; nblocks--, p += 64) {
    __m128i save0 = st0, save1 = st1, w[4];
    for (int g = 0; g < 16; g++) { /* four rounds each */
      __m128i m;
      if (g < 4) {
        m = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), BSWAP);
      } else {
        m = _mm_sha256msg1_epu32(w[(g - 4) & 3], w[(g - 3) & 3]);
        m = _mm_add_epi32(m, _mm_alignr_epi8(w[(g - 1) & 3], w[(g - 2) & 3], 4));
        m = _mm_sha256msg2_epu32(m, w[(g - 1) & 3]);
      }
      w[g & 3] = m;
      __m128i k = _mm_add_epi32(m, _mm_loadu_si128((const __m128i *)&K[4 * g]));
      st1 = _mm_sha256rnds2_epu32(st1, st0, k);
      st0 = _mm_sha256rnds2_epu32(st0, st1, _mm_shuffle_epi32(k, 0x0E));
    }
    st0 = _mm_add_epi32(st0, save0);
    st1 = _mm_add_epi32(st1, save1);
  }
  tmp = _mm_shuffle_epi32(st0, 0x1B);                  /* FEBA */
  st1 = _mm_shuffle_epi32(st1, 0xB1);                  /* DCHG */
  st0 = _mm_blend_epi16(tmp, st1, 0xF0);               /* DCBA */
  st1 = _mm_alignr_epi8(st1, tmp, 8);                  /* HGFE */
  _mm_storeu_si128((__m128i *)&h[0], st0);
  _mm_storeu_si128((__m128i *)&h[4], st1);
}

static bool have_shani(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1)) return false;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static bool g_shani;
static void detect(void) { g_shani = have_shani(); }
#endif

static void blocks(uint32_t h[8], const unsigned char *p, size_t nblocks) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  pthread_once(&g_once, detect);
  if (g_shani) {
    blocks_shani(h, p, nblocks);
    return;
  }
#endif
  for (; nblocks; nblocks--, p += 64) block(h, p);
}

void vnx_sha256_hex(const void *data, size_t len, char out[65]) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const unsigned char *p = data;
  size_t n = len;
  blocks(h, p, n / 64);
  p += n / 64 * 64;
  n %= 64;
  unsigned char tail[128] = {0};
  memcpy(tail, p, n);
  tail[n] = 0x80;
  size_t tl = n < 56 ? 64 : 128;
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++) tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
  blocks(h, tail, tl / 64);
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++) {
      unsigned char byte = (unsigned char)(h[i] >> (24 - 8 * j));
      out[8 * i + 2 * j] = hex[byte >> 4];
      out[8 * i + 2 * j + 1] = hex[byte & 15];
    }
  out[64] = '\0';
}
