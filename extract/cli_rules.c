/* cli_rules.c - `vnextract rules test|lint|coverage`: the commands a rule
 * author runs. Exit status: 0 fine, 1 test failures, 2 rules that do not
 * load (or usage errors). */
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

static int usage(void) {
  fprintf(stderr,
          "usage: vnextract rules test [--rules DIR] [--tone-style classic|modern]\n"
          "       vnextract rules lint [--rules DIR] [--tone-style classic|modern]\n"
          "       vnextract rules coverage [--rules DIR] [--tone-style classic|modern] PATH...\n"
          "       vnextract rules patterns [--rules DIR] [--kind K[,K...]]\n");
  return 2;
}

int vnx_cli_rules(int argc, char **argv, const char *rules_dir_default) {
  if (argc < 2) return usage();
  const char *cmd = argv[1];
  const char *dir = rules_dir_default;
  vnx_tone_style style = VNX_TONE_CLASSIC;
  const char *kinds = NULL; /* rules patterns --kind */
  char **paths = vnx_xcalloc((size_t)argc + 1, sizeof *paths);
  int npaths = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (strncmp(argv[i], "--rules=", 8) == 0) {
      dir = argv[i] + 8;
    } else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
      kinds = argv[++i];
    } else if (strcmp(argv[i], "--tone-style") == 0 && i + 1 < argc) {
      const char *t = argv[++i];
      if (strcmp(t, "classic") == 0) style = VNX_TONE_CLASSIC;
      else if (strcmp(t, "modern") == 0) style = VNX_TONE_MODERN;
      else { free(paths); return usage(); }
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      fprintf(stderr, "vnextract rules %s: unknown option %s\n", cmd, argv[i]);
      free(paths);
      return usage();
    } else {
      paths[npaths++] = argv[i];
    }
  }
  bool is_test = strcmp(cmd, "test") == 0, is_lint = strcmp(cmd, "lint") == 0,
       is_cov = strcmp(cmd, "coverage") == 0, is_pat = strcmp(cmd, "patterns") == 0;
  if ((!is_test && !is_lint && !is_cov && !is_pat) || (is_cov && npaths == 0) ||
      (!is_cov && npaths > 0)) {
    free(paths);
    return usage();
  }
  if (!dir) dir = vnx_default_rules_dir();

  int nerr = 0;
  vnx_ruleset *rs = vnx_rules_load(dir, style, stderr, &nerr);
  if (!rs) {
    fprintf(stderr, "%d error%s in %s\n", nerr, nerr == 1 ? "" : "s", dir);
    free(paths);
    return 2;
  }
  int status = 0;
  if (is_pat) {
    /* One expanded pattern a line, emitting rules only, for tools that
     * take a pattern file (pcre2grep -f in the benchmark). */
    for (size_t i = 0; i < rs->n; i++) {
      const vnx_rule *r = &rs->rules[i];
      const char *k = rs->kinds[r->kind];
      size_t kl = strlen(k);
      bool want = !kinds;
      for (const char *p = kinds; p && *p && !want; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        want = strncmp(p, k, kl) == 0 && (p[kl] == ',' || p[kl] == 0);
      /* (?J): the rules compile with PCRE2_DUPNAMES; (?i) for caseless. */
      if (want && !r->skip && !strchr(r->expanded, '\n'))
        printf("(?J)%s%s\n", r->caseless ? "(?i)" : "", r->expanded);
    }
  } else if (is_lint) {
    int n = vnx_rules_lint(rs, stderr);
    if (n) fprintf(stderr, "%d error%s in %s\n", n, n == 1 ? "" : "s", dir);
    else fprintf(stderr, "%zu rules, %zu examples: ok\n", rs->n, vnx_rules_examples(rs));
    /* which rules read a shared fragment through its one copy, which hold
     * it but are compiled whole (rules/README.md, "Shared fragments") */
    for (size_t v = 0; v < rs->nsh; v++) {
      size_t k = 0;
      for (size_t i = 0; i < rs->n; i++) k += rs->rules[i].sh == (int)v;
      fprintf(stderr, "shared %s%s: read by %zu rule%s\n", rs->sh[v].name,
              rs->sh[v].caseless ? " (caseless)" : "", k, k == 1 ? "" : "s");
    }
    status = n ? 2 : 0;
  } else if (is_test) {
    status = vnx_rules_test(rs, stdout) ? 1 : 0;
  } else {
    vnx_pathlist pl;
    memset(&pl, 0, sizeof pl);
    int missing = vnx_collect_inputs(paths, npaths, &pl, stderr);
    vnx_matcher *m = vnx_matcher_new(rs);
    vnx_matcher_profile(m);
    vnx_options opt;
    memset(&opt, 0, sizeof opt);
    opt.norm.tone_style = style;
    size_t ndocs = 0;
    for (size_t i = 0; i < pl.n; i++) {
      vnx_doc doc;
      memset(&doc, 0, sizeof doc);
      vnx_error err;
      memset(&err, 0, sizeof err);
      opt.norm.path = pl.v[i];
      if (vnx_process_file(pl.v[i], &opt, m, &doc, &err, stderr) != 0) {
        vnx_error_print(&err, stderr);
        status = 2;
      } else {
        ndocs++;
      }
      vnx_doc_free(&doc);
    }
    printf("%8s %9s  %s\n", "hits", "ms", "rule");
    size_t never = 0;
    for (size_t i = 0; i < rs->n; i++) {
      printf("%8zu %9.1f  %s  (%s:%u)\n", vnx_matcher_hits(m, i), (double)vnx_matcher_ns(m, i) / 1e6,
             rs->rules[i].id, rs->rules[i].file, rs->rules[i].line);
      if (vnx_matcher_hits(m, i) == 0) never++;
    }
    printf("\n%zu document%s; %zu of %zu rules never fired%s\n", ndocs, ndocs == 1 ? "" : "s",
           never, rs->n, never ? ":" : "");
    for (size_t i = 0; i < rs->n; i++)
      if (vnx_matcher_hits(m, i) == 0)
        printf("  %s  (%s:%u)\n", rs->rules[i].id, rs->rules[i].file, rs->rules[i].line);
    vnx_matcher_free(m);
    vnx_pathlist_free(&pl);
    if (missing) status = 2;
  }
  vnx_rules_free(rs);
  free(paths);
  return status;
}
