/* main.c - the vnextract command line: a thin layer over the library.
 *
 * Exit status, for every subcommand:
 *   0  success (check: no differences)
 *   1  some documents failed, or check found differences
 *   2  usage error, or the rules do not load */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define VNX_VERSION "0.1.0"

static const char usage_text[] =
    "usage: vnextract COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Extracts deadlines, responsible bodies, indicators and tasks from Vietnamese\n"
    "administrative documents (UTF-8 text or markdown) as JSON Lines records.\n"
    "\n"
    "commands:\n"
    "  extract [-o FILE] PATH...     records of every document (files, or directories\n"
    "                                searched recursively for *.txt and *.md; - is stdin)\n"
    "  check [--update] [CORPUS_DIR [GOLDEN_DIR]]\n"
    "                                compare with golden records (defaults corpus/ golden/);\n"
    "                                --update rewrites the golden files\n"
    "  normalize [FILE|-]            print the normalised text\n"
    "  rules test|lint|coverage      run the rules' inline examples, check the rule files,\n"
    "                                count hits per rule over documents (coverage PATH...)\n"
    "  explain FILE [--line N[-M]] [--rule ID] [--kind K]\n"
    "                                the document's lines with the extracted spans\n"
    "                                highlighted and the records under each line\n"
    "  render PATH... -o REPORT.html [--as-of YYYY-MM-DD]\n"
    "                                one self-contained HTML report: highlighted text,\n"
    "                                sortable task table, deadline timeline\n"
    "\n"
    "options:\n"
    "  -o, --output FILE             write records to FILE (atomically) instead of stdout\n"
    "                                (- is stdout)\n"
    "      --format jsonl|csv        csv: one RFC 4180 file per record kind in -o DIR\n"
    "      --db FILE.sqlite          also write the records to an SQLite database\n"
    "      --rules DIR               rule directory (default: the project's rules/)\n"
    "      --tone-style STYLE        classic (default: hòa, Ủy ban) or modern (hoà, Uỷ ban)\n"
    "      --lossy                   replace invalid UTF-8 with U+FFFD and warn\n"
    "      --doc-date YYYY-MM-DD     document date for implicit years (default: from the text)\n"
    "  -j, --jobs N                  documents in parallel (default: one per core);\n"
    "                                the output is the same for any N\n"
    "      --fail-fast               stop at the first document that fails\n"
    "      --from LIST               read input paths from LIST (- for stdin), one a line\n"
    "  -0                            with --from: paths are NUL-separated (find -print0)\n"
    "      --shard I/N               take only share I of N of the inputs (by path hash);\n"
    "                                the N shards' outputs together are the whole set\n"
    "      --progress                progress line on stderr even when it is not a terminal\n"
    "  -q, --quiet                   no summary and no progress line on stderr\n"
    "  -h, --help                    this text\n"
    "      --version                 print the version\n"
    "\n"
    "exit status: 0 success; 1 a document failed or check found differences;\n"
    "             2 usage error or rules that do not load\n";

static void usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "vnextract: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'vnextract --help'.\n");
}

const char *vnx_default_rules_dir(void) {
  const char *env = getenv("VNEXTRACT_RULES");
  if (env && *env) return env;
  /* An installed binary uses the installed rules; a binary in the build
   * tree uses the project's rules/ it was built from. */
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  struct stat st;
  if (n > 0) {
    exe[n] = '\0';
    const char *installed = VNX_INSTALLED_RULES_DIR;
    size_t plen = strlen(installed);
    /* prefix/share/vnextract/rules -> prefix */
    const char *share = strstr(installed, "/share/vnextract/rules");
    if (share) plen = (size_t)(share - installed);
    if (strncmp(exe, installed, plen) == 0 && stat(installed, &st) == 0) return installed;
  }
  if (stat(VNX_SOURCE_RULES_DIR, &st) == 0) return VNX_SOURCE_RULES_DIR;
  return VNX_INSTALLED_RULES_DIR;
}

typedef struct cli {
  vnx_options opt;
  const char *rules_dir;
  const char *output;
  bool quiet;
  bool update;
  bool fail_fast;
  int jobs;           /* 0: one per core */
  const char *format; /* jsonl (default) or csv */
  const char *from;   /* --from LIST: input paths, one a line (or NUL-separated) */
  bool nul;           /* -0 */
  unsigned shard_i, shard_n; /* --shard I/N, 1-based; 0/0 = all */
  int progress;       /* -1 never (--quiet), 0 when stderr is a TTY, 1 always */
  const char *db;     /* --db FILE.sqlite */
} cli;

