/* Unit tests for the stages the lead owns: ids, ordering, checksums, line
 * lookup, input collection and atomic writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* FIPS 180-2 test vectors. */
static void sha256_vectors(void **state) {
  (void)state;
  char hex[65];
  vnx_sha256_hex("", 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  vnx_sha256_hex("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes: two blocks */
  vnx_sha256_hex(two, strlen(two), hex);
  assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  char *million = malloc(1000000);
  memset(million, 'a', 1000000);
  vnx_sha256_hex(million, 1000000, hex);
  free(million);
  assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static vnx_record make(const char *kind, size_t start, size_t end) {
  vnx_record r = {0};
  r.kind = kind;
  r.start = start;
  r.end = end;
  return r;
}

/* Ids depend on document, kind and span only. */
static void ids_are_stable(void **state) {
  (void)state;
  char a[40], b[40], c[40], d[40];
  vnx_record r1 = make("deadline", 10, 20), r2 = make("deadline", 10, 20);
  r2.line = 99;
  r2.rule = "other.rule";
  vnx_record_id("doc", &r1, a);
  vnx_record_id("doc", &r2, b);
  assert_string_equal(a, b);
  assert_int_equal(strncmp(a, "dea-", 4), 0);
  vnx_record r3 = make("deadline", 10, 21);
  vnx_record_id("doc", &r3, c);
  assert_string_not_equal(a, c);
  vnx_record_id("doc2", &r1, d);
  assert_string_not_equal(a, d);
  vnx_record r4 = make("body", 10, 20);
  vnx_record_id("doc", &r4, d);
  assert_string_not_equal(a, d);
}

static void records_sort_by_start_then_kind(void **state) {
  (void)state;
  vnx_records rs = {0};
  const char *kinds[] = {"indicator", "body", "deadline", "body", "document"};
  size_t starts[] = {50, 50, 10, 5, 0};
  for (int i = 0; i < 5; i++) {
    vnx_record *r = vnx_records_add(&rs, kinds[i], "r", NULL);
    r->start = starts[i];
    r->end = starts[i] + 3;
  }
  vnx_records_sort(&rs);
  assert_int_equal(rs.v[0].start, 0);
  assert_int_equal(rs.v[1].start, 5);
  assert_int_equal(rs.v[2].start, 10);
  assert_string_equal(rs.v[3].kind, "body");
  assert_string_equal(rs.v[4].kind, "indicator");
  vnx_records_free(&rs);
}

/* The fields keep a jansson object's order: a set of a present key keeps
 * its place, a del keeps the order of the rest; checked against jansson
 * doing the same (the writers emit fields in this order). */
static void fields_order_as_jansson(void **state) {
  (void)state;
  vnx_fields f = {0};
  json_t *o = json_object();
  char other_b[] = "b"; /* equal to "b", not the same pointer */
  const char *keys[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"};
  for (int i = 0; i < 14; i++) {
    vnx_fields_set(&f, keys[i], json_integer(i));
    json_object_set_new(o, keys[i], json_integer(i));
  }
  vnx_fields_set(&f, other_b, json_string("B"));
  json_object_set_new(o, other_b, json_string("B"));
  assert_int_equal(vnx_fields_del(&f, "a"), 0);
  json_object_del(o, "a");
  assert_int_equal(vnx_fields_del(&f, "zz"), -1);
  vnx_fields_set(&f, "a", json_null());
  json_object_set_new(o, "a", json_null());
  vnx_fields_set(&f, "c", NULL); /* a failed value changes nothing */
  json_object_set_new(o, "c", NULL);
  assert_int_equal(f.n, json_object_size(o));
  size_t i = 0;
  const char *key;
  json_t *val;
  json_object_foreach(o, key, val) {
    assert_string_equal(f.v[i].key, key);
    assert_true(json_equal(f.v[i].val, val));
    i++;
  }
  assert_string_equal(json_string_value(vnx_fields_get(&f, "b")), "B");
  char other_d[] = "d";
  assert_int_equal(json_integer_value(vnx_fields_get(&f, other_d)), 3);
  assert_null(vnx_fields_get(&f, "zz"));
  assert_null(vnx_fields_get(NULL, "a"));
  json_decref(o);
  vnx_fields_free(&f);
  assert_int_equal(f.n, 0);
}

static void line_of_original_offsets(void **state) {
  (void)state;
  vnx_options opt = {0};
  vnx_doc d;
  vnx_error err;
  const char *text = "một\nhai\n\nbốn";
  assert_int_equal(vnx_process_buffer("t.txt", text, strlen(text), &opt, NULL, &d, &err, stderr), 0);
  assert_int_equal(d.nlines, 4);
  assert_int_equal(vnx_doc_line_of(&d, 0), 1);
  /* "một" is 5 bytes: the "\n" ending line 1 is byte 5. */
  assert_int_equal(vnx_doc_line_of(&d, 5), 1);
  assert_int_equal(vnx_doc_line_of(&d, 6), 2);
  assert_int_equal(vnx_doc_line_of(&d, 10), 3);
  assert_int_equal(vnx_doc_line_of(&d, 11), 4);
  assert_string_equal(d.stem, "t");
  /* Without rules, a document still gives its document record. */
  assert_int_equal(d.recs.n, 1);
  assert_string_equal(d.recs.v[0].kind, "document");
  assert_int_equal(d.recs.v[0].end, strlen(text));
  vnx_doc_free(&d);
}

static void doc_date_option_is_validated(void **state) {
  (void)state;
  vnx_options opt = {.doc_date = "2026-02-30"};
  vnx_doc d;
  vnx_error err;
  assert_int_equal(vnx_process_buffer("t.txt", "x", 1, &opt, NULL, &d, &err, stderr), -1);
  assert_non_null(strstr(err.msg, "--doc-date"));
  vnx_doc_free(&d);
}

static int fill_hello(FILE *f, void *ctx) {
  (void)ctx;
  return fputs("xin chào\n", f) < 0 ? -1 : 0;
}

static int fill_fail(FILE *f, void *ctx) {
  (void)ctx;
  fputs("half", f);
  return -1;
}

static void atomic_write_replaces_or_leaves_alone(void **state) {
  (void)state;
  char dir[] = "/tmp/vnx-test-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/out.jsonl", dir);
  vnx_error err;
  assert_int_equal(vnx_write_atomic(path, fill_hello, NULL, &err), 0);
  assert_int_equal(vnx_write_atomic(path, fill_fail, NULL, &err), -1);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char buf[64] = {0};
  assert_non_null(fgets(buf, sizeof buf, f));
  fclose(f);
  assert_string_equal(buf, "xin chào\n"); /* the failed write left the old file */
  unlink(path);
  assert_int_equal(rmdir(dir), 0); /* and no temporary file behind */
}

static void collect_inputs_walks_directories_sorted(void **state) {
  (void)state;
  char dir[] = "/tmp/vnx-test-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char p[256];
  const char *names[] = {"b.txt", "a.md", "skip.jsonl", "sub/c.txt", ".hidden.txt"};
  snprintf(p, sizeof p, "%s/sub", dir);
  mkdir(p, 0755);
  for (int i = 0; i < 5; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    FILE *f = fopen(p, "w");
    fputs("x", f);
    fclose(f);
  }
  vnx_pathlist pl = {0};
  char *args[] = {dir};
  assert_int_equal(vnx_collect_inputs(args, 1, &pl, stderr), 0);
  assert_int_equal(pl.n, 3);
  assert_non_null(strstr(pl.v[0], "/a.md"));
  assert_non_null(strstr(pl.v[1], "/b.txt"));
  assert_non_null(strstr(pl.v[2], "/sub/c.txt"));
  vnx_pathlist_free(&pl);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

static void read_refuses_directories(void **state) {
  (void)state;
  char *buf;
  size_t len;
  vnx_error err;
  assert_int_equal(vnx_read_file("/tmp", &buf, &len, &err), -1);
  assert_non_null(strstr(err.msg, "directory"));
  assert_int_equal(vnx_read_file("/nonexistent/x.txt", &buf, &len, &err), -1);
  assert_non_null(strstr(err.msg, "cannot open"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sha256_vectors),
      cmocka_unit_test(ids_are_stable),
      cmocka_unit_test(records_sort_by_start_then_kind),
      cmocka_unit_test(fields_order_as_jansson),
      cmocka_unit_test(line_of_original_offsets),
      cmocka_unit_test(doc_date_option_is_validated),
      cmocka_unit_test(atomic_write_replaces_or_leaves_alone),
      cmocka_unit_test(collect_inputs_walks_directories_sorted),
      cmocka_unit_test(read_refuses_directories),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
