/* encoding.c - a hint for documents that are not UTF-8.
 *
 * Vietnamese text from older Windows tools arrives in Windows-1258 (base
 * letters plus separate tone bytes) or in TCVN3/ABC (precomposed letters in
 * the upper half of the byte range). We do not convert silently — a wrong
 * guess would corrupt every name and date — but the error message says
 * which encoding the bytes look like and how to convert them.
 *
 * The guess decodes the start of the file with glibc's iconv in each
 * candidate encoding and counts very common Vietnamese words in the
 * result: byte statistics alone confuse the two, the words do not. */
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "internal.h"

/* Length of a well-formed UTF-8 sequence at p (2-4), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n) {
  size_t k = p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 && p[0] < 0xE0 ? 2 : 0;
  if (!k || k > n) return 0;
  for (size_t i = 1; i < k; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  return k;
}

/* Words that occur in nearly every Vietnamese administrative text. */
static const char *const common_words[] = {
    "của", "và", "các", "thành", "phố", "ngày", "tháng", "năm", "được", "trong",
    "những", "người", "công", "nhân", "dân", "ủy", "ban", "đảng", "chủ", "trì",
    "thực", "hiện", "với", "về", "tổ", "chức", "sở", "tài", "chính", "đồng", NULL};

static size_t score_as(const char *encoding, const char *buf, size_t len) {
  iconv_t cd = iconv_open("UTF-8", encoding);
  if (cd == (iconv_t)-1) return 0;
  size_t in_left = len < 65536 ? len : 65536, out_cap = in_left * 4 + 16, out_left = out_cap;
  char *out = vnx_xmalloc(out_cap), *op = out;
  char *ip = (char *)buf;
  while (in_left > 0) {
    if (iconv(cd, &ip, &in_left, &op, &out_left) != (size_t)-1) break;
    if (in_left == 0 || out_left < 4) break;
    ip++; /* a byte this encoding cannot map: skip it */
    in_left--;
  }
  iconv_close(cd);
  *op = '\0';
  /* iconv gives Windows-1258's separate tone marks as combining
   * characters: compose and fold case before looking for words. */
  utf8proc_uint8_t *nfc = NULL;
  utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)out, op - out, &nfc,
                                    UTF8PROC_COMPOSE | UTF8PROC_STABLE | UTF8PROC_CASEFOLD);
  free(out);
  if (n < 0) return 0;
  size_t hits = 0;
  for (const char *const *w = common_words; *w; w++) {
    size_t wl = strlen(*w);
    for (const char *p = (const char *)nfc; (p = strstr(p, *w)); p += wl) {
      bool start = p == (const char *)nfc || p[-1] == ' ' || p[-1] == '\n' || p[-1] == ',';
      bool end = p[wl] == ' ' || p[wl] == '\n' || p[wl] == ',' || p[wl] == '.' || !p[wl];
      hits += start && end;
    }
  }
  free(nfc);
  return hits;
}

const char *vnx_guess_legacy_encoding(const char *buf, size_t len) {
  const unsigned char *p = (const unsigned char *)buf;
  size_t high = 0, utf8 = 0;
  for (size_t i = 0; i < len; i++) {
    if (p[i] < 0x80) continue;
    size_t k = utf8_seq(p + i, len - i);
    if (k) {
      utf8++;
      i += k - 1;
    } else {
      high++;
    }
  }
  /* A UTF-8 document with a few bad bytes is not a legacy one. */
  if (high < 4 || utf8 >= high) return NULL;
  size_t cp1258 = score_as("WINDOWS-1258", buf, len);
  size_t tcvn3 = score_as("TCVN5712-1", buf, len);
  if (cp1258 < 2 && tcvn3 < 2) return NULL;
  return cp1258 >= tcvn3 ? "Windows-1258" : "TCVN3 (ABC)";
}