enum { OPT_RULES = 256, OPT_TONE, OPT_LOSSY, OPT_DOC_DATE, OPT_VERSION, OPT_UPDATE, OPT_FAIL_FAST, OPT_FORMAT, OPT_DB, OPT_FROM, OPT_SHARD, OPT_PROGRESS };

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"rules", required_argument, NULL, OPT_RULES},
    {"tone-style", required_argument, NULL, OPT_TONE},
    {"lossy", no_argument, NULL, OPT_LOSSY},
    {"doc-date", required_argument, NULL, OPT_DOC_DATE},
    {"quiet", no_argument, NULL, 'q'},
    {"update", no_argument, NULL, OPT_UPDATE},
    {"jobs", required_argument, NULL, 'j'},
    {"fail-fast", no_argument, NULL, OPT_FAIL_FAST},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"db", required_argument, NULL, OPT_DB},
    {"from", required_argument, NULL, OPT_FROM},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

/* Parses the options common to every subcommand. Returns -1 on a usage
 * error, 1 when --help/--version was handled, 0 otherwise. */
static int parse_options(int argc, char **argv, cli *c) {
  optind = 1;
  opterr = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, ":o:qhj:0", long_opts, NULL)) != -1) {
    switch (ch) {
    /* "-o -" is standard output, as for render (not a file named "-") */
    case 'o': c->output = strcmp(optarg, "-") == 0 ? NULL : optarg; break;
    case 'q': c->quiet = true; c->progress = -1; break;
    case '0': c->nul = true; break;
    case OPT_FROM: c->from = optarg; break;
    case OPT_PROGRESS: c->progress = 1; break;
    case OPT_SHARD: {
      unsigned i, n;
      char extra;
      if (sscanf(optarg, "%u/%u%c", &i, &n, &extra) != 2 || n == 0 || i == 0 || i > n) {
        usage_error("--shard takes I/N with 1 <= I <= N, not '%s'", optarg);
        return -1;
      }
      c->shard_i = i;
      c->shard_n = n;
      break;
    }
    case OPT_RULES: c->rules_dir = optarg; break;
    case OPT_LOSSY: c->opt.norm.lossy = true; break;
    case OPT_DOC_DATE: c->opt.doc_date = optarg; break;
    case OPT_UPDATE: c->update = true; break;
    case OPT_FAIL_FAST: c->fail_fast = true; break;
    case OPT_DB: c->db = optarg; break;
    case OPT_FORMAT:
      if (strcmp(optarg, "jsonl") != 0 && strcmp(optarg, "csv") != 0) {
        usage_error("--format must be jsonl or csv, not '%s'", optarg);
        return -1;
      }
      c->format = optarg;
      break;
    case 'j': {
      char *end;
      long n = strtol(optarg, &end, 10);
      if (*end || n < 1 || n > 1024) {
        usage_error("--jobs takes a number from 1 to 1024, not '%s'", optarg);
        return -1;
      }
      c->jobs = (int)n;
      break;
    }
    case OPT_TONE:
      if (strcmp(optarg, "classic") == 0) c->opt.norm.tone_style = VNX_TONE_CLASSIC;
      else if (strcmp(optarg, "modern") == 0) c->opt.norm.tone_style = VNX_TONE_MODERN;
      else {
        usage_error("--tone-style must be classic or modern, not '%s'", optarg);
        return -1;
      }
      break;
    case 'h': fputs(usage_text, stdout); return 1;
    case OPT_VERSION: printf("vnextract %s\n", VNX_VERSION); return 1;
    case ':': usage_error("option '%s' needs a value", argv[optind - 1]); return -1;
    default: usage_error("unknown option '%s'", argv[optind - 1]); return -1;
    }
  }
  return 0;
}

