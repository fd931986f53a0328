/* batch.c - documents processed in parallel, delivered in input order.
 *
 * Workers take the next input index, run the whole pipeline on it with
 * their own matcher (the compiled ruleset, JIT code included, is shared
 * read-only), and park the finished document in a ring of slots. The
 * calling thread hands the slots to the sink strictly in input order, so
 * the output bytes are the same for any number of jobs. The ring bounds
 * the documents in flight: memory does not grow with the batch. An
 * optional prepare callback does the sink's order-free work (serialising)
 * on the worker, which may then free the document there too, so the
 * calling thread is left with little more than writing bytes in order. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "internal.h"

typedef enum { SLOT_FREE, SLOT_BUSY, SLOT_DONE } slot_state;

typedef struct slot {
  slot_state state;
  size_t index;
  int rc;
  vnx_doc doc;
  vnx_prepared prep; /* what the prepare callback made of doc */
  vnx_error err;
  char *warnings; /* what the pipeline said about this document */
  size_t warnings_len;
} slot;

typedef struct batch {
  const vnx_pathlist *inputs;
  const vnx_options *opt;
  const vnx_ruleset *rules;
  vnx_batch_prepare prepare;
  void *ctx;
  slot *ring;
  size_t nring;
  size_t next;    /* next input index to take */
  size_t written; /* inputs handed to the sink */
  bool stop;
  pthread_mutex_t mu;
  /* Each side is woken only when what it waits for has happened: the
   * calling thread when the slot it writes next is done, a worker when a
   * slot is freed (and it waits). A wake-up is a system call, and in this
   * VM a dear one: one per document for nothing showed in the profile. */
  pthread_cond_t done; /* the calling thread waits here */
  pthread_cond_t freed; /* workers wait here */
  size_t nwaiting;      /* workers waiting on freed */
} batch;

static void run_one(batch *b, vnx_matcher *m, slot *s) {
  FILE *warn = open_memstream(&s->warnings, &s->warnings_len);
  s->rc = vnx_process_file(b->inputs->v[s->index], b->opt, m, &s->doc, &s->err,
                           warn ? warn : stderr);
  if (warn) fclose(warn);
  if (s->rc == 0 && b->prepare) {
    s->prep.rc = b->prepare(b->ctx, &s->doc, &s->prep);
    if (s->prep.doc_done) vnx_doc_free(&s->doc);
  }
}

/* The sink's turn for slot s (in input order, on the calling thread). */
static int hand_over(batch *b, vnx_batch_sink sink, slot *s) {
  bool ok = s->rc == 0;
  return sink(b->ctx, b->inputs->v[s->index], ok && !s->prep.doc_done ? &s->doc : NULL,
              ok && b->prepare ? &s->prep : NULL, &s->err, s->warnings);
}

static void slot_clear(slot *s) {
  vnx_doc_free(&s->doc);
  free(s->prep.s);
  free(s->prep.aux);
  free(s->warnings);
}

static void *worker(void *arg) {
  batch *b = arg;
  vnx_matcher *m = b->rules ? vnx_matcher_new(b->rules) : NULL;
  pthread_mutex_lock(&b->mu);
  for (;;) {
    /* Take the next input once its slot in the ring is free. */
    while (!b->stop && b->next < b->inputs->n && b->ring[b->next % b->nring].state != SLOT_FREE) {
      b->nwaiting++;
      pthread_cond_wait(&b->freed, &b->mu);
      b->nwaiting--;
    }
    if (b->stop || b->next >= b->inputs->n) break;
    slot *s = &b->ring[b->next % b->nring];
    s->state = SLOT_BUSY;
    s->index = b->next++;
    pthread_mutex_unlock(&b->mu);
    run_one(b, m, s);
    pthread_mutex_lock(&b->mu);
    s->state = SLOT_DONE;
    if (s->index == b->written) pthread_cond_signal(&b->done);
  }
  pthread_mutex_unlock(&b->mu);
  vnx_matcher_free(m);
  return NULL;
}

int vnx_default_jobs(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

/* Each document allocates buffers of about the same sizes the previous one
 * freed. By default glibc maps the large ones afresh and hands a thread
 * heap's free top back to the kernel, so every document faulted its pages
 * in again (a tenth of the CPU time was page faults). Keeping them costs
 * little: the peak is what one document per thread needs anyway. */
static void keep_freed_memory(void) {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

int vnx_batch_run(const vnx_pathlist *inputs, const vnx_options *opt, const vnx_ruleset *rules,
                  int jobs, vnx_batch_prepare prepare, vnx_batch_sink sink, void *ctx) {
  keep_freed_memory();
  if (jobs < 1) jobs = 1;
  if ((size_t)jobs > inputs->n) jobs = inputs->n ? (int)inputs->n : 1;
  batch b = {.inputs = inputs, .opt = opt, .rules = rules, .prepare = prepare, .ctx = ctx};
  b.nring = (size_t)jobs * 4;
  b.ring = vnx_xcalloc(b.nring, sizeof *b.ring);
  pthread_mutex_init(&b.mu, NULL);
  pthread_cond_init(&b.done, NULL);
  pthread_cond_init(&b.freed, NULL);
  pthread_t *tids = vnx_xcalloc((size_t)jobs, sizeof *tids);
  int started = 0;
  /* tids[0..started) are the threads that exist, whichever failed */
  /* One job runs on this thread: a worker would hand every document over
   * to it to write, and waking it cost more than the writing it takes off
   * the worker (alternating runs of the 100 MB benchmark corpus, --jobs 1:
   * 6.93 s with a worker, 6.64 s without; the futex wake-ups were 3 % of
   * the CPU time). */
  for (int i = 0; i < jobs && jobs > 1; i++)
    if (pthread_create(&tids[started], NULL, worker, &b) == 0) started++;
  int rc = 0;
  if (!started) {
    /* One job, or no threads to be had: the work on this thread. */
    vnx_matcher *m = rules ? vnx_matcher_new(rules) : NULL;
    for (size_t i = 0; i < inputs->n && rc == 0; i++) {
      slot *s = &b.ring[0];
      memset(s, 0, sizeof *s);
      s->index = i;
      run_one(&b, m, s);
      rc = hand_over(&b, sink, s);
      slot_clear(s);
    }
    vnx_matcher_free(m);
  } else {
    pthread_mutex_lock(&b.mu);
    while (b.written < inputs->n) {
      slot *s = &b.ring[b.written % b.nring];
      while (!(s->state == SLOT_DONE && s->index == b.written))
        pthread_cond_wait(&b.done, &b.mu);
      pthread_mutex_unlock(&b.mu);
      if (rc == 0) rc = hand_over(&b, sink, s);
      slot_clear(s);
      pthread_mutex_lock(&b.mu);
      memset(s, 0, sizeof *s); /* state = SLOT_FREE */
      b.written++;
      if (rc != 0) {
        /* The sink asked to stop (fail-fast, write error): let the workers
         * finish what they hold and drain the rest unused. */
        b.stop = true;
      }
      if (b.nwaiting || b.stop) pthread_cond_broadcast(&b.freed);
      if (b.stop) break;
    }
    pthread_mutex_unlock(&b.mu);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    for (size_t i = 0; i < b.nring; i++) {
      if (b.ring[i].state == SLOT_DONE) slot_clear(&b.ring[i]);
    }
  }
  free(tids);
  free(b.ring);
  pthread_mutex_destroy(&b.mu);
  pthread_cond_destroy(&b.done);
  pthread_cond_destroy(&b.freed);
  return rc;
}
