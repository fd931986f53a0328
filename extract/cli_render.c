/* cli_render.c - `vnextract explain` and `vnextract render`: option parsing
 * and I/O around explain.c and render.c. Exit status as for every command:
 * 0 ok, 1 a document failed, 2 usage error, rules that do not load or an
 * output that could not be written. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "render.h"

static const char explain_usage[] =
    "usage: vnextract explain FILE [--rules DIR] [--line N[-M]] [--rule ID|PREFIX*]\n"
    "                         [--kind K] [--doc-date YYYY-MM-DD] [--tone-style STYLE]\n";
static const char render_usage[] =
    "usage: vnextract render PATH... -o REPORT.html [--rules DIR] [--as-of YYYY-MM-DD]\n"
    "                        [--tone-style STYLE] [-j N]\n";

enum { OPT_RULES = 256, OPT_LINE, OPT_RULE, OPT_KIND, OPT_DOC_DATE, OPT_TONE, OPT_AS_OF };

static const struct option opts[] = {
    {"rules", required_argument, NULL, OPT_RULES},
    {"line", required_argument, NULL, OPT_LINE},
    {"rule", required_argument, NULL, OPT_RULE},
    {"kind", required_argument, NULL, OPT_KIND},
    {"doc-date", required_argument, NULL, OPT_DOC_DATE},
    {"tone-style", required_argument, NULL, OPT_TONE},
    {"as-of", required_argument, NULL, OPT_AS_OF},
    {"output", required_argument, NULL, 'o'},
    {"jobs", required_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

typedef struct args {
  const char *rules_dir, *rule, *kind, *output, *as_of;
  unsigned line_from, line_to;
  int jobs;
  vnx_options opt;
} args;

static int usage_error(const char *usage, const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "vnextract %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s", usage);
  return -1;
}

static bool parse_line_range(const char *s, unsigned *from, unsigned *to) {
  char *end;
  unsigned long a = strtoul(s, &end, 10), b = a;
  if (end == s || a == 0 || a > 100000000UL) return false;
  if (*end == '-') {
    const char *t = end + 1;
    b = strtoul(t, &end, 10);
    if (end == t || b < a || b > 100000000UL) return false;
  }
  if (*end) return false;
  *from = (unsigned)a;
  *to = (unsigned)b;
  return true;
}

/* Options both commands take; each refuses the ones it has no use for.
 * Returns 0, 1 for --help, -1 on a usage error. */
static int parse(int argc, char **argv, bool render, args *a) {
  const char *usage = render ? render_usage : explain_usage, *cmd = argv[0];
  optind = 1;
  opterr = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, ":o:j:h", opts, NULL)) != -1) {
    bool for_explain = ch == OPT_LINE || ch == OPT_RULE || ch == OPT_KIND || ch == OPT_DOC_DATE;
    bool for_render = ch == 'o' || ch == 'j' || ch == OPT_AS_OF;
    if ((render && for_explain) || (!render && for_render))
      return usage_error(usage, cmd, "option '%s' is not for this command", argv[optind - 1]);
    switch (ch) {
    case OPT_RULES: a->rules_dir = optarg; break;
    case OPT_RULE: a->rule = optarg; break;
    case OPT_KIND: a->kind = optarg; break;
    case OPT_DOC_DATE: a->opt.doc_date = optarg; break;
    case 'o': a->output = optarg; break;
    case OPT_LINE:
      if (!parse_line_range(optarg, &a->line_from, &a->line_to))
        return usage_error(usage, cmd, "--line takes N or N-M (1-based, N <= M), not '%s'", optarg);
      break;
    case OPT_AS_OF: {
      long days;
      if (!vnx_view_iso_days(optarg, &days))
        return usage_error(usage, cmd, "--as-of takes a date YYYY-MM-DD, not '%s'", optarg);
      a->as_of = optarg;
      break;
    }
    case 'j': {
      char *end;
      long n = strtol(optarg, &end, 10);
      if (*end || n < 1 || n > 1024)
        return usage_error(usage, cmd, "--jobs takes a number from 1 to 1024, not '%s'", optarg);
      a->jobs = (int)n;
      break;
    }
    case OPT_TONE:
      if (strcmp(optarg, "classic") == 0) a->opt.norm.tone_style = VNX_TONE_CLASSIC;
      else if (strcmp(optarg, "modern") == 0) a->opt.norm.tone_style = VNX_TONE_MODERN;
      else return usage_error(usage, cmd, "--tone-style must be classic or modern, not '%s'", optarg);
      break;
    case 'h': fputs(usage, stdout); return 1;
    case ':': return usage_error(usage, cmd, "option '%s' needs a value", argv[optind - 1]);
    default: return usage_error(usage, cmd, "unknown option '%s'", argv[optind - 1]);
    }
  }
  return 0;
}