static vnx_ruleset *load_rules(const cli *c) {
  int nerr = 0;
  const char *dir = c->rules_dir ? c->rules_dir : vnx_default_rules_dir();
  vnx_ruleset *rs = vnx_rules_load(dir, c->opt.norm.tone_style, stderr, &nerr);
  if (!rs) fprintf(stderr, "vnextract: %d error(s) in the rules in %s\n", nerr, dir);
  return rs;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records per kind, for the closing summary. */
typedef struct kind_count {
  const char *kind;
  size_t n;
} kind_count;

/* n more of kind; a new kind once there are max is left out */
static void add_kind(kind_count *kc, size_t *nkc, size_t max, const char *kind, size_t n) {
  size_t k = 0;
  while (k < *nkc && strcmp(kc[k].kind, kind) != 0) k++;
  if (k == *nkc) {
    if (*nkc == max) return;
    kc[(*nkc)++] = (kind_count){kind, 0};
  }
  kc[k].n += n;
}

/* What the summary takes from a document, gathered on the worker so that
 * the document can be freed there. The kinds in order of first record:
 * adding them to the run's counts gives what adding record by record
 * would (the same kinds left out past 32). Kinds are static strings, so
 * they outlive the document. */
typedef struct doc_counts {
  size_t orig_len, nrec, nkc;
  unsigned replaced;
  kind_count kc[]; /* nkc */
} doc_counts;

static doc_counts *doc_counts_new(const vnx_doc *d) {
  doc_counts *dc = vnx_xmalloc(sizeof *dc + d->recs.n * sizeof dc->kc[0]);
  dc->orig_len = d->orig_len;
  dc->nrec = d->recs.n;
  dc->replaced = d->text.replaced;
  dc->nkc = 0;
  for (size_t i = 0; i < d->recs.n; i++) add_kind(dc->kc, &dc->nkc, SIZE_MAX, d->recs.v[i].kind, 1);
  return vnx_xrealloc(dc, sizeof *dc + dc->nkc * sizeof dc->kc[0]);
}

static int cmp_kind(const void *a, const void *b) {
  return strcmp(((const kind_count *)a)->kind, ((const kind_count *)b)->kind);
}

/* What the extract sink keeps between documents. */
typedef struct extract_run {
  FILE *out;    /* JSON Lines, or NULL with --format csv */
  vnx_csv *csv; /* --format csv */
  vnx_db *db;   /* --db */
  bool fail_fast;
  size_t ok, failed, bytes, nrec, nkc;
  kind_count kc[32];
  bool write_failed;
  size_t total;     /* inputs in the batch */
  bool progress;    /* draw the progress line */
  double t0, drawn; /* start, last time the progress line was drawn */
} extract_run;

/* One line on stderr, redrawn in place: documents, MB/s, records, errors,
 * ETA. At most ten times a second, so it costs nothing on big batches. */
static void draw_progress(extract_run *run, bool last) {
  double t = now_seconds();
  if (!last && t - run->drawn < 0.1) return;
  run->drawn = t;
  double el = t - run->t0;
  size_t done = run->ok + run->failed;
  double eta = done ? el / (double)done * (double)(run->total - done) : 0;
  int width = 24, fill = run->total ? (int)((double)width * (double)done / (double)run->total) : width;
  char bar[32];
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
  bar[width] = 0;
  fprintf(stderr, "\r[%s] %zu/%zu docs  %.1f MB/s  %zu records  %zu errors  ETA %d:%02d \x1b[K",
          bar, done, run->total, el > 0 ? (double)run->bytes / 1e6 / el : 0.0, run->nrec,
          run->failed, (int)eta / 60, (int)eta % 60);
  if (last) fputc('\n', stderr);
}

/* On the worker thread: the JSON Lines of the document, so that the sink
 * only writes them. */
static int extract_prepare(void *ctx, const vnx_doc *d, vnx_prepared *prep) {
  const extract_run *run = ctx;
  prep->aux = doc_counts_new(d);
  /* The database is written on this thread from the document; without it
   * the counts are all the sink needs. */
  prep->doc_done = !run->db;
  uint64_t t = vnx_stage_clock();
  int rc = vnx_jsonl_bytes(d, &prep->s, &prep->len);
  vnx_stage_add(VNX_ST_WRITE, t);
  return rc;
}

/* The prepared bytes, as vnx_write_jsonl would have written them. */
static int write_prepared(const vnx_prepared *prep, FILE *out) {
  if (prep->rc != 0) return -1;
  if (prep->len && fwrite(prep->s, 1, prep->len, out) != prep->len) return -1;
  return ferror(out) ? -1 : 0;
}

static int extract_sink(void *ctx, const char *path, vnx_doc *d, const vnx_prepared *prep,
                        const vnx_error *err, const char *warnings) {
  extract_run *run = ctx;
  bool failed = !d && !prep;
  if (run->progress && ((warnings && *warnings) || failed)) fputs("\r\x1b[K", stderr);
  if (warnings && *warnings) fputs(warnings, stderr);
  if (failed) {
    vnx_error_print(err, stderr);
    run->failed++;
    if (run->progress) draw_progress(run, false);
    return run->fail_fast ? 1 : 0;
  }
  vnx_error werr;
  if ((run->out && prep && write_prepared(prep, run->out) != 0) ||
      (run->out && !prep && vnx_write_jsonl(d, run->out) != 0) ||
      (run->csv && vnx_csv_write_document(run->csv, d, &werr) != 0)) {
    run->write_failed = true;
    return 1;
  }
  if (run->db && vnx_db_write_document(run->db, d, &werr) < 0) {
    vnx_error_print(&werr, stderr);
    run->write_failed = true;
    return 1;
  }
  doc_counts *dc = prep ? prep->aux : doc_counts_new(d);
  run->ok++;
  run->bytes += dc->orig_len;
  run->nrec += dc->nrec;
  for (size_t k = 0; k < dc->nkc; k++) add_kind(run->kc, &run->nkc, 32, dc->kc[k].kind, dc->kc[k].n);
  if (run->progress) draw_progress(run, false);
  if (dc->replaced)
    fprintf(stderr, "%s: warning: %u invalid UTF-8 sequence(s) replaced (--lossy)\n", path,
            dc->replaced);
  if (!prep) free(dc);
  return 0;
}

/* --from LIST: one path a line, or NUL-separated with -0. Returns -1 if
 * the list cannot be read. */
static int read_path_list(const char *list, bool nul, vnx_pathlist *out) {
  FILE *f = strcmp(list, "-") == 0 ? stdin : fopen(list, "r");
  if (!f) {
    fprintf(stderr, "%s: error: cannot open path list: %s\n", list, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getdelim(&line, &cap, nul ? '\0' : '\n', f)) > 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == '\0')) line[--n] = 0;
    if (n == 0) continue;
    char *arg[] = {line};
    vnx_collect_inputs(arg, 1, out, stderr);
  }
  free(line);
  if (f != stdin) fclose(f);
  return 0;
}

