/* csv_roundtrip.c - writes records whose cells need quoting (quotes,
 * commas, CR/LF, " | ", Vietnamese) through the CSV writer, and the same
 * records as JSON Lines on stdout, for csv.py to compare: the corpus has no
 * cell with a newline, so this is where RFC 4180 quoting is exercised.
 * usage: csv_roundtrip DIR > records.jsonl */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* the json_pack objects the fields come from: records borrow their keys */
static json_t *keys_kept;

static vnx_record *add(vnx_doc *d, const char *kind, const char *rule, size_t start, size_t end,
                       const char *text, json_t *fields) {
  vnx_fields f = {0};
  vnx_fields_add_json(&f, fields);
  json_array_append_new(keys_kept, fields);
  vnx_record *r = vnx_records_add(&d->recs, kind, rule, &f);
  r->start = start;
  r->end = end;
  r->line = 1 + (unsigned)start / 10;
  r->text = vnx_xstrdup(text);
  return r;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: csv_roundtrip DIR\n");
    return 2;
  }
  keys_kept = json_array();
  vnx_doc d;
  memset(&d, 0, sizeof d);
  d.path = vnx_xstrdup("quoting, \"test\".txt");
  d.stem = vnx_xstrdup("quoting, \"test\"");
  add(&d, "document", "document", 0, 100, d.stem,
      json_pack("{s:s, s:i, s:i, s:s, s:n, s:s, s:s, s:n, s:s, s:s, s:s, s:s, s:[sss]}",
                "file", "quoting, \"test\".txt", "size", 100, "lines", 3, "sha256",
                "0000000000000000000000000000000000000000000000000000000000000000", "date",
                "type", "Thông báo", "title", "Tổ chức \"Festival Thăng Long - Hà Nội\",\nlần II",
                "number", "place", "Hải Phòng", "issuer", "Thành ủy Hải Phòng", "signer",
                "Bùi Hùng Thiện", "signer_title", "T/L Ban Thường vụ, Chánh Văn phòng", "recipients",
                "Các sở, ngành, Mặt trận Tổ quốc", "VPTU: \"lãnh đạo\"", "Lưu | VT"));
  add(&d, "deadline", "deadline.before_date", 10, 40,
      "trước ngày \"30/6/2026\", hoàn thành\nxong\r\ncuối",
      json_pack("{s:s, s:n, s:s, s:b}", "type", "before", "start", "end", "2026-06-30",
                "year_inferred", 1));
  add(&d, "indicator", "indicator.percent", 50, 56, "11,21%",
      json_pack("{s:f, s:s, s:n, s:s, s:s}", "value", 11.21, "unit", "%", "qualifier", "change",
                "increase", "colour", "đỏ, \"tươi\""));
  add(&d, "widget", "widget.x", 60, 61, ",", json_pack("{s:i}", "n", 1));
  vnx_records_sort(&d.recs);

  vnx_error err;
  vnx_csv *c = vnx_csv_open(argv[1], &err);
  if (!c || vnx_csv_write_document(c, &d, &err) != 0 || vnx_csv_close(c, &err) != 0) {
    vnx_error_print(&err, stderr);
    return 1;
  }
  int rc = vnx_write_jsonl(&d, stdout);
  vnx_doc_free(&d);
  json_decref(keys_kept);
  return rc == 0 ? 0 : 1;
}
