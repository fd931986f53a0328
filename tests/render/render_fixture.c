/* render_fixture.c - explain and render on every record kind.
 *
 * The pipeline does not make every kind yet, and its rules change; so the
 * records are made here by hand on a small text (with the links the
 * linker will make: task.lead -> body ids, task.deadline -> a deadline id),
 * plus a kind neither view knows and two spans that cross without nesting.
 * Writes OUT_DIR/kinds.{jsonl,html,explain} (the browser test loads the HTML)
 * and checks the explain text. Prints "N passed, N failed".
 * usage: render_fixture OUT_DIR */
#include <stdlib.h>
#include <string.h>

#include "render.h"

static const char text[] =
    "THÀNH ỦY HẢI PHÒNG\n"
    "1. Văn phòng Thành ủy chủ trì, hoàn thành trước ngày 13/5/2026.\n"
    "2. Ban Tổ chức Thành ủy phối hợp báo cáo trong tháng 6/2026; GRDP tăng 11,5%.\n"
    "3. Sở Tài chính <b>&\"' thực hiện trong quý III/2026\n"
    "và rà soát quy trình.\n"
    "4. Rà soát lại danh mục trước ngày 20/12/2025.\n";

static int passed, failed;

static void check(bool ok, const char *what) {
  printf("%s - %s\n", ok ? "ok" : "not ok", what);
  if (ok) passed++;
  else failed++;
}

/* the json_pack objects the fields come from: records borrow their keys */
static json_t *keys_kept;

/* Byte span of the n-th occurrence (from 1) of needle in the original. */
static vnx_record *add(vnx_doc *d, const char *kind, const char *rule, const char *needle, json_t *fields) {
  const char *p = strstr(d->orig, needle);
  if (!p) {
    fprintf(stderr, "fixture: '%s' not in the text\n", needle);
    exit(2);
  }
  vnx_fields f = {0};
  vnx_fields_add_json(&f, fields);
  json_array_append_new(keys_kept, fields);
  vnx_record *r = vnx_records_add(&d->recs, kind, rule, &f);
  r->start = (size_t)(p - d->orig);
  r->end = r->start + strlen(needle);
  r->line = vnx_doc_line_of(d, r->start);
  r->text = vnx_xstrdup(needle);
  return r;
}

static void id_of(const vnx_doc *d, const char *kind, const char *needle, char out[40]) {
  for (size_t i = 0; i < d->recs.n; i++) {
    const vnx_record *r = &d->recs.v[i];
    if (strcmp(r->kind, kind) == 0 && r->text && strstr(r->text, needle)) {
      vnx_record_id(d->stem, r, out);
      return;
    }
  }
  fprintf(stderr, "fixture: no %s record '%s'\n", kind, needle);
  exit(2);
}