/* --shard I/N: keep the inputs whose path hash falls in share I. FNV-1a of
 * the path as given, so every machine that is given the same list splits
 * it the same way. */
static void keep_shard(vnx_pathlist *pl, unsigned i, unsigned n) {
  size_t k = 0;
  for (size_t j = 0; j < pl->n; j++) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)pl->v[j]; *p; p++) {
      h ^= *p;
      h *= 0x100000001b3ULL;
    }
    if (h % n == i - 1) pl->v[k++] = pl->v[j];
    else free(pl->v[j]);
  }
  pl->n = k;
}

typedef struct named_input {
  char *stem;
  size_t index;
} named_input;

static int cmp_named(const void *a, const void *b) {
  const named_input *x = a, *y = b;
  int c = strcmp(x->stem, y->stem);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Records, golden files and the database name a document by its file stem,
 * so two inputs with one stem ("a/x.txt", "b/x.txt", "x.md") would mix
 * their records. The later ones are refused, by name; returns how many. */
static size_t refuse_duplicate_stems(vnx_pathlist *pl) {
  named_input *v = vnx_xcalloc(pl->n ? pl->n : 1, sizeof *v);
  for (size_t i = 0; i < pl->n; i++) v[i] = (named_input){vnx_path_stem(pl->v[i]), i};
  if (pl->n) qsort(v, pl->n, sizeof *v, cmp_named);
  bool *drop = vnx_xcalloc(pl->n ? pl->n : 1, sizeof *drop);
  size_t ndrop = 0;
  for (size_t i = 1; i < pl->n; i++) {
    size_t first = i;
    while (first > 0 && strcmp(v[first - 1].stem, v[i].stem) == 0) first--;
    if (first == i) continue;
    fprintf(stderr,
            "%s: error: another document of this batch is also named '%s' (%s); records, "
            "golden files and the database name documents by file stem: rename one\n",
            pl->v[v[i].index], v[i].stem, pl->v[v[first].index]);
    drop[v[i].index] = true;
    ndrop++;
  }
  size_t k = 0;
  for (size_t i = 0; i < pl->n; i++) {
    if (drop[i]) free(pl->v[i]);
    else pl->v[k++] = pl->v[i];
  }
  pl->n = k;
  for (size_t i = 0; i < pl->n + ndrop; i++) free(v[i].stem);
  free(v);
  free(drop);
  return ndrop;
}

static int cmd_extract(int argc, char **argv, cli *c) {
  if (optind >= argc && !c->from) {
    usage_error("%s: no input (give files, directories, - or --from LIST)", "extract");
    return 2;
  }
  vnx_pathlist inputs = {0};
  extract_run run = {.out = stdout, .fail_fast = c->fail_fast};
  if (c->from && read_path_list(c->from, c->nul, &inputs) != 0) return 2;
  run.failed = (size_t)vnx_collect_inputs(argv + optind, argc - optind, &inputs, stderr);
  if (c->shard_n) keep_shard(&inputs, c->shard_i, c->shard_n);
  run.failed += refuse_duplicate_stems(&inputs);
  run.total = inputs.n;
  run.progress = c->progress > 0 || (c->progress == 0 && isatty(2));
  /* --jobs bounds every thread of the run, the compiling of the patterns
   * at start-up too: `--jobs 1` takes one core */
  if (c->jobs) vnx_rules_set_threads(c->jobs);
  vnx_ruleset *rs = load_rules(c);
  if (!rs) {
    vnx_pathlist_free(&inputs);
    return 2;
  }

  char *tmp = NULL;
  vnx_error err;
  bool csv = c->format && strcmp(c->format, "csv") == 0;
  if (csv) {
    if (!c->output) {
      usage_error("%s: --format csv needs -o DIR (one file per record kind)", "extract");
      vnx_pathlist_free(&inputs);
      vnx_rules_free(rs);
      return 2;
    }
    run.out = NULL;
    run.csv = vnx_csv_open(c->output, &err);
  } else if (c->output) {
    run.out = vnx_atomic_open(c->output, &tmp, &err);
  }
  if (c->output && !run.out && !run.csv) {
    vnx_error_print(&err, stderr);
    vnx_pathlist_free(&inputs);
    vnx_rules_free(rs);
    return 2;
  }
  if (c->db && !(run.db = vnx_db_open(c->db, &err))) {
    vnx_error_print(&err, stderr);
    if (tmp) vnx_atomic_abort(run.out, tmp);
    vnx_csv_abort(run.csv);
    vnx_pathlist_free(&inputs);
    vnx_rules_free(rs);
    return 2;
  }
  double t0 = now_seconds();
  run.t0 = t0;
  vnx_batch_run(&inputs, &c->opt, rs, c->jobs ? c->jobs : vnx_default_jobs(),
                run.out ? extract_prepare : NULL, extract_sink, &run);
  /* A write error, or --fail-fast stopping the batch, leaves the previous
   * output in place rather than replacing it with part of this run. */
  bool keep_old = run.write_failed || (c->fail_fast && run.failed);
  if (run.csv && keep_old) {
    vnx_csv_abort(run.csv);
  } else if (run.csv) {
    if (vnx_csv_close(run.csv, &err) != 0) {
      vnx_error_print(&err, stderr);
      run.write_failed = true;
    }
  } else if (c->output && keep_old) {
    vnx_atomic_abort(run.out, tmp);
    if (tmp) fprintf(stderr, "vnextract: %s left as it was\n", c->output);
  } else if (c->output) {
    if (vnx_atomic_commit(run.out, tmp, c->output, &err) != 0) {
      vnx_error_print(&err, stderr);
      run.write_failed = true;
    }
  } else if (fflush(stdout) != 0) {
    run.write_failed = true;
  }
  if (run.db && vnx_db_close(run.db, &err) != 0) {
    vnx_error_print(&err, stderr);
    run.write_failed = true;
  }
  double secs = now_seconds() - t0;
  if (run.progress) draw_progress(&run, true);
  if (!c->quiet) {
    qsort(run.kc, run.nkc, sizeof *run.kc, cmp_kind);
    fprintf(stderr, "vnextract: %zu documents (%zu ok, %zu failed), %zu records (", run.ok + run.failed,
            run.ok, run.failed, run.nrec);
    for (size_t k = 0; k < run.nkc; k++)
      fprintf(stderr, "%s%s %zu", k ? ", " : "", run.kc[k].kind, run.kc[k].n);
    fprintf(stderr, "), %.2f s, %.1f MB/s%s%s\n", secs,
            secs > 0 ? (double)run.bytes / 1e6 / secs : 0.0, c->output ? " -> " : "",
            c->output ? c->output : "");
  }
  if (vnx_stage_times_enabled()) vnx_stage_times_print(stderr);
  vnx_pathlist_free(&inputs);
  vnx_rules_free(rs);
  if (run.write_failed) {
    fprintf(stderr, "vnextract: error writing the output\n");
    return 2;
  }
  return run.failed ? 1 : 0;
}

static int cmd_check(int argc, char **argv, cli *c) {
  int nargs = argc - optind;
  if (nargs > 2) {
    usage_error("%s: at most two arguments (CORPUS_DIR GOLDEN_DIR)", "check");
    return 2;
  }
  vnx_ruleset *rs = load_rules(c);
  if (!rs) return 2;
  vnx_check_options co = {
      .corpus_dir = nargs >= 1 ? argv[optind] : "corpus",
      .golden_dir = nargs >= 2 ? argv[optind + 1] : "golden",
      .update = c->update,
      .opt = &c->opt,
      .rules = rs,
  };
  int rc = vnx_check(&co, stdout);
  vnx_rules_free(rs);
  return rc;
}

static int cmd_normalize(int argc, char **argv, cli *c) {
  if (argc - optind > 1) {
    usage_error("%s: one file at a time", "normalize");
    return 2;
  }
  const char *path = optind < argc ? argv[optind] : "-";
  char *buf;
  size_t len;
  vnx_error err;
  if (vnx_read_file(path, &buf, &len, &err) != 0) {
    vnx_error_print(&err, stderr);
    return 1;
  }
  vnx_text t;
  vnx_norm_options no = c->opt.norm;
  no.path = strcmp(path, "-") == 0 ? "<stdin>" : path;
  int rc = vnx_normalise(buf, len, &no, &t, &err);
  free(buf);
  if (rc != 0) {
    vnx_error_print(&err, stderr);
    return 1;
  }
  if (t.replaced)
    fprintf(stderr, "%s: warning: %u invalid UTF-8 sequence(s) replaced (--lossy)\n", no.path,
            t.replaced);
  fwrite(t.s, 1, t.len, stdout);
  if (t.len && t.s[t.len - 1] != '\n') fputc('\n', stdout);
  vnx_text_free(&t);
  return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  /* Past a file size limit, report the write error and leave the old
   * output in place, rather than being killed half-way. */
  signal(SIGXFSZ, SIG_IGN);
  if (argc < 2) {
    fputs(usage_text, stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("vnextract %s\n", VNX_VERSION);
    return 0;
  }
  if (strcmp(cmd, "rules") == 0) return vnx_cli_rules(argc - 1, argv + 1, vnx_default_rules_dir());
  if (strcmp(cmd, "explain") == 0) return vnx_cli_explain(argc - 1, argv + 1);
  if (strcmp(cmd, "render") == 0) return vnx_cli_render(argc - 1, argv + 1);

  cli c = {0};
  int prc = parse_options(argc - 1, argv + 1, &c);
  if (prc < 0) return 2;
  if (prc > 0) return 0;
  /* getopt permuted argv + 1; operands start at optind there. */
  int sub_argc = argc - 1;
  char **sub_argv = argv + 1;
  if (strcmp(cmd, "extract") == 0) return cmd_extract(sub_argc, sub_argv, &c);
  if (strcmp(cmd, "check") == 0) return cmd_check(sub_argc, sub_argv, &c);
  if (strcmp(cmd, "normalize") == 0 || strcmp(cmd, "normalise") == 0)
    return cmd_normalize(sub_argc, sub_argv, &c);
  usage_error("unknown command '%s'", cmd);
  return 2;
}
