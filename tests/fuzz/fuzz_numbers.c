/* Fuzz target: the number, roman numeral and date readers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  double v;
  if (vnx_parse_number_vi(s, size, &v) && v != v) abort(); /* never NaN */
  if (vnx_parse_number_en(s, size, &v) && v != v) abort();
  int r = vnx_roman_value(s, size);
  if (r < 0) abort();
  if (size >= 6) {
    int y = (int)(data[0] | data[1] << 8) - 1000, m = (int8_t)data[2], d = (int8_t)data[3];
    if (vnx_date_valid(y, m, d)) {
      char iso[11];
      vnx_iso_date(iso, y, m, d);
      if (strlen(iso) != 10) abort();
    }
    (void)vnx_days_in_month(y, m);
  }
  return 0;
}