static char *slurp(const char *path) {
  char *buf;
  size_t len;
  vnx_error err;
  if (vnx_read_file(path, &buf, &len, &err) != 0) return vnx_xstrdup("");
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: render_fixture OUT_DIR\n");
    return 2;
  }
  vnx_options opt;
  memset(&opt, 0, sizeof opt);
  opt.doc_date = "2026-05-07";
  keys_kept = json_array();
  vnx_doc d;
  vnx_error err;
  /* no matcher: every record is made here, so the rules can change freely */
  if (vnx_process_buffer("kinds.txt", text, sizeof text - 1, &opt, NULL, &d, &err, stderr) != 0) {
    vnx_error_print(&err, stderr);
    return 2;
  }
  add(&d, "deadline", "deadline.before_date", "trước ngày 13/5/2026",
      json_pack("{s:s, s:n, s:s}", "type", "before", "start", "end", "2026-05-13"));
  add(&d, "deadline", "deadline.within_month", "trong tháng 6/2026",
      json_pack("{s:s, s:s, s:s}", "type", "within", "start", "2026-06-01", "end", "2026-06-30"));
  add(&d, "deadline", "deadline.within_quarter", "trong quý III/2026",
      json_pack("{s:s, s:s, s:s}", "type", "within", "start", "2026-07-01", "end", "2026-09-30"));
  add(&d, "deadline", "deadline.before_date", "trước ngày 20/12/2025",
      json_pack("{s:s, s:n, s:s}", "type", "before", "start", "end", "2025-12-20"));
  add(&d, "body", "body.gazetteer", "Văn phòng Thành ủy",
      json_pack("{s:s, s:s, s:s}", "name", "Văn phòng Thành ủy", "canonical", "Văn phòng Thành ủy", "role", "lead"));
  add(&d, "body", "body.gazetteer", "Ban Tổ chức Thành ủy",
      json_pack("{s:s, s:s, s:s}", "name", "Ban Tổ chức Thành ủy", "canonical", "Ban Tổ chức Thành ủy", "role", "lead"));
  add(&d, "body", "body.gazetteer", "Sở Tài chính",
      json_pack("{s:s, s:n, s:s}", "name", "Sở Tài chính", "canonical", "role", "lead"));
  add(&d, "indicator", "indicator.percent", "11,5%", json_pack("{s:f, s:s}", "value", 11.5, "unit", "%"));
  add(&d, "reference", "reference.doc", "GRDP", json_pack("{s:s}", "number", "GRDP"));
  /* crosses the end of the task on line 3 without nesting in it */
  add(&d, "indicator", "indicator.crossing", "III/2026\nvà", json_pack("{s:n, s:n, s:s}", "value", "unit",
                                                                       "unresolved", "no number"));
  vnx_records_sort(&d.recs);

  char vp[40], bt[40], stc[40], d1[40], d2[40], d3[40];
  id_of(&d, "body", "Văn phòng", vp);
  id_of(&d, "body", "Ban Tổ chức", bt);
  id_of(&d, "body", "Sở Tài chính", stc);
  id_of(&d, "deadline", "13/5/2026", d1);
  id_of(&d, "deadline", "6/2026", d2);
  id_of(&d, "deadline", "20/12/2025", d3);
  add(&d, "task", "task.item", "Văn phòng Thành ủy chủ trì, hoàn thành trước ngày 13/5/2026.",
      json_pack("{s:s, s:s, s:[s], s:s}", "text", "Văn phòng Thành ủy chủ trì", "section", "1", "lead", vp,
                "deadline", d1));
  add(&d, "task", "task.item", "Ban Tổ chức Thành ủy phối hợp báo cáo trong tháng 6/2026",
      json_pack("{s:s, s:s, s:[s,s], s:s}", "text", "Ban Tổ chức phối hợp báo cáo", "section", "2", "lead", bt,
                vp, "deadline", d2));
  add(&d, "task", "task.item", "Sở Tài chính <b>&\"' thực hiện trong quý III",
      json_pack("{s:s, s:s, s:[s], s:n}", "text", "Sở Tài chính <b>&\"' thực hiện", "section", "10", "lead",
                stc, "deadline"));
  add(&d, "task", "task.item", "Rà soát lại danh mục trước ngày 20/12/2025",
      json_pack("{s:s, s:s, s:[], s:s}", "text", "Rà soát lại danh mục", "section", "4", "lead", "deadline", d3));
  vnx_records_sort(&d.recs);

  char path[4096];
  snprintf(path, sizeof path, "%s/kinds.jsonl", argv[1]);
  FILE *f = fopen(path, "w");
  check(f && vnx_write_jsonl(&d, f) == 0 && fclose(f) == 0, "kinds.jsonl written");

  /* explain, without colour */
  snprintf(path, sizeof path, "%s/kinds.explain", argv[1]);
  f = fopen(path, "w");
  vnx_explain_opts eo = {0};
  const char *warnings = "kinds.txt:5: warning: rule indicator.crossing hit the match limit (test)\n";
  check(f && vnx_explain_doc(&d, warnings, &eo, f) == 0 && fclose(f) == 0, "explain runs");
  char *ex = slurp(path);
  check(strstr(ex, "[body: Văn phòng Thành ủy]") != NULL, "explain brackets a body");
  check(strstr(ex, "body Văn phòng Thành ủy (lead) \xe2\x86\x90 body.gazetteer") != NULL,
        "explain: body with its role and rule");
  check(strstr(ex, "indicator 11.5 % \xe2\x86\x90 indicator.percent") != NULL, "explain: indicator value and unit");
  check(strstr(ex, "task 2 lead: Ban Tổ chức Thành ủy, Văn phòng Thành ủy, deadline within "
                   "2026-06-01..2026-06-30") != NULL,
        "explain: task with its section, lead names and linked deadline");
  check(strstr(ex, "task 4 lead: (no body), deadline before 2025-12-20") != NULL, "explain: task without lead");
  check(strstr(ex, "reference number=GRDP") != NULL, "explain: an unknown kind as key=value");
  check(strstr(ex, "? unresolved: no number") != NULL, "explain: unresolved value shown");
  check(strstr(ex, "     4 ? ") != NULL, "explain: line of an unresolved record is marked ?");
  check(strstr(ex, "     5 ! ") != NULL && strstr(ex, "! rule indicator.crossing hit the match limit") != NULL,
        "explain: line with a limit warning is marked ! and the warning shown");
  free(ex);

  /* render */
  vnx_html *h = vnx_html_new("2026-05-15");
  vnx_html_add(h, "fixture/kinds.txt", &d, NULL, warnings);
  vnx_error fail;
  vnx_error_set(&fail, "fixture/broken.txt", 3, 10, "invalid UTF-8 <here>");
  vnx_html_add(h, "fixture/broken.txt", NULL, &fail, NULL);
  snprintf(path, sizeof path, "%s/kinds.html", argv[1]);
  f = fopen(path, "w");
  check(f && vnx_html_write(h, f) == 0 && fclose(f) == 0, "render writes");
  vnx_html_free(h);
  char *html = slurp(path);
  size_t nspan = 0, nmark = 0, ncont = 0;
  for (size_t i = 0; i < d.recs.n; i++) nspan += vnx_view_is_span(&d.recs.v[i]);
  for (const char *p = html; (p = strstr(p, "<mark ")); p++) nmark++;
  for (const char *p = html; (p = strstr(p, " cont\" data-id")); p++) ncont++;
  check(nmark == nspan, "one <mark> per span record");
  check(ncont >= 1, "the crossing span is continued, not nested wrongly");
  check(strstr(html, "<b>&\"'") == NULL && strstr(html, "&lt;b&gt;&amp;&quot;&#39;") != NULL,
        "document text is escaped");
  check(strstr(html, "invalid UTF-8 &lt;here&gt;") != NULL, "a failed document is listed, escaped");
  check(strstr(html, "http://") == NULL && strstr(html, "https://") == NULL, "no URLs in the report");
  check(strstr(html, "class=\"tl-item overdue\"") != NULL, "an overdue item on the timeline");
  check(strstr(html, ">Ban Tổ chức Thành ủy, Văn phòng Thành ủy<") != NULL, "a timeline row named by its lead bodies");
  free(html);

  vnx_doc_free(&d);
  json_decref(keys_kept);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