static vnx_ruleset *load_rules(const args *a) {
  int nerr = 0;
  const char *dir = a->rules_dir ? a->rules_dir : vnx_default_rules_dir();
  vnx_ruleset *rs = vnx_rules_load(dir, a->opt.norm.tone_style, stderr, &nerr);
  if (!rs) fprintf(stderr, "vnextract: %d error(s) in the rules in %s\n", nerr, dir);
  return rs;
}

/* https://no-color.org: colour only on a terminal, and never when NO_COLOR
 * is set to something. */
static bool want_colour(void) {
  const char *nc = getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && !(nc && *nc);
}

int vnx_cli_explain(int argc, char **argv) {
  args a = {0};
  int prc = parse(argc, argv, false, &a);
  if (prc) return prc > 0 ? 0 : 2;
  if (argc - optind != 1) {
    usage_error(explain_usage, "explain", "%s", argc == optind ? "no FILE" : "one FILE at a time");
    return 2;
  }
  const char *path = argv[optind];
  vnx_ruleset *rs = load_rules(&a);
  if (!rs) return 2;
  vnx_matcher *m = vnx_matcher_new(rs);
  vnx_doc doc;
  vnx_error err;
  char *warnings = NULL;
  size_t wlen = 0;
  /* the warnings are shown on their lines, so they are kept, not printed */
  FILE *warn = open_memstream(&warnings, &wlen);
  int rc = vnx_process_file(path, &a.opt, m, &doc, &err, warn ? warn : stderr);
  if (warn) fclose(warn);
  int status = 0;
  if (rc != 0) {
    vnx_error_print(&err, stderr);
    status = 1;
  } else {
    vnx_explain_opts eo = {.line_from = a.line_from, .line_to = a.line_to, .rule = a.rule,
                           .kind = a.kind, .colour = want_colour()};
    if (vnx_explain_doc(&doc, warnings, &eo, stdout) != 0 || fflush(stdout) != 0) {
      fprintf(stderr, "vnextract explain: error writing the output\n");
      status = 2;
    }
  }
  free(warnings);
  vnx_doc_free(&doc);
  vnx_matcher_free(m);
  vnx_rules_free(rs);
  return status;
}

typedef struct render_run {
  vnx_html *h;
  size_t failed;
} render_run;

static int render_sink(void *ctx, const char *path, vnx_doc *d, const vnx_prepared *prep,
                       const vnx_error *err, const char *warnings) {
  render_run *run = ctx;
  (void)prep;
  if (!d) {
    vnx_error_print(err, stderr);
    run->failed++;
  }
  vnx_html_add(run->h, path, d, err, warnings);
  return 0;
}

int vnx_cli_render(int argc, char **argv) {
  args a = {0};
  int prc = parse(argc, argv, true, &a);
  if (prc) return prc > 0 ? 0 : 2;
  if (optind >= argc) {
    usage_error(render_usage, "render", "%s", "no input (give files or directories)");
    return 2;
  }
  if (!a.output) {
    usage_error(render_usage, "render", "%s", "-o REPORT.html is required (- for stdout)");
    return 2;
  }
  char today[11];
  if (!a.as_of) {
    /* the one input that is not in the arguments: tests pass --as-of */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    vnx_iso_date(today, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    a.as_of = today;
  }
  vnx_ruleset *rs = load_rules(&a);
  if (!rs) return 2;
  vnx_pathlist inputs = {0};
  render_run run = {.h = vnx_html_new(a.as_of)};
  run.failed = (size_t)vnx_collect_inputs(argv + optind, argc - optind, &inputs, stderr);
  vnx_batch_run(&inputs, &a.opt, rs, a.jobs ? a.jobs : vnx_default_jobs(), NULL, render_sink,
                &run);

  int status = run.failed ? 1 : 0;
  vnx_error err;
  if (strcmp(a.output, "-") == 0) {
    if (vnx_html_write(run.h, stdout) != 0 || fflush(stdout) != 0) {
      fprintf(stderr, "vnextract render: error writing the output\n");
      status = 2;
    }
  } else {
    char *tmp = NULL;
    FILE *f = vnx_atomic_open(a.output, &tmp, &err);
    if (!f) {
      vnx_error_print(&err, stderr);
      status = 2;
    } else if (vnx_html_write(run.h, f) != 0) {
      vnx_atomic_abort(f, tmp);
      fprintf(stderr, "vnextract render: error writing %s\n", a.output);
      status = 2;
    } else if (vnx_atomic_commit(f, tmp, a.output, &err) != 0) {
      vnx_error_print(&err, stderr);
      status = 2;
    }
  }
  vnx_html_free(run.h);
  vnx_pathlist_free(&inputs);
  vnx_rules_free(rs);
  return status;
}
